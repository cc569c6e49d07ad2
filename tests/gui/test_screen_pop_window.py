"""Screen pops in the window: a good one looks the caller up, a bad one clears the last caller."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.helpers import WAIT_MS, search
from vp_desk.api.models import Customer
from vp_desk.screen_pop import ScreenPopReason
from vp_desk.ui.main_window import MainWindow


def first_with_phone(customers: list[Customer]) -> Customer:
    return next(customer for customer in customers if customer.phone_number and customer.email)


def test_link_looks_caller_up(qtbot: QtBot, window: MainWindow, customers: list[Customer]) -> None:
    caller = first_with_phone(customers)
    phone = (caller.phone_number or "").replace("+", "%2B")

    with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS):
        window.handle_screen_pop(f"vpdesk://lookup?phone={phone}")

    assert window.selected_customer() == caller


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("vpdesk://lookup?colour=red", "The phone system sent a link vp-desk cannot read."),
        ("vpdesk://lookup?phone=%2B1555", "is too short for a phone number"),
        ("vpdesk://delete?id=1", "The phone system sent a link vp-desk cannot read."),
    ],
)
def test_bad_link_clears_the_last_caller(
    qtbot: QtBot, window: MainWindow, customers: list[Customer], link: str, message: str
) -> None:
    search(qtbot, window, first_with_phone(customers).email or "")

    with qtbot.waitSignal(window.failure_shown, timeout=WAIT_MS) as blocker:
        window.handle_screen_pop(link)

    assert message in str(blocker.args[0])
    assert window.selected_customer() is None
    assert window.table_model.rowCount() == 0
    assert window.detail_panel.customer is None
    assert window.search_bar.edit.text() == ""


def test_rejection_from_second_start_is_shown(
    qtbot: QtBot, window: MainWindow, customers: list[Customer]
) -> None:
    search(qtbot, window, first_with_phone(customers).email or "")

    with qtbot.waitSignal(window.failure_shown, timeout=WAIT_MS) as blocker:
        window.show_rejected_screen_pop(ScreenPopReason.TOO_LONG)

    assert str(blocker.args[0]).startswith("The phone system sent a lookup over 1,000 characters.")
    assert window.selected_customer() is None
    assert window.table_model.rowCount() == 0
