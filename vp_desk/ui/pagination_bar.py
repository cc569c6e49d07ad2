"""Page size, previous and next, and where the page sits in the list."""

from __future__ import annotations

import math

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

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

        self.previous_button = QPushButton(tr("Previous"))
        self.previous_button.setObjectName("previousPage")
        self.previous_button.setAccessibleName(tr("Previous page"))
        self.next_button = QPushButton(tr("Next"))
        self.next_button.setObjectName("nextPage")
        self.next_button.setAccessibleName(tr("Next page"))

        self.position = QLabel()
        self.position.setObjectName("pagePosition")

        self.size_box = QComboBox()
        self.size_box.setObjectName("pageSize")
        self.size_box.setAccessibleName(tr("Customers per page"))
        for size in PAGE_SIZES:
            self.size_box.addItem(tr("{count} per page").format(count=size), size)
        self.size_box.setCurrentIndex(PAGE_SIZES.index(DEFAULT_PAGE_SIZE))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.next_button)
        layout.addWidget(self.position, 1)
        layout.addWidget(self.size_box)

        self.previous_button.clicked.connect(self.on_previous_clicked)
        self.next_button.clicked.connect(self.on_next_clicked)
        self.size_box.currentIndexChanged.connect(self.on_size_changed)
        self.set_pagination(None)

    @property
    def page_size(self) -> int:
        """The number of customers per page that the agent chose."""
        return int(self.size_box.currentData())

    def set_pagination(self, pagination: Pagination | None) -> None:
        """Show where the loaded page sits, or nothing when no list is loaded."""
        self._pagination = pagination
        if pagination is None:
            self.position.clear()
            self.previous_button.setEnabled(False)
            self.next_button.setEnabled(False)
            return

        page_count = max(1, math.ceil(pagination.total / pagination.limit))
        page = min(page_count, pagination.offset // pagination.limit + 1)
        text = (
            tr("Page {page} of {pages}, 1 customer")
            if pagination.total == 1
            else tr("Page {page} of {pages}, {total} customers")
        )
        self.position.setText(text.format(page=page, pages=page_count, total=pagination.total))
        self.previous_button.setEnabled(pagination.offset > 0)
        self.next_button.setEnabled(pagination.has_more)

    def on_previous_clicked(self) -> None:
        if self._pagination is not None:
            offset = max(0, self._pagination.offset - self.page_size)
            self.page_requested.emit(offset, self.page_size)

    def on_next_clicked(self) -> None:
        if self._pagination is not None and self._pagination.has_more:
            offset = self._pagination.offset + self._pagination.limit
            self.page_requested.emit(offset, self.page_size)

    def on_size_changed(self, _index: int) -> None:
        if self._pagination is not None:
            # Keep the first customer on screen in view when the page grows or shrinks.
            offset = self._pagination.offset // self.page_size * self.page_size
            self.page_requested.emit(offset, self.page_size)
