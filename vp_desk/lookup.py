"""LookupService: online first, with the offline store as the fallback during outages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from vp_desk.api.client import CustomersClient
from vp_desk.api.errors import (
    ApiError,
    NetworkError,
    RequestTimeoutError,
    ServerError,
)
from vp_desk.api.identifiers import SearchQuery
from vp_desk.api.models import Cart, Customer, CustomerPage, Pagination
from vp_desk.api.queries import CustomerListQuery
from vp_desk.api.query_kinds import QueryKind
from vp_desk.offline import CustomerSnapshot, OfflineStore, OfflineStoreError

logger = logging.getLogger("vp_desk.lookup")

OUTAGE_STATUSES = frozenset({502, 503, 504})
"""Statuses of gateways and overloaded servers: the store's API itself sent no response."""


def is_outage(error: BaseException) -> bool:
    """Tell whether ``error`` means the server is out of reach, as opposed to a response.

    400, 401, 403 and 404 are responses of a reachable server, so they never count.
    """
    if isinstance(error, NetworkError | RequestTimeoutError):
        return True
    return isinstance(error, ServerError) and error.status in OUTAGE_STATUSES


@dataclass(frozen=True, slots=True)
class Freshness:
    """Whether a result came from the server or from saved data, and when that was saved."""

    stale: bool = False
    saved_at: datetime | None = None


LIVE = Freshness()


@dataclass(frozen=True, slots=True)
class CustomerResult:
    """A customer found by id, phone or email."""

    customer: Customer
    freshness: Freshness = LIVE


@dataclass(frozen=True, slots=True)
class CartResult:
    """A customer's cart, or None when the customer has none."""

    cart: Cart | None
    freshness: Freshness = LIVE


@dataclass(frozen=True, slots=True)
class PageResult:
    """One page of the customer list."""

    page: CustomerPage
    freshness: Freshness = LIVE


class NotSavedError(ApiError):
    """The server is out of reach and the offline store has nothing for the request."""

    def __init__(self, outage: ApiError) -> None:
        super().__init__(f"No saved data while the server is out of reach ({outage}).")
        self.outage = outage


class LookupService:
    """The one entry point of the window to customer data.

    Every customer whose cart is loaded is saved to the offline store. During an outage
    (see ``is_outage``) results come from that store, marked stale with their saving time.
    The service owns the API client and the store, so ``aclose`` closes both.
    """

    def __init__(self, client: CustomersClient, store: OfflineStore | None = None) -> None:
        self._client = client
        self._store = store

    @property
    def store(self) -> OfflineStore | None:
        """The offline store, or None when the service keeps no saved data."""
        return self._store

    async def find_customer(self, query: SearchQuery) -> CustomerResult:
        """Look up the one customer that an id, phone or email query names."""
        try:
            customer = await self._fetch_customer(query)
        except ApiError as error:
            snapshot = self._saved_or_raise(error, lambda store: _find_saved(store, query))
            return CustomerResult(snapshot.customer, _stale(snapshot))
        return CustomerResult(customer)

    async def _fetch_customer(self, query: SearchQuery) -> Customer:
        match query.kind:
            case QueryKind.CUSTOMER_ID:
                return await self._client.get_customer(query.value)
            case QueryKind.PHONE:
                return await self._client.get_customer_by_phone(query.value)
            case QueryKind.EMAIL:
                return await self._client.get_customer_by_email(query.value)
            case QueryKind.TEXT:
                raise ValueError("Free text names no single customer; use list_customers.")

    async def list_customers(
        self, query: CustomerListQuery, *, limit: int, offset: int
    ) -> PageResult:
        """Fetch one page of the customers that ``query`` selects, in its order."""
        try:
            page = await self._client.list_customers(query, limit=limit, offset=offset)
        except ApiError as error:
            if not is_outage(error) or self._store is None:
                raise
            return self._saved_page(query.search_term, limit)
        return PageResult(page)

    async def get_cart(
        self, customer: Customer, *, on_sent: Callable[[], None] | None = None
    ) -> CartResult:
        """Fetch the customer's current cart and save both for offline use.

        ``on_sent`` is called when the request has been written, as the client's get_cart
        describes; a cart served from saved data never calls it.
        """
        try:
            cart = await self._client.get_cart(customer.id, on_sent=on_sent)
        except ApiError as error:
            snapshot = self._saved_or_raise(error, lambda store: store.find_by_id(customer.id))
            return CartResult(snapshot.cart, _stale(snapshot))

        self._save(customer, cart)
        return CartResult(cart)

    async def probe(self) -> bool:
        """Tell whether the server responds again; any response but an outage counts."""
        try:
            await self._client.list_customers(limit=1)
        except ApiError as error:
            return not is_outage(error)
        return True

    def recent(self, limit: int) -> list[CustomerSnapshot]:
        """Return the recently opened customers, pinned first, then newest first."""
        if self._store is None:
            return []
        return self._store.recent(limit)

    def set_pinned(self, customer_id: UUID, pinned: bool) -> None:
        """Pin a recent customer to the top of the list, or unpin them."""
        if self._store is not None:
            self._store.set_pinned(customer_id, pinned)

    def clear_recent(self) -> None:
        """Delete every saved customer of the profile, and the key that encrypted them."""
        if self._store is not None:
            self._store.clear()

    def saved(self, customer_id: UUID) -> CustomerSnapshot | None:
        """Return the saved snapshot of a customer, or None."""
        return None if self._store is None else self._store.find_by_id(customer_id)

    async def aclose(self) -> None:
        """Close the API client and the offline store."""
        await self._client.aclose()
        if self._store is not None:
            self._store.close()

    def _saved_or_raise(
        self, error: ApiError, find: Callable[[OfflineStore], CustomerSnapshot | None]
    ) -> CustomerSnapshot:
        if not is_outage(error) or self._store is None:
            raise error
        snapshot = find(self._store)
        if snapshot is None:
            raise NotSavedError(error) from error
        logger.info("Server out of reach (%s); returned saved data", type(error).__name__)
        return snapshot

    def _saved_page(self, search_term: str, limit: int) -> PageResult:
        assert self._store is not None
        snapshots = (
            self._store.search(search_term, limit) if search_term else self._store.recent(limit)
        )
        customers = [snapshot.customer for snapshot in snapshots]
        pagination = Pagination(limit=limit, offset=0, total=len(customers), has_more=False)
        oldest = min((snapshot.saved_at for snapshot in snapshots), default=None)
        return PageResult(
            CustomerPage(customers=customers, pagination=pagination),
            Freshness(stale=True, saved_at=oldest),
        )

    def _save(self, customer: Customer, cart: Cart | None) -> None:
        if self._store is None:
            return
        try:
            self._store.save(customer, cart)
        except OfflineStoreError as error:
            # Saving is a convenience for later outages; the look-up itself succeeded.
            logger.warning("Could not save the customer for offline use: %s", error)


def _find_saved(store: OfflineStore, query: SearchQuery) -> CustomerSnapshot | None:
    match query.kind:
        case QueryKind.CUSTOMER_ID:
            return store.find_by_id(UUID(query.value))
        case QueryKind.PHONE:
            return store.find_by_phone(query.value)
        case QueryKind.EMAIL:
            return store.find_by_email(query.value)
        case QueryKind.TEXT:
            return None


def _stale(snapshot: CustomerSnapshot) -> Freshness:
    return Freshness(stale=True, saved_at=snapshot.saved_at)
