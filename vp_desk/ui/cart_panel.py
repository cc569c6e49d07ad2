"""The selected customer's cart: its lines, subtotal, status and times."""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Any, override

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from vp_desk.api.models import Cart, CartItem, CartStatus
from vp_desk.ui.formatting import format_datetime, format_datetime_utc, format_money
from vp_desk.ui.text_table import TextTableModel


def tr(text: str) -> str:
    """Translate ``text`` in the ``CartPanel`` context."""
    return QCoreApplication.translate("CartPanel", text)


class CartColumn(IntEnum):
    """Columns of the cart table, in display order."""

    PRODUCT = 0
    SKU = 1
    QUANTITY = 2
    UNIT_PRICE = 3
    LINE_TOTAL = 4


_QUANTITY_SPACE = re.compile(r"(\d) (?=\w)")
"""A space between a number and the unit or word after it."""

_NUMERIC_COLUMNS = {CartColumn.QUANTITY, CartColumn.UNIT_PRICE, CartColumn.LINE_TOTAL}


class CartItemTableModel(TextTableModel):
    """The lines of one cart, read-only; the texts are formatted once per cart."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(len(CartColumn), parent)
        self._items: list[CartItem] = []
        self._titles = {
            CartColumn.PRODUCT: tr("Product"),
            CartColumn.SKU: tr("SKU"),
            CartColumn.QUANTITY: tr("Qty"),
            CartColumn.UNIT_PRICE: tr("Unit price"),
            CartColumn.LINE_TOTAL: tr("Line total"),
        }

    def set_cart(self, cart: Cart | None) -> None:
        """Show the lines of ``cart``, or none."""
        self.beginResetModel()
        self._items = list(cart.items) if cart else []
        currency = cart.currency if cart else ""
        self.set_texts(
            [
                tuple(_display(item, column, currency) for column in CartColumn)
                for item in self._items
            ]
        )
        self.endResetModel()

    @override
    def alignment(self, column: int) -> int | None:
        if column in _NUMERIC_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @override
    def extra_data(self, row: int, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == CartColumn.PRODUCT:
            return tr("Product id: {id}").format(id=self._items[row].product_id)
        return None

    @override
    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        if 0 <= section < len(CartColumn):
            return self._titles[CartColumn(section)]
        return None


def _display(item: CartItem, column: CartColumn, currency: str) -> str:
    match column:
        case CartColumn.PRODUCT:
            # A narrow column wraps names; a quantity such as "250 g" must stay on one line.
            return _QUANTITY_SPACE.sub("\\1\u00a0", item.product_name)
        case CartColumn.SKU:
            return item.sku or ""
        case CartColumn.QUANTITY:
            return str(item.quantity)
        case CartColumn.UNIT_PRICE:
            return format_money(item.unit_price, currency)
        case CartColumn.LINE_TOTAL:
            return format_money(item.line_total, currency)


def status_text(status: CartStatus) -> str:
    """Name a cart status in the agent's language."""
    match status:
        case CartStatus.ACTIVE:
            return tr("Active")
        case CartStatus.CHECKED_OUT:
            return tr("Checked out")
        case CartStatus.ABANDONED:
            return tr("Abandoned")


class CartPanel(QWidget):
    """Shows one cart, or a sentence saying why there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cartPanel")

        self.heading = QLabel(tr("Cart"))
        self.heading.setObjectName("sectionHeading")
        self.summary = QLabel()
        self.summary.setObjectName("cartSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.items_model = CartItemTableModel(self)
        self.items_view = QTableView()
        self.items_view.setObjectName("cartItems")
        self.items_view.setAccessibleName(tr("Cart items"))
        self.items_view.setModel(self.items_model)
        self.items_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.items_view.verticalHeader().hide()
        header = self.items_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CartColumn.PRODUCT, QHeaderView.ResizeMode.Stretch)

        self.state_label = QLabel()
        self.state_label.setObjectName("cartState")
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state_label.setWordWrap(True)

        self.totals = QLabel()
        self.totals.setObjectName("cartTotals")
        self.totals.setAlignment(Qt.AlignmentFlag.AlignRight)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.state_label)
        self.stack.addWidget(self.items_view)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.summary)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.totals)

        self.show_message(tr("Select a customer to see their cart."))

    def show_message(self, text: str) -> None:
        """Replace the cart with a sentence, such as an empty state or an error."""
        self.items_model.set_cart(None)
        self.summary.clear()
        self.totals.clear()
        self.state_label.setText(text)
        self.stack.setCurrentWidget(self.state_label)

    def show_loading(self) -> None:
        """Say that the cart is on its way; the lines of the cart shown before go at once."""
        if self.stack.currentWidget() is not self.items_view:
            self.show_message(tr("Loading cart…"))
            return
        # Switching to the message and back would lay out and paint the whole panel twice for
        # a cart that usually arrives within milliseconds. An emptied table shows the same.
        self.items_model.set_cart(None)
        self.totals.clear()
        self.summary.setText(tr("Loading cart…"))

    def show_cart(self, cart: Cart | None) -> None:
        """Show ``cart``, or a note that the customer has none."""
        if cart is None:
            self.show_message(tr("This customer has no cart."))
            return

        self.items_model.set_cart(cart)
        self.summary.setText(
            tr("{status} · updated {updated} · created {created}").format(
                status=status_text(cart.status),
                updated=format_datetime(cart.updated_at),
                created=format_datetime(cart.created_at),
            )
        )
        self.summary.setToolTip(
            tr("Updated {updated}, created {created}").format(
                updated=format_datetime_utc(cart.updated_at),
                created=format_datetime_utc(cart.created_at),
            )
        )
        totals = (
            tr("1 item · subtotal {subtotal}")
            if cart.item_count == 1
            else tr("{count} items · subtotal {subtotal}")
        )
        self.totals.setText(
            totals.format(
                count=cart.item_count, subtotal=format_money(cart.subtotal, cart.currency)
            )
        )
        if cart.items:
            self.stack.setCurrentWidget(self.items_view)
        else:
            self.state_label.setText(tr("The cart is empty."))
            self.stack.setCurrentWidget(self.state_label)
