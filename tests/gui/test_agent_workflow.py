"""Keyboard use, search as you type, paging controls and the detail panel's tools."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.gui.helpers import WAIT_MS, search
from vp_desk.api.models import Customer
from vp_desk.ui.formatting import format_age
from vp_desk.ui.main_window import MainWindow
from vp_desk.ui.search_bar import TYPING_PAUSE_MS


def test_free_text_searches_after_typing_pause(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClicks(window.search_bar.edit, "rossi")
    assert window.search_bar.typing_timer.isActive()
    assert window.search_bar.typing_timer.interval() == TYPING_PAUSE_MS

    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        pass

    assert window.table_model.rowCount() >= 1
    assert window.controller.last_query is not None
    assert window.controller.last_query.value == "rossi"


def test_each_key_restarts_typing_pause(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClicks(window.search_bar.edit, "ro")
    window.search_bar.typing_timer.stop()

    with qtbot.waitSignal(window.search_bar.search_requested, timeout=WAIT_MS) as blocker:
        qtbot.keyClicks(window.search_bar.edit, "ssi")

    assert blocker.args[0].value == "rossi"


@pytest.mark.parametrize("typed", ["020", "020 79", "+44 20", "020 7946 0958"])
def test_digits_are_not_searched_while_typing(qtbot: QtBot, window: MainWindow, typed: str) -> None:
    qtbot.keyClicks(window.search_bar.edit, typed)

    assert not window.search_bar.typing_timer.isActive()


def test_phone_reading_shows_while_typing(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClicks(window.search_bar.edit, "020 7946 0958")

    assert window.search_bar.reading.text() == "Phone +44 20 7946 0958"


def test_f5_repeats_last_search(qtbot: QtBot, window: MainWindow) -> None:
    search(qtbot, window, "rossi")

    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_F5)

    assert window.controller.last_query is not None
    assert window.controller.last_query.value == "rossi"


def test_single_customer_has_no_paging(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    search(qtbot, window, "rossi")
    search(qtbot, window, str(customers[5].id))

    with qtbot.assertNotEmitted(window.controller.search_started, wait=200):
        window.pagination_bar.size_box.setCurrentIndex(0)
        window.pagination_bar.go_next()

    assert window.selected_customer() == customers[5]
    assert window.pagination_bar.position.text() == ""


def test_escape_clears_search_bar(qtbot: QtBot, window: MainWindow) -> None:
    window.search_bar.set_text("+1 555")
    window.search_bar.submit()
    assert window.search_bar.problem.isVisible()

    qtbot.keyClick(window.search_bar.edit, Qt.Key.Key_Escape)

    assert window.search_bar.edit.text() == ""
    assert not window.search_bar.problem.isVisible()
    assert not window.search_bar.typing_timer.isActive()


def test_ctrl_k_focuses_search_bar(qtbot: QtBot, window: MainWindow) -> None:
    search(qtbot, window, "")
    window.table.setFocus()
    qtbot.waitUntil(window.table.hasFocus, timeout=WAIT_MS)

    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)

    assert window.search_bar.edit.hasFocus()
    assert window.search_bar.edit.selectedText() == window.search_bar.edit.text()


def test_page_keys_change_page(qtbot: QtBot, window: MainWindow) -> None:
    search(qtbot, window, "")
    window.table.setFocus()

    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        qtbot.keyClick(window.table, Qt.Key.Key_PageDown)
    assert window.pagination_bar.page == 2

    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        qtbot.keyClick(window.table, Qt.Key.Key_PageUp)
    assert window.pagination_bar.page == 1


def test_last_first_and_go_to_page(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    search(qtbot, window, "")
    pages = window.pagination_bar.page_count
    assert pages == -(-len(customers) // window.pagination_bar.page_size)

    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        window.pagination_bar.last_button.click()
    assert window.pagination_bar.page == pages
    assert not window.pagination_bar.next_button.isEnabled()

    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        window.pagination_bar.page_box.setValue(2)
    assert window.pagination_bar.page == 2

    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        window.pagination_bar.first_button.click()
    assert window.pagination_bar.page == 1
    assert not window.pagination_bar.first_button.isEnabled()


def test_ctrl_c_copies_selected_cell(qtbot: QtBot, window: MainWindow) -> None:
    search(qtbot, window, "")
    window.table.setFocus()
    qtbot.waitUntil(window.table.hasFocus, timeout=WAIT_MS)
    expected = str(window.table.currentIndex().data())

    qtbot.keyClick(window.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)

    assert expected
    assert QGuiApplication.clipboard().text() == expected


def test_copy_buttons_copy_raw_values(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    customer = next(c for c in customers if c.email and c.phone_number)
    search(qtbot, window, str(customer.id))

    for key, expected in (
        ("id", str(customer.id)),
        ("email", customer.email),
        ("phone", customer.phone_number),
    ):
        qtbot.mouseClick(window.detail_panel.fields[key].copy_button, Qt.MouseButton.LeftButton)
        assert QGuiApplication.clipboard().text() == expected


def test_badges_show_verification(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    customer = next(c for c in customers if c.phone_number and c.email and not c.is_phone_verified)
    search(qtbot, window, str(customer.id))

    phone_badge = window.detail_panel.fields["phone"].badge
    email_badge = window.detail_panel.fields["email"].badge
    assert phone_badge.text() == "Not verified"
    expected_email = "Verified" if customer.is_email_verified else "Not verified"
    assert email_badge.text() == expected_email


def test_times_show_age_and_utc(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    customer = customers[0]
    search(qtbot, window, str(customer.id))

    created = window.detail_panel.fields["created"].value
    assert created.text().endswith(f"({format_age(customer.created_at)})")
    assert created.toolTip() == customer.created_at.astimezone(UTC).strftime(
        "%Y-%m-%d %H:%M:%S UTC"
    )


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=1, seconds=5), "1 minute ago"),
        (timedelta(hours=5), "5 hours ago"),
        (timedelta(days=3, hours=2), "3 days ago"),
        (timedelta(days=15), "2 weeks ago"),
        (timedelta(days=65), "2 months ago"),
        (timedelta(days=800), "2 years ago"),
        (timedelta(seconds=-30), "in the future"),
    ],
)
def test_format_age(delta: timedelta, expected: str, qapp: QApplication) -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

    assert format_age(now - delta, now) == expected


def test_cart_refreshes_when_window_is_activated(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    search(qtbot, window, str(customers[0].id))
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: not window.isActiveWindow(), timeout=WAIT_MS)

    with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS) as blocker:
        window.activateWindow()

    assert blocker.args == [customers[0].id]


def focus_chain(window: MainWindow) -> list[QWidget]:
    """Return the widgets that Tab visits, starting from the search bar, once round."""
    start = window.search_bar.edit
    visited: list[QWidget] = [start]
    widget = start.nextInFocusChain()
    while widget is not start and len(visited) < 200:
        if (
            widget.isVisible()
            and widget.isEnabled()
            and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        ):
            visited.append(widget)
        widget = widget.nextInFocusChain()
    return visited


def test_tab_reaches_every_control_with_a_name(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    search(qtbot, window, "")

    chain = focus_chain(window)
    names = {widget.objectName() for widget in chain}

    for expected in ("searchEdit", "customerTable", "nextPage", "pageNumber", "pageSize"):
        assert expected in names
    unnamed = [type(widget).__name__ for widget in chain if not widget.accessibleName()]
    assert unnamed == []


def test_list_of_many_opens_no_customer(qtbot: QtBot, window: MainWindow) -> None:
    window.search_bar.set_text("rossi")

    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        window.search_bar.submit()

    assert window.table_model.rowCount() > 1
    assert window.selected_customer() is None
    assert window.detail_panel.heading.text() == "No customer selected"


def test_list_of_one_opens_it(qtbot: QtBot, window: MainWindow, customers: list[Customer]) -> None:
    customer = next(c for c in customers if c.email and c.email.startswith("giulia.rossi"))
    window.search_bar.set_text("name:giulia.rossi@")

    with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS):
        window.search_bar.submit()

    assert window.selected_customer() == customer


def test_down_from_search_bar_opens_first_row(qtbot: QtBot, window: MainWindow) -> None:
    window.search_bar.set_text("rossi")
    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        window.search_bar.submit()

    with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS):
        qtbot.keyClick(window.search_bar.edit, Qt.Key.Key_Down)

    assert window.table.hasFocus()
    assert window.selected_customer() == window.table_model.customer_at(0)


def test_dropped_extension_is_shown(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClicks(window.search_bar.edit, "020 7946 0958 ext. 12")

    assert window.search_bar.reading.text() == "Phone +44 20 7946 0958, without extension 12"


def test_selection_follows_customer_across_refresh(qtbot: QtBot, window: MainWindow) -> None:
    search(qtbot, window, "")
    window.table.setFocus()
    with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS):
        qtbot.keyClick(window.table, Qt.Key.Key_Down)
        qtbot.keyClick(window.table, Qt.Key.Key_Down)
    chosen = window.selected_customer()
    assert chosen is not None
    assert window.table.currentIndex().row() == 2

    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_F5)

    assert window.selected_customer() == chosen
    assert window.table.currentIndex().row() == 2
