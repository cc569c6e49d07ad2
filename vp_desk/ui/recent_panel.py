"""The recently opened customers, pinned ones first, readable offline."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vp_desk.offline import CustomerSnapshot
from vp_desk.ui.formatting import format_datetime

SNAPSHOT_ROLE = Qt.ItemDataRole.UserRole + 1
"""Item data role that returns the item's CustomerSnapshot."""


def tr(text: str) -> str:
    """Translate ``text`` in the ``RecentPanel`` context."""
    return QCoreApplication.translate("RecentPanel", text)


class RecentPanel(QWidget):
    """Lists recent customers; opening one shows its saved copy at once.

    Signals:
        snapshot_opened(CustomerSnapshot): the agent opened a recent customer.
        pin_toggled(UUID, bool): the agent pinned or unpinned a customer.
        clear_confirmed(): the agent confirmed clearing every recent lookup.
    """

    snapshot_opened = Signal(object)
    pin_toggled = Signal(object, bool)
    clear_confirmed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recentPanel")

        self.list = QListWidget()
        self.list.setObjectName("recentList")
        self.list.setAccessibleName(tr("Recent customers"))
        self.list.itemActivated.connect(self.on_item_activated)
        self.list.currentItemChanged.connect(self.on_current_item_changed)

        self.empty_label = QLabel(tr("Customers you open appear here, also when offline."))
        self.empty_label.setWordWrap(True)
        self.note = QLabel()
        self.note.setObjectName("recentNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.hide()

        self.pin_button = QPushButton(tr("Pin"))
        self.pin_button.setObjectName("pinButton")
        self.pin_button.setAccessibleName(tr("Pin or unpin the selected customer"))
        self.pin_button.setEnabled(False)
        self.pin_button.clicked.connect(self.on_pin_clicked)
        self.clear_button = QPushButton(tr("Clear recent lookups"))
        self.clear_button.setObjectName("clearRecentButton")
        self.clear_button.setAccessibleName(tr("Clear recent lookups"))
        self.clear_button.clicked.connect(self.on_clear_clicked)

        buttons = QHBoxLayout()
        buttons.addWidget(self.pin_button)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._confirm_box: QMessageBox | None = None

    def set_note(self, text: str | None) -> None:
        """Show a note about the saved data, such as that it lives in memory only."""
        self.note.setText(text or "")
        self.note.setVisible(bool(text))

    def set_snapshots(self, snapshots: list[CustomerSnapshot]) -> None:
        """Show ``snapshots`` in the given order, keeping the current customer selected."""
        current = self.current_snapshot()
        self.list.clear()
        for snapshot in snapshots:
            item = QListWidgetItem(self._item_text(snapshot))
            item.setData(SNAPSHOT_ROLE, snapshot)
            item.setToolTip(tr("Saved {time}").format(time=format_datetime(snapshot.saved_at)))
            self.list.addItem(item)
            if current is not None and snapshot.customer.id == current.customer.id:
                self.list.setCurrentItem(item)
        self.empty_label.setVisible(not snapshots)
        self.clear_button.setEnabled(bool(snapshots))

    def current_snapshot(self) -> CustomerSnapshot | None:
        """Return the snapshot of the current item, or None."""
        item = self.list.currentItem()
        if item is None:
            return None
        snapshot = item.data(SNAPSHOT_ROLE)
        return snapshot if isinstance(snapshot, CustomerSnapshot) else None

    @staticmethod
    def _item_text(snapshot: CustomerSnapshot) -> str:
        customer = snapshot.customer
        name = customer.full_name or customer.email or str(customer.id)
        mark = "★ " if snapshot.pinned else ""
        saved = tr("saved {time}").format(time=format_datetime(snapshot.saved_at))
        return f"{mark}{name} · {saved}"

    def on_item_activated(self, item: QListWidgetItem) -> None:
        snapshot = item.data(SNAPSHOT_ROLE)
        if isinstance(snapshot, CustomerSnapshot):
            self.snapshot_opened.emit(snapshot)

    def on_current_item_changed(self, *_items: object) -> None:
        snapshot = self.current_snapshot()
        self.pin_button.setEnabled(snapshot is not None)
        self.pin_button.setText(tr("Unpin") if snapshot and snapshot.pinned else tr("Pin"))

    def on_pin_clicked(self) -> None:
        snapshot = self.current_snapshot()
        if snapshot is not None:
            self.pin_toggled.emit(snapshot.customer.id, not snapshot.pinned)

    def on_clear_clicked(self) -> None:
        # open(), not exec(): a nested event loop would stall the asyncio tasks.
        box = QMessageBox(
            QMessageBox.Icon.Question,
            tr("Clear recent lookups"),
            tr(
                "Delete every saved customer of this profile from this computer? They can no "
                "longer be found while offline."
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(self.on_clear_answered)
        self._confirm_box = box
        box.open()

    def on_clear_answered(self, result: int) -> None:
        if result == QMessageBox.StandardButton.Yes:
            self.clear_confirmed.emit()
        self._confirm_box = None
