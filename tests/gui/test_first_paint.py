"""The work that the app leaves until its window has painted for the first time."""

from __future__ import annotations

from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from tests.gui.helpers import WAIT_MS
from vp_desk.session import _after_first_paint


class PaintCountingWindow(QMainWindow):
    """A window that counts its paint events."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        self.paints += 1


class PreparingClient:
    """Stands in for the API client, whose only part used here is prepare()."""

    def __init__(self, window: PaintCountingWindow) -> None:
        self._window = window
        self.paints_before_prepare: list[int] = []

    def prepare(self) -> None:
        self.paints_before_prepare.append(self._window.paints)


def test_client_prepared_after_first_paint(qtbot: QtBot) -> None:
    window = PaintCountingWindow()
    qtbot.addWidget(window)
    client = PreparingClient(window)

    _after_first_paint(window, client)  # type: ignore[arg-type]
    assert client.paints_before_prepare == []
    window.show()
    qtbot.waitUntil(lambda: client.paints_before_prepare != [], timeout=WAIT_MS)
    window.update()
    qtbot.waitUntil(lambda: window.paints >= 2, timeout=WAIT_MS)

    assert client.paints_before_prepare == [1]
