"""The Customers API client against the real sandbox over loopback HTTP."""

from __future__ import annotations

import asyncio
import importlib.abc
import socket
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import httpx
import pytest

from vp_desk.api.client import CustomersClient
from vp_desk.api.errors import (
    BadRequestError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    RequestTimeoutError,
    UnauthorizedError,
)
from vp_desk.api.models import Customer
from vp_desk.api.queries import CustomerListQuery
from vp_desk.sandbox.data import Dataset, Store
from vp_desk.sandbox.server import SandboxServer


def call[ResultT](
    base_url: str, api_key: str, work: Callable[[CustomersClient], Coroutine[Any, Any, ResultT]]
) -> ResultT:
    """Open a client, run ``work`` with it, and close it again."""

    async def scenario() -> ResultT:
        async with CustomersClient(base_url, api_key) as client:
            return await work(client)

    return asyncio.run(scenario())


@pytest.fixture
def store(sandbox_dataset: Dataset) -> Store:
    return sandbox_dataset.stores[0]


@pytest.fixture
def other_store(sandbox_dataset: Dataset) -> Store:
    return sandbox_dataset.stores[1]


@pytest.fixture
def customers(sandbox_dataset: Dataset, store: Store) -> list[Customer]:
    return list(sandbox_dataset.customers_of(store.id))


def first(customers: list[Customer], condition: Callable[[Customer], bool]) -> Customer:
    return next(customer for customer in customers if condition(customer))


def test_get_customer_by_id(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    expected = customers[0]

    found = call(sandbox_server.base_url, store.api_key, lambda c: c.get_customer(expected.id))

    assert found == expected


def test_get_customer_by_upper_case_id(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    expected = customers[1]

    found = call(
        sandbox_server.base_url,
        store.api_key,
        lambda c: c.get_customer(str(expected.id).upper()),
    )

    assert found.id == expected.id


def test_get_customer_by_phone_keeps_plus(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    expected = first(customers, lambda customer: customer.phone_number is not None)
    assert expected.phone_number is not None

    found = call(
        sandbox_server.base_url,
        store.api_key,
        lambda c: c.get_customer_by_phone(expected.phone_number or ""),
    )

    assert found.id == expected.id


def test_get_customer_by_mixed_case_email(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    expected = first(customers, lambda customer: customer.email is not None)
    assert expected.email is not None
    swapped = expected.email.swapcase()

    found = call(sandbox_server.base_url, store.api_key, lambda c: c.get_customer_by_email(swapped))

    assert found.id == expected.id


def test_get_customer_by_non_ascii_email(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    expected = first(customers, lambda customer: not (customer.email or "").isascii())
    assert expected.email is not None

    found = call(
        sandbox_server.base_url, store.api_key, lambda c: c.get_customer_by_email(expected.email)
    )

    assert found.id == expected.id


def test_get_customer_by_tagged_email(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    expected = first(customers, lambda customer: "+" in (customer.email or ""))
    assert expected.email is not None

    found = call(
        sandbox_server.base_url, store.api_key, lambda c: c.get_customer_by_email(expected.email)
    )

    assert found.id == expected.id


@pytest.mark.parametrize(
    "email", ["nobody/../x@example.com", "a#b@example.com", "a?limit=1@example.com"]
)
def test_email_with_url_characters_cannot_change_request(
    sandbox_server: SandboxServer, store: Store, email: str
) -> None:
    with pytest.raises(NotFoundError) as caught:
        call(sandbox_server.base_url, store.api_key, lambda c: c.get_customer_by_email(email))

    assert caught.value.code == "NOT_FOUND"


def test_list_customers_pages_through_store(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    async def two_pages(client: CustomersClient) -> Any:
        first_page = await client.list_customers(limit=10, offset=0)
        second_page = await client.list_customers(limit=10, offset=10)
        return first_page, second_page

    first_page, second_page = call(sandbox_server.base_url, store.api_key, two_pages)

    assert first_page.pagination.total == len(customers)
    assert first_page.pagination.has_more is True
    assert len(first_page.customers) == 10
    assert second_page.pagination.offset == 10
    first_ids = {customer.id for customer in first_page.customers}
    assert first_ids.isdisjoint(customer.id for customer in second_page.customers)


def test_list_customers_last_page_has_no_more(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    offset = len(customers) - 3

    page = call(
        sandbox_server.base_url,
        store.api_key,
        lambda c: c.list_customers(limit=10, offset=offset),
    )

    assert len(page.customers) == 3
    assert page.pagination.has_more is False


def test_list_customers_with_search_term(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    expected = first(customers, lambda customer: bool(customer.last_name))
    term = (expected.last_name or "").lower()

    page = call(
        sandbox_server.base_url,
        store.api_key,
        lambda c: c.list_customers(CustomerListQuery(search_term=term), limit=100),
    )

    assert expected.id in {customer.id for customer in page.customers}
    assert page.pagination.total < len(customers)


def test_get_cart_of_customer(
    sandbox_server: SandboxServer, sandbox_dataset: Dataset, store: Store, customers: list[Customer]
) -> None:
    expected = first(customers, lambda customer: bool(sandbox_dataset.cart_of(customer.id)))

    cart = call(sandbox_server.base_url, store.api_key, lambda c: c.get_cart(expected.id))

    assert cart == sandbox_dataset.cart_of(expected.id)


def test_get_cart_of_customer_without_cart(
    sandbox_server: SandboxServer, sandbox_dataset: Dataset, store: Store, customers: list[Customer]
) -> None:
    expected = first(customers, lambda customer: sandbox_dataset.cart_of(customer.id) is None)

    cart = call(sandbox_server.base_url, store.api_key, lambda c: c.get_cart(expected.id))

    assert cart is None


def test_unknown_key_is_unauthorized(
    sandbox_server: SandboxServer, customers: list[Customer]
) -> None:
    with pytest.raises(UnauthorizedError) as caught:
        call(sandbox_server.base_url, "sk_test_unknown", lambda c: c.get_customer(customers[0].id))

    assert caught.value.status == 401


def test_public_key_is_forbidden(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    with pytest.raises(ForbiddenError) as caught:
        call(sandbox_server.base_url, store.public_key, lambda c: c.get_customer(customers[0].id))

    assert caught.value.status == 403


def test_customer_of_other_store_is_not_found(
    sandbox_server: SandboxServer, other_store: Store, customers: list[Customer]
) -> None:
    with pytest.raises(NotFoundError) as caught:
        call(
            sandbox_server.base_url, other_store.api_key, lambda c: c.get_customer(customers[0].id)
        )

    assert caught.value.status == 404


def test_unknown_customer_is_not_found(sandbox_server: SandboxServer, store: Store) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"

    with pytest.raises(NotFoundError):
        call(sandbox_server.base_url, store.api_key, lambda c: c.get_customer(unknown))
    with pytest.raises(NotFoundError):
        call(sandbox_server.base_url, store.api_key, lambda c: c.get_cart(unknown))


@pytest.mark.parametrize("phone", ["447700900123", "+44 7700 900123", "+0123"])
def test_malformed_phone_is_bad_request(
    sandbox_server: SandboxServer, store: Store, phone: str
) -> None:
    with pytest.raises(BadRequestError) as caught:
        call(sandbox_server.base_url, store.api_key, lambda c: c.get_customer_by_phone(phone))

    assert caught.value.code == "INVALID_PARAMETER"


def test_malformed_email_is_bad_request(sandbox_server: SandboxServer, store: Store) -> None:
    with pytest.raises(BadRequestError):
        call(
            sandbox_server.base_url, store.api_key, lambda c: c.get_customer_by_email("no-at-sign")
        )


def test_long_search_term_is_bad_request(sandbox_server: SandboxServer, store: Store) -> None:
    with pytest.raises(BadRequestError) as caught:
        call(
            sandbox_server.base_url,
            store.api_key,
            lambda c: c.list_customers(CustomerListQuery(search_term="x" * 201)),
        )

    assert "searchTerm" in caught.value.server_message


def closed_port() -> int:
    """Return a loopback port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_closed_port_is_network_error() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}"

    with pytest.raises(NetworkError):
        call(base_url, "sk_test_key", lambda c: c.get_customer_by_phone("+442079460958"))


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Serve on loopback a socket that accepts connections and never sends a response."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for connection in accepted:
        connection.close()
    listener.close()


def test_silent_server_is_timeout(silent_server: str) -> None:
    async def scenario() -> None:
        timeout = httpx.Timeout(0.3)
        async with CustomersClient(silent_server, "sk_test_key", timeout=timeout) as client:
            await client.get_customer_by_phone("+442079460958")

    with pytest.raises(RequestTimeoutError):
        asyncio.run(scenario())


class ImportRecorder(importlib.abc.MetaPathFinder):
    """Records the name of every module that an import statement has to search for."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        self.searched.append(fullname)


def test_repeated_lookups_search_for_no_module(
    sandbox_server: SandboxServer, store: Store, customers: list[Customer]
) -> None:
    # A module that an import statement cannot find is searched for in every folder of
    # sys.path at each attempt, which would slow down every request.
    customer = first(customers, lambda customer: customer.email is not None)
    recorder = ImportRecorder()

    async def look_up_three_times(client: CustomersClient) -> None:
        await client.get_customer_by_email(str(customer.email))
        await client.get_cart(customer.id)
        sys.meta_path.insert(0, recorder)
        try:
            for _ in range(3):
                await client.get_customer_by_email(str(customer.email))
                await client.get_cart(customer.id)
        finally:
            sys.meta_path.remove(recorder)

    call(sandbox_server.base_url, store.api_key, look_up_three_times)

    assert recorder.searched == []
