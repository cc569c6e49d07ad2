"""Each installer registers the vpdesk: scheme with a command that vp-desk understands."""

from __future__ import annotations

import configparser
import plistlib
import re
import shlex
from pathlib import Path

from vp_desk.app import parse_arguments
from vp_desk.screen_pop import parse_screen_pop

ROOT = Path(__file__).parents[2]
LINK = "vpdesk://lookup?phone=%2B442079460958"


def lookup_text(argv: list[str]) -> str:
    """Return the text that vp-desk would look up for these arguments, as the app reads it."""
    arguments = parse_arguments(argv)
    assert arguments.lookup is not None
    return str(parse_screen_pop(arguments.lookup, "GB").search_text)


def test_macos_bundle_claims_the_scheme() -> None:
    text = (ROOT / "packaging/macos/Info.plist").read_text(encoding="utf-8")
    bundle = plistlib.loads(text.replace("@VERSION@", "1.2.3").encode("utf-8"))

    schemes = [
        scheme
        for url_type in bundle["CFBundleURLTypes"]
        for scheme in url_type["CFBundleURLSchemes"]
    ]
    assert schemes == ["vpdesk"]
    assert bundle["CFBundleExecutable"] == "vp-desk"
    assert bundle["CFBundleShortVersionString"] == "1.2.3"


def registry_entries(script: str) -> list[dict[str, str]]:
    """Return the [Registry] lines of an Inno Setup script as parameter dictionaries."""
    section = script.split("[Registry]", 1)[1].split("\n[", 1)[0]
    entries = []
    for line in section.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        # Parameters are "Name: value" pairs separated by semicolons outside quotes, and a
        # doubled quote inside a quoted value is one quote.
        pairs = re.findall(r'(\w+):\s*("(?:[^"]|"")*"|[^;]*)', line)
        entries.append(
            {
                name: value[1:-1].replace('""', '"') if value.startswith('"') else value.strip()
                for name, value in pairs
            }
        )
    return entries


def test_windows_installer_registers_the_scheme_per_user() -> None:
    script = (ROOT / "packaging/windows/vp-desk.iss").read_text(encoding="utf-8")
    entries = registry_entries(script)
    by_key = {(entry["Subkey"], entry["ValueName"]): entry for entry in entries}

    assert "PrivilegesRequired=lowest" in script
    assert {entry["Root"] for entry in entries} == {"HKCU"}
    assert ("Software\\Classes\\vpdesk", "URL Protocol") in by_key
    assert "uninsdeletekey" in by_key[("Software\\Classes\\vpdesk", "")]["Flags"]

    command = by_key[("Software\\Classes\\vpdesk\\shell\\open\\command", "")]["ValueData"]
    # Windows puts the link in place of %1, and the program's own path is no argument.
    expanded = command.replace("{app}\\{#AppExe}", "C:\\vp-desk\\vp-desk.exe").replace("%1", LINK)
    words = [word.strip('"') for word in shlex.split(expanded, posix=False)]
    assert words[0] == "C:\\vp-desk\\vp-desk.exe"
    assert lookup_text(words[1:]) == "phone:+442079460958"


def test_linux_desktop_entry_handles_the_scheme() -> None:
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment,method-assign]
    desktop.read(ROOT / "resources/vp-desk-lookup.desktop", encoding="utf-8")
    section = desktop["Desktop Entry"]

    assert "x-scheme-handler/vpdesk" in section["MimeType"].split(";")
    words = shlex.split(section["Exec"].replace("%u", LINK))
    assert words[0] == "vp-desk"
    assert lookup_text(words[1:]) == "phone:+442079460958"
