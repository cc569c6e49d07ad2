"""The privacy guard in the window: masked contacts, reveal, copy, and the idle cover."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from tests.gui.conftest import close_controller
from tests.gui.helpers import WAIT_MS, search
from vp_desk.api.client import CustomersClient
from vp_desk.api.models import Customer
from vp_desk.lookup import LookupService
from vp_desk.sandbox.data import Store
from vp_desk.sandbox.server import SandboxServer
from vp_desk.ui.controller import LookupController
from vp_desk.ui.customer_table import CustomerColumn
from vp_desk.ui.main_window import MainWindow
from vp_desk.ui.privacy import PrivacyOptions


@pytest.fixture
def guarded_window(
    qtbot: QtBot, sandbox_server: SandboxServer, store: Store
) -> Iterator[MainWindow]:
    controller = LookupController(
        LookupService(CustomersClient(sandbox_server.base_url, store.api_key))
    )
    window = MainWindow.for_profile(
        controller,
        profile_name="Test store",
        base_url=sandbox_server.base_url,
        default_region="GB",
        privacy=PrivacyOptions(mask_contacts=True, lock_minutes=5, clipboard_clear_seconds=30),
    )
    qtbot.addWidget(window)
    window.show()
    yield window
    closing = asyncio.ensure_future(close_controller(controller))
    qtbot.waitUntil(closing.done, timeout=WAIT_MS)


def contact_customers(customers: list[Customer]) -> list[Customer]:
    return [c for c in customers if c.email and c.phone_number and c.email.isascii()]


def test_contacts_are_masked_by_default(
    qtbot: QtBot, guarded_window: MainWindow, customers: list[Customer]
) -> None:
    customer = contact_customers(customers)[0]
    assert customer.email is not None

    search(qtbot, guarded_window, customer.email)

    shown_email = guarded_window.detail_panel.fields["email"].value.text()
    table_email = guarded_window.table_model.index(0, CustomerColumn.EMAIL).data()
    assert "***" in shown_email
    assert customer.email not in shown_email
    assert table_email == shown_email
    assert "*" in guarded_window.detail_panel.fields["phone"].value.text()
    assert guarded_window.detail_panel.reveal_button.isVisible()


def test_ctrl_r_reveals_until_another_customer(
    qtbot: QtBot, guarded_window: MainWindow, customers: list[Customer]
) -> None:
    first, second = contact_customers(customers)[:2]
    assert first.email is not None
    search(qtbot, guarded_window, str(first.id))

    qtbot.keyClick(guarded_window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)

    assert first.email in guarded_window.detail_panel.fields["email"].value.text()
    assert not guarded_window.detail_panel.reveal_button.isVisible()

    search(qtbot, guarded_window, str(second.id))

    assert "***" in guarded_window.detail_panel.fields["email"].value.text()


def test_copy_gives_full_value_while_masked(
    qtbot: QtBot, guarded_window: MainWindow, customers: list[Customer]
) -> None:
    customer = contact_customers(customers)[0]
    search(qtbot, guarded_window, str(customer.id))

    guarded_window.detail_panel.fields["email"].copy_button.click()

    assert QGuiApplication.clipboard().text() == customer.email


def test_ctrl_c_in_table_copies_full_value(
    qtbot: QtBot, guarded_window: MainWindow, customers: list[Customer]
) -> None:
    customer = contact_customers(customers)[0]
    search(qtbot, guarded_window, str(customer.id))
    guarded_window.table.setFocus()
    qtbot.waitUntil(guarded_window.table.hasFocus, timeout=WAIT_MS)
    guarded_window.table.setCurrentIndex(guarded_window.table_model.index(0, CustomerColumn.EMAIL))

    qtbot.keyClick(guarded_window.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)

    assert QGuiApplication.clipboard().text() == customer.email


def test_idle_lock_covers_and_hides_revealed_values(
    qtbot: QtBot, guarded_window: MainWindow, customers: list[Customer]
) -> None:
    customer = contact_customers(customers)[0]
    search(qtbot, guarded_window, str(customer.id))
    guarded_window.detail_panel.reveal()

    guarded_window.idle_lock.lock()

    assert guarded_window.privacy_cover.is_covering()
    assert "***" in guarded_window.detail_panel.fields["email"].value.text()

    qtbot.keyClick(guarded_window.privacy_cover, Qt.Key.Key_Space)

    assert not guarded_window.privacy_cover.is_covering()
