"""Rows of the snapshots table: their columns, times and decrypted plaintext."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from pydantic import BaseModel, ValidationError

from vp_desk.api.models import Cart, Customer
from vp_desk.offline.snapshots import CustomerSnapshot

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
ROW_COLUMNS = "id, id_hash, saved_at, last_used_at, pinned, payload"


class _Payload(BaseModel):
    """The plaintext of one snapshot, as JSON inside the AES-GCM ciphertext."""

    customer: Customer
    cart: Cart | None


class Row(NamedTuple):
    """One row as ``ROW_COLUMNS`` selects it."""

    rowid: int
    id_hash: bytes
    saved_at: int
    last_used_at: int
    pinned: int
    payload: bytes


class _CustomerView(BaseModel):
    """The customer part of a snapshot's plaintext; the cart is skipped, not validated."""

    customer: Customer


class InvalidPayloadError(Exception):
    """A decrypted snapshot that is not a valid customer and cart."""


def encode_payload(customer: Customer, cart: Cart | None) -> bytes:
    """Return the plaintext of a snapshot: JSON of the customer and cart, as UTF-8."""
    return _Payload(customer=customer, cart=cart).model_dump_json().encode("utf-8")


def read_customer(plaintext: bytes) -> Customer:
    """Return the customer of a decrypted snapshot, or raise InvalidPayloadError."""
    try:
        return _CustomerView.model_validate_json(plaintext).customer
    except ValidationError as error:
        raise InvalidPayloadError(_describe(error)) from None


def read_snapshot(row: Row, plaintext: bytes) -> CustomerSnapshot:
    """Return the snapshot of a row from its decrypted payload, or raise InvalidPayloadError."""
    try:
        payload = _Payload.model_validate_json(plaintext)
    except ValidationError as error:
        raise InvalidPayloadError(_describe(error)) from None

    return CustomerSnapshot(
        customer=payload.customer,
        cart=payload.cart,
        saved_at=from_micros(row.saved_at),
        last_used_at=from_micros(row.last_used_at),
        pinned=bool(row.pinned),
    )


def _describe(error: ValidationError) -> str:
    # The message of a ValidationError quotes the customer data, so only the count is kept.
    return f"the decrypted snapshot has {error.error_count()} invalid fields"


def to_micros(moment: datetime) -> int:
    """Return an aware time as the stored integer: microseconds since the Unix epoch."""
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """Return the UTC time that a stored integer stands for."""
    return _EPOCH + micros * _MICROSECOND
