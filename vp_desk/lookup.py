"""LookupService: turns a classified search into Customers API calls."""

from __future__ import annotations

from uuid import UUID

from vp_desk.api.client import CustomersClient
from vp_desk.api.identifiers import QueryKind, SearchQuery
from vp_desk.api.models import Cart, Customer, CustomerPage


class LookupService:
    """The one entry point of the window to customer data.

    It owns the API client, so closing the service closes the connection pool.
    """

    def __init__(self, client: CustomersClient) -> None:
        self._client = client

    async def find_customer(self, query: SearchQuery) -> Customer:
        """Look up the one customer that an id, phone or email query names."""
        match query.kind:
            case QueryKind.CUSTOMER_ID:
                return await self._client.get_customer(query.value)
            case QueryKind.PHONE:
                return await self._client.get_customer_by_phone(query.value)
            case QueryKind.EMAIL:
                return await self._client.get_customer_by_email(query.value)
            case QueryKind.TEXT:
                raise ValueError("Free text names no single customer; use list_customers.")

    async def list_customers(self, search_term: str, *, limit: int, offset: int) -> CustomerPage:
        """Fetch one page of the customers that match ``search_term`` (all when empty)."""
        return await self._client.list_customers(
            limit=limit, offset=offset, search_term=search_term or None
        )

    async def get_cart(self, customer_id: UUID) -> Cart | None:
        """Fetch the customer's current cart, or None when the customer has none."""
        return await self._client.get_cart(customer_id)

    async def aclose(self) -> None:
        """Close the API client."""
        await self._client.aclose()
