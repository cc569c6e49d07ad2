"""Qt item model of one page of customers."""

from __future__ import annotations

from enum import IntEnum
from typing import Any, override
from uuid import UUID

from PySide6.QtCore import QCoreApplication, QObject, Qt

from vp_desk.api.identifiers import format_phone
from vp_desk.api.models import Customer, CustomerSortField
from vp_desk.ui.formatting import format_date, format_datetime_utc, verification_text
from vp_desk.ui.privacy import PrivacyGuard
from vp_desk.ui.text_table import TextTableModel

CUSTOMER_ID_ROLE = Qt.ItemDataRole.UserRole + 1
"""Item data role that returns the row's customer id as a string."""

RAW_VALUE_ROLE = Qt.ItemDataRole.UserRole + 2
"""Item data role that returns the cell's value unmasked, for copying."""


class CustomerColumn(IntEnum):
    """Columns of the customer table, in display order."""

    NAME = 0
    EMAIL = 1
    PHONE = 2
    VERIFIED = 3
    CREATED = 4
    UPDATED = 5


COLUMN_COUNT = len(CustomerColumn)
"""Counted once: views ask for the column count and cells many times per paint."""


def _column_titles() -> dict[CustomerColumn, str]:
    def tr(text: str) -> str:
        return QCoreApplication.translate("CustomerTableModel", text)

    return {
        CustomerColumn.NAME: tr("Name"),
        CustomerColumn.EMAIL: tr("Email"),
        CustomerColumn.PHONE: tr("Phone"),
        CustomerColumn.VERIFIED: tr("Verified"),
        CustomerColumn.CREATED: tr("Created"),
        CustomerColumn.UPDATED: tr("Updated"),
    }


class CustomerTableModel(TextTableModel):
    """The customers of the page on screen, read-only.

    The rows are replaced as a whole when a page arrives; the server sorts and filters, so
    the model never reorders them. A row's texts are formatted when a view or a caller first
    reads them, and kept until the next page or a change of masking. A page so shows after
    formatting only the rows in view.
    """

    def __init__(self, parent: QObject | None = None, privacy: PrivacyGuard | None = None) -> None:
        super().__init__(COLUMN_COUNT, parent)
        self._customers: list[Customer] = []
        self._full_texts: list[tuple[str, ...] | None] = []
        self._titles = _column_titles()
        self._privacy = privacy
        if privacy is not None:
            privacy.masking_changed.connect(self.on_masking_changed)

    def on_masking_changed(self) -> None:
        self.set_row_count(len(self._customers))
        if self._customers:
            for column in (CustomerColumn.EMAIL, CustomerColumn.PHONE):
                top, bottom = self.index(0, column), self.index(len(self._customers) - 1, column)
                self.dataChanged.emit(top, bottom, [Qt.ItemDataRole.DisplayRole])

    def set_customers(self, customers: list[Customer]) -> None:
        """Show ``customers`` in place of the current rows."""
        self.beginResetModel()
        self._customers = list(customers)
        self._full_texts = [None] * len(self._customers)
        self.set_row_count(len(self._customers))
        self.endResetModel()

    def customer_at(self, row: int) -> Customer | None:
        """Return the customer of ``row``, or None outside the page."""
        if 0 <= row < len(self._customers):
            return self._customers[row]
        return None

    def row_of(self, customer_id: UUID) -> int | None:
        """Return the row of the customer with ``customer_id``, or None when not on the page."""
        for row, customer in enumerate(self._customers):
            if customer.id == customer_id:
                return row
        return None

    @override
    def extra_data(self, row: int, column: int, role: int) -> Any:
        if role == RAW_VALUE_ROLE:
            return self._full_row(row)[column]
        if role == CUSTOMER_ID_ROLE:
            return str(self._customers[row].id)
        if role != Qt.ItemDataRole.ToolTipRole:
            return None
        if column == CustomerColumn.CREATED:
            return format_datetime_utc(self._customers[row].created_at)
        if column == CustomerColumn.UPDATED:
            return format_datetime_utc(self._customers[row].updated_at)
        return None

    @override
    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < COLUMN_COUNT:
            return self._titles[CustomerColumn(section)]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._customers):
            return str(section + 1)
        return None

    @override
    def make_row(self, row: int) -> tuple[str, ...]:
        texts = self._full_row(row)
        if self._privacy is None:
            return texts
        customer_id = self._customers[row].id
        shown = list(texts)
        shown[CustomerColumn.EMAIL] = self._privacy.display_email(
            customer_id, texts[CustomerColumn.EMAIL]
        )
        shown[CustomerColumn.PHONE] = self._privacy.display_phone(
            customer_id, texts[CustomerColumn.PHONE]
        )
        return tuple(shown)

    def _full_row(self, row: int) -> tuple[str, ...]:
        texts = self._full_texts[row]
        if texts is None:
            customer = self._customers[row]
            texts = tuple(self._display(customer, column) for column in CustomerColumn)
            self._full_texts[row] = texts
        return texts

    @staticmethod
    def _display(customer: Customer, column: CustomerColumn) -> str:
        match column:
            case CustomerColumn.NAME:
                return customer.full_name
            case CustomerColumn.EMAIL:
                return customer.email or ""
            case CustomerColumn.PHONE:
                return format_phone(customer.phone_number) if customer.phone_number else ""
            case CustomerColumn.VERIFIED:
                return verification_text(customer)
            case CustomerColumn.CREATED:
                return format_date(customer.created_at)
            case CustomerColumn.UPDATED:
                return format_date(customer.updated_at)


SORT_FIELDS: dict[CustomerColumn, CustomerSortField] = {
    CustomerColumn.NAME: CustomerSortField.NAME,
    CustomerColumn.EMAIL: CustomerSortField.EMAIL,
    CustomerColumn.CREATED: CustomerSortField.CREATED_AT,
    CustomerColumn.UPDATED: CustomerSortField.UPDATED_AT,
}
"""The columns the server can sort by, and the sort field of each."""
