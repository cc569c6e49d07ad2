"""Fast typing against a slow server: only the last search shows, older requests are aborted."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import close_controller
from tests.gui.helpers import WAIT_MS, search
from vp_desk.api.client import CustomersClient
from vp_desk.lookup import LookupService
from vp_desk.sandbox.controls import RequestLogEntry, SandboxRequest
from vp_desk.sandbox.data import Dataset
from vp_desk.sandbox.server import SandboxServer
from vp_desk.screen_pop import ScreenPopReason
from vp_desk.ui.controller import LookupController
from vp_desk.ui.customer_table import CustomerColumn
from vp_desk.ui.main_window import MainWindow

SLOW_SECONDS = 3.0
FINAL_TERM = "rossi"


def slow_unless_final(request: SandboxRequest) -> float:
    """Delay every list request but the one for the final term."""
    term = dict(request.params).get("searchTerm", "")
    return 0.0 if term in ("", FINAL_TERM) else SLOW_SECONDS


@pytest.fixture
def slow_server(sandbox_dataset: Dataset) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox_dataset, rate_limit=None) as server:
        server.set_latency(slow_unless_final)
        yield server


@pytest.fixture
def race_window(
    qtbot: QtBot, slow_server: SandboxServer, sandbox_dataset: Dataset
) -> Iterator[MainWindow]:
    client = CustomersClient(slow_server.base_url, sandbox_dataset.stores[0].api_key)
    controller = LookupController(LookupService(client))
    window = MainWindow.for_profile(
        controller, profile_name="Test", base_url=slow_server.base_url, default_region="GB"
    )
    qtbot.addWidget(window)
    window.show()
    yield window
    closing = asyncio.ensure_future(close_controller(controller))
    qtbot.waitUntil(closing.done, timeout=WAIT_MS)


def type_searches(qtbot: QtBot, window: MainWindow, terms: list[str]) -> None:
    """Submit each term in turn, letting each request start before the next one."""
    for term in terms:
        window.search_bar.set_text(term)
        window.search_bar.submit()
        qtbot.wait(15)


def requests_for(server: SandboxServer, terms: list[str]) -> list[RequestLogEntry]:
    return [
        entry for entry in server.request_log() if dict(entry.params).get("searchTerm") in terms
    ]


def all_aborted(server: SandboxServer, terms: list[str]) -> bool:
    """Tell whether every request for ``terms`` that reached the server was aborted there.

    Requests cancelled while the client still held them back never reach the server at all.
    """
    reached = requests_for(server, terms)
    return bool(reached) and all(
        entry.client_disconnected and entry.status is None for entry in reached
    )


def test_only_last_of_twenty_searches_shows(
    qtbot: QtBot, race_window: MainWindow, slow_server: SandboxServer
) -> None:
    early = [f"{letter}a" for letter in "bcdfghjklmnpqrstvwx"]
    assert len(early) == 19

    with qtbot.waitSignal(race_window.controller.page_loaded, timeout=WAIT_MS):
        type_searches(qtbot, race_window, [*early, FINAL_TERM])
    qtbot.wait(int(SLOW_SECONDS * 1000) + 500)

    names = [
        str(race_window.table_model.index(row, CustomerColumn.NAME).data()).lower()
        for row in range(race_window.table_model.rowCount())
    ]
    assert names
    assert all(FINAL_TERM in name for name in names)
    qtbot.waitUntil(lambda: all_aborted(slow_server, early), timeout=WAIT_MS)


def test_lookup_works_after_fifty_superseded_searches(
    qtbot: QtBot,
    race_window: MainWindow,
    slow_server: SandboxServer,
    sandbox_dataset: Dataset,
) -> None:
    superseded = [f"slow{number}" for number in range(50)]
    type_searches(qtbot, race_window, superseded)
    customer = sandbox_dataset.customers_of(sandbox_dataset.stores[0].id)[0]

    search(qtbot, race_window, str(customer.id))

    assert race_window.selected_customer() == customer
    qtbot.waitUntil(lambda: all_aborted(slow_server, superseded), timeout=WAIT_MS)


def test_rejected_screen_pop_aborts_running_search(
    qtbot: QtBot, race_window: MainWindow, slow_server: SandboxServer
) -> None:
    type_searches(qtbot, race_window, ["williams"])

    race_window.show_rejected_screen_pop(ScreenPopReason.CONTROL_CHARACTER)

    qtbot.waitUntil(lambda: all_aborted(slow_server, ["williams"]), timeout=WAIT_MS)
    with qtbot.assertNotEmitted(race_window.controller.page_loaded, wait=200):
        pass
    assert race_window.table_model.rowCount() == 0
    assert race_window.message_bar.isVisible()
