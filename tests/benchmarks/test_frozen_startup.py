"""Process start to the painted main window: the frozen app against the source checkout."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from tests.benchmarks.harness import SandboxProcess
from tests.benchmarks.stats import BenchmarkReport, alternate, summarize
from vp_desk.config import Profile, Settings, save_settings, settings_path
from vp_desk.credentials import KEYRING_SERVICE

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
FROZEN_APP = ROOT / "dist" / "vp-desk" / "vp-desk"
SOURCE_APP = ROOT / ".venv" / "bin" / "vp-desk"

START_TIMEOUT_SECONDS = 60.0
BUS_START_TIMEOUT_SECONDS = 20.0
WARM_UP_ROUNDS = 2
"""Unrecorded starts of each app; the first fills the source app's bytecode cache."""

ROUNDS = 15
MAX_RATIO = 1.2
PROFILE_NAME = "Benchmark"
PHASES = ("first-paint", "ready")
"""The lines that VP_DESK_REPORT_START=1 makes the app print, each with time.monotonic()."""

# The apps must see neither these variables of the test run nor the developer's own files.
_DROPPED_VARIABLES = (
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONPYCACHEPREFIX",
    "QT_DEBUG_PLUGINS",
    "DBUS_SESSION_BUS_ADDRESS",
)

# Runs inside dbus-run-session: gnome-keyring creates and unlocks a keyring with the password
# from standard input, the bus address goes to the parent, and cat keeps the session alive
# until the parent closes its standard input. The daemon claims its bus name shortly after
# its command returns, and a client that came earlier would make D-Bus start a second daemon
# with a locked keyring, so the script waits for the name first.
_SESSION_SCRIPT = """
printf '%s' 'benchmark-only-keyring' |
  gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1
tenths=0
until dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus \\
  /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets |
  grep -q true; do
  [ "$tenths" -lt 100 ] || exit 1
  sleep 0.1
  tenths=$((tenths + 1))
done
echo "$DBUS_SESSION_BUS_ADDRESS"
exec cat
"""


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a private D-Bus session with an unlocked gnome-keyring and yield its bus address.

    The keyring's files go to a fresh folder. The session, with the daemon, ends at teardown.
    """
    keyring_home = tmp_path / "keyring-home"
    keyring_home.mkdir(mode=0o700)
    environment = {**os.environ, "XDG_DATA_HOME": str(keyring_home)}
    log_path = tmp_path / "dbus-session.log"
    with (
        log_path.open("wb") as log,
        subprocess.Popen(
            ["dbus-run-session", "--", "sh", "-c", _SESSION_SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=environment,
            text=True,
        ) as session,
    ):
        assert session.stdout is not None
        assert session.stdin is not None
        address = session.stdout.readline().strip()
        if not address:
            session.wait(timeout=BUS_START_TIMEOUT_SECONDS)
            pytest.fail(
                "dbus-run-session with gnome-keyring did not start (needs the Debian packages "
                f"dbus and gnome-keyring): {log_path.read_text(encoding='utf-8', errors='replace')}"
            )
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        try:
            yield address
        finally:
            session.stdin.close()
            session.wait(timeout=BUS_START_TIMEOUT_SECONDS)


@pytest.fixture
def start_environment(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    sandbox: SandboxProcess,
    secret_service: str,
) -> dict[str, str]:
    """Return the environment of both apps: a saved profile on ``sandbox``, its key stored.

    The API key goes to the Secret Service through keyring's SecretService backend, where the
    apps read it. VP_DESK_REPORT_START=1 makes vp_desk.app print "first-paint SECONDS" once
    the main window's first paint has ended, and "ready SECONDS" once the profile's search
    bar and lists have painted, and exit.
    """
    from keyring.backends import SecretService

    environment = {
        name: value for name, value in os.environ.items() if name not in _DROPPED_VARIABLES
    }
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        folder = tmp_path / variable.lower()
        folder.mkdir(mode=0o700)
        environment[variable] = str(folder)
        monkeypatch.setenv(variable, str(folder))

    profile = Profile(name=PROFILE_NAME, base_url=sandbox.base_url, default_region="GB")
    save_settings(Settings(profiles=[profile], active_profile=PROFILE_NAME), settings_path())
    secret_service_keyring: KeyringBackend = SecretService.Keyring()  # type: ignore[no-untyped-call]
    secret_service_keyring.set_password(KEYRING_SERVICE, PROFILE_NAME, sandbox.api_key)

    # Both apps load compiled bytecode: the frozen app the bytecode that PyInstaller compiled
    # at build time, the source app the bytecode that it writes to this folder during the
    # warm-up. The test run sets PYTHONDONTWRITEBYTECODE and the virtual environment has no
    # __pycache__ folders, so without the folder the source app would compile at every start.
    environment.update(
        QT_QPA_PLATFORM="offscreen",
        DBUS_SESSION_BUS_ADDRESS=secret_service,
        PYTHONPYCACHEPREFIX=str(tmp_path_factory.getbasetemp() / "bytecode"),
        VP_DESK_REPORT_START="1",
        # Never hand the start over to a vp-desk window that the developer has open.
        VP_DESK_INSTANCE_NAME=str(tmp_path / "vp-desk"),
    )
    return environment


def start_phases(app: Path, environment: dict[str, str]) -> dict[str, float]:
    """Start ``app`` and return the milliseconds from just before Popen to each phase.

    The end of each is the time.monotonic() reading that the app prints, which on Linux is
    the system-wide CLOCK_MONOTONIC that this process reads too.
    """
    before = time.monotonic()
    try:
        result = subprocess.run(
            [str(app)],
            env=environment,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"{app} printed no ready line within {START_TIMEOUT_SECONDS:g} s. A dist/vp-desk "
            "built before the VP_DESK_REPORT_START hook never exits: run "
            "packaging/linux/build.sh again."
        )

    output = f"{result.stdout[-1000:]}\n{result.stderr[-2000:]}"
    assert result.returncode == 0, f"{app} exited with {result.returncode}:\n{output}"
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    missing = [phase for phase in PHASES if phase not in lines]
    assert not missing, f"{app} exited without a line for {', '.join(missing)}:\n{output}"
    return {phase: (float(lines[phase]) - before) * 1000 for phase in PHASES}


def measure_alternately(
    apps: list[Path], environment: dict[str, str], rounds: int
) -> dict[Path, list[dict[str, float]]]:
    """Start each app once per round, the order turned each round, after a warm-up."""
    return alternate(
        apps,
        rounds=rounds,
        warm_up=WARM_UP_ROUNDS,
        measure=lambda app, _index: start_phases(app, environment),
    )


def folder_mib(folder: Path) -> float:
    """Return the size of the files under ``folder`` in MiB, counting no symbolic link."""
    files = [path for path in folder.rglob("*") if path.is_file() and not path.is_symlink()]
    return sum(path.stat().st_size for path in files) / 2**20


def test_frozen_start_against_source(
    start_environment: dict[str, str], report: BenchmarkReport
) -> None:
    if not FROZEN_APP.is_file():
        pytest.fail(f"{FROZEN_APP} is missing: run packaging/linux/build.sh first")
    assert SOURCE_APP.is_file(), f"{SOURCE_APP} is missing: run uv sync first"

    starts = measure_alternately([FROZEN_APP, SOURCE_APP], start_environment, ROUNDS)
    bytecode = Path(start_environment["PYTHONPYCACHEPREFIX"])
    assert any(bytecode.rglob("app.cpython-*.pyc")), (
        f"the source app wrote no bytecode to {bytecode}"
    )

    notes = [
        "saved profile on a sandbox child process, API key in gnome-keyring over D-Bus",
        f"dist/vp-desk: {folder_mib(FROZEN_APP.parent):.0f} MiB",
    ]
    missed = []
    for phase, title in (
        ("first-paint", "Process start to first painted main window"),
        ("ready", "Process start to search bar and lists painted"),
    ):
        frozen = summarize(
            "frozen: dist/vp-desk/vp-desk", [start[phase] for start in starts[FROZEN_APP]]
        )
        source = summarize(
            "reference: source checkout, .venv/bin/vp-desk",
            [start[phase] for start in starts[SOURCE_APP]],
        )
        ratio = frozen.median / source.median
        report.add(
            f"{title}, frozen app against source checkout",
            [frozen, source],
            unit="ms",
            result=f"ratio of medians: {ratio:.2f}",
            target=f"at most {MAX_RATIO} times the reference",
            met=ratio <= MAX_RATIO,
            notes=notes,
        )
        if ratio > MAX_RATIO:
            missed.append(
                f"{phase}: the frozen app takes {frozen.median:.0f} ms, {ratio:.2f} times the "
                f"{source.median:.0f} ms of the source checkout"
            )
    assert not missed, f"MISSED, the target is {MAX_RATIO} times: " + "; ".join(missed)
