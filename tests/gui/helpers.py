"""Helpers shared by the widget tests."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from vp_desk.ui.main_window import MainWindow

WAIT_MS = 10_000
"""The maximum wait for a signal: far beyond a loopback round trip, short enough to fail."""

WindowFactory = Callable[[str, str], MainWindow]


def search(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Type ``text`` and press Enter, then wait until the first customer's cart is shown.

    A list with several customers opens none by itself, so this opens the first, as the
    agent would with the Down key.
    """
    window.search_bar.edit.clear()
    qtbot.keyClicks(window.search_bar.edit, text)
    window.controller.page_loaded.connect(window.select_first_customer)
    try:
        with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS):
            qtbot.keyClick(window.search_bar.edit, Qt.Key.Key_Return)
    finally:
        window.controller.page_loaded.disconnect(window.select_first_customer)
