"""SQLite index of a sandbox dataset and the queries behind the five Customers API operations."""

from __future__ import annotations

import sqlite3
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from vp_desk.api.models import Customer, CustomerSortField, SortOrder
from vp_desk.sandbox.data import Dataset, garbage_collection_paused
from vp_desk.sandbox.search import (
    SearchPlan,
    SearchPlanner,
    email_key,
    fold_for_search,
    fold_name,
    search_text,
)

_SCHEMA = """
DROP TABLE IF EXISTS customer_search;
DROP TABLE IF EXISTS carts;
DROP TABLE IF EXISTS customer_list;
DROP TABLE IF EXISTS customers;
DROP TABLE IF EXISTS stores;
CREATE TABLE stores (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    api_key TEXT NOT NULL UNIQUE,
    public_key TEXT NOT NULL UNIQUE
);
CREATE TABLE customers (
    name_rank INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    store_id TEXT NOT NULL REFERENCES stores (id),
    phone_number TEXT,
    email_key TEXT
);
CREATE TABLE customer_list (
    name_rank INTEGER PRIMARY KEY REFERENCES customers (name_rank),
    phone_verified INTEGER NOT NULL,
    email_verified INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    email_rank INTEGER NOT NULL,
    created_rank INTEGER NOT NULL,
    updated_rank INTEGER NOT NULL,
    search_text TEXT NOT NULL
);
"""

# Built after the bulk insert, which is faster than keeping them up to date row by row.  The
# unique indexes also reject a dataset with a phone number or e-mail twice in one store.
_INDEXES = """
CREATE UNIQUE INDEX customers_by_phone ON customers (store_id, phone_number);
CREATE UNIQUE INDEX customers_by_email ON customers (store_id, email_key);
CREATE UNIQUE INDEX customer_list_by_email ON customer_list (email_rank);
CREATE UNIQUE INDEX customer_list_by_created ON customer_list (created_rank);
CREATE UNIQUE INDEX customer_list_by_updated ON customer_list (updated_rank);
"""

# The trigram tokenizer shipped with SQLite 3.34.0.  case_sensitive 1 leaves the text as it is,
# because search texts are folded already, so a match is exactly a substring.  detail=none
# keeps only which rows contain each trigram, because the queries never ask where.
_SEARCH_INDEX = """
CREATE VIRTUAL TABLE customer_search USING fts5(
    search_text,
    content='customer_list',
    content_rowid='name_rank',
    tokenize='trigram case_sensitive 1',
    detail=none
);
INSERT INTO customer_search (customer_search) VALUES ('rebuild');
CREATE VIRTUAL TABLE temp.customer_search_vocabulary
    USING fts5vocab(main, customer_search, 'row');
"""

COUNT_CACHE_SIZE = 256
"""Counts of recent list filters that the database keeps, oldest dropped first.

Every page of one search needs the same count, and the data never changes, so a kept count
stays right.  Counting a broad search term at 100 000 customers took 10 ms on a 2-core machine.
"""

_SORT_COLUMNS = {
    CustomerSortField.NAME: "name_rank",
    CustomerSortField.EMAIL: "email_rank",
    CustomerSortField.CREATED_AT: "created_rank",
    CustomerSortField.UPDATED_AT: "updated_rank",
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def timestamp_microseconds(moment: datetime) -> int:
    """Return an aware datetime as whole microseconds since 1970-01-01T00:00:00Z."""
    return (moment - _EPOCH) // _MICROSECOND


@dataclass(frozen=True, slots=True)
class ListCriteria:
    """Filters and order of the customer list.

    ``None`` filters nothing.  ``created_from`` and ``created_to`` are aware datetimes and both
    inclusive.  Every order breaks ties by id, and DESC is the exact reverse of ASC.
    """

    search_term: str | None = None
    phone_verified: bool | None = None
    email_verified: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    sort_by: CustomerSortField = CustomerSortField.NAME
    sort_order: SortOrder = SortOrder.ASC


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


@dataclass(frozen=True, slots=True)
class _ListQuery:
    count_sql: str
    count_parameters: tuple[object, ...]
    page_sql: str
    page_parameters: tuple[object, ...]
    """The parameters before LIMIT and OFFSET."""


class SandboxDatabase:
    """SQLite index of a dataset that runs the sandbox's queries.

    The tables hold what the queries filter, sort and search by.  The responses are the JSON
    texts of the dataset's wire models, made on first use and then kept, because making all
    of them took about a quarter of the start-up time at 10 000 customers.  Every query takes
    the same lock, so threads can share the connection.

    Each store's customers get consecutive ranks in every list order, starting at the same
    number, so a range of ranks selects one store and an index on a rank column serves that
    order.  The name rank is also the rowid of ``customers``, ``customer_list`` and the trigram
    index ``customer_search``.
    """

    def __init__(self, dataset: Dataset, path: str | Path = ":memory:") -> None:
        """Load the dataset into an in-memory database, or into the file at ``path``.

        In a file that already contains the sandbox tables, they are dropped and rebuilt.
        """
        self._lock = threading.Lock()
        self._store_ranks: dict[UUID, tuple[int, int]] = {}
        # Each store's creation times in microseconds, in the order of their created ranks.
        self._creation_times: dict[UUID, list[int]] = {}
        # Indexed by name rank, which starts at 1.
        self._customers: list[Customer | None] = [None]
        self._customer_json: list[str | None] = [None]
        self._carts = dataset.carts
        self._cart_json: dict[UUID, str] = {}
        self._counts: dict[tuple[UUID, ListCriteria], int] = {}
        self._connection = sqlite3.connect(path, check_same_thread=False)
        try:
            # The load makes a few lasting objects per customer, as garbage_collection_paused
            # explains.
            with garbage_collection_paused():
                self._load(dataset)
            self._planner = SearchPlanner(self._trigram_counts(), len(dataset.customers))
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

            for store in dataset.stores:
                first_rank = len(self._customers)
                customers = sorted(dataset.customers_of(store.id), key=_name_key)
                self._customers += customers
                self._store_ranks[store.id] = (first_rank, first_rank + len(customers) - 1)
                created = _insert_store_customers(connection, store.id, customers, first_rank)
                self._creation_times[store.id] = sorted(created)

            self._customer_json += [None] * (len(self._customers) - 1)
            connection.executescript(_INDEXES)
            connection.executescript(_SEARCH_INDEX)

    def _trigram_counts(self) -> dict[str, int]:
        # fts5vocab counts a trigram's rows by walking its list, which takes milliseconds for
        # common trigrams, so the counts are read once here rather than at each search.
        with self._connection:
            rows = self._connection.execute(
                "SELECT term, doc FROM temp.customer_search_vocabulary"
            ).fetchall()
            self._connection.execute("DROP TABLE temp.customer_search_vocabulary")
        return {str(term): int(count) for term, count in rows}

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
            "SELECT name_rank FROM customers WHERE id = ? AND store_id = ?",
            (str(customer_id), str(store_id)),
        )
        return None if row is None else self._customer_body(int(row[0]))

    def find_by_phone(self, store_id: UUID, phone_number: str) -> str | None:
        """Return the JSON of the store's customer with this E.164 number, or None."""
        row = self._fetch_one(
            "SELECT name_rank FROM customers WHERE store_id = ? AND phone_number = ?",
            (str(store_id), phone_number),
        )
        return None if row is None else self._customer_body(int(row[0]))

    def find_by_email(self, store_id: UUID, email: str) -> str | None:
        """Return the JSON of the store's customer with this e-mail, ignoring case, or None."""
        row = self._fetch_one(
            "SELECT name_rank FROM customers WHERE store_id = ? AND email_key = ?",
            (str(store_id), email_key(email)),
        )
        return None if row is None else self._customer_body(int(row[0]))

    def list_customers(
        self,
        store_id: UUID,
        limit: int,
        offset: int,
        criteria: ListCriteria | None = None,
    ) -> CustomerListing:
        """Return one page of the store's customers that meet the criteria, and their count.

        Without criteria, the page lists every customer by name.  Names and e-mails compare
        casefolded and without accents.  A search term keeps the customers whose first, last
        or full name or e-mail contains it, compared the same way, or whose phone number
        contains its digits.
        """
        criteria = criteria or ListCriteria()
        query = self._list_query(store_id, criteria)
        if query is None:
            return CustomerListing(customer_json=[], total=0)

        # The order does not change the count, so all orders of one filter share an entry.
        count_key = (
            store_id,
            replace(criteria, sort_by=CustomerSortField.NAME, sort_order=SortOrder.ASC),
        )
        with self._lock:
            total = self._counts.get(count_key)
            if total is None:
                total = self._count(query)
                self._counts[count_key] = total
                if len(self._counts) > COUNT_CACHE_SIZE:
                    del self._counts[next(iter(self._counts))]
            rows = self._connection.execute(
                query.page_sql, (*query.page_parameters, limit, offset)
            ).fetchall()
        customer_json = [self._customer_body(int(row[0])) for row in rows]
        return CustomerListing(customer_json=customer_json, total=total)

    def _count(self, query: _ListQuery) -> int:
        row = self._connection.execute(query.count_sql, query.count_parameters).fetchone()
        return int(row[0])

    def plan_search(self, search_term: str) -> SearchPlan:
        """Return how list_customers finds the matches of a search term that is not blank."""
        return self._planner.plan(search_term)

    def _list_query(self, store_id: UUID, criteria: ListCriteria) -> _ListQuery | None:
        ranks = self._store_ranks.get(store_id)
        if ranks is None or ranks[0] > ranks[1]:
            return None

        plan = None
        if criteria.search_term:
            plan = self._planner.plan(criteria.search_term)
            if plan.matches_nothing:
                return None

        sort_ranks = ranks
        if criteria.sort_by is CustomerSortField.CREATED_AT:
            sort_ranks = self._created_ranks(store_id, ranks[0], criteria)
            if sort_ranks[0] > sort_ranks[1]:
                return None
        return _build_list_query(ranks, sort_ranks, plan, criteria)

    def _created_ranks(
        self, store_id: UUID, first_rank: int, criteria: ListCriteria
    ) -> tuple[int, int]:
        """Return the created ranks of the store's customers created within the criteria's range.

        A page by creation time then reads only that part of its index, rather than every
        customer created before the range, which took 24 ms at 100 000 customers.
        """
        times = self._creation_times[store_id]
        start, end = 0, len(times)
        if criteria.created_from is not None:
            start = bisect_left(times, timestamp_microseconds(criteria.created_from))
        if criteria.created_to is not None:
            end = bisect_right(times, timestamp_microseconds(criteria.created_to))
        return first_rank + start, first_rank + end - 1

    def get_cart(self, store_id: UUID, customer_id: UUID) -> CartLookup | None:
        """Return the customer's cart lookup, or None when the store has no such customer."""
        row = self._fetch_one(
            "SELECT 1 FROM customers WHERE id = ? AND store_id = ?",
            (str(customer_id), str(store_id)),
        )
        if row is None:
            return None

        cart = self._carts.get(customer_id)
        if cart is None:
            return CartLookup(cart_json=None)
        cart_json = self._cart_json.get(customer_id)
        if cart_json is None:
            # Two threads may both make it; the texts are equal, so either one is kept.
            cart_json = self._cart_json[customer_id] = cart.model_dump_json()
        return CartLookup(cart_json=cart_json)

    def _customer_body(self, name_rank: int) -> str:
        body = self._customer_json[name_rank]
        if body is None:
            customer = self._customers[name_rank]
            assert customer is not None, f"no customer has the name rank {name_rank}"
            body = self._customer_json[name_rank] = customer.model_dump_json()
        return body

    def _fetch_one(self, sql: str, parameters: tuple[str, ...]) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._connection.execute(sql, parameters).fetchone()
        return row


_Condition = tuple[str, tuple[object, ...]]


def _build_list_query(
    ranks: tuple[int, int],
    sort_ranks: tuple[int, int],
    plan: SearchPlan | None,
    criteria: ListCriteria,
) -> _ListQuery:
    """Build the count and page queries of one store's list.

    ``ranks`` is the store's rank range, and ``sort_ranks`` the part of it, in the rank of the
    sort field, that can contain matches.
    """
    conditions: list[_Condition] = []
    if plan is not None:
        # The trigram index finds candidates, and instr() keeps those that contain a pattern.
        matches = " OR ".join("instr(c.search_text, ?) > 0" for _ in plan.patterns)
        conditions.append((f"({matches})", plan.patterns))
    conditions += [(condition, (value,)) for condition, value in _filter_conditions(criteria)]

    sort_column = _SORT_COLUMNS[criteria.sort_by]
    if plan is not None and plan.index_query is not None:
        source = (
            "customer_search CROSS JOIN customer_list AS c ON c.name_rank = customer_search.rowid"
        )
        in_store: list[_Condition] = [
            ("customer_search MATCH ?", (plan.index_query,)),
            ("customer_search.rowid BETWEEN ? AND ?", ranks),
        ]
        count_conditions = page_conditions = in_store + conditions
    else:
        source = "customer_list AS c"
        # A count reads all of the store's rows, which is fastest in rowid order.  A page
        # follows the index of its order, so it stops once it has enough rows.
        count_conditions = [("c.name_rank BETWEEN ? AND ?", ranks), *conditions]
        page_conditions = [(f"c.{sort_column} BETWEEN ? AND ?", sort_ranks), *conditions]

    direction = "DESC" if criteria.sort_order is SortOrder.DESC else "ASC"
    count_sql, count_parameters = _select("COUNT(*)", source, count_conditions, "")
    page_sql, page_parameters = _select(
        "c.name_rank", source, page_conditions, f"ORDER BY c.{sort_column} {direction}"
    )
    return _ListQuery(count_sql, count_parameters, page_sql + " LIMIT ? OFFSET ?", page_parameters)


def _select(
    columns: str, source: str, conditions: Sequence[_Condition], order: str
) -> tuple[str, tuple[object, ...]]:
    where = " AND ".join(condition for condition, _ in conditions)
    parameters = tuple(value for _, values in conditions for value in values)
    sql = f"SELECT {columns} FROM {source} WHERE {where} {order}"  # noqa: S608
    return sql.rstrip(), parameters


def _filter_conditions(criteria: ListCriteria) -> Iterator[tuple[str, object]]:
    if criteria.phone_verified is not None:
        yield "c.phone_verified = ?", int(criteria.phone_verified)
    if criteria.email_verified is not None:
        yield "c.email_verified = ?", int(criteria.email_verified)
    if criteria.created_from is not None:
        yield "c.created_at >= ?", timestamp_microseconds(criteria.created_from)
    if criteria.created_to is not None:
        yield "c.created_at <= ?", timestamp_microseconds(criteria.created_to)


# --- Loading ---------------------------------------------------------------------------------


def _name_key(customer: Customer) -> tuple[str, str, int]:
    # UUIDs compare by their 128-bit value, which is the order of their canonical text.
    last, first = customer.last_name or "", customer.first_name or ""
    return (fold_name(last), fold_name(first), customer.id.int)


def _ranks(keys: Sequence[Any], first_rank: int) -> list[int]:
    """Return the rank of each key in ascending order, counted from ``first_rank``."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    ranks = [0] * len(keys)
    for rank, index in enumerate(order, start=first_rank):
        ranks[index] = rank
    return ranks


def _insert_store_customers(
    connection: sqlite3.Connection,
    store_id: UUID,
    customers: Sequence[Customer],
    first_rank: int,
) -> list[int]:
    """Insert one store's customers, sorted by name, ranked from ``first_rank`` in every order.

    Returns their creation times in microseconds, in the order of ``customers``.
    """
    ids = [customer.id.int for customer in customers]
    created = [timestamp_microseconds(customer.created_at) for customer in customers]
    updated = [timestamp_microseconds(customer.updated_at) for customer in customers]
    # Customers without an e-mail come last in ascending order.
    emails = [
        (customer.email is None, fold_for_search(customer.email or ""), id_number)
        for customer, id_number in zip(customers, ids, strict=True)
    ]
    email_ranks = _ranks(emails, first_rank)
    created_ranks = _ranks(list(zip(created, ids, strict=True)), first_rank)
    updated_ranks = _ranks(list(zip(updated, ids, strict=True)), first_rank)

    store = str(store_id)
    connection.executemany(
        "INSERT INTO customers VALUES (?, ?, ?, ?, ?)",
        (
            (
                first_rank + index,
                str(customer.id),
                store,
                customer.phone_number,
                None if customer.email is None else email_key(customer.email),
            )
            for index, customer in enumerate(customers)
        ),
    )
    connection.executemany(
        "INSERT INTO customer_list VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                first_rank + index,
                int(customer.is_phone_verified),
                int(customer.is_email_verified),
                created[index],
                email_ranks[index],
                created_ranks[index],
                updated_ranks[index],
                search_text(customer),
            )
            for index, customer in enumerate(customers)
        ),
    )
    return created
