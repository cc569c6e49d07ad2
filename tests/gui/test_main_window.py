"""The main window against the real sandbox: searches, pages, carts and failures."""

from __future__ import annotations

import socket

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter
from pytestqt.qtbot import QtBot

from tests.gui.helpers import WAIT_MS, WindowFactory, search
from tests.gui.test_models import make_customer
from vp_desk.api.models import Customer, CustomerPage, Pagination
from vp_desk.sandbox.data import Dataset
from vp_desk.sandbox.server import SandboxServer
from vp_desk.ui.customer_table import CustomerColumn
from vp_desk.ui.main_window import MainWindow


def search_expecting_failure(qtbot: QtBot, window: MainWindow, text: str) -> str:
    """Type ``text``, press Enter, and return the failure message that the window shows."""
    window.search_bar.set_text(text)
    with qtbot.waitSignal(window.failure_shown, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(window.search_bar.edit, Qt.Key.Key_Return)
    assert window.message_bar.isVisible()
    return str(blocker.args[0])


def cell(window: MainWindow, row: int, column: CustomerColumn) -> str:
    return str(window.table_model.index(row, column).data())


def test_search_by_id_shows_customer_and_cart(
    qtbot: QtBot, window: MainWindow, sandbox_dataset: Dataset, customers: list[Customer]
) -> None:
    customer = next(c for c in customers if (cart := sandbox_dataset.cart_of(c.id)) and cart.items)
    cart = sandbox_dataset.cart_of(customer.id)
    assert cart is not None

    search(qtbot, window, str(customer.id).upper())

    assert window.table_model.rowCount() == 1
    assert cell(window, 0, CustomerColumn.NAME) == customer.full_name
    assert window.detail_panel.fields["id"].value.text() == str(customer.id)
    assert window.cart_panel.items_model.rowCount() == len(cart.items)
    assert str(cart.item_count) in window.cart_panel.totals.text()


def test_search_by_phone_in_spaced_format(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    customer = next(c for c in customers if (c.phone_number or "").startswith("+44"))
    assert customer.phone_number is not None
    national = "0" + customer.phone_number.removeprefix("+44")
    spaced = f"{national[:3]} {national[3:7]} {national[7:]}"

    search(qtbot, window, spaced)

    assert window.selected_customer() == customer
    assert window.search_bar.reading.text().startswith("Phone +44")


def test_search_by_email_ignores_case(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    customer = next(c for c in customers if c.email and c.email.isascii())
    assert customer.email is not None

    search(qtbot, window, customer.email.upper())

    assert window.selected_customer() == customer
    assert customer.email in window.detail_panel.fields["email"].value.text()


def test_free_text_lists_matching_customers(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    customer = next(c for c in customers if c.last_name)
    term = (customer.last_name or "").lower()

    search(qtbot, window, term)

    rows = window.table_model.rowCount()
    assert rows >= 1
    names = [cell(window, row, CustomerColumn.NAME).lower() for row in range(rows)]
    assert any(term in name for name in names)
    assert "customer" in window.pagination_bar.position.text()


def test_paging_moves_through_the_list(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    window.pagination_bar.size_box.setCurrentIndex(0)
    page_size = window.pagination_bar.page_size
    search(qtbot, window, "")
    first_page = [cell(window, row, CustomerColumn.EMAIL) for row in range(page_size)]
    pages = -(-len(customers) // page_size)
    assert window.pagination_bar.page == 1
    assert window.pagination_bar.position.text() == f"of {pages} · {len(customers)} customers"
    assert not window.pagination_bar.previous_button.isEnabled()

    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        qtbot.mouseClick(window.pagination_bar.next_button, Qt.MouseButton.LeftButton)

    second_page = [cell(window, row, CustomerColumn.EMAIL) for row in range(page_size)]
    assert set(first_page).isdisjoint(second_page)
    assert window.pagination_bar.page_box.value() == 2
    assert window.pagination_bar.previous_button.isEnabled()


def test_unknown_email_shows_not_found(qtbot: QtBot, window: MainWindow) -> None:
    message = search_expecting_failure(qtbot, window, "nobody.here@example.com")

    assert "No customer with the email nobody.here@example.com" in message
    assert window.table_model.rowCount() == 0
    assert window.detail_panel.heading.text() == "No customer selected"


def test_rejected_key_shows_settings_hint(
    qtbot: QtBot, make_window: WindowFactory, sandbox_server: SandboxServer
) -> None:
    window = make_window(sandbox_server.base_url, "sk_test_wrong")

    message = search_expecting_failure(qtbot, window, "smith")

    assert message == "The API key was rejected. Open Settings to enter a new one."


def test_unreachable_server_shows_network_hint(qtbot: QtBot, make_window: WindowFactory) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    window = make_window(f"http://127.0.0.1:{port}", "sk_test_key")

    message = search_expecting_failure(qtbot, window, "smith")

    assert "cannot be reached" in message


def test_invalid_phone_is_rejected_without_request(qtbot: QtBot, window: MainWindow) -> None:
    window.search_bar.set_text("+1 555")

    with qtbot.assertNotEmitted(window.controller.search_started, wait=200):
        qtbot.keyClick(window.search_bar.edit, Qt.Key.Key_Return)

    assert window.search_bar.problem.isVisible()
    assert "+1 555" in window.search_bar.problem.text()
    assert window.controller.last_query is None


def test_newer_search_wins(qtbot: QtBot, window: MainWindow, customers: list[Customer]) -> None:
    older, newer = customers[0], customers[-1]

    window.search_bar.set_text(older.email or str(older.id))
    window.search_bar.submit()
    window.search_bar.set_text(str(newer.id))
    with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS):
        window.search_bar.submit()
    qtbot.wait(300)

    assert window.table_model.rowCount() == 1
    assert window.selected_customer() == newer


def test_selecting_another_row_loads_its_cart(
    qtbot: QtBot, window: MainWindow, sandbox_dataset: Dataset, customers: list[Customer]
) -> None:
    search(qtbot, window, "")
    second = window.table_model.customer_at(1)
    assert second is not None

    with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(window.table, Qt.Key.Key_Down)

    assert blocker.args == [second.id]
    assert window.detail_panel.heading.text() == (second.full_name or "(no name)")
    if sandbox_dataset.cart_of(second.id) is None:
        assert window.cart_panel.state_label.text() == "This customer has no cart."


def test_customer_without_cart_says_so(
    qtbot: QtBot, window: MainWindow, sandbox_dataset: Dataset, customers: list[Customer]
) -> None:
    customer = next(c for c in customers if sandbox_dataset.cart_of(c.id) is None)

    search(qtbot, window, f"id:{customer.id}")

    assert window.cart_panel.state_label.text() == "This customer has no cart."
    assert window.cart_panel.items_model.rowCount() == 0


def test_list_and_customer_keep_their_widths(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    window.resize(1280, 760)
    window.show()
    qtbot.waitExposed(window)
    splitter = window.list_tabs.parentWidget()
    assert isinstance(splitter, QSplitter)
    list_width, customer_width = splitter.sizes()

    # Two thirds for the list and one for the customer, give or take the handle.
    assert abs(list_width - 2 * customer_width) < 20

    customer = next(customer for customer in customers if customer.email)
    search(qtbot, window, customer.email or "")

    # A customer with a cart must not push the list aside: the panels keep their widths.
    assert splitter.sizes() == [list_width, customer_width]


def test_rows_in_view_formatted_as_page_arrives(qtbot: QtBot, make_window: WindowFactory) -> None:
    # No request is sent: the pages are handed to the window as the controller would.
    window = make_window("http://127.0.0.1:9", "sk_test_key")

    def page(offset: int) -> CustomerPage:
        customers = [make_customer(number) for number in range(offset, offset + 100)]
        return CustomerPage(
            customers=customers,
            pagination=Pagination(limit=100, offset=offset, total=1000, has_more=True),
        )

    window.on_page_loaded(page(0))
    window.table.scrollToBottom()
    made_rows: list[int] = []
    make_row = window.table_model.make_row

    def recording_make_row(row: int) -> tuple[str, ...]:
        made_rows.append(row)
        return make_row(row)

    window.table_model.make_row = recording_make_row  # type: ignore[method-assign]
    window.on_page_loaded(page(100))

    first = window.table.rowAt(0)
    assert first > 50
    assert made_rows[0] == first
    assert made_rows == sorted(made_rows)
    assert 0 not in made_rows
