"""The main window: search bar, customer table with pages, and the detail and cart panels."""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import QCoreApplication, QEvent, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMainWindow,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from vp_desk.api.identifiers import SearchQuery
from vp_desk.api.models import Cart, Customer, CustomerPage, Pagination
from vp_desk.ui.cart_panel import CartPanel
from vp_desk.ui.controller import LookupController
from vp_desk.ui.customer_table import CustomerColumn, CustomerTableModel
from vp_desk.ui.detail_panel import CustomerDetailPanel
from vp_desk.ui.pagination_bar import PaginationBar
from vp_desk.ui.search_bar import SearchBar

STYLE_SHEET = """
QLabel#messageBar { background: #fdecea; color: #611a15; border: 1px solid #f5c6cb;
                    border-radius: 4px; padding: 6px 8px; }
QLabel#searchProblem { color: #b00020; }
QLabel#searchReading { color: #555; padding: 0 6px; }
QLabel#customerName { font-size: 16pt; font-weight: 600; }
QLabel#sectionHeading { font-weight: 600; margin-top: 8px; }
QLabel#cartState { color: #555; }
QLabel#cartTotals { font-weight: 600; }
QLabel#badge { border-radius: 7px; padding: 0 6px; }
QLabel#badge[verified="true"] { background: #e6f4ea; color: #137333; }
QLabel#badge[verified="false"] { background: #fef7e0; color: #8a4b00; }
"""


def tr(text: str) -> str:
    """Translate ``text`` in the ``MainWindow`` context."""
    return QCoreApplication.translate("MainWindow", text)


class MainWindow(QMainWindow):
    """The agent's one window.

    Signals:
        cart_shown(UUID): the selected customer's detail and cart are on screen.
        failure_shown(str): a failure message is on screen.
        closed(): the window was closed.
    """

    cart_shown = Signal(object)
    failure_shown = Signal(str)
    closed = Signal()

    def __init__(
        self,
        controller: LookupController,
        *,
        profile_name: str,
        base_url: str,
        default_region: str,
    ) -> None:
        super().__init__()
        self.controller = controller
        self.setWindowTitle(tr("{profile} — vp-desk").format(profile=profile_name))
        self.setObjectName("mainWindow")
        self.setStyleSheet(STYLE_SHEET)
        self.resize(1280, 760)

        self.search_bar = SearchBar(default_region)
        self.message_bar = QLabel()
        self.message_bar.setObjectName("messageBar")
        self.message_bar.setWordWrap(True)
        # Messages can quote the server or the agent's input, which must never render as HTML.
        self.message_bar.setTextFormat(Qt.TextFormat.PlainText)
        self.message_bar.setAccessibleName(tr("Message"))
        self.message_bar.hide()

        self.table_model = CustomerTableModel(self)
        self.table = self._build_table()
        self.pagination_bar = PaginationBar()
        self.detail_panel = CustomerDetailPanel()
        self.cart_panel = CartPanel()

        self.setCentralWidget(self._build_layout())
        self.connection_label = QLabel(
            tr("{profile} · phone region {region} · {url}").format(
                profile=profile_name, region=default_region, url=base_url
            )
        )
        self.connection_label.setObjectName("connectionLabel")
        self.statusBar().addPermanentWidget(self.connection_label)
        self._connect_signals()
        self._add_shortcuts()
        self.search_bar.edit.setFocus()

    def _build_table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("customerTable")
        table.setAccessibleName(tr("Customers"))
        table.setModel(self.table_model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        # Qt's default row height fits a touch screen; agents want more customers in view.
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in (
            (CustomerColumn.NAME, 190),
            (CustomerColumn.EMAIL, 250),
            (CustomerColumn.PHONE, 140),
            (CustomerColumn.VERIFIED, 100),
        ):
            header.resizeSection(column, width)
        return table

    def _build_layout(self) -> QWidget:
        list_side = QWidget()
        list_layout = QVBoxLayout(list_side)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.addWidget(self.table, 1)
        list_layout.addWidget(self.pagination_bar)

        detail_side = QWidget()
        detail_layout = QVBoxLayout(detail_side)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.detail_panel, 1)
        detail_layout.addWidget(self.cart_panel, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(list_side)
        splitter.addWidget(detail_side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.search_bar)
        layout.addWidget(self.message_bar)
        layout.addWidget(splitter, 1)
        return central

    def _connect_signals(self) -> None:
        self.search_bar.search_requested.connect(self.on_search_requested)
        self.search_bar.down_pressed.connect(self.on_search_bar_down_pressed)
        self.pagination_bar.page_requested.connect(self.on_page_requested)
        self.table.selectionModel().currentRowChanged.connect(self.on_current_row_changed)
        self.detail_panel.copied.connect(self.on_field_copied)
        self.controller.search_started.connect(self.on_search_started)
        self.controller.page_loaded.connect(self.on_page_loaded)
        self.controller.customer_found.connect(self.on_customer_found)
        self.controller.search_failed.connect(self.on_search_failed)
        self.controller.cart_loaded.connect(self.on_cart_loaded)
        self.controller.cart_failed.connect(self.on_cart_failed)

    def _add_shortcuts(self) -> None:
        for keys in ("Ctrl+K", "Ctrl+L"):
            QShortcut(QKeySequence(keys), self, activated=self.focus_search)
        # One shortcut only: Qt fires neither of two shortcuts that share a key (F5 is the
        # standard Refresh key on Linux and Windows), and Refresh has no key on macOS.
        QShortcut(QKeySequence("F5"), self, activated=self.refresh)
        QShortcut(QKeySequence("PgUp"), self, activated=self.pagination_bar.go_previous)
        QShortcut(QKeySequence("PgDown"), self, activated=self.pagination_bar.go_next)
        QShortcut(
            QKeySequence(QKeySequence.StandardKey.Copy),
            self.table,
            activated=self.copy_current_cell,
            context=Qt.ShortcutContext.WidgetShortcut,
        )

    def copy_current_cell(self) -> None:
        """Copy the text of the table's current cell to the clipboard."""
        index = self.table.currentIndex()
        if index.isValid():
            QGuiApplication.clipboard().setText(str(index.data() or ""))
            self.statusBar().showMessage(tr("Copied"), 3000)

    def on_field_copied(self, field: str) -> None:
        self.statusBar().showMessage(tr("Copied {field}").format(field=field), 3000)

    def focus_search(self) -> None:
        """Put the cursor in the search bar with its text selected, ready for the next caller."""
        self.search_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_bar.edit.selectAll()

    def refresh(self) -> None:
        """Repeat the last search."""
        query = self.controller.last_query
        if query is not None:
            self.controller.search(query, self.pagination_bar.page_size)

    def show_failure(self, text: str) -> None:
        """Show a failure in the message bar, the one place where the window reports them."""
        self.message_bar.setText(text)
        self.message_bar.show()
        self.failure_shown.emit(text)

    def selected_customer(self) -> Customer | None:
        """Return the customer of the current row, or None."""
        return self.table_model.customer_at(self.table.currentIndex().row())

    def on_search_requested(self, query: SearchQuery) -> None:
        self.controller.search(query, self.pagination_bar.page_size)

    def on_page_requested(self, offset: int, page_size: int) -> None:
        self.controller.load_page(offset, page_size)

    def on_search_started(self) -> None:
        self.message_bar.hide()
        # Paging the old rows now would page the new search at the old offset.
        self.pagination_bar.set_pagination(None)
        self.statusBar().showMessage(tr("Searching…"))

    def on_page_loaded(self, page: CustomerPage) -> None:
        self.statusBar().clearMessage()
        self._show_customers(page.customers, page.pagination)
        if page.customers:
            return
        query = self.controller.last_query
        if query is not None and query.value:
            self.show_failure(tr("No customers match this search. Try fewer letters or digits."))
        else:
            self.show_failure(tr("This store has no customers yet."))

    def on_customer_found(self, customer: Customer) -> None:
        self.statusBar().clearMessage()
        # A single customer is no page of a list, so there is nothing to page or resize.
        self._show_customers([customer], None)

    def on_search_failed(self, text: str) -> None:
        self.statusBar().clearMessage()
        # The old rows belong to an earlier search, so showing them would mislead the agent.
        self._show_customers([], None)
        self.show_failure(text)

    def on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        customer = self.table_model.customer_at(current.row())
        self.detail_panel.show_customer(customer)
        if customer is None:
            self.cart_panel.show_message(tr("Select a customer to see their cart."))
            return
        self.cart_panel.show_loading()
        self.controller.load_cart(customer.id)

    def on_cart_loaded(self, customer_id: UUID, cart: Cart | None) -> None:
        selected = self.selected_customer()
        if selected is None or selected.id != customer_id:
            return
        self.cart_panel.show_cart(cart)
        self.cart_shown.emit(customer_id)

    def on_cart_failed(self, customer_id: UUID, text: str) -> None:
        selected = self.selected_customer()
        if selected is not None and selected.id == customer_id:
            self.cart_panel.show_message(text)
            self.failure_shown.emit(text)

    def _show_customers(self, customers: list[Customer], pagination: Pagination | None) -> None:
        previous = self.selected_customer()
        self.table_model.set_customers(customers)
        self.pagination_bar.set_pagination(pagination)

        # The selection follows the customer while they are still on the page. Otherwise only
        # a sole match opens by itself: with several, the first is not more likely the caller.
        row = self.table_model.row_of(previous.id) if previous else None
        if row is None and len(customers) == 1:
            row = 0
        if row is None:
            self.on_current_row_changed(QModelIndex(), QModelIndex())
            return
        self.select_row(row)

    def select_row(self, row: int) -> None:
        """Make ``row`` the current and selected row, which opens its customer."""
        self.table.selectionModel().setCurrentIndex(
            self.table_model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def select_first_customer(self) -> None:
        """Open the first customer of the page unless a customer is already open."""
        if self.selected_customer() is None and self.table_model.rowCount() > 0:
            self.select_row(0)

    def on_search_bar_down_pressed(self) -> None:
        # Down from the search bar goes on into the results, as in a browser's address bar.
        if self.table_model.rowCount() == 0:
            return
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.select_first_customer()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        # The cart may have changed while the agent was in another window, such as the
        # store's admin page, so it is fetched again when this window is active again.
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            customer = self.selected_customer()
            if customer is not None:
                self.controller.load_cart(customer.id)
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.closed.emit()
        super().closeEvent(event)
