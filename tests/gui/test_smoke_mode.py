"""The smoke mode of the real command, as scripts, docs and installers run it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_app(
    *arguments: str, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    if environment is None:
        environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    # Keep the app's log file out of the developer's own log folder.
    environment.setdefault("XDG_STATE_HOME", str(Path(tempfile.gettempdir()) / "vp-desk-tests"))
    return subprocess.run(
        [sys.executable, "-m", "vp_desk.app", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_smoke_mode_saves_screenshot(tmp_path: Path) -> None:
    screenshot = tmp_path / "window.png"

    query = "giulia.rossi@example.com"

    result = run_app("--demo", "--query", query, "--screenshot", str(screenshot))

    assert result.returncode == 0, result.stderr
    assert "Failed to disconnect" not in result.stderr
    assert screenshot.read_bytes().startswith(PNG_SIGNATURE)
    assert screenshot.stat().st_size > 10_000


def test_smoke_mode_fails_for_unknown_customer(tmp_path: Path) -> None:
    screenshot = tmp_path / "window.png"

    query = "nobody.here@example.com"

    result = run_app("--demo", "--query", query, "--screenshot", str(screenshot))

    assert result.returncode == 1
    assert "No customer with the email nobody.here@example.com" in result.stderr
    assert not screenshot.exists()


def test_smoke_mode_fails_for_invalid_phone(tmp_path: Path) -> None:
    screenshot = tmp_path / "window.png"

    result = run_app("--demo", "--query", "+1 555", "--screenshot", str(screenshot))

    assert result.returncode == 1
    assert "+1 555" in result.stderr
    assert not screenshot.exists()


def test_screenshot_needs_query(tmp_path: Path) -> None:
    result = run_app("--demo", "--screenshot", str(tmp_path / "window.png"))

    assert result.returncode == 2
    assert "--screenshot needs --query" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--query", " ", "--screenshot", "window.png"], "--query is empty"),
        (["--query", "rossi", "--screenshot", "window.jpg"], "must name a .png file"),
        (["--query", "rossi", "--screenshot", "missing/window.png"], "does not exist"),
    ],
    ids=["empty query", "not png", "no folder"],
)
def test_smoke_arguments_are_checked_first(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    paths = [
        str(tmp_path / part) if part.endswith((".png", ".jpg")) else part for part in arguments
    ]

    result = run_app("--demo", *paths)

    assert result.returncode == 2
    assert message in result.stderr
    assert not list(tmp_path.iterdir())


def test_version_prints_package_version() -> None:
    result = run_app("--version")

    assert result.returncode == 0
    assert result.stdout.startswith("vp-desk 0.")


def test_query_needs_demo_mode() -> None:
    result = run_app("--query", "rossi")

    assert result.returncode == 2
    assert "--query and --region are for demo mode" in result.stderr


def test_unknown_region_is_rejected() -> None:
    result = run_app("--demo", "--region", "XX", "--query", "rossi")

    assert result.returncode == 2
    assert "--region XX is not a known region code" in result.stderr


def test_region_reads_national_numbers(tmp_path: Path) -> None:
    screenshot = tmp_path / "window.png"

    result = run_app(
        "--demo", "--region", "gb", "--query", "020 7946 0958", "--screenshot", str(screenshot)
    )

    assert result.returncode == 0, result.stderr
    assert screenshot.exists()


def test_missing_display_is_explained() -> None:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }

    result = run_app("--demo", environment=environment)

    assert result.returncode == 1
    assert "no display found" in result.stderr
