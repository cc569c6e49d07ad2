"""The trigram index of the sandbox finds exactly what a plain substring search finds."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from uuid import UUID

import pytest

from vp_desk.api.models import Customer, CustomerSortField, SortOrder
from vp_desk.sandbox.data import SHOWCASE_CUSTOMERS, Dataset, generate_dataset
from vp_desk.sandbox.database import ListCriteria, SandboxDatabase
from vp_desk.sandbox.search import fold_for_search

CUSTOMERS = 2000
SEED = 11
PHONE_LIKE = re.compile(r"[0-9+\-(). ]*[0-9][0-9+\-(). ]*")
SEPARATOR = "\x1f"


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate_dataset(CUSTOMERS, SEED)


@pytest.fixture(scope="module")
def database(dataset: Dataset) -> Iterator[SandboxDatabase]:
    with SandboxDatabase(dataset) as database:
        yield database


def reference_text(customer: Customer) -> str:
    """Return the customer's searchable fields, folded, one after the other."""
    first = fold_for_search(customer.first_name or "")
    last = fold_for_search(customer.last_name or "")
    fields = [f"{first} {last}", f"{last} {first}", fold_for_search(customer.email or "")]
    phone_digits = (customer.phone_number or "").removeprefix("+")
    return SEPARATOR.join([*fields, phone_digits])


def reference_matches(texts: dict[UUID, str], term: str) -> set[UUID]:
    """Return the ids of the customers whose text contains the term, found one by one."""
    folded = fold_for_search(term)
    digits = "".join(char for char in term if char.isdigit())
    phone_like = PHONE_LIKE.fullmatch(term) is not None
    return {
        customer_id
        for customer_id, text in texts.items()
        if folded in text or (phone_like and digits in text)
    }


def texts_of(dataset: Dataset, store_index: int) -> dict[UUID, str]:
    customers = dataset.customers_of(dataset.stores[store_index].id)
    return {customer.id: reference_text(customer) for customer in customers}


def terms_from(dataset: Dataset) -> list[str]:
    """Return varied search terms: parts of real names, e-mails and phones, and odd input."""
    rng = random.Random(5)
    customers = [record.customer for record in dataset.customers]
    terms = {
        "a",
        "e",
        "é",
        "ß",
        "z",
        "7",
        "an",
        "zq",
        "ös",
        "山",
        "山田",
        "a b",
        "rossi",
        "ROSSI",
        "giulia rossi",
        "rossi giulia",
        "müller",
        "MULLER",
        "garcía",
        "example",
        "example.com",
        "@example.org",
        ".net",
        "+44 20 7946",
        "(020) 7946",
        "020-7946-0958",
        "44",
        "+1",
        "0958",
        "zzzz",
        "qx",
        '"',
        'a"b',
        "%",
        "_",
        "\\",
        "'",
        "o'brien",
        "o'",
        "\x1f",
        "\x00",
        "a\x00b",
        "\u0131",  # dotless i
        "ǆ",
        "ﬁ",
    }
    for customer in rng.sample(customers, 80):
        first, last = customer.first_name or "", customer.last_name or ""
        email, phone = customer.email or "", customer.phone_number or ""
        start = rng.randrange(max(1, len(last)))
        terms.update(
            {
                last,
                first,
                f"{first} {last}",
                last[start : start + rng.randint(1, 4)],
                email,
                email.split("@")[0],
                email[rng.randrange(max(1, len(email))) :][:5],
                phone,
                phone[-4:],
                phone[3:9],
            }
        )
    return sorted(term for term in terms if term.strip())


@pytest.fixture(scope="module")
def terms(dataset: Dataset) -> list[str]:
    return terms_from(dataset)


def list_all(
    database: SandboxDatabase, store_id: UUID, criteria: ListCriteria, limit: int = CUSTOMERS
) -> tuple[list[UUID], set[int]]:
    """Return the ids of the whole list and the totals that its pages reported."""
    found: list[UUID] = []
    totals: set[int] = set()
    offset = 0
    while True:
        listing = database.list_customers(store_id, limit, offset, criteria)
        found += [UUID(json.loads(body)["id"]) for body in listing.customer_json]
        totals.add(listing.total)
        offset += limit
        if offset >= listing.total:
            return found, totals


@pytest.mark.parametrize("store_index", [0, 1])
def test_index_finds_what_scan_finds(
    database: SandboxDatabase, dataset: Dataset, terms: list[str], store_index: int
) -> None:
    store = dataset.stores[store_index]
    texts = texts_of(dataset, store_index)
    for term in terms:
        found, totals = list_all(database, store.id, ListCriteria(search_term=term))
        expected = reference_matches(texts, term)

        assert set(found) == expected, repr(term)
        assert len(found) == len(expected), repr(term)
        assert totals == {len(expected)}, repr(term)


def test_index_keeps_order_and_filters(
    database: SandboxDatabase, dataset: Dataset, terms: list[str]
) -> None:
    store = dataset.stores[0]
    customers = {c.id: c for c in dataset.customers_of(store.id)}
    texts = texts_of(dataset, 0)
    for term in terms[::7]:
        criteria = ListCriteria(
            search_term=term,
            email_verified=True,
            sort_by=CustomerSortField.CREATED_AT,
            sort_order=SortOrder.DESC,
        )
        found, _ = list_all(database, store.id, criteria, limit=37)
        matches = reference_matches(texts, term)
        expected = sorted(
            (customers[i] for i in matches if customers[i].is_email_verified),
            key=lambda c: (c.created_at, c.id.int),
            reverse=True,
        )

        assert found == [c.id for c in expected], repr(term)


def test_terms_take_every_plan(database: SandboxDatabase, terms: list[str]) -> None:
    plans = {term: database.plan_search(term) for term in terms}
    long_indexed = [t for t, plan in plans.items() if plan.index_query and len(t) >= 3]
    short_indexed = [t for t, plan in plans.items() if plan.index_query and len(t) < 3]
    scanned = [t for t, plan in plans.items() if plan.index_query is None]
    impossible = [t for t, plan in plans.items() if plan.matches_nothing]

    assert len(long_indexed) > 100
    assert short_indexed
    assert {"a", "e", "example", "\x00", "a\x00b"} <= set(scanned)
    assert {"zzzz", "zq", "qx"} <= set(impossible)


def test_showcase_found_through_index(database: SandboxDatabase, dataset: Dataset) -> None:
    store = dataset.stores[0]
    for entry in SHOWCASE_CUSTOMERS:
        name = entry.customer.last_name or ""

        found, _ = list_all(database, store.id, ListCriteria(search_term=name))

        assert database.plan_search(name).index_query is not None, name
        assert entry.customer.id in found, name
