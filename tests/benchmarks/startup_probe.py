"""Start a window in this process, print when it has painted, and exit.

test_startup.py runs this file with ``sys.executable`` under the offscreen platform, in one
of five modes:

- ``bare``: an empty PySide6 QMainWindow of the app window's size, with ``app.exec()``;
- ``stack``: the same window, shown after importing the libraries that vp-desk needs for
  its search bar and lists, as the floor of a window that needs them;
- ``widgets``: vp-desk's ``MainWindow`` with a profile open in it, its libraries (pydantic,
  httpx, phonenumbers and the others of LIBRARIES) and every vp-desk module outside its
  widgets replaced by stubs. It shows what the window and its widgets cost without the
  libraries. Its widget modules still
  import what they import from the standard library, asyncio included;
- ``window``: ``vp_desk.app.main([])``, the start on a saved connection profile. The parent
  writes the settings file under XDG_CONFIG_HOME, and the API key to a JSON file that
  replaces the operating system's keyring, through file_keyring.py;
- ``demo``: ``vp_desk.app.main(["--demo"])``, which seeds 10,000 demo customers and starts
  the sandbox once its window has painted.

The probe prints one line per phase: the phase and ``time.monotonic()``, which on Linux reads
the system-wide CLOCK_MONOTONIC that the parent reads too. The phases are "started" at the
probe's first statement, "imported" once the modules of the mode are imported, and "painted"
once the main window's first paint has ended. The app modes print "first-paint" in place of
"painted", and then "ready" once the profile's search bar and lists have painted, through
VP_DESK_REPORT_START=1 of vp_desk.app. Then the process leaves with ``os._exit(0)``, so no
clean-up is timed.
"""

from __future__ import annotations

import sys
import time

STARTED = time.monotonic()

import importlib.machinery  # noqa: E402
import os  # noqa: E402
import types  # noqa: E402

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402
from PySide6.QtGui import QPaintEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402

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


QT_AND_PROBE_MODULES = frozenset(
    {
        "PySide6",
        "__feature__",
        "__main__",
        "shiboken6",
        "shibokensupport",
        "signature_bootstrap",
        "startup_probe",
        "vp_desk",
    }
)
"""Top-level modules besides the standard library that the ``widgets`` mode may load."""

LIBRARIES = ("cryptography", "httpx", "keyring", "phonenumbers", "pydantic", "qasync")
"""Libraries that vp-desk loads before its first paint, which the ``widgets`` mode stubs."""


def is_stubbed(name: str) -> bool:
    """Return whether the ``widgets`` mode imports the module ``name`` as a stub.

    The stubs replace the libraries, every vp-desk module outside ``vp_desk.ui``, and the
    controller, which drives look-ups rather than widgets.
    """
    top = name.partition(".")[0]
    if top in LIBRARIES:
        return True
    if not name.startswith("vp_desk."):
        return False
    if name == "vp_desk.ui.controller":
        return True
    return name != "vp_desk.ui" and not name.startswith("vp_desk.ui.")


class Stub:
    """A stub for any value. Its attributes and the results of calling it are new stubs."""

    def __call__(self, *_args: object, **_kwargs: object) -> Stub:
        return Stub()

    def __getattr__(self, _name: str) -> Stub:
        return Stub()

    def __bool__(self) -> bool:
        return False


class StubModule(types.ModuleType):
    """A module whose every public name is a Stub."""

    def __getattr__(self, name: str) -> Stub:
        if name.startswith("__"):
            raise AttributeError(name)
        return Stub()


class StubFinder:
    """An import finder and loader that gives each module that is_stubbed() names a StubModule.

    It does without the base classes of importlib.abc, because importing that module also
    loads importlib.resources, which the window's modules do not import.
    """

    def find_spec(
        self, fullname: str, path: object, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not is_stubbed(fullname):
            return None
        # The import system calls only create_module and exec_module, so no base class is needed.
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)  # type: ignore[arg-type]

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return StubModule(spec.name)

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
    """Show vp-desk's MainWindow with its libraries and its modules outside widgets stubbed."""
    sys.meta_path.insert(0, StubFinder())
    from vp_desk.ui.main_window import MainWindow

    report("imported", time.monotonic())
    app = QApplication(sys.argv[:1])
    window = MainWindow.for_profile(
        Stub(),  # type: ignore[arg-type]
        profile_name=PROFILE_NAME,
        base_url="http://127.0.0.1:8765",
        default_region="GB",
    )
    # The window imports its widget modules as it opens the profile, after the "imported"
    # phase. Any other library, or a vp-desk module that is not stubbed, would make the
    # figure larger than the window's own cost.
    loaded = sorted(
        {
            name.partition(".")[0]
            for name, module in sys.modules.items()
            if not isinstance(module, StubModule)
        }
        - set(sys.stdlib_module_names)
        - QT_AND_PROBE_MODULES
    )
    stray = [
        name
        for name, module in sys.modules.items()
        if is_stubbed(name) and not isinstance(module, StubModule)
    ]
    if loaded or stray:
        print(
            f"startup_probe: the widgets mode loaded {', '.join(loaded + stray)}. Stub them "
            "in is_stubbed(), or allow them in QT_AND_PROBE_MODULES.",
            file=sys.stderr,
        )
        return 1

    window.installEventFilter(FirstPaintWatch(window))
    window.show()
    return app.exec()


def run_app(arguments: list[str]) -> int:
    """Run vp_desk.app.main with ``arguments`` until its search bar and lists have painted.

    The app prints "first-paint SECONDS" when its window has painted, and "ready SECONDS"
    when the profile's search bar and lists have, then leaves with os._exit(0). keyring
    loads the probe's FileKeyring from PYTHON_KEYRING_BACKEND, which the parent sets, when
    the app first reads a key.
    """
    import vp_desk.app

    report("imported", time.monotonic())
    os.environ[vp_desk.app.START_REPORT_VARIABLE] = "1"
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
