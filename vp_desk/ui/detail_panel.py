"""Every field of the selected customer, metadata included, with copy buttons."""

from __future__ import annotations

import json

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from vp_desk.api.identifiers import format_phone
from vp_desk.api.models import Customer
from vp_desk.ui.formatting import format_datetime_utc, format_timestamp
from vp_desk.ui.privacy import ClipboardGuard, PrivacyGuard


def tr(text: str) -> str:
    """Translate ``text`` in the ``CustomerDetailPanel`` context."""
    return QCoreApplication.translate("CustomerDetailPanel", text)


class FieldRow(QWidget):
    """A read-only value, an optional verification badge and an optional copy button.

    Signals:
        copied(str): the value was copied to the clipboard; the argument names the field.
    """

    copied = Signal(str)

    def __init__(
        self,
        title: str,
        *,
        badge: bool = False,
        copyable: bool = False,
        clipboard: ClipboardGuard | None = None,
    ) -> None:
        super().__init__()
        self._title = title
        self._clipboard = clipboard
        self._copy_text = ""

        self.value = QLabel()
        # Customer data comes from the server and must never render as HTML.
        self.value.setTextFormat(Qt.TextFormat.PlainText)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.value.setAccessibleName(title)

        self.badge = QLabel()
        self.badge.setObjectName("badge")
        self.badge.setVisible(False)
        self._has_badge = badge

        self.copy_button = QToolButton()
        self.copy_button.setText(tr("Copy"))
        self.copy_button.setAccessibleName(tr("Copy {field}").format(field=title))
        self.copy_button.setToolTip(tr("Copy {field} to the clipboard").format(field=title))
        self.copy_button.setVisible(False)
        self._copyable = copyable
        self.copy_button.clicked.connect(self.on_copy_clicked)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.value, 1)
        layout.addWidget(self.badge)
        layout.addWidget(self.copy_button)

    def show_value(
        self,
        text: str,
        *,
        copy_text: str = "",
        verified: bool | None = None,
        tooltip: str = "",
    ) -> None:
        """Show ``text``; ``copy_text`` is what the copy button copies, when there is one."""
        self.value.setText(text)
        self.value.setToolTip(tooltip)
        self._copy_text = copy_text
        self.copy_button.setVisible(self._copyable and bool(copy_text))

        show_badge = self._has_badge and verified is not None and bool(copy_text)
        self.badge.setVisible(show_badge)
        if show_badge:
            self.badge.setText(tr("Verified") if verified else tr("Not verified"))
            self.badge.setProperty("verified", bool(verified))
            # A dynamic property changes the style only after the style is applied again.
            self.badge.style().unpolish(self.badge)
            self.badge.style().polish(self.badge)

    def clear(self) -> None:
        """Show nothing."""
        self.show_value("")

    def on_copy_clicked(self) -> None:
        if self._clipboard is not None:
            self._clipboard.copy(self._copy_text, self._title)
        else:
            QGuiApplication.clipboard().setText(self._copy_text)
        self.copied.emit(self._title)


class CustomerDetailPanel(QWidget):
    """Shows one customer's fields, or a hint when none is selected.

    Signals:
        copied(str): a field was copied to the clipboard; the argument names the field.
    """

    copied = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        privacy: PrivacyGuard | None = None,
        clipboard: ClipboardGuard | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("customerDetailPanel")
        self._privacy = privacy
        self._customer: Customer | None = None

        self.heading = QLabel(tr("No customer selected"))
        self.heading.setObjectName("customerName")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.fields = {
            "id": FieldRow(tr("Customer ID"), copyable=True, clipboard=clipboard),
            "email": FieldRow(tr("Email"), badge=True, copyable=True, clipboard=clipboard),
            "phone": FieldRow(tr("Phone"), badge=True, copyable=True, clipboard=clipboard),
            "created": FieldRow(tr("Created")),
            "updated": FieldRow(tr("Updated")),
        }
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, row in self.fields.items():
            row.setObjectName(f"field_{key}")
            row.copied.connect(self.copied)
            form.addRow(row.value.accessibleName(), row)

        self.metadata_heading = QLabel(tr("Metadata"))
        self.metadata_heading.setObjectName("sectionHeading")
        self.metadata = QTableWidget(0, 2)
        self.metadata.setObjectName("metadataTable")
        self.metadata.setAccessibleName(tr("Customer metadata"))
        self.metadata.setHorizontalHeaderLabels([tr("Key"), tr("Value")])
        self.metadata.verticalHeader().hide()
        self.metadata.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.metadata.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.metadata.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

        self.reveal_button = QPushButton(tr("Reveal contact details"))
        self.reveal_button.setObjectName("revealButton")
        self.reveal_button.setAccessibleName(tr("Reveal email and phone (Ctrl+R)"))
        self.reveal_button.setToolTip(tr("Show this customer's email and phone (Ctrl+R)"))
        self.reveal_button.clicked.connect(self.reveal)
        self.reveal_button.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addWidget(self.reveal_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.metadata_heading)
        layout.addWidget(self.metadata, 1)

        self.show_customer(None)
        if privacy is not None:
            privacy.masking_changed.connect(self.on_masking_changed)

    @property
    def customer(self) -> Customer | None:
        """The customer on show, or None."""
        return self._customer

    def reveal(self) -> None:
        """Show the open customer's email and phone until another customer is opened."""
        if self._privacy is not None and self._customer is not None:
            self._privacy.reveal(self._customer.id)

    def on_masking_changed(self) -> None:
        self.show_customer(self._customer)

    def show_customer(self, customer: Customer | None) -> None:
        """Fill the panel with ``customer``, or clear it."""
        self._customer = customer
        masked = (
            self._privacy is not None
            and customer is not None
            and self._privacy.is_masked(customer.id)
        )
        self.reveal_button.setVisible(masked)
        if customer is None:
            self.heading.setText(tr("No customer selected"))
            for row in self.fields.values():
                row.clear()
            self._show_metadata({})
            return

        self.heading.setText(customer.full_name or tr("(no name)"))
        self.fields["id"].show_value(str(customer.id), copy_text=str(customer.id))
        email = customer.email
        shown_email = email
        phone = customer.phone_number
        shown_phone = format_phone(phone) if phone else None
        if self._privacy is not None:
            shown_email = self._privacy.display_email(customer.id, email)
            shown_phone = self._privacy.display_phone(customer.id, shown_phone)
        self._show_contact("email", shown_email, email, customer.is_email_verified)
        self._show_contact("phone", shown_phone, phone, customer.is_phone_verified)
        for key, moment in (("created", customer.created_at), ("updated", customer.updated_at)):
            self.fields[key].show_value(
                format_timestamp(moment), tooltip=format_datetime_utc(moment)
            )
        self._show_metadata(customer.metadata)

    def _show_contact(self, key: str, shown: str | None, value: str | None, verified: bool) -> None:
        if not value:
            self.fields[key].show_value(tr("none on record"))
            return
        self.fields[key].show_value(shown or value, copy_text=value, verified=verified)

    def _show_metadata(self, metadata: dict[str, object]) -> None:
        self.metadata.setRowCount(len(metadata))
        for row, (key, value) in enumerate(sorted(metadata.items())):
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            self.metadata.setItem(row, 0, QTableWidgetItem(key))
            self.metadata.setItem(row, 1, QTableWidgetItem(shown))
        self.metadata_heading.setVisible(bool(metadata))
        self.metadata.setVisible(bool(metadata))
