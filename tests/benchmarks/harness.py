"""Helpers of the benchmarks: the sandbox in a child process, paint timing, window actions."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from pytestqt.qtbot import QtBot

from vp_desk.ui.main_window import MainWindow

SANDBOX_SEED = 1
SANDBOX_START_TIMEOUT_SECONDS = 180.0
"""Generous, because at 100,000 customers the child generates and indexes for 20 s or more."""

SANDBOX_STOP_TIMEOUT_SECONDS = 10.0

WAIT_MS = 10_000
"""The maximum wait for the window: far beyond a loopback round trip, short enough to fail."""

WindowFactory = Callable[..., MainWindow]


@dataclass(frozen=True, slots=True)
class SandboxProcess:
    """A vp-desk-sandbox child process serving on 127.0.0.1 with its rate limit off."""

    base_url: str
    api_key: str
    """The private API key of the first store."""
    customers: int
    """Customers of both stores together."""


@contextmanager
def sandbox_process(customers: int, folder: Path) -> Iterator[SandboxProcess]:
    """Run ``vp-desk-sandbox`` with ``customers`` in a child process until the block ends.

    The child has an interpreter of its own, so its work never holds the GIL of the process
    under measurement, just as a store's server never does. Its output goes to
    ``folder/sandbox.log``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    keys_path = folder / "keys.json"
    log_path = folder / "sandbox.log"
    command = [
        sys.executable,
        "-m",
        "vp_desk.sandbox.cli",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--customers",
        str(customers),
        "--seed",
        str(SANDBOX_SEED),
        "--rate-limit",
        "0",
        "--write-keys",
        str(keys_path),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            keys = _wait_for_keys(process, keys_path, log_path)
            yield SandboxProcess(
                base_url=str(keys["baseUrl"]),
                api_key=str(keys["stores"][0]["apiKey"]),
                customers=customers,
            )
        finally:
            _stop(process)


def _wait_for_keys(process: subprocess.Popen[bytes], path: Path, log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + SANDBOX_START_TIMEOUT_SECONDS
    while not path.exists():
        if process.poll() is not None:
            output = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"The sandbox exited with status {process.returncode}:\n{output}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"The sandbox wrote no keys file within {SANDBOX_START_TIMEOUT_SECONDS:g} s."
            )
        time.sleep(0.05)
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SANDBOX_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class PaintWatch(QObject):
    """Records when the window's first paint pass after arm() has ended.

    Qt paints a window when its top-level widget receives UpdateRequest: the widgets paint
    inside that one event, parents before children, and the result goes to the backing store.
    A zero timer started at that event therefore fires once the whole pass is done.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._armed = False
        self._generation = 0
        self.painted_at: float | None = None
        """time.perf_counter() once the pass has ended, None until then."""
        window.installEventFilter(self)

    def reset(self) -> None:
        """Forget any paint pass, including one whose end is still to be recorded."""
        self._generation += 1
        self._armed = False
        self.painted_at = None

    def arm(self) -> None:
        """Record the end of the next paint pass in painted_at."""
        self.reset()
        self._armed = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if self._armed and event.type() == QEvent.Type.UpdateRequest:
            self._armed = False
            generation = self._generation
            QTimer.singleShot(0, lambda: self._record(generation))
        return False

    def _record(self, generation: int) -> None:
        if generation == self._generation:
            self.painted_at = time.perf_counter()


def press_enter(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Put ``text`` in the search bar and press Enter, without waiting for the response."""
    window.search_bar.set_text(text)
    qtbot.keyClick(window.search_bar.edit, Qt.Key.Key_Return)


def search_and_wait(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Search for ``text`` with Enter and wait until the first customer's cart is shown."""
    window.search_bar.set_text(text)
    with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS):
        qtbot.keyClick(window.search_bar.edit, Qt.Key.Key_Return)
