"""Sorting by a column header and the list filters reach the server; nothing sorts locally."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QPoint, Qt
from pytestqt.qtbot import QtBot

from tests.gui.helpers import WAIT_MS
from vp_desk.sandbox.server import SandboxServer
from vp_desk.ui.customer_table import CustomerColumn
from vp_desk.ui.main_window import MainWindow


def last_list_params(server: SandboxServer) -> dict[str, str]:
    """Return the query parameters of the newest list request the sandbox received."""
    lists = [entry for entry in server.request_log() if entry.path == "/api/v1/customers"]
    assert lists, "no list request reached the sandbox"
    return dict(lists[-1].params)


def click_header(qtbot: QtBot, window: MainWindow, column: CustomerColumn) -> None:
    header = window.table.horizontalHeader()
    position = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        qtbot.mouseClick(
            header.viewport(),
            Qt.MouseButton.LeftButton,
            pos=QPoint(position, header.height() // 2),
        )


def list_all(qtbot: QtBot, window: MainWindow) -> None:
    window.search_bar.set_text("")
    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        window.search_bar.submit()


def test_header_click_sorts_on_server(
    qtbot: QtBot, window: MainWindow, sandbox_server: SandboxServer
) -> None:
    list_all(qtbot, window)
    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        window.pagination_bar.go_next()

    click_header(qtbot, window, CustomerColumn.EMAIL)
    first = last_list_params(sandbox_server)
    click_header(qtbot, window, CustomerColumn.EMAIL)
    second = last_list_params(sandbox_server)

    assert (first["sortBy"], first["sortOrder"], first["offset"]) == ("email", "asc", "0")
    assert (second["sortBy"], second["sortOrder"]) == ("email", "desc")
    emails = [
        str(window.table_model.index(row, CustomerColumn.EMAIL).data())
        for row in range(window.table_model.rowCount())
    ]
    assert emails[0] != emails[-1]


def test_unsortable_column_sends_nothing(
    qtbot: QtBot, window: MainWindow, sandbox_server: SandboxServer
) -> None:
    list_all(qtbot, window)
    sandbox_server.clear_request_log()
    header = window.table.horizontalHeader()

    with qtbot.assertNotEmitted(window.controller.search_started, wait=200):
        header.setSortIndicator(CustomerColumn.PHONE, Qt.SortOrder.AscendingOrder)

    assert header.sortIndicatorSection() == CustomerColumn.NAME
    assert sandbox_server.request_log() == []


def test_verification_filter_reaches_server(
    qtbot: QtBot, window: MainWindow, sandbox_server: SandboxServer
) -> None:
    list_all(qtbot, window)

    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        window.filter_bar.phone_box.setCurrentIndex(2)

    params = last_list_params(sandbox_server)
    assert params["phoneVerified"] == "false"
    assert params["offset"] == "0"
    for row in range(window.table_model.rowCount()):
        customer = window.table_model.customer_at(row)
        assert customer is not None
        assert not customer.is_phone_verified


def test_date_filters_reach_server(
    qtbot: QtBot, window: MainWindow, sandbox_server: SandboxServer
) -> None:
    list_all(qtbot, window)

    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        window.filter_bar.from_edit.setDate(QDate(2025, 1, 1))
    with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
        window.filter_bar.to_edit.setDate(QDate(2025, 12, 31))

    params = last_list_params(sandbox_server)
    first = datetime.fromisoformat(params["createdFrom"])
    last = datetime.fromisoformat(params["createdTo"])
    assert first.astimezone().date().isoformat() == "2025-01-01"
    assert last.astimezone().date().isoformat() == "2025-12-31"
    assert window.table_model.rowCount() > 0
    for row in range(window.table_model.rowCount()):
        customer = window.table_model.customer_at(row)
        assert customer is not None
        assert first <= customer.created_at <= last


def test_reversed_dates_are_explained(
    qtbot: QtBot, window: MainWindow, sandbox_server: SandboxServer
) -> None:
    window.filter_bar.to_edit.setDate(QDate(2024, 1, 1))
    sandbox_server.clear_request_log()

    with qtbot.waitSignal(window.failure_shown, timeout=WAIT_MS) as blocker:
        window.filter_bar.from_edit.setDate(QDate(2025, 1, 1))

    assert "after the “to” date" in str(blocker.args[0])
    assert sandbox_server.request_log() == []
