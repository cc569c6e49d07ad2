"""Page size, first, previous, next, last and go-to-page, and where the page sits in the list."""

from __future__ import annotations

import math

from PySide6.QtCore import QCoreApplication, QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from vp_desk.api.models import Pagination

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25


def tr(text: str) -> str:
    """Translate ``text`` in the ``PaginationBar`` context."""
    return QCoreApplication.translate("PaginationBar", text)


class PaginationBar(QWidget):
    """Moves through the pages of the customer list.

    Signals:
        page_requested(int, int): the offset and page size to load.
    """

    page_requested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pagination: Pagination | None = None

        self.first_button = self._button("firstPage", tr("First"), tr("First page"))
        self.previous_button = self._button("previousPage", tr("Previous"), tr("Previous page"))
        self.next_button = self._button("nextPage", tr("Next"), tr("Next page"))
        self.last_button = self._button("lastPage", tr("Last"), tr("Last page"))

        self.page_box = QSpinBox()
        self.page_box.setObjectName("pageNumber")
        self.page_box.setAccessibleName(tr("Go to page"))
        self.page_box.lineEdit().setAccessibleName(tr("Go to page"))
        self.page_box.setToolTip(tr("Type a page number and press Enter"))
        self.page_box.setKeyboardTracking(False)
        self.page_box.setMinimum(1)
        self.page_box.setMaximum(99_999)
        # A fixed width keeps a new page count from changing the size hint, which would lay
        # out and repaint the whole window after every search.
        self.page_box.setFixedWidth(self.page_box.sizeHint().width())

        self.position = QLabel()
        self.position.setObjectName("pagePosition")
        # Its text changes with every page; a fixed size hint spares the window a new layout.
        self.position.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.size_box = QComboBox()
        self.size_box.setObjectName("pageSize")
        self.size_box.setAccessibleName(tr("Customers per page"))
        for size in PAGE_SIZES:
            self.size_box.addItem(tr("{count} per page").format(count=size), size)
        self.size_box.setCurrentIndex(PAGE_SIZES.index(DEFAULT_PAGE_SIZE))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        page_label = QLabel(tr("Page"))
        page_label.setBuddy(self.page_box)
        for widget in (self.first_button, self.previous_button, page_label, self.page_box):
            layout.addWidget(widget)
        layout.addWidget(self.next_button)
        layout.addWidget(self.last_button)
        layout.addWidget(self.position, 1)
        layout.addWidget(self.size_box)

        self.first_button.clicked.connect(self.go_first)
        self.previous_button.clicked.connect(self.go_previous)
        self.next_button.clicked.connect(self.go_next)
        self.last_button.clicked.connect(self.go_last)
        self.page_box.valueChanged.connect(self.on_page_number_changed)
        self.size_box.currentIndexChanged.connect(self.on_size_changed)
        self.set_pagination(None)

    @staticmethod
    def _button(name: str, text: str, accessible_name: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAccessibleName(accessible_name)
        return button

    @property
    def page_size(self) -> int:
        """The number of customers per page that the agent chose."""
        return int(self.size_box.currentData())

    @property
    def page_count(self) -> int:
        """The number of pages of the loaded list, at least 1."""
        if self._pagination is None:
            return 1
        return max(1, math.ceil(self._pagination.total / self._pagination.limit))

    @property
    def page(self) -> int:
        """The 1-based number of the loaded page."""
        if self._pagination is None:
            return 1
        return min(self.page_count, self._pagination.offset // self._pagination.limit + 1)

    def set_pagination(self, pagination: Pagination | None) -> None:
        """Show where the loaded page sits, or nothing when no list is loaded."""
        self._pagination = pagination
        with QSignalBlocker(self.page_box):
            if self.page_box.maximum() != self.page_count:
                self.page_box.setMaximum(self.page_count)
            if self.page_box.value() != self.page:
                self.page_box.setValue(self.page)
        self.page_box.setEnabled(pagination is not None and self.page_count > 1)

        if pagination is None:
            self.position.clear()
        else:
            text = (
                tr("of {pages} · 1 customer")
                if pagination.total == 1
                else tr("of {pages} · {total} customers")
            )
            self.position.setText(text.format(pages=self.page_count, total=pagination.total))

        has_previous = pagination is not None and pagination.offset > 0
        has_next = pagination is not None and pagination.has_more
        self.first_button.setEnabled(has_previous)
        self.previous_button.setEnabled(has_previous)
        self.next_button.setEnabled(has_next)
        self.last_button.setEnabled(has_next)

    def go_first(self) -> None:
        """Ask for the first page."""
        self._request_page(1)

    def go_previous(self) -> None:
        """Ask for the page before the loaded one."""
        if self._pagination is not None and self._pagination.offset > 0:
            self._request_page(self.page - 1)

    def go_next(self) -> None:
        """Ask for the page after the loaded one."""
        if self._pagination is not None and self._pagination.has_more:
            self._request_page(self.page + 1)

    def go_last(self) -> None:
        """Ask for the last page."""
        self._request_page(self.page_count)

    def on_page_number_changed(self, page: int) -> None:
        self._request_page(page)

    def on_size_changed(self, _index: int) -> None:
        if self._pagination is not None:
            # Keep the first customer on screen in view when the page grows or shrinks.
            offset = self._pagination.offset // self.page_size * self.page_size
            self.page_requested.emit(offset, self.page_size)

    def _request_page(self, page: int) -> None:
        if self._pagination is None:
            return
        page = min(max(1, page), self.page_count)
        self.page_requested.emit((page - 1) * self.page_size, self.page_size)
