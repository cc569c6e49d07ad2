"""The window's start: shown empty at once, then filled with the profile it opens."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from tests.gui.conftest import UNGUARDED, close_controller
from tests.gui.helpers import WAIT_MS, search
from vp_desk.api.client import CustomersClient
from vp_desk.api.models import Customer
from vp_desk.lookup import LookupService
from vp_desk.sandbox.data import Store
from vp_desk.sandbox.server import SandboxServer
from vp_desk.ui.controller import LookupController
from vp_desk.ui.main_window import MainWindow
from vp_desk.ui.window_start import wait_for_first_paint


@pytest.fixture
def empty_window(qtbot: QtBot) -> MainWindow:
    """Return a window shown before any profile is open in it, as the app starts one."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def controller(
    sandbox_server: SandboxServer, store: Store, qtbot: QtBot
) -> Iterator[LookupController]:
    client = CustomersClient(sandbox_server.base_url, store.api_key)
    lookups = LookupController(LookupService(client))
    yield lookups
    closing = asyncio.ensure_future(close_controller(lookups))
    qtbot.waitUntil(closing.done, timeout=WAIT_MS)


def test_empty_window_says_it_is_starting(empty_window: MainWindow) -> None:
    empty_window.show_starting_note()

    assert empty_window.windowTitle() == "vp-desk"
    assert empty_window.statusBar().currentMessage() == "Starting vp-desk…"


def test_profile_opens_in_shown_window(
    qtbot: QtBot,
    empty_window: MainWindow,
    controller: LookupController,
    sandbox_server: SandboxServer,
    customers: list[Customer],
) -> None:
    empty_window.show_starting_note()

    empty_window.open_profile(
        controller,
        profile_name="Coffee shop",
        base_url=sandbox_server.base_url,
        default_region="GB",
        privacy=UNGUARDED,
    )

    assert empty_window.windowTitle() == "Coffee shop — vp-desk"
    assert empty_window.statusBar().currentMessage() == ""
    assert empty_window.content().isAncestorOf(empty_window.search_bar)
    search(qtbot, empty_window, customers[0].email)
    assert empty_window.selected_customer() == customers[0]


def test_closing_empty_window_ends_start(qtbot: QtBot, empty_window: MainWindow) -> None:
    # Activation reaches a window without a profile too, and must not look for a customer.
    empty_window.activateWindow()
    qtbot.waitUntil(empty_window.isActiveWindow, timeout=WAIT_MS)

    with qtbot.waitSignal(empty_window.closed, timeout=WAIT_MS):
        empty_window.close()

    assert empty_window.closed_before_opening


def test_closing_opened_window_does_not_end_start(
    qtbot: QtBot,
    empty_window: MainWindow,
    controller: LookupController,
    sandbox_server: SandboxServer,
) -> None:
    empty_window.open_profile(
        controller,
        profile_name="Coffee shop",
        base_url=sandbox_server.base_url,
        default_region="GB",
    )

    with qtbot.waitSignal(empty_window.closed, timeout=WAIT_MS):
        empty_window.close()

    assert not empty_window.closed_before_opening


class PaintCountingLabel(QLabel):
    """A label that counts its paint events."""

    paints = 0

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        self.paints += 1


def test_first_paint_wait_ends_after_paint(qtbot: QtBot) -> None:
    label = PaintCountingLabel("Painted")
    qtbot.addWidget(label)
    label.show()

    started = time.monotonic()
    painted = wait_for_first_paint(label, timeout_ms=WAIT_MS)

    assert painted
    assert label.paints == 1
    assert time.monotonic() - started < WAIT_MS / 2000


def test_first_paint_wait_ends_without_paint(qtbot: QtBot) -> None:
    # A widget that is never shown never paints, like a window that starts minimized.
    label = QLabel("Hidden")
    qtbot.addWidget(label)

    started = time.monotonic()
    painted = wait_for_first_paint(label, timeout_ms=200)

    assert not painted
    assert 0.15 < time.monotonic() - started < 5.0
