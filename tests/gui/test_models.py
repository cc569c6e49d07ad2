"""Qt item models checked with Qt's own model tester, and their display texts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from vp_desk.api.models import Cart, CartItem, CartStatus, Customer
from vp_desk.ui.cart_panel import CartColumn, CartItemTableModel, CartPanel
from vp_desk.ui.customer_table import (
    CUSTOMER_ID_ROLE,
    RAW_VALUE_ROLE,
    CustomerColumn,
    CustomerTableModel,
)
from vp_desk.ui.privacy import PrivacyGuard

CREATED = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def make_customer(number: int, **fields: object) -> Customer:
    values: dict[str, object] = {
        "id": UUID(int=number + 1),
        "email": f"customer{number}@example.com",
        "phone_number": f"+4420794609{number:02d}",
        "first_name": "Zoë",
        "last_name": f"Müller {number}",
        "is_phone_verified": True,
        "is_email_verified": number % 2 == 0,
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    values.update(fields)
    return Customer.model_validate(values)


def make_cart(items: int) -> Cart:
    lines = [
        CartItem(
            product_id=f"p{index}",
            product_name=f"Espresso cup {index}",
            sku=f"CUP-{index}",
            quantity=2,
            unit_price=Decimal("4.50"),
            line_total=Decimal("9.00"),
        )
        for index in range(items)
    ]
    return Cart(
        id=UUID(int=99),
        customer_id=UUID(int=1),
        status=CartStatus.ACTIVE,
        currency="EUR",
        items=lines,
        item_count=2 * items,
        subtotal=Decimal("9.00") * items,
        created_at=CREATED,
        updated_at=CREATED,
    )


def test_customer_table_model_passes_model_tester(qtmodeltester: ModelTester) -> None:
    model = CustomerTableModel()
    model.set_customers([make_customer(number) for number in range(5)])

    qtmodeltester.check(model, force_py=True)

    model.set_customers([])
    qtmodeltester.check(model, force_py=True)


def test_customer_table_model_texts() -> None:
    model = CustomerTableModel()
    customer = make_customer(3, is_email_verified=False, email=None)
    model.set_customers([customer])

    assert model.index(0, CustomerColumn.NAME).data() == "Zoë Müller 3"
    assert model.index(0, CustomerColumn.EMAIL).data() == ""
    assert model.index(0, CustomerColumn.PHONE).data() == "+44 20 7946 0903"
    assert model.index(0, CustomerColumn.VERIFIED).data() == "Phone"
    assert model.index(0, CustomerColumn.CREATED).data(Qt.ItemDataRole.ToolTipRole) == (
        "2025-03-14 09:30:00 UTC"
    )
    assert model.index(0, 0).data(CUSTOMER_ID_ROLE) == str(customer.id)
    assert model.headerData(CustomerColumn.EMAIL, Qt.Orientation.Horizontal) == "Email"


def test_customer_table_model_answers_views_as_data_does() -> None:
    # Views ask for several roles of a cell in one multiData call; it must agree with data().
    model = CustomerTableModel()
    model.set_customers([make_customer(number, email=None) for number in range(3)])
    roles = [
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.BackgroundRole,
        CUSTOMER_ID_ROLE,
        RAW_VALUE_ROLE,
    ]

    for row in range(model.rowCount()):
        for column in CustomerColumn:
            index = model.index(row, column)
            for role in roles:
                role_data = QModelRoleData(role)
                model.multiData(index, QModelRoleDataSpan(role_data))
                assert role_data.data() == model.data(index, role), (row, column, role)

    assert QModelRoleData(Qt.ItemDataRole.DisplayRole).data() is None
    display_text = QModelRoleData(Qt.ItemDataRole.DisplayRole)
    model.multiData(model.index(1, CustomerColumn.NAME), QModelRoleDataSpan(display_text))
    assert display_text.data() == "Zoë Müller 1"


def test_customer_table_model_finds_rows_by_id() -> None:
    model = CustomerTableModel()
    customers = [make_customer(number) for number in range(3)]
    model.set_customers(customers)

    assert model.row_of(customers[2].id) == 2
    assert model.row_of(UUID(int=12345)) is None
    assert model.customer_at(3) is None
    assert model.customer_at(-1) is None


class CountingTableModel(CustomerTableModel):
    """Records the rows whose texts were made."""

    def __init__(self, privacy: PrivacyGuard | None = None) -> None:
        super().__init__(privacy=privacy)
        self.made_rows: list[int] = []

    def make_row(self, row: int) -> tuple[str, ...]:
        self.made_rows.append(row)
        return super().make_row(row)


def test_customer_rows_formatted_when_first_read() -> None:
    model = CountingTableModel()
    model.set_customers([make_customer(number) for number in range(100)])
    assert model.made_rows == []

    assert model.index(7, CustomerColumn.NAME).data() == "Zoë Müller 7"
    assert model.index(7, CustomerColumn.PHONE).data() == "+44 20 7946 0907"
    assert model.made_rows == [7]

    model.set_customers([make_customer(number) for number in range(3)])
    assert model.index(2, CustomerColumn.NAME).data() == "Zoë Müller 2"
    assert model.made_rows == [7, 2]


def test_customer_rows_prepared_in_range() -> None:
    model = CountingTableModel()
    model.set_customers([make_customer(number) for number in range(30)])

    model.prepare_rows(20, 5)
    assert model.made_rows == [20, 21, 22, 23, 24]

    assert model.index(3, CustomerColumn.NAME).data() == "Zoë Müller 3"
    model.prepare_rows(0, 100)
    assert sorted(model.made_rows) == list(range(30))
    assert len(model.made_rows) == 30


def test_customer_rows_masked_when_read() -> None:
    guard = PrivacyGuard(masking_enabled=True)
    model = CustomerTableModel(privacy=guard)
    customers = [make_customer(number) for number in range(60)]
    model.set_customers(customers)
    assert model.index(0, CustomerColumn.EMAIL).data() == "c***@example.com"
    assert model.index(50, CustomerColumn.EMAIL).data() == "c***@example.com"

    guard.reveal(customers[50].id)
    assert model.index(50, CustomerColumn.EMAIL).data() == "customer50@example.com"
    assert model.index(50, CustomerColumn.PHONE).data() == "+44 20 7946 0950"
    assert model.index(0, CustomerColumn.EMAIL).data() == "c***@example.com"

    guard.conceal()
    assert model.index(50, CustomerColumn.EMAIL).data() == "c***@example.com"
    assert model.index(50, CustomerColumn.PHONE).data() == "+44******0950"
    assert model.index(49, CustomerColumn.PHONE).data(RAW_VALUE_ROLE) == "+44 20 7946 0949"


def test_cart_item_model_passes_model_tester(qtmodeltester: ModelTester) -> None:
    model = CartItemTableModel()
    model.set_cart(make_cart(4))

    qtmodeltester.check(model, force_py=True)


def test_cart_item_model_formats_money() -> None:
    model = CartItemTableModel()
    model.set_cart(make_cart(1))

    assert model.index(0, CartColumn.UNIT_PRICE).data() == "4.50\u00a0EUR"
    assert model.index(0, CartColumn.LINE_TOTAL).data() == "9.00\u00a0EUR"
    assert model.index(0, CartColumn.QUANTITY).data() == "2"


def test_cart_item_model_keeps_quantities_in_names_together() -> None:
    cart = make_cart(1)
    line = cart.items[0].model_copy(update={"product_name": "Ethiopia Yirgacheffe 250 g"})
    model = CartItemTableModel()
    model.set_cart(cart.model_copy(update={"items": [line]}))

    assert model.index(0, CartColumn.PRODUCT).data() == "Ethiopia Yirgacheffe 250\u00a0g"


def test_cart_panel_states(qtbot: QtBot) -> None:
    panel = CartPanel()
    qtbot.addWidget(panel)

    panel.show_cart(None)
    assert panel.state_label.text() == "This customer has no cart."

    panel.show_cart(make_cart(0))
    assert panel.state_label.text() == "The cart is empty."
    assert "0 items" in panel.totals.text()

    panel.show_cart(make_cart(3))
    assert panel.stack.currentWidget() is panel.items_view
    assert panel.totals.text() == "6 items · subtotal 27.00\u00a0EUR"

    # The next customer's cart is loading: the lines shown before must go at once.
    panel.show_loading()
    assert panel.items_model.rowCount() == 0
    assert panel.totals.text() == ""
    assert panel.summary.text() == "Loading cart…"

    panel.show_cart(None)
    panel.show_loading()
    assert panel.stack.currentWidget() is panel.state_label
    assert panel.state_label.text() == "Loading cart…"
