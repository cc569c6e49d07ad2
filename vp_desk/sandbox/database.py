"""SQLite storage of a sandbox dataset and the queries behind the five Customers API operations."""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from vp_desk.api.models import Customer
from vp_desk.sandbox.data import Dataset, strip_accents

_SCHEMA = """
DROP TABLE IF EXISTS carts;
DROP TABLE IF EXISTS customers;
DROP TABLE IF EXISTS stores;
CREATE TABLE stores (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    api_key TEXT NOT NULL UNIQUE,
    public_key TEXT NOT NULL UNIQUE
);
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores (id),
    phone_number TEXT,
    email_key TEXT,
    sort_last TEXT NOT NULL,
    sort_first TEXT NOT NULL,
    search_text TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE carts (
    customer_id TEXT PRIMARY KEY REFERENCES customers (id),
    body TEXT NOT NULL
);
"""

# Built after the bulk insert, which is faster than keeping them up to date row by row.  The
# unique indexes also reject a dataset with a phone number or e-mail twice in one store.
_INDEXES = """
CREATE UNIQUE INDEX customers_by_phone ON customers (store_id, phone_number);
CREATE UNIQUE INDEX customers_by_email ON customers (store_id, email_key);
CREATE INDEX customers_by_name ON customers (store_id, sort_last, sort_first, id);
"""

_LIKE_ESCAPE = "\\"
_PHONE_LIKE_TERM = re.compile(r"[0-9+\-(). ]*[0-9][0-9+\-(). ]*")
# Joins the searchable parts of a customer, so that a search term never matches across two
# parts unless it contains this character itself.
_SEARCH_PART_SEPARATOR = "\x1f"


def fold_for_search(text: str) -> str:
    """Return the text casefolded and without accents, the form in which searchTerm matches."""
    return strip_accents(text.casefold()).casefold()


def email_key(email: str) -> str:
    """Return the form in which e-mail addresses are compared: casefolded, then NFC-composed."""
    return unicodedata.normalize("NFC", email.casefold())


# Folding works character by character, so a full name folds to its folded parts joined.  The
# cache pays off because seeded names repeat.
_fold_name = cache(fold_for_search)


def _search_text(customer: Customer) -> str:
    first = _fold_name(customer.first_name or "")
    last = _fold_name(customer.last_name or "")
    parts = [f"{first} {last}", f"{last} {first}"]
    if customer.email is not None:
        parts.append(fold_for_search(customer.email))
    if customer.phone_number is not None:
        parts.append(customer.phone_number.removeprefix("+"))
    return _SEARCH_PART_SEPARATOR.join(parts)


def _like_pattern(term: str) -> str:
    escaped = (
        term.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def _search_patterns(search_term: str) -> tuple[str, str]:
    """Return the LIKE patterns of a search term: its folded text and, for a phone, its digits.

    "+44 20 7946" finds +442079460958 through the second pattern.  A term that does not look
    like a phone number gets its folded text twice, which matches the same rows.
    """
    folded = _like_pattern(fold_for_search(search_term))
    if _PHONE_LIKE_TERM.fullmatch(search_term) is None:
        return folded, folded
    digits = "".join(char for char in search_term if char.isdigit())
    return folded, _like_pattern(digits)


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """The store that an API key belongs to, and whether the key is its public one."""

    store_id: UUID
    is_public_key: bool


@dataclass(frozen=True, slots=True)
class CustomerListing:
    """One page of customers as JSON texts, and the count of all customers that match."""

    customer_json: list[str]
    total: int


@dataclass(frozen=True, slots=True)
class CartLookup:
    """The cart of a customer who exists, as JSON text, or None when the customer has no cart."""

    cart_json: str | None


class SandboxDatabase:
    """SQLite copy of a dataset that runs the sandbox's queries.

    Customers and carts are stored as the JSON text that their wire models produce, so a
    response needs no serialisation.  Every query takes the same lock, so threads can share
    the connection.
    """

    def __init__(self, dataset: Dataset, path: str | Path = ":memory:") -> None:
        """Load the dataset into an in-memory database, or into the file at ``path``.

        In a file that already contains the sandbox tables, they are dropped and rebuilt.
        """
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(path, check_same_thread=False)
        try:
            self._load(dataset)
        except BaseException:
            self._connection.close()
            raise

    def _load(self, dataset: Dataset) -> None:
        connection = self._connection
        with connection:
            connection.executescript(_SCHEMA)
            connection.executemany(
                "INSERT INTO stores VALUES (?, ?, ?, ?)",
                (
                    (str(store.id), store.name, store.api_key, store.public_key)
                    for store in dataset.stores
                ),
            )
            connection.executemany(
                "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _customer_rows(dataset)
            )
            connection.executemany(
                "INSERT INTO carts VALUES (?, ?)",
                (
                    (str(customer_id), cart.model_dump_json())
                    for customer_id, cart in dataset.carts.items()
                ),
            )
            connection.executescript(_INDEXES)

    def close(self) -> None:
        """Close the connection; later queries raise sqlite3.ProgrammingError."""
        with self._lock:
            self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def find_key_owner(self, api_key: str) -> KeyOwner | None:
        """Return the store whose private or public key this is, or None for an unknown key."""
        row = self._fetch_one(
            "SELECT id, public_key = ? FROM stores WHERE api_key = ? OR public_key = ?",
            (api_key, api_key, api_key),
        )
        if row is None:
            return None
        return KeyOwner(store_id=UUID(row[0]), is_public_key=bool(row[1]))

    def get_customer(self, store_id: UUID, customer_id: UUID) -> str | None:
        """Return the customer's JSON, or None when the store has no customer with that id."""
        row = self._fetch_one(
            "SELECT body FROM customers WHERE id = ? AND store_id = ?",
            (str(customer_id), str(store_id)),
        )
        return None if row is None else str(row[0])

    def find_by_phone(self, store_id: UUID, phone_number: str) -> str | None:
        """Return the JSON of the store's customer with this E.164 number, or None."""
        row = self._fetch_one(
            "SELECT body FROM customers WHERE store_id = ? AND phone_number = ?",
            (str(store_id), phone_number),
        )
        return None if row is None else str(row[0])

    def find_by_email(self, store_id: UUID, email: str) -> str | None:
        """Return the JSON of the store's customer with this e-mail, ignoring case, or None."""
        row = self._fetch_one(
            "SELECT body FROM customers WHERE store_id = ? AND email_key = ?",
            (str(store_id), email_key(email)),
        )
        return None if row is None else str(row[0])

    def list_customers(
        self, store_id: UUID, limit: int, offset: int, search_term: str | None = None
    ) -> CustomerListing:
        """Return one page of the store's customers by last name, first name and id.

        Names compare casefolded and without accents.  A search term keeps the customers whose
        first, last or full name or e-mail contains it, compared the same way, or whose phone
        number contains its digits.
        """
        where = "store_id = ?"
        parameters: tuple[str, ...] = (str(store_id),)
        if search_term:
            where += " AND (search_text LIKE ? ESCAPE '\\' OR search_text LIKE ? ESCAPE '\\')"
            parameters += _search_patterns(search_term)

        with self._lock:
            total = self._connection.execute(
                f"SELECT COUNT(*) FROM customers WHERE {where}",  # noqa: S608
                parameters,
            ).fetchone()[0]
            rows = self._connection.execute(
                f"SELECT body FROM customers WHERE {where} "  # noqa: S608
                "ORDER BY sort_last, sort_first, id LIMIT ? OFFSET ?",
                (*parameters, limit, offset),
            ).fetchall()
        return CustomerListing(customer_json=[str(row[0]) for row in rows], total=int(total))

    def get_cart(self, store_id: UUID, customer_id: UUID) -> CartLookup | None:
        """Return the customer's cart lookup, or None when the store has no such customer."""
        row = self._fetch_one(
            "SELECT carts.body FROM customers LEFT JOIN carts ON carts.customer_id = customers.id "
            "WHERE customers.id = ? AND customers.store_id = ?",
            (str(customer_id), str(store_id)),
        )
        if row is None:
            return None
        return CartLookup(cart_json=None if row[0] is None else str(row[0]))

    def _fetch_one(self, sql: str, parameters: tuple[str, ...]) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._connection.execute(sql, parameters).fetchone()
        return row


def _customer_rows(dataset: Dataset) -> Iterator[tuple[str | None, ...]]:
    for record in dataset.customers:
        customer = record.customer
        yield (
            str(customer.id),
            str(record.store_id),
            customer.phone_number,
            None if customer.email is None else email_key(customer.email),
            _fold_name(customer.last_name or ""),
            _fold_name(customer.first_name or ""),
            _search_text(customer),
            customer.model_dump_json(),
        )
