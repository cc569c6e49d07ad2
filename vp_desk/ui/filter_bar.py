"""Server-side filters of the customer list: verification and creation dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

ANY_DATE = QDate(2000, 1, 1)
"""The lowest date of the date fields, shown as "any": no customer is older than it."""


def tr(text: str) -> str:
    """Translate ``text`` in the ``FilterBar`` context."""
    return QCoreApplication.translate("FilterBar", text)


@dataclass(frozen=True, slots=True)
class ListFilters:
    """The filters the agent chose; None filters nothing."""

    phone_verified: bool | None = None
    email_verified: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


class FilterBar(QWidget):
    """Chooses which customers the server lists.

    Signals:
        filters_changed(): a filter changed; ``filters()`` returns the new ones.
    """

    filters_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

        phone_texts = (tr("Any phone"), tr("Phone verified"), tr("Phone not verified"))
        self.phone_box = self._verification_box("phoneFilter", tr("Phone"), phone_texts)
        email_texts = (tr("Any email"), tr("Email verified"), tr("Email not verified"))
        self.email_box = self._verification_box("emailFilter", tr("Email"), email_texts)
        self.from_edit = self._date_edit("createdFrom", tr("Created from"))
        self.to_edit = self._date_edit("createdTo", tr("Created to"))
        self.reset_button = QPushButton(tr("Reset"))
        self.reset_button.setObjectName("resetFilters")
        self.reset_button.setAccessibleName(tr("Reset filters"))
        self.reset_button.clicked.connect(self.reset)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.phone_box)
        layout.addWidget(self.email_box)
        for label_text, edit in ((tr("Created from"), self.from_edit), (tr("to"), self.to_edit)):
            label = QLabel(label_text)
            label.setBuddy(edit)
            layout.addWidget(label)
            layout.addWidget(edit)
        layout.addStretch(1)
        layout.addWidget(self.reset_button)

    def _verification_box(self, name: str, title: str, texts: tuple[str, str, str]) -> QComboBox:
        box = QComboBox()
        box.setObjectName(name)
        box.setAccessibleName(tr("{field} verification filter").format(field=title))
        for text, value in zip(texts, (None, True, False), strict=True):
            box.addItem(text, value)
        box.currentIndexChanged.connect(self.filters_changed)
        return box

    def _date_edit(self, name: str, title: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setObjectName(name)
        edit.setAccessibleName(title)
        # Tab stops at the spin box's own line edit, which screen readers announce by itself.
        edit.findChild(QLineEdit).setAccessibleName(title)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(ANY_DATE)
        edit.setSpecialValueText(tr("any"))
        edit.setDate(ANY_DATE)
        edit.dateChanged.connect(self.filters_changed)
        return edit

    def filters(self) -> ListFilters:
        """Return the chosen filters; dates cover whole days in the agent's time zone."""
        return ListFilters(
            phone_verified=self.phone_box.currentData(),
            email_verified=self.email_box.currentData(),
            created_from=_day_bound(self.from_edit.date(), QTime(0, 0)),
            created_to=_day_bound(self.to_edit.date(), QTime(23, 59, 59, 999)),
        )

    def reset(self) -> None:
        """Clear every filter and emit ``filters_changed`` once."""
        widgets = (self.phone_box, self.email_box, self.from_edit, self.to_edit)
        for widget in widgets:
            widget.blockSignals(True)
        self.phone_box.setCurrentIndex(0)
        self.email_box.setCurrentIndex(0)
        self.from_edit.setDate(ANY_DATE)
        self.to_edit.setDate(ANY_DATE)
        for widget in widgets:
            widget.blockSignals(False)
        self.filters_changed.emit()


def _day_bound(date: QDate, time: QTime) -> datetime | None:
    if date == ANY_DATE:
        return None
    return QDateTime(date, time).toPython().astimezone()
