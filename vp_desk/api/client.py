"""Async client of the Customers API on one shared httpx connection pool."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self
from uuid import UUID

import httpx
from pydantic import BaseModel, ValidationError

from vp_desk import __version__
from vp_desk.api.errors import (
    ApiStatusError,
    InvalidResponseError,
    NetworkError,
    RequestTimeoutError,
    error_for_status,
)
from vp_desk.api.models import (
    Cart,
    CartEnvelope,
    Customer,
    CustomerEnvelope,
    CustomerPage,
    CustomerPageEnvelope,
    ErrorEnvelope,
)

logger = logging.getLogger("vp_desk.api")

API_PREFIX = "/api/v1"

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=5.0, pool=5.0)
"""Seconds per phase: a caller is waiting, so a silent server fails fast."""

MAX_BODY_BYTES = 5 * 1024 * 1024
"""The largest response body read; a page of 100 customers is far below it."""

PAGE_LIMIT_MIN = 1
PAGE_LIMIT_MAX = 100


class CustomersClient:
    """Reads customers and carts of the store that the API key belongs to.

    One instance holds one ``httpx.AsyncClient`` for its whole life, because building a client
    loads the CA bundle and costs tens of milliseconds. Close it with ``aclose()`` or
    ``async with``.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("The API key is empty.")

        # Connection failures before any byte is sent are safe to retry for every request.
        transport = transport or httpx.AsyncHTTPTransport(retries=1)
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + API_PREFIX,
            headers={"X-API-Key": api_key, "User-Agent": f"vp-desk/{__version__}"},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        await self._http.aclose()

    @property
    def is_closed(self) -> bool:
        """Whether ``aclose()`` has run."""
        return self._http.is_closed

    async def get_customer(self, customer_id: UUID | str) -> Customer:
        """Fetch one customer by id."""
        path = f"/customers/{_customer_id(customer_id)}"
        envelope = await self._get(path, "/customers/{customerId}", CustomerEnvelope)
        return envelope.data

    async def get_customer_by_phone(self, phone_number: str) -> Customer:
        """Fetch one customer by E.164 phone number."""
        params = {"phoneNumber": phone_number}
        envelope = await self._get("/customers/by-phone", None, CustomerEnvelope, params)
        return envelope.data

    async def get_customer_by_email(self, email: str) -> Customer:
        """Fetch one customer by email address; the server matches it case-insensitively."""
        params = {"email": email}
        envelope = await self._get("/customers/by-email", None, CustomerEnvelope, params)
        return envelope.data

    async def list_customers(
        self, *, limit: int = 50, offset: int = 0, search_term: str | None = None
    ) -> CustomerPage:
        """Fetch one page of customers, filtered by ``search_term`` when it is given."""
        if not PAGE_LIMIT_MIN <= limit <= PAGE_LIMIT_MAX:
            raise ValueError(f"limit must be between 1 and 100, got {limit}.")
        if offset < 0:
            raise ValueError(f"offset must be 0 or more, got {offset}.")

        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if search_term:
            params["searchTerm"] = search_term
        envelope = await self._get("/customers", None, CustomerPageEnvelope, params)
        return envelope.data

    async def get_cart(self, customer_id: UUID | str) -> Cart | None:
        """Fetch the customer's current cart, or None when the customer has none."""
        path = f"/customers/{_customer_id(customer_id)}/cart"
        envelope = await self._get(path, "/customers/{customerId}/cart", CartEnvelope)
        return envelope.data

    async def _get[EnvelopeT: BaseModel](
        self,
        path: str,
        template: str | None,
        envelope_type: type[EnvelopeT],
        params: Mapping[str, str | int] | None = None,
    ) -> EnvelopeT:
        # The path template, never the path or the query, goes to the log: both carry ids,
        # phone numbers or emails of customers.
        template = template or path
        started = time.perf_counter()
        try:
            status, body, headers = await self._send(path, params)
        except (NetworkError, RequestTimeoutError):
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info("GET %s failed after %.0f ms", template, elapsed_ms)
            raise

        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info("GET %s %d in %.0f ms", template, status, elapsed_ms)
        if 200 <= status < 300:
            return _parse_success(envelope_type, status, body)
        raise _parse_failure(status, body, headers)

    async def _send(
        self, path: str, params: Mapping[str, str | int] | None
    ) -> tuple[int, bytes, httpx.Headers]:
        try:
            async with self._http.stream("GET", path, params=params) as response:
                body = await _read_limited(response)
                return response.status_code, body, response.headers
        except httpx.TimeoutException as error:
            raise RequestTimeoutError(f"The request timed out ({type(error).__name__}).") from error
        except (httpx.NetworkError, httpx.ProtocolError, httpx.ProxyError) as error:
            raise NetworkError(
                f"The server could not be reached ({type(error).__name__}: {error})."
            ) from error


async def _read_limited(response: httpx.Response) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise InvalidResponseError(
            f"The response body of {declared} bytes is over the limit of {MAX_BODY_BYTES}.",
            status=response.status_code,
        )

    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise InvalidResponseError(
                f"The response body is over the limit of {MAX_BODY_BYTES} bytes.",
                status=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _customer_id(customer_id: UUID | str) -> str:
    # Parsing first means no caller text ever becomes part of the URL path.
    if isinstance(customer_id, UUID):
        return str(customer_id)
    try:
        return str(UUID(customer_id))
    except ValueError:
        raise ValueError(f"{customer_id!r} is not a customer id (a GUID).") from None


def _parse_success[EnvelopeT: BaseModel](
    envelope_type: type[EnvelopeT], status: int, body: bytes
) -> EnvelopeT:
    try:
        envelope = envelope_type.model_validate_json(body)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
            for item in error.errors(include_input=False)[:3]
        )
        raise InvalidResponseError(
            f"The server sent an invalid response body ({problems}).", status=status
        ) from None

    if getattr(envelope, "success", None) is not True:
        raise InvalidResponseError(
            "The server sent an error body with a success status.", status=status
        )
    return envelope


def _parse_failure(status: int, body: bytes, headers: httpx.Headers) -> ApiStatusError:
    code: str | None = None
    message = ""
    try:
        envelope = ErrorEnvelope.model_validate_json(body)
        code, message = envelope.error.code, envelope.error.message
    except ValidationError:
        # Proxies and load balancers answer with HTML pages; the status alone still says enough.
        message = f"No error envelope in the {len(body)}-byte body."

    retry_after = parse_retry_after(headers.get("Retry-After"))
    return error_for_status(status, code, message, retry_after=retry_after)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Convert a ``Retry-After`` header (seconds or an HTTP date) to seconds from now."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
