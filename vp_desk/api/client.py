"""Async client of the Customers API on one shared httpx connection pool."""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self
from uuid import UUID

import httpx
import truststore
from pydantic import BaseModel, ValidationError

from vp_desk import __version__
from vp_desk.api.errors import (
    ApiError,
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
from vp_desk.api.queries import CustomerListQuery
from vp_desk.api.retry import (
    DEFAULT_RETRY_POLICY,
    Clock,
    RetryNotice,
    RetryPolicy,
    SystemClock,
    is_certificate_failure,
    retry_reason_for_exception,
    retry_reason_for_status,
)
from vp_desk.api.throttle import DEFAULT_BURST, DEFAULT_REQUESTS_PER_SECOND, TokenBucket
from vp_desk.net import is_loopback_host

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

    One instance uses one ``httpx.AsyncClient`` for its whole life, because building a client
    sets up TLS and costs tens of milliseconds. The instance builds it at ``prepare()`` or at
    its first call. Close it with ``aclose()`` or ``async with``.

    Every call is a GET that ``retry_policy`` may send up to ``max_attempts`` times, within the
    policy's deadline. After a connection failure, a read timeout, or a 502, 503 or 504, it
    waits a random backoff. After a 429 it waits the ``Retry-After`` time. Before each retry it
    calls ``on_retry``. All calls of one client share a token bucket of
    ``requests_per_second`` with bursts of ``burst`` requests, so that fast typing stays under
    the server's rate limit. ``clock`` and ``jitter`` (uniform in [0, 1)) are replaceable so
    that tests need not wait.

    ``transport`` is for tests: httpx ignores the proxy settings of the environment for a
    client built with one.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND,
        burst: int = DEFAULT_BURST,
        on_retry: Callable[[RetryNotice], None] | None = None,
        clock: Clock | None = None,
        jitter: Callable[[], float] = random.random,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """Prepare a client; no connection is opened before the first call.

        Raises ValueError for an empty key, or for a base URL that is not https:// or
        http:// to this machine, because the key travels in a request header.
        """
        if not api_key:
            raise ValueError("The API key is empty.")
        api_root, loopback = _api_root(base_url)

        self._retry_policy = retry_policy
        self._on_retry = on_retry
        self._clock = clock or SystemClock()
        self._jitter = jitter
        self._throttle = TokenBucket(requests_per_second, burst, clock=self._clock)
        self._ssl_context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._connection_settings = _ConnectionSettings(
            api_root, api_key, timeout, loopback, transport
        )
        self._pool: httpx.AsyncClient | None = None
        self._closed = False

    def prepare(self) -> None:
        """Build the connection pool now, so that the first call need not wait for it.

        Building it imports httpx's transport modules, which takes tens of milliseconds, so
        the app calls this once its window is on screen. Without it, the first call builds it.
        """
        if self._pool is None and not self._closed:
            self._pool = self._connection_settings.build(self._ssl_context)

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
        self._closed = True
        if self._pool is not None:
            await self._pool.aclose()

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._closed:
            raise RuntimeError("The client is closed; make a new CustomersClient to send requests.")
        self.prepare()
        assert self._pool is not None
        return self._pool

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context that verifies servers against the operating system's trust store."""
        return self._ssl_context

    async def get_customer(self, customer_id: UUID | str) -> Customer:
        """Fetch one customer by id."""
        requested = _customer_id(customer_id)
        envelope = await self._get(
            f"/customers/{requested}", "/customers/{customerId}", CustomerEnvelope
        )
        _check_same_customer(requested, envelope.data.id)
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
        self, query: CustomerListQuery | None = None, *, limit: int = 50, offset: int = 0
    ) -> CustomerPage:
        """Fetch one page of the customers that ``query`` selects, in its order (all by name)."""
        if not PAGE_LIMIT_MIN <= limit <= PAGE_LIMIT_MAX:
            raise ValueError(f"limit must be between 1 and 100, got {limit}.")
        if offset < 0:
            raise ValueError(f"offset must be 0 or more, got {offset}.")

        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        params.update((query or CustomerListQuery()).to_params())
        envelope = await self._get("/customers", None, CustomerPageEnvelope, params)
        return envelope.data

    async def get_cart(
        self, customer_id: UUID | str, *, on_sent: Callable[[], None] | None = None
    ) -> Cart | None:
        """Fetch the customer's current cart, or None when the customer has none.

        ``on_sent`` is called each time an attempt's request has been written to the
        connection, so that a caller can let the server work while it does its own.
        """
        requested = _customer_id(customer_id)
        path = f"/customers/{requested}/cart"
        envelope = await self._get(
            path, "/customers/{customerId}/cart", CartEnvelope, on_sent=on_sent
        )
        if envelope.data is not None:
            _check_same_customer(requested, envelope.data.customer_id)
        return envelope.data

    async def _get[EnvelopeT: BaseModel](
        self,
        path: str,
        template: str | None,
        envelope_type: type[EnvelopeT],
        params: Mapping[str, str | int] | None = None,
        *,
        on_sent: Callable[[], None] | None = None,
    ) -> EnvelopeT:
        # The path template, never the path or the query, goes to the log: both carry ids,
        # phone numbers or emails of customers.
        reply = await self._send_with_retries(path, template or path, params, on_sent)
        if 200 <= reply.status < 300:
            return _parse_success(envelope_type, reply.status, reply.body)
        raise _parse_failure(reply.status, reply.body, reply.headers)

    async def _send_with_retries(
        self,
        path: str,
        template: str,
        params: Mapping[str, str | int] | None,
        on_sent: Callable[[], None] | None,
    ) -> _Reply:
        deadline = self._clock.monotonic() + self._retry_policy.deadline
        attempt = 1
        while True:
            outcome: _Reply | ApiError
            try:
                outcome = await self._attempt(path, template, params, attempt, deadline, on_sent)
            except (NetworkError, RequestTimeoutError) as error:
                outcome = error

            notice = self._plan_retry(outcome, attempt, deadline)
            if notice is None:
                if isinstance(outcome, ApiError):
                    raise outcome
                return outcome

            self._announce_retry(template, notice)
            await self._clock.sleep(notice.delay)
            attempt += 1

    def _plan_retry(
        self, outcome: _Reply | ApiError, attempt: int, deadline: float
    ) -> RetryNotice | None:
        """Return the retry that follows ``outcome``, or None when the call ends with it."""
        status: int | None = None
        delay: float | None = None
        if isinstance(outcome, ApiError):
            cause = outcome.__cause__
            reason = retry_reason_for_exception(cause) if cause is not None else None
        else:
            status = outcome.status
            reason = retry_reason_for_status(status)
            # 503 may carry Retry-After too; 429 always should.
            delay = parse_retry_after(outcome.headers.get("Retry-After"))

        policy = self._retry_policy
        if reason is None or attempt >= policy.max_attempts:
            return None
        if delay is None:
            delay = policy.backoff(attempt, self._jitter())
        if self._clock.monotonic() + delay >= deadline:
            return None
        return RetryNotice(
            reason=reason,
            attempt=attempt,
            max_attempts=policy.max_attempts,
            delay=delay,
            status=status,
        )

    def _announce_retry(self, template: str, notice: RetryNotice) -> None:
        logger.info(
            "Retrying GET %s in %.1f s: %s on attempt %d of %d",
            template,
            notice.delay,
            notice.reason,
            notice.attempt,
            notice.max_attempts,
        )
        if self._on_retry is None:
            return
        try:
            self._on_retry(notice)
        except Exception:
            # A broken status line must not break the look-up that it reports on.
            logger.exception("The on_retry callback failed")

    async def _attempt(
        self,
        path: str,
        template: str,
        params: Mapping[str, str | int] | None,
        attempt: int,
        deadline: float,
        on_sent: Callable[[], None] | None,
    ) -> _Reply:
        if not await self._throttle.acquire(max_wait=deadline - self._clock.monotonic()):
            raise RequestTimeoutError(
                f"The client's own limit of {self._throttle.rate:g} requests per second would "
                f"hold the request past its deadline of {self._retry_policy.deadline:g} s."
            )

        started = self._clock.monotonic()
        time_limit = min(self._retry_policy.attempt_timeout, deadline - started)
        try:
            reply = await self._send(path, params, time_limit, on_sent)
        except ApiError as error:
            elapsed_ms = (self._clock.monotonic() - started) * 1000
            cause = type(error.__cause__ or error).__name__
            logger.info(
                "GET %s failed after %.0f ms (attempt %d): %s", template, elapsed_ms, attempt, cause
            )
            raise

        elapsed_ms = (self._clock.monotonic() - started) * 1000
        logger.info(
            "GET %s %d in %.0f ms (attempt %d)", template, reply.status, elapsed_ms, attempt
        )
        return reply

    async def _send(
        self,
        path: str,
        params: Mapping[str, str | int] | None,
        time_limit: float,
        on_sent: Callable[[], None] | None,
    ) -> _Reply:
        extensions = {"trace": _sent_tracer(on_sent)} if on_sent is not None else None
        try:
            # The per-phase timeouts of httpx allow a body that trickles in one byte just
            # inside the read timeout; this limit bounds the whole exchange.
            async with asyncio.timeout(time_limit):
                stream = self._http.stream("GET", path, params=params, extensions=extensions)
                async with stream as response:
                    body = await _read_limited(response)
                    return _Reply(response.status_code, body, response.headers)
        except TimeoutError as error:
            raise RequestTimeoutError(
                f"The response was not complete within {time_limit:.1f} s."
            ) from error
        except httpx.TimeoutException as error:
            raise RequestTimeoutError(f"The request timed out ({type(error).__name__}).") from error
        except httpx.TransportError as error:
            raise NetworkError(_network_failure_message(error)) from error


def _sent_tracer(on_sent: Callable[[], None]) -> Callable[[str, object], Awaitable[None]]:
    """Return an httpcore trace callback that calls ``on_sent`` once the request is written."""

    async def trace(event_name: str, _info: object) -> None:
        # httpcore reports each step of an HTTP/1.1 exchange. A GET has an empty body, so the
        # body's end follows the headers at once.
        if event_name == "http11.send_request_body.complete":
            on_sent()

    return trace


@dataclass(frozen=True, slots=True)
class _ConnectionSettings:
    """Settings of the connection pool. ``api_key`` goes only into a request header."""

    api_root: str
    api_key: str = field(repr=False)
    timeout: httpx.Timeout
    loopback: bool
    transport: httpx.AsyncBaseTransport | None

    def build(self, ssl_context: ssl.SSLContext) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.api_root,
            headers={"X-API-Key": self.api_key, "User-Agent": f"vp-desk/{__version__}"},
            timeout=self.timeout,
            # The operating system's trust store, so that a company's own root certificate
            # works as it does in the browser. Verification cannot be turned off.
            verify=ssl_context,
            # Proxy settings of the environment apply to remote servers only: a proxy on
            # another machine would reach its own loopback address, not this machine's.
            trust_env=not self.loopback,
            transport=self.transport,
            follow_redirects=False,
        )


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    body: bytes
    headers: httpx.Headers


def _api_root(base_url: str) -> tuple[str, bool]:
    """Return the API's root URL under ``base_url`` and whether its host is this machine."""
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as error:
        raise ValueError(f"The base URL {base_url!r} is invalid: {error}.") from None
    if url.scheme not in {"http", "https"} or not url.host:
        raise ValueError(f"The base URL {base_url!r} must start with https:// and name a host.")

    loopback = is_loopback_host(url.host)
    if url.scheme == "http" and not loopback:
        raise ValueError(
            f"The base URL {base_url!r} uses plain http://, which would send the API key "
            "unencrypted; use https://, or http:// only for localhost, 127.0.0.1 or ::1."
        )
    return base_url.rstrip("/") + API_PREFIX, loopback


def _network_failure_message(error: httpx.TransportError) -> str:
    if is_certificate_failure(error):
        return f"The server's TLS certificate could not be verified ({error})."
    if isinstance(error, httpx.ProxyError):
        return f"The proxy server refused the connection ({error})."
    return f"The server could not be reached ({type(error).__name__}: {error})."


async def _read_limited(response: httpx.Response) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise InvalidResponseError(
            f"The response body of {declared} bytes is over the limit of {MAX_BODY_BYTES}.",
            status=response.status_code,
        )

    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise InvalidResponseError(
                    f"The response body is over the limit of {MAX_BODY_BYTES} bytes.",
                    status=response.status_code,
                )
            chunks.append(chunk)
    except httpx.DecodingError as error:
        raise InvalidResponseError(
            f"The response body could not be decoded ({error}).", status=response.status_code
        ) from error
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


def _check_same_customer(requested: str, returned: UUID) -> None:
    # A cache or proxy that mixes up responses must never show one customer's data under
    # another customer's name.
    if str(returned) != requested:
        raise InvalidResponseError(
            "The server sent data of another customer than the one requested.", status=200
        )


def _parse_failure(status: int, body: bytes, headers: httpx.Headers) -> ApiStatusError:
    code: str | None = None
    message = ""
    try:
        envelope = ErrorEnvelope.model_validate_json(body)
        code, message = envelope.error.code, envelope.error.message
    except ValidationError:
        # Proxies and load balancers respond with HTML pages, and the status alone is enough.
        message = f"No error envelope in the {len(body)}-byte body."

    retry_after = parse_retry_after(headers.get("Retry-After"))
    return error_for_status(status, code, message, retry_after=retry_after)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Convert a ``Retry-After`` header (seconds or an HTTP date) to seconds from now."""
    if value is None:
        return None
    value = value.strip()
    # str.isdigit() accepts digits such as "²" that float() rejects.
    if value.isascii() and value.isdigit():
        return float(value)

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
