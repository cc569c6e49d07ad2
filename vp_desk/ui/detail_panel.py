"""Every field of the selected customer, metadata included."""

from __future__ import annotations

import json

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vp_desk.api.identifiers import format_phone
from vp_desk.api.models import Customer
from vp_desk.ui.formatting import format_datetime, format_datetime_utc


def tr(text: str) -> str:
    """Translate ``text`` in the ``CustomerDetailPanel`` context."""
    return QCoreApplication.translate("CustomerDetailPanel", text)


def _verified_suffix(verified: bool) -> str:
    return tr("verified") if verified else tr("not verified")


class CustomerDetailPanel(QWidget):
    """Shows one customer's fields, or a hint when none is selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerDetailPanel")

        self.heading = QLabel(tr("No customer selected"))
        self.heading.setObjectName("customerName")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, title in (
            ("id", tr("Customer ID")),
            ("email", tr("Email")),
            ("phone", tr("Phone")),
            ("created", tr("Created")),
            ("updated", tr("Updated")),
        ):
            label = QLabel()
            label.setObjectName(f"field_{key}")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(title)
            self.fields[key] = label
            form.addRow(title, label)

        self.metadata_heading = QLabel(tr("Metadata"))
        self.metadata_heading.setObjectName("sectionHeading")
        self.metadata = QTableWidget(0, 2)
        self.metadata.setObjectName("metadataTable")
        self.metadata.setAccessibleName(tr("Customer metadata"))
        self.metadata.setHorizontalHeaderLabels([tr("Key"), tr("Value")])
        self.metadata.verticalHeader().hide()
        self.metadata.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.metadata.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addWidget(self.metadata_heading)
        layout.addWidget(self.metadata, 1)

        self.show_customer(None)

    def show_customer(self, customer: Customer | None) -> None:
        """Fill the panel with ``customer``, or clear it."""
        if customer is None:
            self.heading.setText(tr("No customer selected"))
            for label in self.fields.values():
                label.clear()
            self.metadata.setRowCount(0)
            return

        self.heading.setText(customer.full_name or tr("(no name)"))
        self.fields["id"].setText(str(customer.id))
        self.fields["email"].setText(
            self._contact(customer.email, verified=customer.is_email_verified)
        )
        self.fields["phone"].setText(
            self._contact(
                format_phone(customer.phone_number) if customer.phone_number else None,
                verified=customer.is_phone_verified,
            )
        )
        for key, moment in (("created", customer.created_at), ("updated", customer.updated_at)):
            self.fields[key].setText(format_datetime(moment))
            self.fields[key].setToolTip(format_datetime_utc(moment))
        self._show_metadata(customer)

    @staticmethod
    def _contact(value: str | None, *, verified: bool) -> str:
        if not value:
            return tr("none on record")
        return f"{value} ({_verified_suffix(verified)})"

    def _show_metadata(self, customer: Customer) -> None:
        self.metadata.setRowCount(len(customer.metadata))
        for row, (key, value) in enumerate(sorted(customer.metadata.items())):
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            self.metadata.setItem(row, 0, QTableWidgetItem(key))
            self.metadata.setItem(row, 1, QTableWidgetItem(shown))
        self.metadata_heading.setVisible(bool(customer.metadata))
        self.metadata.setVisible(bool(customer.metadata))
