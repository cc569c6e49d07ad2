"""Wire models of the Customers API, shared by the client and the sandbox."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    PlainSerializer,
)
from pydantic.alias_generators import to_camel


def _reject_float(value: Any) -> Any:
    # A float has already lost cents by the time it reaches us, so money must come as a string.
    if isinstance(value, float):
        raise ValueError("money must be a decimal string, not a JSON number")
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_reject_float),
    # Bounds keep an absurd value such as "1E-999999999" from turning into a billion-digit
    # string on screen; real currencies use at most 4 decimals.
    Field(allow_inf_nan=False, max_digits=24, decimal_places=6),
    PlainSerializer(lambda value: format(value, "f"), return_type=str),
]
"""An amount in the cart's currency, sent as a decimal string such as ``"12.50"``."""

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 alphabetic currency code."""


class WireModel(BaseModel):
    """Base of every wire model: camelCase on the wire, unknown fields ignored, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        extra="ignore",
        frozen=True,
        # Building the validators took about 10 ms of the import (python -X importtime), which
        # the window's first paint need not wait for. Each model builds its own at first use,
        # or at build_validators().
        defer_build=True,
    )


class Customer(WireModel):
    """A customer of one store."""

    id: UUID
    email: str | None = None
    phone_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_phone_verified: bool = False
    is_email_verified: bool = False
    created_at: AwareDatetime
    updated_at: AwareDatetime
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    @property
    def full_name(self) -> str:
        """The first and last name joined, or an empty string when both are missing."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class CartStatus(StrEnum):
    """The state of the customer's shopping session."""

    ACTIVE = "active"
    CHECKED_OUT = "checked_out"
    ABANDONED = "abandoned"


class CartItem(WireModel):
    """One line of a cart."""

    product_id: str
    product_name: str
    sku: str | None = None
    quantity: int = Field(ge=0)
    unit_price: Money
    line_total: Money


class Cart(WireModel):
    """A customer's current shopping cart."""

    id: UUID
    customer_id: UUID
    status: CartStatus
    currency: CurrencyCode
    items: list[CartItem] = Field(default_factory=list)
    item_count: int = Field(ge=0)
    subtotal: Money
    created_at: AwareDatetime
    updated_at: AwareDatetime


class Pagination(WireModel):
    """The position of a page in the whole filtered list."""

    limit: int = Field(ge=1, le=100)
    offset: int = Field(ge=0)
    total: int = Field(ge=0)
    has_more: bool


class CustomerPage(WireModel):
    """One page of the customer list."""

    customers: list[Customer]
    pagination: Pagination


class ErrorDetail(WireModel):
    """The machine-readable code and the human-readable message of a failed request."""

    code: str
    message: str


class ErrorEnvelope(WireModel):
    """The body of every failed response."""

    success: bool = False
    error: ErrorDetail


class CustomerEnvelope(WireModel):
    """The body of a successful single-customer response."""

    success: bool
    data: Customer


class CustomerPageEnvelope(WireModel):
    """The body of a successful customer-list response."""

    success: bool
    data: CustomerPage


class CartEnvelope(WireModel):
    """The body of a successful cart response; ``data`` is null when the customer has no cart."""

    success: bool
    data: Cart | None


class ErrorCode(StrEnum):
    """Error codes that the contract defines, one per failure the API reports."""

    INVALID_PARAMETER = "INVALID_PARAMETER"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


class CustomerSortField(StrEnum):
    """Fields that the customer list can be sorted by, as the ``sortBy`` parameter names them."""

    NAME = "name"
    EMAIL = "email"
    CREATED_AT = "createdAt"
    UPDATED_AT = "updatedAt"


class SortOrder(StrEnum):
    """Direction of the customer list, as the ``sortOrder`` parameter names it."""

    ASC = "asc"
    DESC = "desc"


def build_validators() -> None:
    """Build the validator of every wire model now, so that no look-up waits for one."""
    pending: list[type[WireModel]] = [WireModel]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model is not WireModel:
            model.model_rebuild()
