"""The customer table model: speed of showing a page, and memory as the store grows."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView
from pytestqt.qtbot import QtBot

from tests.benchmarks.harness import (
    WAIT_MS,
    SandboxProcess,
    WindowFactory,
    press_enter,
    sandbox_process,
)
from tests.benchmarks.stats import BenchmarkReport, measure_pair, resident_mib, summarize
from vp_desk.api.identifiers import format_phone
from vp_desk.api.models import Customer
from vp_desk.ui.customer_table import CUSTOMER_ID_ROLE, CustomerColumn, CustomerTableModel
from vp_desk.ui.formatting import format_date, format_datetime_utc, verification_text
from vp_desk.ui.main_window import MainWindow
from vp_desk.ui.pagination_bar import PAGE_SIZES

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(900)]

PAGE_SIZE = 100
ROUNDS = 200
WARM_UP_ROUNDS = 20
VIEW_SIZE = (760, 600)
"""About the size of the window's customer table at the window's default size."""

SMALL_STORE_TOTAL = 1_000
LARGE_STORE_TOTAL = 100_000
PAGES_WALKED = 6
"""Pages of 100 that the memory runs load; the first store of the small sandbox has 6."""

MEMORY_RUNS = 3
FLAT_LIMIT_MIB = 2.0
"""The maximum by which walking the pages of a 100,000-customer sandbox may grow the process
more than walking those of a 1,000-customer one. Runs of the same size differed by under 0.2 MiB
on the machine of docs/benchmarks.md. A model of all 100,000 customers would hold about
180 MiB of Customer objects, an estimate from the Python heap of 10,000 parsed ones."""


def make_view() -> QTableView:
    """Return a shown table view set up as the window's customer table is."""
    view = QTableView()
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    view.resize(*VIEW_SIZE)
    view.show()
    return view


def attach(view: QTableView, model: QAbstractItemModel) -> None:
    """Show ``model`` in ``view`` and delete the selection model of the one it replaces."""
    previous = view.selectionModel()
    view.setModel(model)
    if previous is not None:
        # QAbstractItemView.setModel leaves the old selection model to its caller.
        shiboken6.delete(previous)


def display_texts(customer: Customer) -> list[str]:
    """Return the texts of the customer's row, as CustomerTableModel displays them."""
    phone = format_phone(customer.phone_number) if customer.phone_number else ""
    return [
        customer.full_name,
        customer.email or "",
        phone,
        verification_text(customer),
        format_date(customer.created_at),
        format_date(customer.updated_at),
    ]


def standard_model(customers: list[Customer], titles: list[str]) -> QStandardItemModel:
    """Return a QStandardItemModel with the same rows, tool tips and id role."""
    model = QStandardItemModel(0, len(CustomerColumn))
    model.setHorizontalHeaderLabels(titles)
    for customer in customers:
        items = [QStandardItem(text) for text in display_texts(customer)]
        items[CustomerColumn.CREATED].setToolTip(format_datetime_utc(customer.created_at))
        items[CustomerColumn.UPDATED].setToolTip(format_datetime_utc(customer.updated_at))
        items[CustomerColumn.NAME].setData(str(customer.id), CUSTOMER_ID_ROLE)
        model.appendRow(items)
    return model


class PaintCounter(QObject):
    """Counts the paint events of one widget."""

    def __init__(self, watched: QObject) -> None:
        super().__init__(watched)
        self.count = 0
        watched.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


@pytest.fixture
def views(qtbot: QtBot) -> tuple[QTableView, QTableView]:
    """Return two shown table views of the same size and settings."""
    pair = (make_view(), make_view())
    for view in pair:
        qtbot.addWidget(view)
        qtbot.waitExposed(view)
    return pair


def test_page_model_against_standard_model(
    views: tuple[QTableView, QTableView],
    store_customers: list[Customer],
    report: BenchmarkReport,
) -> None:
    pages = [
        store_customers[start : start + PAGE_SIZE]
        for start in range(0, len(store_customers) - PAGE_SIZE + 1, PAGE_SIZE)
    ]
    page_view, standard_view = views
    header_source = CustomerTableModel()
    titles = [
        str(header_source.headerData(column, Qt.Orientation.Horizontal))
        for column in CustomerColumn
    ]
    attached_models: dict[QTableView, QAbstractItemModel] = {}

    def show_in(view: QTableView, model: QAbstractItemModel) -> None:
        attach(view, model)
        # Keeps the model alive while the view shows it, because the view does not own it.
        attached_models[view] = model
        view.repaint()

    def show_page_model(index: int) -> None:
        model = CustomerTableModel()
        model.set_customers(pages[index % len(pages)])
        show_in(page_view, model)

    def show_standard_model(index: int) -> None:
        show_in(standard_view, standard_model(pages[index % len(pages)], titles))

    page_ms, standard_ms = measure_pair(
        show_page_model, show_standard_model, rounds=ROUNDS, warm_up=WARM_UP_ROUNDS
    )

    counters = [PaintCounter(view.viewport()) for view in views]
    show_page_model(0)
    show_standard_model(0)
    assert [counter.count for counter in counters] == [1, 1]
    for view in views:
        assert view.model().rowCount() == PAGE_SIZE
        assert view.model().columnCount() == len(CustomerColumn)
    first_rows = [
        [view.model().index(0, column).data() for column in CustomerColumn] for view in views
    ]
    assert first_rows[0] == first_rows[1] == display_texts(pages[0][0])
    figure = summarize("CustomerTableModel: set 100 rows, attach, paint", page_ms)
    reference = summarize("reference: QStandardItemModel, same rows", standard_ms)
    met = figure.median < reference.median
    report.add(
        "Page of 100 customers in the table model",
        [figure, reference],
        unit="ms",
        result=f"ratio of medians: {figure.median / reference.median:.2f}",
        target="faster than the reference at the median",
        met=met,
    )
    assert met, (
        f"MISSED: the page model takes {figure.median:.2f} ms, the QStandardItemModel "
        f"{reference.median:.2f} ms"
    )


def walk_pages(qtbot: QtBot, window: MainWindow) -> float:
    """List every customer 100 to a page, load PAGES_WALKED pages, return the RSS growth.

    On each page the first customer is opened, so that a cart is loaded and shown too.
    """
    window.pagination_bar.size_box.setCurrentIndex(PAGE_SIZES.index(PAGE_SIZE))
    gc.collect()
    before = resident_mib()

    for page in range(PAGES_WALKED):
        with qtbot.waitSignal(window.controller.page_loaded, timeout=WAIT_MS):
            if page == 0:
                press_enter(qtbot, window, "")
            else:
                window.pagination_bar.go_next()
        assert window.table_model.rowCount() == PAGE_SIZE
        with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS):
            window.table.selectRow(0)

    gc.collect()
    return resident_mib() - before


def test_page_memory_flat_as_total_grows(
    qtbot: QtBot,
    open_window: WindowFactory,
    tmp_path: Path,
    report: BenchmarkReport,
) -> None:
    with (
        sandbox_process(SMALL_STORE_TOTAL, tmp_path / "small") as small,
        sandbox_process(LARGE_STORE_TOTAL, tmp_path / "large") as large,
    ):
        growth: dict[SandboxProcess, list[float]] = {small: [], large: []}
        walk_pages(qtbot, open_window(small))
        for _ in range(MEMORY_RUNS):
            for running in (large, small):
                growth[running].append(walk_pages(qtbot, open_window(running)))

    figure = summarize(f"RSS growth, {LARGE_STORE_TOTAL:,} customers in the sandbox", growth[large])
    reference = summarize(f"reference: RSS growth, {SMALL_STORE_TOTAL:,} customers", growth[small])
    difference = figure.median - reference.median
    met = difference < FLAT_LIMIT_MIB
    report.add(
        "Window memory as the store grows, pages of 100",
        [figure, reference],
        unit="MiB",
        result=f"difference of medians: {difference:+.2f} MiB",
        target=f"under {FLAT_LIMIT_MIB:g} MiB more (flat)",
        met=met,
        notes=[
            f"each run: a new window lists all customers, 100 to a page, and loads "
            f"{PAGES_WALKED} pages with the cart of each page's first customer",
            f"all runs, {LARGE_STORE_TOTAL:,}: "
            + ", ".join(f"{value:.2f}" for value in growth[large])
            + f" MiB; {SMALL_STORE_TOTAL:,}: "
            + ", ".join(f"{value:.2f}" for value in growth[small])
            + " MiB",
        ],
    )
    assert met, (
        f"MISSED: the window grows {difference:.2f} MiB more with {LARGE_STORE_TOTAL:,} "
        f"customers than with {SMALL_STORE_TOTAL:,}; the limit is {FLAT_LIMIT_MIB:g} MiB"
    )
