"""The window's start: waiting for its first paint, and screen pops that come before a search."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from vp_desk.screen_pop import ScreenPopReason
    from vp_desk.ui.link_events import LinkOpenFilter
    from vp_desk.ui.main_window import MainWindow
    from vp_desk.ui.single_instance import InstanceServer

# The app imports this module before its window paints, so it imports only Qt.

START_REPORT_VARIABLE = "VP_DESK_REPORT_START"
"""With this set to 1, print "first-paint SECONDS" once the window has painted for the first
time and "ready SECONDS" once its search bar and lists have, then exit at once. SECONDS is
time.monotonic(), the system-wide CLOCK_MONOTONIC on Linux. The start-up benchmarks time the
frozen app and the source checkout to these lines."""

FIRST_PAINT_TIMEOUT_MS = 500
"""The maximum wait for a first paint. A window that the system does not expose, such as one
that starts minimized, may never paint, and the start goes on without it."""


def wait_for_first_paint(widget: QWidget, timeout_ms: int = FIRST_PAINT_TIMEOUT_MS) -> bool:
    """Run Qt's event loop until ``widget``, shown, has painted; return whether it did.

    The wait ends after ``timeout_ms`` without a paint.
    """
    painted = False
    loop = QEventLoop()

    def end_painted() -> None:
        nonlocal painted
        painted = True
        loop.quit()

    watch = FirstPaintWatch(widget, end_painted)
    widget.installEventFilter(watch)
    timeout = QTimer(loop)
    timeout.setSingleShot(True)
    timeout.timeout.connect(loop.quit)
    timeout.start(timeout_ms)
    loop.exec()

    widget.removeEventFilter(watch)
    watch.deleteLater()
    return painted


class FirstPaintWatch(QObject):
    """An event filter that calls ``then`` once its parent widget's first paint has ended."""

    def __init__(self, widget: QObject, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self._then = then

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.parent() and event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # The children paint after the widget in the same pass, and a zero timer fires
            # once that pass and its flush to the backing store are done.
            QTimer.singleShot(0, self._then)
        return False


class ScreenPopRouter(QObject):
    """Passes screen pops to the window that can search, and keeps the newest while none can.

    The single-instance server replies to another vp-desk as soon as it listens, so a
    request that arrives while the libraries load, or while the next profile opens, must
    wait for the window. Only the newest lookup or rejection is kept, because each one
    replaces the one before on screen. A new router keeps what arrives until deliver_to().
    """

    def __init__(self, server: InstanceServer | None, links: LinkOpenFilter | None) -> None:
        super().__init__()
        self._window: MainWindow | None = None
        self._newest: Callable[[MainWindow], None] | None = None
        self._activation = False
        if server is not None:
            server.lookup_requested.connect(self.add_lookup)
            server.lookup_rejected.connect(self._add_rejection)
            server.activation_requested.connect(self._add_activation)
        if links is not None:
            links.link_opened.connect(self.add_lookup)

    def add_lookup(self, text: str) -> None:
        """Look ``text`` up, such as the app's own --lookup, now or once a window can."""
        self._route(lambda window: window.handle_screen_pop(text))

    def _add_rejection(self, reason: ScreenPopReason) -> None:
        self._route(lambda window: window.show_rejected_screen_pop(reason))

    def _add_activation(self) -> None:
        if self._window is not None:
            self._window.bring_to_front()
        else:
            self._activation = True

    def _route(self, show: Callable[[MainWindow], None]) -> None:
        if self._window is not None:
            show(self._window)
        else:
            self._newest = show

    def deliver_to(self, window: MainWindow) -> None:
        """Show the newest kept screen pop in ``window``, and each later one as it comes."""
        self._window = window
        newest, activation = self._newest, self._activation
        self._newest, self._activation = None, False
        if newest is not None:
            newest(window)
        elif activation:
            window.bring_to_front()

    def hold(self) -> None:
        """Keep screen pops again, because the window is closing."""
        self._window = None
