"""Offline mode against a sandbox that goes away and comes back, with a real store file."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import close_controller
from tests.gui.helpers import WAIT_MS, search
from tests.keyrings import MemoryKeyring
from vp_desk.api.client import CustomersClient
from vp_desk.api.models import Customer
from vp_desk.lookup import LookupService
from vp_desk.offline import OfflineStore
from vp_desk.sandbox.data import Dataset, generate_dataset
from vp_desk.sandbox.server import SandboxServer
from vp_desk.ui.controller import LookupController
from vp_desk.ui.main_window import MainWindow


@pytest.fixture(scope="module")
def flaky_dataset() -> Dataset:
    return generate_dataset(customers=60, seed=3)


@pytest.fixture
def flaky_server(flaky_dataset: Dataset) -> Iterator[SandboxServer]:
    """A sandbox of this test's own, which the test takes offline and back."""
    with SandboxServer(flaky_dataset, rate_limit=None) as server:
        yield server


@pytest.fixture
def offline_window(
    qtbot: QtBot,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    flaky_server: SandboxServer,
    flaky_dataset: Dataset,
) -> Iterator[MainWindow]:
    store = OfflineStore.open("Coffee shop", folder=tmp_path)
    client = CustomersClient(flaky_server.base_url, flaky_dataset.stores[0].api_key)
    controller = LookupController(LookupService(client, store), probe_delays=(0.2,))
    window = MainWindow.for_profile(
        controller, profile_name="Coffee shop", base_url=flaky_server.base_url, default_region="GB"
    )
    qtbot.addWidget(window)
    window.show()
    yield window
    closing = asyncio.ensure_future(close_controller(controller))
    qtbot.waitUntil(closing.done, timeout=WAIT_MS)


def first_with_phone(dataset: Dataset) -> Customer:
    return next(c for c in dataset.customers_of(dataset.stores[0].id) if c.phone_number)


def test_saved_customer_found_offline_then_refreshed(
    qtbot: QtBot,
    offline_window: MainWindow,
    flaky_server: SandboxServer,
    flaky_dataset: Dataset,
) -> None:
    customer = first_with_phone(flaky_dataset)
    assert customer.phone_number is not None
    search(qtbot, offline_window, str(customer.id))
    assert not offline_window.offline_banner.isVisible()

    flaky_server.go_offline()
    search(qtbot, offline_window, customer.phone_number)

    assert offline_window.selected_customer() == customer
    assert offline_window.offline_banner.isVisible()
    assert offline_window.offline_banner.text().startswith("Offline: showing saved data from ")
    assert not offline_window.pagination_bar.next_button.isEnabled()
    assert not offline_window.filter_bar.isEnabled()

    with qtbot.waitSignal(offline_window.cart_shown, timeout=WAIT_MS):
        flaky_server.go_online()

    assert not offline_window.offline_banner.isVisible()
    assert offline_window.filter_bar.isEnabled()
    assert offline_window.selected_customer() == customer


def test_unsaved_customer_offline_says_so(
    qtbot: QtBot, offline_window: MainWindow, flaky_server: SandboxServer
) -> None:
    flaky_server.go_offline()
    offline_window.search_bar.set_text("nobody.saved@example.com")

    with qtbot.waitSignal(offline_window.failure_shown, timeout=WAIT_MS) as blocker:
        offline_window.search_bar.submit()

    assert "nothing saved on this computer matches" in str(blocker.args[0])
    assert offline_window.offline_banner.isVisible()


def test_answers_never_switch_to_offline(qtbot: QtBot, offline_window: MainWindow) -> None:
    offline_window.search_bar.set_text("nobody.saved@example.com")

    with qtbot.waitSignal(offline_window.failure_shown, timeout=WAIT_MS) as blocker:
        offline_window.search_bar.submit()

    assert str(blocker.args[0]).startswith("No customer with the email")
    assert not offline_window.offline_banner.isVisible()
    assert not offline_window.controller.offline


def test_recent_tab_lists_opened_customers(
    qtbot: QtBot, offline_window: MainWindow, flaky_dataset: Dataset
) -> None:
    customers = list(flaky_dataset.customers_of(flaky_dataset.stores[0].id))[:3]
    for customer in customers:
        search(qtbot, offline_window, str(customer.id))
    panel = offline_window.recent_panel
    assert panel.list.count() == 0

    # The list is read when the agent opens the tab, not on every look-up.
    offline_window.list_tabs.setCurrentWidget(panel)

    assert panel.list.count() == 3
    newest = panel.list.item(0).text()
    assert newest.startswith(customers[-1].full_name)


def test_pinned_customer_stays_on_top(
    qtbot: QtBot, offline_window: MainWindow, flaky_dataset: Dataset
) -> None:
    customers = list(flaky_dataset.customers_of(flaky_dataset.stores[0].id))[:2]
    for customer in customers:
        search(qtbot, offline_window, str(customer.id))
    panel = offline_window.recent_panel
    offline_window.list_tabs.setCurrentWidget(panel)
    panel.list.setCurrentRow(1)

    panel.pin_button.click()

    assert panel.list.item(0).text().startswith(f"★ {customers[0].full_name}")
    assert panel.pin_button.text() == "Unpin"


def test_opening_recent_customer_shows_saved_copy_at_once(
    qtbot: QtBot, offline_window: MainWindow, flaky_dataset: Dataset, flaky_server: SandboxServer
) -> None:
    customer = first_with_phone(flaky_dataset)
    search(qtbot, offline_window, str(customer.id))
    search(qtbot, offline_window, "")
    snapshot = offline_window.controller.service.saved(customer.id)
    assert snapshot is not None
    flaky_server.go_offline()

    offline_window.open_snapshot(snapshot)

    assert offline_window.selected_customer() == customer
    assert offline_window.detail_panel.fields["id"].value.text() == str(customer.id)
    cart = flaky_dataset.cart_of(customer.id)
    expected_rows = len(cart.items) if cart else 0
    assert offline_window.cart_panel.items_model.rowCount() == expected_rows
