"""Filters and order of the customer list, as the client sends them to the Customers API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from vp_desk.api.models import CustomerSortField, SortOrder


@dataclass(frozen=True, slots=True)
class CustomerListQuery:
    """Filters and order of a customer-list request.

    ``None`` and an empty search term filter nothing.  ``created_from`` and ``created_to`` are
    inclusive and must be aware datetimes.  Raises ValueError for a naive datetime or for a
    ``created_from`` later than ``created_to``, which the server would reject too.
    """

    search_term: str = ""
    phone_verified: bool | None = None
    email_verified: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    sort_by: CustomerSortField = CustomerSortField.NAME
    sort_order: SortOrder = SortOrder.ASC

    def __post_init__(self) -> None:
        for name, moment in (("created_from", self.created_from), ("created_to", self.created_to)):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError(
                    f"{name} must be an aware datetime with a time zone, got {moment.isoformat()}."
                )
        if (
            self.created_from is not None
            and self.created_to is not None
            and self.created_from > self.created_to
        ):
            raise ValueError(
                f"created_from ({self.created_from.isoformat()}) is later than created_to "
                f"({self.created_to.isoformat()})."
            )

    def to_params(self) -> dict[str, str]:
        """Return the query parameters of this query; sortBy and sortOrder are always sent."""
        params: dict[str, str] = {}
        if self.search_term.strip():
            params["searchTerm"] = self.search_term
        if self.phone_verified is not None:
            params["phoneVerified"] = _boolean(self.phone_verified)
        if self.email_verified is not None:
            params["emailVerified"] = _boolean(self.email_verified)
        if self.created_from is not None:
            params["createdFrom"] = _utc_timestamp(self.created_from)
        if self.created_to is not None:
            params["createdTo"] = _utc_timestamp(self.created_to)
        params["sortBy"] = self.sort_by.value
        params["sortOrder"] = self.sort_order.value
        return params


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _utc_timestamp(moment: datetime) -> str:
    # UTC with "Z" needs no "+", which a query string would otherwise have to encode.
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
