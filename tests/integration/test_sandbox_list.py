"""Filters and order of the customer list, through the real client against the sandbox."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import httpx
import pytest

from vp_desk.api.client import CustomersClient
from vp_desk.api.errors import BadRequestError
from vp_desk.api.models import Customer, CustomerSortField, ErrorEnvelope, SortOrder
from vp_desk.api.queries import CustomerListQuery
from vp_desk.sandbox.data import CustomerRecord, Dataset, Store
from vp_desk.sandbox.server import SandboxServer

API = "/api/v1"


def call[ResultT](
    server: SandboxServer,
    api_key: str,
    work: Callable[[CustomersClient], Coroutine[Any, Any, ResultT]],
) -> ResultT:
    """Open a client on the server, run ``work`` with it, and close it again."""

    async def scenario() -> ResultT:
        async with CustomersClient(server.base_url, api_key) as client:
            return await work(client)

    return asyncio.run(scenario())


def list_all(
    server: SandboxServer, api_key: str, query: CustomerListQuery, limit: int = 100
) -> list[Customer]:
    """Page through the whole list, checking that every page reports the same total."""

    async def pages(client: CustomersClient) -> list[Customer]:
        customers: list[Customer] = []
        totals: set[int] = set()
        offset = 0
        while True:
            page = await client.list_customers(query, limit=limit, offset=offset)
            customers += page.customers
            totals.add(page.pagination.total)
            offset += limit
            if not page.pagination.has_more:
                break
        assert totals == {len(customers)}
        return customers

    return call(server, api_key, pages)


def fold(text: str | None) -> str:
    """Casefold and strip accents the way a person comparing names loosely would."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.replace("ł", "l").replace("ø", "o").replace("æ", "ae")


SORT_KEYS: dict[CustomerSortField, Callable[[Customer], tuple[Any, ...]]] = {
    CustomerSortField.NAME: lambda c: (fold(c.last_name), fold(c.first_name), str(c.id)),
    CustomerSortField.EMAIL: lambda c: (c.email is None, fold(c.email), str(c.id)),
    CustomerSortField.CREATED_AT: lambda c: (c.created_at, str(c.id)),
    CustomerSortField.UPDATED_AT: lambda c: (c.updated_at, str(c.id)),
}


def expected_order(
    customers: list[Customer], sort_by: CustomerSortField, sort_order: SortOrder
) -> list[UUID]:
    ordered = sorted(customers, key=SORT_KEYS[sort_by])
    if sort_order is SortOrder.DESC:
        ordered.reverse()
    return [customer.id for customer in ordered]


def ids(customers: list[Customer]) -> list[UUID]:
    return [customer.id for customer in customers]


@pytest.fixture(scope="module")
def store(sandbox_dataset: Dataset) -> Store:
    return sandbox_dataset.stores[0]


@pytest.fixture(scope="module")
def customers(sandbox_dataset: Dataset, store: Store) -> list[Customer]:
    return list(sandbox_dataset.customers_of(store.id))


# --- Filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("verified", [True, False])
def test_phone_verified_filter(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer], verified: bool
) -> None:
    found = list_all(sandbox_server, store.api_key, CustomerListQuery(phone_verified=verified))
    expected = {c.id for c in customers if c.is_phone_verified is verified}

    assert expected
    assert set(ids(found)) == expected
    assert len(found) == len(expected)


@pytest.mark.parametrize("verified", [True, False])
def test_email_verified_filter(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer], verified: bool
) -> None:
    found = list_all(sandbox_server, store.api_key, CustomerListQuery(email_verified=verified))
    expected = {c.id for c in customers if c.is_email_verified is verified}

    assert expected
    assert set(ids(found)) == expected
    assert len(found) == len(expected)


def test_unverified_includes_customers_without_phone(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    without_phone = {c.id for c in customers if c.phone_number is None}

    found = list_all(sandbox_server, store.api_key, CustomerListQuery(phone_verified=False))

    assert without_phone
    assert without_phone <= set(ids(found))


def test_created_range_is_inclusive(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    by_creation = sorted(customers, key=lambda c: c.created_at)
    start, end = by_creation[20].created_at, by_creation[60].created_at
    query = CustomerListQuery(created_from=start, created_to=end)

    found = list_all(sandbox_server, store.api_key, query)

    expected = {c.id for c in customers if start <= c.created_at <= end}
    assert by_creation[20].id in expected
    assert by_creation[60].id in expected
    assert set(ids(found)) == expected


def test_created_bounds_exclude_neighbours(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    moment = sorted(customers, key=lambda c: c.created_at)[30].created_at
    just_after = CustomerListQuery(created_from=moment + timedelta(microseconds=1))
    just_before = CustomerListQuery(created_to=moment - timedelta(microseconds=1))

    after = set(ids(list_all(sandbox_server, store.api_key, just_after)))
    before = set(ids(list_all(sandbox_server, store.api_key, just_before)))

    assert after == {c.id for c in customers if c.created_at > moment}
    assert before == {c.id for c in customers if c.created_at < moment}


def test_created_bound_with_other_offset(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    moment = sorted(customers, key=lambda c: c.created_at)[40].created_at
    in_tokyo = moment.astimezone(timezone(timedelta(hours=9)))

    found = list_all(sandbox_server, store.api_key, CustomerListQuery(created_from=in_tokyo))

    assert set(ids(found)) == {c.id for c in customers if c.created_at >= moment}


@pytest.mark.parametrize("sort_order", list(SortOrder))
def test_created_range_sorted_by_creation(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer], sort_order: SortOrder
) -> None:
    by_creation = sorted(customers, key=lambda c: c.created_at)
    start, end = by_creation[30].created_at, by_creation[90].created_at
    query = CustomerListQuery(
        created_from=start,
        created_to=end,
        sort_by=CustomerSortField.CREATED_AT,
        sort_order=sort_order,
    )

    found = list_all(sandbox_server, store.api_key, query, limit=7)

    chosen = [c for c in customers if start <= c.created_at <= end]
    assert len(chosen) >= 61
    assert ids(found) == expected_order(chosen, CustomerSortField.CREATED_AT, sort_order)


@pytest.mark.parametrize("sort_by", list(CustomerSortField))
def test_range_after_everyone_is_empty(
    sandbox_server: SandboxServer,
    store: Store,
    customers: list[Customer],
    sort_by: CustomerSortField,
) -> None:
    latest = max(c.created_at for c in customers)
    query = CustomerListQuery(created_from=latest + timedelta(microseconds=1), sort_by=sort_by)

    page = call(sandbox_server, store.api_key, lambda c: c.list_customers(query))

    assert page.customers == []
    assert page.pagination.total == 0


# --- Order -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sort_order", list(SortOrder))
@pytest.mark.parametrize("sort_by", list(CustomerSortField))
def test_list_sorted_by_field(
    sandbox_server: SandboxServer,
    store: Store,
    customers: list[Customer],
    sort_by: CustomerSortField,
    sort_order: SortOrder,
) -> None:
    query = CustomerListQuery(sort_by=sort_by, sort_order=sort_order)

    found = list_all(sandbox_server, store.api_key, query)

    assert ids(found) == expected_order(customers, sort_by, sort_order)


def test_default_order_is_name_ascending(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    found = list_all(sandbox_server, store.api_key, CustomerListQuery())

    assert ids(found) == expected_order(customers, CustomerSortField.NAME, SortOrder.ASC)


def test_customers_without_email_come_last(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    query = CustomerListQuery(sort_by=CustomerSortField.EMAIL)
    without_email = sum(1 for c in customers if c.email is None)

    found = list_all(sandbox_server, store.api_key, query)

    assert without_email > 0
    assert all(c.email is None for c in found[-without_email:])
    assert all(c.email is not None for c in found[:-without_email])


@pytest.mark.parametrize("sort_by", list(CustomerSortField))
@pytest.mark.parametrize("sort_order", list(SortOrder))
def test_pages_stable_across_sizes(
    sandbox_server: SandboxServer,
    store: Store,
    customers: list[Customer],
    sort_by: CustomerSortField,
    sort_order: SortOrder,
) -> None:
    query = CustomerListQuery(sort_by=sort_by, sort_order=sort_order)

    by_seven = ids(list_all(sandbox_server, store.api_key, query, limit=7))
    by_hundred = ids(list_all(sandbox_server, store.api_key, query, limit=100))

    assert by_seven == by_hundred
    assert len(set(by_seven)) == len(customers)


# --- Ties ------------------------------------------------------------------------------------

TIE_TIME = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def twin(number: int, email: str | None) -> Customer:
    """Return a customer equal to the others in every sort field but the id."""
    return Customer(
        id=UUID(int=(7 - number) << 64 | number),
        first_name="Ana",
        last_name="Lima",
        email=email,
        created_at=TIE_TIME,
        updated_at=TIE_TIME,
    )


# Distinct addresses, as a store requires, that compare equal without accents.
TWIN_EMAILS = [
    "ana.lima@example.com",
    "ána.lima@example.com",
    "àna.lima@example.com",
    "âna.lima@example.com",
]


@pytest.fixture(scope="module")
def twins_server(sandbox_dataset: Dataset) -> Iterator[tuple[SandboxServer, Store]]:
    """Serve a store whose customers differ only by id, apart from two without an e-mail."""
    store = sandbox_dataset.stores[0]
    emails = [*TWIN_EMAILS, None, None]
    twins = [twin(number, email) for number, email in enumerate(emails)]
    dataset = Dataset((store,), tuple(CustomerRecord(store.id, c) for c in twins), {})
    with SandboxServer(dataset, rate_limit=None) as server:
        yield server, store


@pytest.mark.parametrize("sort_by", list(CustomerSortField))
def test_ties_broken_by_id(
    twins_server: tuple[SandboxServer, Store], sort_by: CustomerSortField
) -> None:
    server, store = twins_server

    ascending = ids(list_all(server, store.api_key, CustomerListQuery(sort_by=sort_by), 2))
    descending = ids(
        list_all(
            server,
            store.api_key,
            CustomerListQuery(sort_by=sort_by, sort_order=SortOrder.DESC),
            2,
        )
    )

    with_email = sorted(twin(number, "").id for number in range(4))
    without_email = sorted(twin(number, "").id for number in range(4, 6))
    if sort_by is CustomerSortField.EMAIL:
        assert ascending == with_email + without_email
    else:
        assert ascending == sorted(with_email + without_email)
    assert descending == ascending[::-1]


# --- Filters with search ---------------------------------------------------------------------


def test_filters_combine_with_search(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    moment = sorted(customers, key=lambda c: c.created_at)[50].created_at
    query = CustomerListQuery(
        search_term="example.com",
        phone_verified=True,
        created_from=moment,
        sort_by=CustomerSortField.CREATED_AT,
        sort_order=SortOrder.DESC,
    )

    found = list_all(sandbox_server, store.api_key, query, limit=9)

    chosen = [
        c
        for c in customers
        if "example.com" in fold(c.email) and c.is_phone_verified and c.created_at >= moment
    ]
    assert len(chosen) > 9
    assert ids(found) == expected_order(chosen, CustomerSortField.CREATED_AT, SortOrder.DESC)


def test_search_sorted_by_email(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    query = CustomerListQuery(search_term="ma", sort_by=CustomerSortField.EMAIL)

    found = list_all(sandbox_server, store.api_key, query, limit=5)

    chosen = [
        c
        for c in customers
        if "ma" in f"{fold(c.first_name)} {fold(c.last_name)}" or "ma" in fold(c.email)
    ]
    assert len(chosen) > 5
    assert ids(found) == expected_order(chosen, CustomerSortField.EMAIL, SortOrder.ASC)


def test_filters_that_exclude_everyone(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    latest = max(c.created_at for c in customers)
    query = CustomerListQuery(search_term="a", created_from=latest + timedelta(seconds=1))

    page = call(sandbox_server, store.api_key, lambda c: c.list_customers(query))

    assert page.customers == []
    assert page.pagination.total == 0
    assert page.pagination.has_more is False


# --- Invalid values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "parts"),
    [
        ({"phoneVerified": "yes"}, ["phoneVerified", "'yes'", "true or false"]),
        ({"emailVerified": "TRUE"}, ["emailVerified", "'TRUE'", "true or false"]),
        ({"emailVerified": "1"}, ["emailVerified", "'1'", "true or false"]),
        ({"createdFrom": "2025-01-01"}, ["createdFrom", "'2025-01-01'", "2025-01-01T00:00:00Z"]),
        ({"createdTo": "2025-01-01T00:00:00"}, ["createdTo", "UTC offset"]),
        ({"createdTo": "2025-02-30T00:00:00Z"}, ["createdTo", "'2025-02-30T00:00:00Z'"]),
        ({"createdFrom": "2025-01-01T24:00:00Z"}, ["createdFrom", "T24:00:00Z'"]),
        ({"createdFrom": "2025-01-01T00:00:00+05:75"}, ["createdFrom", "+05:75'"]),
        ({"createdFrom": "2025-01-01T00:00:00+24:00"}, ["createdFrom", "+24:00'"]),
        ({"createdFrom": "tomorrow"}, ["createdFrom", "'tomorrow'"]),
        ({"createdFrom": "2025-01-01T01:00:00 01:00"}, ["createdFrom", "percent-encoded as %2B"]),
        ({"sortBy": "age"}, ["sortBy", "'age'", "name, email, createdAt, updatedAt"]),
        ({"sortBy": "Name"}, ["sortBy", "'Name'", "name, email, createdAt, updatedAt"]),
        ({"sortOrder": "up"}, ["sortOrder", "'up'", "asc, desc"]),
        ([("sortBy", "name"), ("sortBy", "email")], ["sortBy must be given once"]),
        (
            {"createdFrom": "2025-06-01T00:00:00Z", "createdTo": "2025-01-01T00:00:00Z"},
            ["createdFrom must not be later than createdTo", "2025-06-01", "2025-01-01"],
        ),
    ],
)
def test_invalid_list_parameter_rejected(
    sandbox_server: SandboxServer, store: Store, params: Any, parts: list[str]
) -> None:
    with httpx.Client(base_url=sandbox_server.base_url + API, trust_env=False) as client:
        response = client.get("/customers", params=params, headers={"X-API-Key": store.api_key})

    assert response.status_code == 400, response.text
    error = ErrorEnvelope.model_validate_json(response.content).error
    assert error.code == "INVALID_PARAMETER"
    for part in parts:
        assert part in error.message


@pytest.mark.parametrize(
    "params",
    [
        {"createdFrom": "2025-01-01T00:00:00z"},
        {"createdFrom": "2025-01-01t00:00:00.5-03:30"},
        {"createdTo": "2025-01-01T00:00:00.123456789Z"},
        {"createdFrom": "9999-12-31T23:59:59.9999999Z"},
        {"createdTo": "0001-01-01T00:00:00+01:00"},
        {"createdFrom": "2025-06-01T00:00:00Z", "createdTo": "2025-06-01T00:00:00Z"},
    ],
)
def test_valid_date_time_forms_accepted(
    sandbox_server: SandboxServer, store: Store, params: dict[str, str]
) -> None:
    with httpx.Client(base_url=sandbox_server.base_url + API, trust_env=False) as client:
        response = client.get("/customers", params=params, headers={"X-API-Key": store.api_key})

    assert response.status_code == 200, response.text


def test_range_digits_beyond_microseconds(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    moment = sorted(customers, key=lambda c: c.created_at)[10].created_at
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    params = {"createdFrom": f"{text}.0000001Z", "createdTo": f"{text}.0000009Z"}

    with httpx.Client(base_url=sandbox_server.base_url + API, trust_env=False) as client:
        response = client.get("/customers", params=params, headers={"X-API-Key": store.api_key})

    # The range lies strictly between two whole microseconds, so no customer matches.
    assert response.status_code == 200, response.text
    assert response.json()["data"]["pagination"]["total"] == 0


def test_client_reports_server_rejection(sandbox_server: SandboxServer, store: Store) -> None:
    query = CustomerListQuery(search_term="x" * 201, sort_by=CustomerSortField.EMAIL)

    with pytest.raises(BadRequestError) as caught:
        call(sandbox_server, store.api_key, lambda c: c.list_customers(query))

    assert "searchTerm" in caught.value.server_message


# --- The client's query ----------------------------------------------------------------------


def test_query_params_of_every_field() -> None:
    query = CustomerListQuery(
        search_term="rossi",
        phone_verified=True,
        email_verified=False,
        created_from=datetime(2025, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1))),
        created_to=datetime(2025, 6, 30, 23, 59, 59, 500_000, tzinfo=UTC),
        sort_by=CustomerSortField.UPDATED_AT,
        sort_order=SortOrder.DESC,
    )

    assert query.to_params() == {
        "searchTerm": "rossi",
        "phoneVerified": "true",
        "emailVerified": "false",
        "createdFrom": "2025-01-01T00:00:00Z",
        "createdTo": "2025-06-30T23:59:59.500000Z",
        "sortBy": "updatedAt",
        "sortOrder": "desc",
    }


def test_query_params_of_defaults() -> None:
    assert CustomerListQuery().to_params() == {"sortBy": "name", "sortOrder": "asc"}
    assert CustomerListQuery(search_term="  ").to_params() == {"sortBy": "name", "sortOrder": "asc"}


@pytest.mark.parametrize("field", ["created_from", "created_to"])
def test_query_rejects_naive_datetime(field: str) -> None:
    naive = datetime(2025, 1, 1)

    with pytest.raises(ValueError, match=f"{field} must be an aware datetime"):
        CustomerListQuery(**{field: naive})


def test_query_rejects_reversed_range() -> None:
    with pytest.raises(ValueError, match="later than created_to"):
        CustomerListQuery(
            created_from=datetime(2025, 6, 1, tzinfo=UTC),
            created_to=datetime(2025, 1, 1, tzinfo=UTC),
        )
