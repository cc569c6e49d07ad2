"""LookupService with a real offline store: online first, saved data during outages."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from tests.keyrings import MemoryKeyring
from vp_desk.api.client import CustomersClient
from vp_desk.api.errors import NotFoundError, UnauthorizedError
from vp_desk.api.identifiers import parse_query
from vp_desk.api.models import Customer
from vp_desk.api.queries import CustomerListQuery
from vp_desk.lookup import LookupService, NotSavedError, is_outage
from vp_desk.offline import OfflineStore
from vp_desk.sandbox.data import Dataset, Store
from vp_desk.sandbox.server import SandboxServer


@pytest.fixture
def store(sandbox_dataset: Dataset) -> Store:
    return sandbox_dataset.stores[0]


@pytest.fixture
def offline_folder(tmp_path: Path, memory_keyring: MemoryKeyring) -> Path:
    """Return a folder for offline stores, with the keyring in memory for their data keys."""
    return tmp_path / "offline"


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def open_store(folder: Path) -> OfflineStore:
    return OfflineStore.open("Coffee shop", folder=folder)


def open_customers(base_url: str, api_key: str, folder: Path, customers: list[Customer]) -> None:
    """Open each customer as the window does: find it, then load its cart."""

    async def scenario() -> None:
        service = LookupService(CustomersClient(base_url, api_key), open_store(folder))
        try:
            for customer in customers:
                found = await service.find_customer(parse_query(str(customer.id), "GB"))
                await service.get_cart(found.customer)
        finally:
            await service.aclose()

    asyncio.run(scenario())


def test_opened_customer_is_found_offline_by_phone(
    sandbox_server: SandboxServer,
    sandbox_dataset: Dataset,
    store: Store,
    offline_folder: Path,
) -> None:
    customer = next(c for c in sandbox_dataset.customers_of(store.id) if c.phone_number and c.email)
    open_customers(sandbox_server.base_url, store.api_key, offline_folder, [customer])
    assert customer.phone_number is not None

    async def offline() -> object:
        service = LookupService(
            CustomersClient(closed_port_url(), store.api_key), open_store(offline_folder)
        )
        try:
            found = await service.find_customer(parse_query(customer.phone_number or "", "GB"))
            cart = await service.get_cart(found.customer)
            return found, cart
        finally:
            await service.aclose()

    found, cart = asyncio.run(offline())  # type: ignore[misc]

    assert found.customer == customer
    assert found.freshness.stale is True
    assert found.freshness.saved_at is not None
    assert cart.cart == sandbox_dataset.cart_of(customer.id)
    assert cart.freshness.stale is True


def test_name_search_offline_uses_saved_customers(
    sandbox_server: SandboxServer,
    sandbox_dataset: Dataset,
    store: Store,
    offline_folder: Path,
) -> None:
    customers = [c for c in sandbox_dataset.customers_of(store.id) if c.last_name][:3]
    open_customers(sandbox_server.base_url, store.api_key, offline_folder, customers)

    async def offline() -> object:
        service = LookupService(
            CustomersClient(closed_port_url(), store.api_key), open_store(offline_folder)
        )
        try:
            query = CustomerListQuery(search_term=customers[0].last_name or "")
            return await service.list_customers(query, limit=25, offset=0)
        finally:
            await service.aclose()

    result = asyncio.run(offline())

    assert customers[0] in result.page.customers  # type: ignore[attr-defined]
    assert result.freshness.stale is True  # type: ignore[attr-defined]


def test_unsaved_customer_offline_is_not_saved_error(
    sandbox_dataset: Dataset, store: Store, offline_folder: Path
) -> None:
    customer = sandbox_dataset.customers_of(store.id)[0]

    async def offline() -> None:
        service = LookupService(
            CustomersClient(closed_port_url(), store.api_key), open_store(offline_folder)
        )
        try:
            await service.find_customer(parse_query(str(customer.id), "GB"))
        finally:
            await service.aclose()

    with pytest.raises(NotSavedError) as caught:
        asyncio.run(offline())

    assert is_outage(caught.value.outage)


def test_answers_are_never_replaced_by_saved_data(
    sandbox_server: SandboxServer,
    sandbox_dataset: Dataset,
    store: Store,
    offline_folder: Path,
) -> None:
    customer = sandbox_dataset.customers_of(store.id)[0]
    open_customers(sandbox_server.base_url, store.api_key, offline_folder, [customer])

    async def with_key(api_key: str) -> None:
        service = LookupService(
            CustomersClient(sandbox_server.base_url, api_key), open_store(offline_folder)
        )
        try:
            await service.find_customer(parse_query(str(customer.id), "GB"))
        finally:
            await service.aclose()

    with pytest.raises(UnauthorizedError):
        asyncio.run(with_key("sk_test_wrong"))
    other_store = sandbox_dataset.stores[1]
    with pytest.raises(NotFoundError):
        asyncio.run(with_key(other_store.api_key))


def test_probe_tells_outage_from_answer(sandbox_server: SandboxServer, store: Store) -> None:
    async def probe(base_url: str, api_key: str) -> bool:
        service = LookupService(CustomersClient(base_url, api_key))
        try:
            return await service.probe()
        finally:
            await service.aclose()

    assert asyncio.run(probe(sandbox_server.base_url, store.api_key)) is True
    assert asyncio.run(probe(sandbox_server.base_url, "sk_test_wrong")) is True
    assert asyncio.run(probe(closed_port_url(), store.api_key)) is False
