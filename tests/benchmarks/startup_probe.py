"""Start a window in this process, print when its first paint has ended, and exit.

test_startup.py runs this file with ``sys.executable`` under the offscreen platform, in one
of five modes:

- ``bare``: an empty PySide6 QMainWindow of the app window's size, with ``app.exec()``;
- ``stack``: the same window, shown after importing the libraries that vp-desk loads before
  its first paint, as the floor of any start that imports them first;
- ``widgets``: vp-desk's ``MainWindow``, built from its widget modules alone: every vp-desk
  module outside ``vp_desk.ui``, the controller, the package's own ``__init__`` and
  phonenumbers are empty stand-ins. It shows what the window costs by itself, the least
  that a start which paints before loading anything else could take;
- ``window``: ``vp_desk.app.main([])``, the start on a saved connection profile. The parent
  writes the settings file under XDG_CONFIG_HOME, and the API key to a JSON file that
  replaces the operating system's keyring; VP_DESK_BENCH_KEYRING names that file;
- ``demo``: ``vp_desk.app.main(["--demo"])``, which seeds 10,000 demo customers and starts
  the sandbox before it shows the window.

The probe prints one line per phase: the phase and ``time.monotonic()``, which on Linux reads
the system-wide CLOCK_MONOTONIC that the parent reads too. The phases are "started" at the
probe's first statement, "imported" once the modules of the mode are imported, and "painted"
once the main window's first paint has ended. The app modes print "first-paint" in place of
"painted", through VP_DESK_EXIT_AFTER_FIRST_PAINT=1 of vp_desk.app. Then the process leaves
with ``os._exit(0)``, so no clean-up is timed.
"""

from __future__ import annotations

import sys
import time

STARTED = time.monotonic()

import importlib.machinery  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import types  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402
from PySide6.QtGui import QPaintEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402

KEYRING_VARIABLE = "VP_DESK_BENCH_KEYRING"
PROFILE_NAME = "Benchmark"
WINDOW_SIZE = (1280, 760)
"""The size that MainWindow gives itself, so that both windows paint as many pixels."""


def report(phase: str, moment: float) -> None:
    """Print one phase line at once, because the parent reads lines as they come."""
    print(f"{phase} {moment:.6f}", flush=True)


def finish() -> None:
    """Report the end of the first paint and leave without clean-up."""
    report("painted", time.monotonic())
    os._exit(0)


class ProbedWindow(QMainWindow):
    """An empty QMainWindow that calls finish() after its first paint event."""

    _painted = False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            # The children paint after the window in the same pass. A zero timer runs once
            # that pass and the flush to the backing store are done.
            QTimer.singleShot(0, finish)


def run_bare() -> int:
    """Show an empty QMainWindow, the reference for the app's start."""
    report("imported", time.monotonic())
    app = QApplication(sys.argv[:1])
    window = ProbedWindow()
    window.resize(*WINDOW_SIZE)
    window.show()
    return app.exec()


def run_stack() -> int:
    """Import the libraries that vp-desk loads before its first paint, then run ``bare``."""
    import asyncio  # noqa: F401
    import sqlite3  # noqa: F401

    import cryptography.hazmat.primitives.ciphers.aead
    import cryptography.hazmat.primitives.kdf.hkdf  # noqa: F401
    import keyring  # noqa: F401
    import phonenumbers  # noqa: F401
    import platformdirs  # noqa: F401
    import pydantic
    import qasync  # noqa: F401
    import truststore  # noqa: F401
    from PySide6 import QtNetwork  # noqa: F401

    # vp-desk keeps httpx from importing its command-line module, and so does the floor.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    import httpx  # noqa: F401

    # Any use of pydantic builds a model, which loads its schema machinery.
    class Probe(pydantic.BaseModel):
        value: int

    Probe(value=1)
    return run_bare()


STOOD_IN = (
    "phonenumbers",
    "vp_desk.api",
    "vp_desk.config",
    "vp_desk.credentials",
    "vp_desk.logs",
    "vp_desk.lookup",
    "vp_desk.net",
    "vp_desk.offline",
    "vp_desk.phone_masking",
    "vp_desk.screen_pop",
    "vp_desk.ui.controller",
)
"""Modules, with their submodules, that the ``widgets`` mode replaces by stand-ins."""


class StandIn:
    """A placeholder for any value: its attributes, calls and iteration give empty ones."""

    def __init__(self, *_args: object, **_kwargs: object) -> None:
        pass

    def __call__(self, *_args: object, **_kwargs: object) -> StandIn:
        return StandIn()

    def __getattr__(self, _name: str) -> StandIn:
        return StandIn()

    def __mro_entries__(self, _bases: tuple[object, ...]) -> tuple[type, ...]:
        return (object,)

    def __iter__(self) -> Iterator[object]:
        return iter(())

    def __bool__(self) -> bool:
        return False

    def __or__(self, _other: object) -> StandIn:
        return self


class StandInModule(types.ModuleType):
    """A module whose every public name is a StandIn."""

    def __getattr__(self, name: str) -> StandIn:
        if name.startswith("__"):
            raise AttributeError(name)
        return StandIn()


class StandInFinder:
    """An import finder and loader that makes each module of STOOD_IN a StandInModule.

    It does without the base classes of importlib.abc, because importing that module loads
    importlib.resources, inspect and more, which the window's modules do not import.
    """

    def find_spec(
        self, fullname: str, path: object, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not any(fullname == name or fullname.startswith(name + ".") for name in STOOD_IN):
            return None
        # The import system calls only create_module and exec_module, so no base class is needed.
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)  # type: ignore[arg-type]

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return StandInModule(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__path__ = []


class FirstPaintWatch(QObject):
    """An event filter that calls finish() once its window's first paint pass has ended."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.parent() and event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, finish)
        return False


def run_widgets() -> int:
    """Show vp-desk's MainWindow with every module outside its widgets stood in."""
    sys.meta_path.insert(0, StandInFinder())
    # The package's __init__ reads the installed version through importlib.metadata, and the
    # window's modules never read that version.
    package = types.ModuleType("vp_desk")
    package.__path__ = [str(Path(__file__).parents[2] / "vp_desk")]
    sys.modules["vp_desk"] = package
    from vp_desk.ui.main_window import MainWindow

    report("imported", time.monotonic())
    app = QApplication(sys.argv[:1])
    window = MainWindow(
        StandIn(),  # type: ignore[arg-type]
        profile_name=PROFILE_NAME,
        base_url="http://127.0.0.1:8765",
        default_region="GB",
    )
    window.installEventFilter(FirstPaintWatch(window))
    window.show()
    return app.exec()


def run_app(arguments: list[str]) -> int:
    """Run vp_desk.app.main with ``arguments`` until its window's first paint has ended."""
    import keyring
    import keyring.backend
    import keyring.errors

    import vp_desk.app

    report("imported", time.monotonic())

    class FileKeyring(keyring.backend.KeyringBackend):
        """Passwords in a JSON file that outlives the probe, as a real keyring's entries do.

        The file maps "service/user name" to the password.
        """

        priority = 1

        def __init__(self, path: Path) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self._path = path

        def _entries(self) -> dict[str, str]:
            entries: dict[str, str] = json.loads(self._path.read_text(encoding="utf-8"))
            return entries

        def get_password(self, service: str, username: str) -> str | None:
            return self._entries().get(f"{service}/{username}")

        def set_password(self, service: str, username: str, password: str) -> None:
            entries = self._entries()
            entries[f"{service}/{username}"] = password
            self._path.write_text(json.dumps(entries), encoding="utf-8")

        def delete_password(self, service: str, username: str) -> None:
            entries = self._entries()
            if entries.pop(f"{service}/{username}", None) is None:
                raise keyring.errors.PasswordDeleteError(username)
            self._path.write_text(json.dumps(entries), encoding="utf-8")

    keyring.set_keyring(FileKeyring(Path(os.environ[KEYRING_VARIABLE])))
    # The app's own hook prints "first-paint SECONDS" after the same zero timer as finish(),
    # and in place of the work that the app defers until its window is on screen.
    os.environ["VP_DESK_EXIT_AFTER_FIRST_PAINT"] = "1"
    return vp_desk.app.main(arguments)


def main() -> int:
    """Run the mode that the first argument names."""
    report("started", STARTED)
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "bare":
        return run_bare()
    if mode == "stack":
        return run_stack()
    if mode == "widgets":
        return run_widgets()
    if mode == "window":
        return run_app([])
    if mode == "demo":
        return run_app(["--demo"])
    print(
        f"startup_probe: unknown mode {mode!r}; expected bare, stack, widgets, window or demo",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
