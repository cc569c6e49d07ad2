"""The main window: search bar, customer table with pages, and the detail and cart panels."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QCoreApplication, QEvent, Signal
from PySide6.QtWidgets import QLabel, QMainWindow

from vp_desk.ui.layout_fence import LayoutFence

# The app shows this window before it loads pydantic, httpx or the phone metadata, so the
# modules that load those are imported in the methods that use them, all of which run once a
# profile is open. Qt's classes are reached through their modules, because PySide6 builds
# each class when its name is first read: the Qt namespace alone takes about 15 ms.
if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from PySide6.QtCore import QModelIndex, Qt
    from PySide6.QtGui import QAction, QCloseEvent, QShowEvent
    from PySide6.QtWidgets import QTableView, QWidget

    from vp_desk.api.identifiers import SearchQuery
    from vp_desk.api.models import Cart, Customer, CustomerPage, Pagination
    from vp_desk.api.retry import RetryNotice
    from vp_desk.offline import CustomerSnapshot, StoreWarning
    from vp_desk.screen_pop import ScreenPopError, ScreenPopReason
    from vp_desk.ui.controller import LookupController
    from vp_desk.ui.privacy import PrivacyOptions

logger = logging.getLogger("vp_desk.ui")

STYLE_SHEET = """
QLabel#offlineBanner { background: #fff4ce; color: #5c4400; border: 1px solid #f2d680;
                       border-radius: 4px; padding: 6px 8px; font-weight: 600; }
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


SEARCHING_NOTE_DELAY_MS = 300
"""Milliseconds a search runs before the status bar shows "Searching…"."""

SPLITTER_UNIT = 420
"""Pixels of one third of the splitter's default width; only the ratio matters."""

MAX_PROFILE_SHORTCUTS = 9
"""Profiles 1 to 9 get Ctrl+1 to Ctrl+9."""

RECENT_LIMIT = 50
"""The number of recent customers the Recent tab lists, unless the profile sets another."""


def tr(text: str) -> str:
    """Translate ``text`` in the ``MainWindow`` context."""
    return QCoreApplication.translate("MainWindow", text)


class MainWindow(QMainWindow):
    """The agent's one window.

    The app shows it empty as soon as it starts. open_profile fills it once the libraries
    and the profile are loaded, and for_profile does both at once.

    Signals:
        cart_shown(UUID): the selected customer's detail and cart are on screen.
        failure_shown(str): a failure message is on screen.
        closed(): the window was closed.
        profile_requested(str): the agent chose another profile by name.
        settings_requested(): the agent asked for the Settings dialog.
    """

    cart_shown = Signal(object)
    failure_shown = Signal(str)
    closed = Signal()
    profile_requested = Signal(str)
    settings_requested = Signal()

    def __init__(self) -> None:
        """Create the window empty; open_profile fills it."""
        super().__init__()
        self._opened = False
        # Set when the agent closes the window before a profile is open in it, which ends
        # the start.
        self.closed_before_opening = False
        self.setObjectName("mainWindow")
        self.setWindowTitle("vp-desk")
        self.resize(1280, 760)

    def show_starting_note(self) -> None:
        """Say in the status bar that vp-desk is starting, until a profile is open."""
        self.statusBar().showMessage(tr("Starting vp-desk…"))

    @classmethod
    def for_profile(cls, controller: LookupController, **options: Any) -> MainWindow:
        """Create the window with a profile open; ``options`` are those of open_profile."""
        window = cls()
        window.open_profile(controller, **options)
        return window

    def open_profile(
        self,
        controller: LookupController,
        *,
        profile_name: str,
        base_url: str,
        default_region: str,
        colour: str = "#1a73e8",
        profiles: list[tuple[str, str]] | None = None,
        settings_enabled: bool = True,
        privacy: PrivacyOptions | None = None,
        recent_limit: int = RECENT_LIMIT,
    ) -> None:
        """Fill the window with the profile's search bar, lists and panels."""
        from vp_desk.ui.cart_panel import CartPanel
        from vp_desk.ui.customer_table import CustomerColumn, CustomerTableModel
        from vp_desk.ui.detail_panel import CustomerDetailPanel
        from vp_desk.ui.filter_bar import FilterBar
        from vp_desk.ui.pagination_bar import PaginationBar
        from vp_desk.ui.privacy import (
            ClipboardGuard,
            IdleLock,
            PrivacyCover,
            PrivacyGuard,
            PrivacyOptions,
        )
        from vp_desk.ui.recent_panel import RecentPanel
        from vp_desk.ui.search_bar import SearchBar

        self._recent_limit = recent_limit
        self._recent_out_of_date = True
        options = privacy or PrivacyOptions()
        self.privacy = PrivacyGuard(options.mask_contacts, self)
        self.clipboard_guard = ClipboardGuard(options.clipboard_clear_seconds * 1000, self)
        self.controller = controller
        self.profile_name = profile_name
        self.setWindowTitle(tr("{profile} — vp-desk").format(profile=profile_name))

        self.search_bar = SearchBar(default_region)
        self.message_bar = QLabel()
        self.message_bar.setObjectName("messageBar")
        self.message_bar.setWordWrap(True)
        # Messages can quote the server or the agent's input, which must never render as HTML.
        self.message_bar.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.message_bar.setAccessibleName(tr("Message"))
        self.message_bar.hide()

        self.offline_banner = QLabel()
        self.offline_banner.setObjectName("offlineBanner")
        self.offline_banner.setWordWrap(True)
        self.offline_banner.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.offline_banner.setAccessibleName(tr("Offline"))
        self.offline_banner.hide()

        self.table_model = CustomerTableModel(self, privacy=self.privacy)
        self._sort_column = CustomerColumn.NAME
        self._sort_order = QtCore.Qt.SortOrder.AscendingOrder
        self.table = self._build_table()
        self.pagination_bar = PaginationBar()
        self.filter_bar = FilterBar()
        self.detail_panel = CustomerDetailPanel(
            privacy=self.privacy, clipboard=self.clipboard_guard
        )
        self.cart_panel = CartPanel()
        self.recent_panel = RecentPanel()
        self.list_tabs = QtWidgets.QTabWidget()
        self.list_tabs.setObjectName("listTabs")
        self.list_tabs.setAccessibleName(tr("Customers and recent customers"))
        self.list_tabs.tabBar().setAccessibleName(tr("Customers and recent customers"))

        # A strip in the profile's colour across the top shows at a glance which store is open.
        self.profile_strip = QtWidgets.QFrame()
        self.profile_strip.setObjectName("profileStrip")
        self.profile_strip.setFixedHeight(5)
        self.profile_strip.setStyleSheet(f"background: {colour};")
        self.setCentralWidget(self._build_layout())
        self.privacy_cover = PrivacyCover(self.centralWidget())
        self.idle_lock = IdleLock(options.lock_minutes, parent=self)
        self.idle_lock.attach_cover(self.privacy_cover)
        self.idle_lock.locked.connect(self.privacy.conceal)
        self.idle_lock.locked.connect(self.clipboard_guard.clear_now)
        self._build_menus(profiles or [(profile_name, colour)], settings_enabled)
        self.connection_label = QLabel(
            tr("{profile} · phone region {region} · {url}").format(
                profile=profile_name, region=default_region, url=base_url
            )
        )
        self.connection_label.setObjectName("connectionLabel")
        self.statusBar().clearMessage()
        self.statusBar().addPermanentWidget(self.connection_label)
        self._paging_blocked = False
        self._searching_note = QtCore.QTimer(self)
        self._searching_note.setSingleShot(True)
        self._searching_note.setInterval(SEARCHING_NOTE_DELAY_MS)
        self._searching_note.timeout.connect(lambda: self.statusBar().showMessage(tr("Searching…")))
        self._connect_signals()
        self._add_shortcuts()
        self.refresh_recent()
        self.search_bar.edit.setFocus()
        self._opened = True

    def content(self) -> QWidget:
        """Return the widget that contains the search bar, the lists and the panels."""
        return self.centralWidget()

    def _build_table(self) -> QTableView:
        from vp_desk.ui.customer_table import CustomerColumn

        table = QtWidgets.QTableView()
        table.setObjectName("customerTable")
        table.setAccessibleName(tr("Customers"))
        table.setModel(self.table_model)
        table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        # Qt's default row height fits a touch screen; agents want more customers in view.
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        # The server sorts. A click requests the first page again in the new order and never
        # re-sorts the loaded rows, which would show a page of one order sorted another way.
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(CustomerColumn.NAME, QtCore.Qt.SortOrder.AscendingOrder)
        header.setStretchLastSection(True)
        for column, width in (
            # All six columns fit the list's two thirds of the default window width.
            (CustomerColumn.NAME, 180),
            (CustomerColumn.EMAIL, 220),
            (CustomerColumn.PHONE, 130),
            (CustomerColumn.VERIFIED, 100),
            (CustomerColumn.CREATED, 95),
        ):
            header.resizeSection(column, width)
        return table

    def _build_layout(self) -> QWidget:
        results = QtWidgets.QWidget()
        results_layout = QtWidgets.QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.filter_bar)
        results_layout.addWidget(self.table, 1)
        results_layout.addWidget(self.pagination_bar)
        self.list_tabs.addTab(LayoutFence(results), tr("Customers"))
        self.list_tabs.addTab(self.recent_panel, tr("Recent"))
        list_side = self.list_tabs

        detail_side = QtWidgets.QWidget()
        detail_layout = QtWidgets.QVBoxLayout(detail_side)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.detail_panel, 1)
        detail_layout.addWidget(self.cart_panel, 1)

        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        splitter.addWidget(list_side)
        splitter.addWidget(LayoutFence(detail_side))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        # Two thirds for the list and one for the customer. The widgets' size hints before the
        # first customer is shown would leave the customer far less; the splitter scales these.
        splitter.setSizes([2 * SPLITTER_UNIT, SPLITTER_UNIT])

        # Only the widgets with styled labels get the style sheet: under one, Qt paints every
        # widget through its slower style sheet style, and the customer table repaints often.
        for styled in (self.search_bar, self.offline_banner, self.message_bar, detail_side):
            styled.setStyleSheet(STYLE_SHEET)

        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.addWidget(self.profile_strip)
        layout.addWidget(self.search_bar)
        layout.addWidget(self.offline_banner)
        layout.addWidget(self.message_bar)
        layout.addWidget(splitter, 1)
        return central

    def _build_menus(self, profiles: list[tuple[str, str]], settings_enabled: bool) -> None:
        from vp_desk.ui.settings_dialog import colour_icon

        file_menu = self.menuBar().addMenu(tr("&File"))
        self.settings_action = QtGui.QAction(tr("&Settings…"), self)
        self.settings_action.setShortcut(QtGui.QKeySequence("Ctrl+,"))
        self.settings_action.setEnabled(settings_enabled)
        if not settings_enabled:
            self.settings_action.setToolTip(tr("Demo profiles cannot be changed."))
        self.settings_action.triggered.connect(self.settings_requested)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        quit_action = QtGui.QAction(tr("&Quit"), self)
        quit_action.setShortcut(QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Quit))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        profile_menu = self.menuBar().addMenu(tr("&Profile"))
        self.profile_actions: list[QAction] = []
        for number, (name, colour) in enumerate(profiles, start=1):
            action = QtGui.QAction(colour_icon(colour), name, self)
            action.setCheckable(True)
            action.setChecked(name == self.profile_name)
            if number <= MAX_PROFILE_SHORTCUTS:
                action.setShortcut(QtGui.QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _checked, name=name: self.request_profile(name))
            profile_menu.addAction(action)
            self.profile_actions.append(action)

        help_menu = self.menuBar().addMenu(tr("&Help"))
        log_action = QtGui.QAction(tr("Open &log folder"), self)
        log_action.triggered.connect(self.open_log_folder)
        help_menu.addAction(log_action)

    def bring_to_front(self) -> None:
        """Show the window above others, for a screen pop or a second start."""
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def handle_screen_pop(self, text: str) -> None:
        """Look up what the phone system sent, as if the agent had typed it; reject bad input."""
        from vp_desk.screen_pop import ScreenPopError, parse_screen_pop

        self.bring_to_front()
        try:
            request = parse_screen_pop(text, self.search_bar.default_region)
        except ScreenPopError as error:
            self._reject_screen_pop(error)
            return
        self.search_bar.set_text(request.search_text)
        self.search_bar.submit()

    def show_rejected_screen_pop(self, reason: ScreenPopReason) -> None:
        """Say that a second start rejected its screen pop; only the reason reached this window."""
        from vp_desk.screen_pop import ScreenPopError

        self.bring_to_front()
        self._reject_screen_pop(ScreenPopError(reason, "rejected by the second start"))

    def _reject_screen_pop(self, error: ScreenPopError) -> None:
        from vp_desk.ui.messages import screen_pop_message

        logger.info("Rejected a screen pop: %s", error.reason.value)
        # A new call is on the line, so the last caller's record must not stay on screen
        # where it could pass for the new caller's, nor arrive from a search still running.
        self.controller.cancel_search()
        self._end_search()
        self.search_bar.clear()
        self._show_customers([], None)
        self.show_failure(screen_pop_message(error, self.search_bar.default_region))

    def request_profile(self, name: str) -> None:
        """Ask for the window of another profile; choosing the open one changes nothing."""
        for action in self.profile_actions:
            action.setChecked(action.text() == self.profile_name)
        if name != self.profile_name:
            self.profile_requested.emit(name)

    def open_log_folder(self) -> None:
        """Open the folder of vp-desk's log files in the system's file manager."""
        from vp_desk.logs import log_folder

        folder = log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(folder)))

    def _connect_signals(self) -> None:
        self.search_bar.search_requested.connect(self.on_search_requested)
        self.list_tabs.currentChanged.connect(self.on_list_tab_changed)
        self.search_bar.down_pressed.connect(self.on_search_bar_down_pressed)
        self.pagination_bar.page_requested.connect(self.on_page_requested)
        self.filter_bar.filters_changed.connect(self.on_list_options_changed)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self.on_sort_changed)
        self.table.selectionModel().currentRowChanged.connect(self.on_current_row_changed)
        self.detail_panel.copied.connect(self.on_field_copied)
        self.controller.search_started.connect(self.on_search_started)
        self.controller.page_loaded.connect(self.on_page_loaded)
        self.controller.customer_found.connect(self.on_customer_found)
        self.controller.search_failed.connect(self.on_search_failed)
        self.controller.cart_loaded.connect(self.on_cart_loaded)
        self.controller.cart_failed.connect(self.on_cart_failed)
        self.controller.offline_changed.connect(self.on_offline_changed)
        self.recent_panel.snapshot_opened.connect(self.open_snapshot)
        self.recent_panel.pin_toggled.connect(self.on_pin_toggled)
        self.recent_panel.clear_confirmed.connect(self.on_clear_recent_confirmed)

    def _add_shortcuts(self) -> None:
        for keys in ("Ctrl+K", "Ctrl+L"):
            QtGui.QShortcut(QtGui.QKeySequence(keys), self, activated=self.focus_search)
        # One shortcut only: Qt fires neither of two shortcuts that share a key (F5 is the
        # standard Refresh key on Linux and Windows), and Refresh has no key on macOS.
        QtGui.QShortcut(QtGui.QKeySequence("F5"), self, activated=self.refresh)
        QtGui.QShortcut(QtGui.QKeySequence("Ctrl+R"), self, activated=self.detail_panel.reveal)
        QtGui.QShortcut(QtGui.QKeySequence("PgUp"), self, activated=self.pagination_bar.go_previous)
        QtGui.QShortcut(QtGui.QKeySequence("PgDown"), self, activated=self.pagination_bar.go_next)
        QtGui.QShortcut(
            QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Copy),
            self.table,
            activated=self.copy_current_cell,
            context=QtCore.Qt.ShortcutContext.WidgetShortcut,
        )

    def copy_current_cell(self) -> None:
        """Copy the value of the table's current cell, unmasked, to the clipboard."""
        from vp_desk.ui.customer_table import RAW_VALUE_ROLE

        index = self.table.currentIndex()
        if index.isValid():
            self.clipboard_guard.copy(str(index.data(RAW_VALUE_ROLE) or ""), "table cell")
            self.statusBar().showMessage(tr("Copied"), 3000)

    def on_field_copied(self, field: str) -> None:
        self.statusBar().showMessage(tr("Copied {field}").format(field=field), 3000)

    def focus_search(self) -> None:
        """Put the cursor in the search bar with its text selected, ready for the next caller."""
        self.search_bar.edit.setFocus(QtCore.Qt.FocusReason.ShortcutFocusReason)
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
        if not self._paging_blocked:
            self.controller.load_page(offset, page_size)

    def on_sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        from vp_desk.ui.customer_table import SORT_FIELDS, CustomerColumn

        if column not in SORT_FIELDS:
            # Phone and verification have no server order: keep the indicator where it was.
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(self._sort_column, self._sort_order)
            header.blockSignals(False)
            return
        self._sort_column, self._sort_order = CustomerColumn(column), order
        self.on_list_options_changed()

    def on_list_options_changed(self) -> None:
        from vp_desk.api.models import SortOrder
        from vp_desk.ui.customer_table import SORT_FIELDS

        filters = self.filter_bar.filters()
        if (
            filters.created_from
            and filters.created_to
            and filters.created_from > filters.created_to
        ):
            self.show_failure(
                tr("The “Created from” date is after the “to” date. Choose an earlier first date.")
            )
            return
        order = (
            SortOrder.ASC
            if self._sort_order == QtCore.Qt.SortOrder.AscendingOrder
            else SortOrder.DESC
        )
        self.controller.set_list_options(
            filters, SORT_FIELDS[self._sort_column], order, self.pagination_bar.page_size
        )

    def on_retry_notice(self, notice: RetryNotice) -> None:
        from vp_desk.ui.messages import retry_message

        self.statusBar().showMessage(retry_message(notice), int(notice.delay * 1000) + 1000)

    def on_search_started(self) -> None:
        self.message_bar.hide()
        # Paging the old rows now would page the new search at the old offset, so page
        # requests wait for the response. Nothing on screen changes, which would cost a repaint.
        self._paging_blocked = True
        # Most responses arrive in milliseconds, and a note that flashes by only costs a repaint.
        self._searching_note.start()

    def _end_search(self) -> None:
        self._searching_note.stop()
        self._paging_blocked = False
        if self.statusBar().currentMessage() == tr("Searching…"):
            self.statusBar().clearMessage()

    def on_page_loaded(self, page: CustomerPage) -> None:
        self._end_search()
        self._show_customers(page.customers, page.pagination)
        if page.customers:
            return
        query = self.controller.last_query
        if query is not None and query.value:
            self.show_failure(tr("No customers match this search. Try fewer letters or digits."))
        else:
            self.show_failure(tr("This store has no customers yet."))

    def on_customer_found(self, customer: Customer) -> None:
        self._end_search()
        # A single customer is no page of a list, so there is nothing to page or resize.
        self._show_customers([customer], None)

    def on_search_failed(self, text: str) -> None:
        self._end_search()
        # The old rows belong to an earlier search, so showing them would mislead the agent.
        self._show_customers([], None)
        self.show_failure(text)

    def on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        customer = self.table_model.customer_at(current.row())
        self.privacy.on_customer_selected(customer.id if customer else None)
        if customer is None and self.detail_panel.customer is None:
            # Nothing was open, so there is nothing to clear or lay out again.
            return
        self.detail_panel.show_customer(customer)
        if customer is None:
            self.cart_panel.show_message(tr("Select a customer to see their cart."))
            return
        self.cart_panel.show_loading()
        self.controller.load_cart(customer)

    def on_offline_changed(self, offline: bool, saved_at: datetime | None) -> None:
        from vp_desk.ui.formatting import format_clock_time

        if not offline:
            self.offline_banner.hide()
            self._set_server_controls_enabled(True)
            self.statusBar().showMessage(tr("Back online."), 5000)
            # The saved data on screen may be days old, so fetch it again at once.
            self.refresh()
            return

        if saved_at is not None:
            text = tr("Offline: showing saved data from {time}.").format(
                time=format_clock_time(saved_at)
            )
        elif self.offline_banner.isVisible():
            return
        else:
            text = tr("Offline: the server cannot be reached. Saved customers can still be found.")
        self.offline_banner.setText(text)
        self.offline_banner.show()
        # Pages, filters and server order need the server, so they wait until it responds again.
        self.pagination_bar.set_pagination(None)
        self._set_server_controls_enabled(False)

    def _set_server_controls_enabled(self, enabled: bool) -> None:
        self.filter_bar.setEnabled(enabled)
        self.table.horizontalHeader().setSectionsClickable(enabled)

    def on_cart_loaded(self, customer_id: UUID, cart: Cart | None) -> None:
        selected = self.selected_customer()
        if selected is None or selected.id != customer_id:
            return
        self.cart_panel.show_cart(cart)
        self.cart_shown.emit(customer_id)
        # The look-up has just saved this customer for offline use.
        self.refresh_recent()

    def show_store_warning(self, warning: StoreWarning | None) -> None:
        """Tell the agent about a problem of the offline store, in the Recent tab."""
        from vp_desk.ui.messages import store_warning_message

        self.recent_panel.set_note(store_warning_message(warning) if warning else None)
        if warning is not None:
            self.statusBar().showMessage(store_warning_message(warning), 15000)

    def show_key_notice(self) -> None:
        """Say that the API key is kept for this session only."""
        self.show_failure(
            tr(
                "The operating system's keyring cannot store the API key, so vp-desk keeps it "
                "for this session only and asks again at the next start. Check that the "
                "keyring service runs."
            )
        )

    def refresh_recent(self) -> None:
        """Show the profile's recent customers again, as the offline store has them now.

        While the Recent tab is hidden, the list is only marked out of date and read when the
        tab is shown. Reading decrypts up to the limit of saved customers, which takes a few
        milliseconds that would otherwise delay every cart on screen.
        """
        if self.list_tabs.currentWidget() is not self.recent_panel:
            self._recent_out_of_date = True
            return
        self._recent_out_of_date = False
        self.recent_panel.set_snapshots(self.controller.service.recent(self._recent_limit))

    def on_list_tab_changed(self, _index: int) -> None:
        if self._recent_out_of_date:
            self.refresh_recent()

    def open_snapshot(self, snapshot: CustomerSnapshot) -> None:
        """Show a saved customer at once, then fetch them again from the server."""
        from vp_desk.api.identifiers import parse_query

        self.list_tabs.setCurrentIndex(0)
        self._show_customers([snapshot.customer], None)
        self.cart_panel.show_cart(snapshot.cart)
        query = parse_query(str(snapshot.customer.id), self.search_bar.default_region)
        self.search_bar.set_text(query.value)
        self.controller.search(query, self.pagination_bar.page_size)

    def on_pin_toggled(self, customer_id: UUID, pinned: bool) -> None:
        self.controller.service.set_pinned(customer_id, pinned)
        self.refresh_recent()

    def on_clear_recent_confirmed(self) -> None:
        self.controller.service.clear_recent()
        self.refresh_recent()
        self.statusBar().showMessage(tr("Recent lookups cleared."), 5000)

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
            self.on_current_row_changed(QtCore.QModelIndex(), QtCore.QModelIndex())
        else:
            self.select_row(row)
        self._format_rows_in_view()

    def _format_rows_in_view(self) -> None:
        """Format the rows the table will paint, which is faster now than during the paint."""
        # The table keeps its scroll position across pages, and select_row scrolls to the row.
        first = max(0, self.table.rowAt(0))
        row_height = max(1, self.table.verticalHeader().defaultSectionSize())
        self.table_model.prepare_rows(first, self.table.viewport().height() // row_height + 1)

    def select_row(self, row: int) -> None:
        """Make ``row`` the current and selected row, which opens its customer."""
        self.table.selectionModel().setCurrentIndex(
            self.table_model.index(row, 0),
            QtCore.QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QtCore.QItemSelectionModel.SelectionFlag.Rows,
        )

    def select_first_customer(self) -> None:
        """Open the first customer of the page unless a customer is already open."""
        if self.selected_customer() is None and self.table_model.rowCount() > 0:
            self.select_row(0)

    def on_search_bar_down_pressed(self) -> None:
        # Down from the search bar goes on into the results, as in a browser's address bar.
        if self.table_model.rowCount() == 0:
            return
        self.table.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)
        self.select_first_customer()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        # The window handle exists from the first show on; the lock counts input from it
        # even before the window takes the focus. A lock made after the first show watches
        # the shown windows itself.
        if self._opened:
            self.idle_lock.watch_window(self.windowHandle())
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        # The cart may have changed while the agent was in another window, such as the
        # store's admin page, so it is fetched again when this window is active again.
        if self._opened and event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            customer = self.selected_customer()
            if customer is not None:
                self.controller.load_cart(customer)
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self._opened:
            self.idle_lock.stop()
            self.clipboard_guard.clear_now()
        else:
            self.closed_before_opening = True
        self.closed.emit()
        super().closeEvent(event)
