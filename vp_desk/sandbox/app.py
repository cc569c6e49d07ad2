"""Starlette application that serves a SandboxDatabase as the Customers API."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vp_desk.api.models import ErrorCode, ErrorDetail, ErrorEnvelope, Pagination
from vp_desk.sandbox.database import SandboxDatabase

logger = logging.getLogger(__name__)

BASE_PATH = "/api/v1"
API_KEY_HEADER = "X-API-Key"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_OFFSET = 2**63 - 1
"""Largest offset that SQLite accepts, its 64-bit signed integer maximum."""
MAX_SEARCH_TERM_LENGTH = 200
MAX_EMAIL_LENGTH = 254

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# MAX_OFFSET has 19 digits, so a longer number can only fail, and fails as an invalid integer.
_INTEGER = re.compile(r"-?[0-9]{1,20}")
_EXAMPLE_GUID = "2d5d67f3-d493-428e-b315-866868e383f0"
_EXAMPLE_PHONE = "+442079460958"
_QUOTED_VALUE_MAX = 60

_STATUS_CODES: Mapping[int, ErrorCode] = {
    400: ErrorCode.INVALID_PARAMETER,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    # ErrorCode has no code of its own for a wrong method, and the path does exist.
    405: ErrorCode.NOT_FOUND,
    429: ErrorCode.RATE_LIMITED,
}


class ApiError(Exception):
    """A failure that the API reports with a status code and the error envelope."""

    def __init__(
        self,
        status_code: int,
        code: ErrorCode,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A cap of ``requests`` per API key in each fixed window of ``period_seconds``."""

    requests: int
    period_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.requests < 1:
            raise ValueError(f"requests must be 1 or more, got {self.requests}.")
        if not self.period_seconds > 0:
            raise ValueError(f"period_seconds must be positive, got {self.period_seconds}.")


class _RateLimiter:
    """Request counts per API key, in fixed windows that start at each key's first request."""

    def __init__(self, limit: RateLimit) -> None:
        self._limit = limit
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def check(self, api_key: str) -> None:
        """Count one request of the key; raise a 429 ApiError once the window is used up."""
        now = time.monotonic()
        with self._lock:
            start, count = self._windows.get(api_key, (now, 0))
            if now - start >= self._limit.period_seconds:
                start, count = now, 0
            if count >= self._limit.requests:
                retry_after = math.ceil(start + self._limit.period_seconds - now)
                raise ApiError(
                    429,
                    ErrorCode.RATE_LIMITED,
                    f"Too many requests: this API key may send {self._limit.requests} per "
                    f"{self._limit.period_seconds:g} seconds; retry in {retry_after} seconds.",
                    {"Retry-After": str(retry_after)},
                )
            self._windows[api_key] = (start, count + 1)


# --- Responses ------------------------------------------------------------------------------


def _json_response(
    body: str, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    return Response(body, status_code, all_headers, media_type="application/json")


def _success(data_json: str) -> Response:
    # data_json is the output of a wire model's model_dump_json, stored or made per request.
    return _json_response(f'{{"success":true,"data":{data_json}}}')


def error_response(
    status_code: int, code: ErrorCode, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """Return the error envelope response with this status code, error code and message."""
    envelope = ErrorEnvelope(error=ErrorDetail(code=code, message=message))
    return _json_response(envelope.model_dump_json(), status_code, headers)


def _quote(value: str) -> str:
    """Return the value as a Python literal, cut short, so spaces and control codes show."""
    if len(value) > _QUOTED_VALUE_MAX:
        return repr(value[: _QUOTED_VALUE_MAX - 3]) + "..."
    return repr(value)


# --- Parameters -----------------------------------------------------------------------------


def _single_value(query: QueryParams, name: str) -> str | None:
    values = query.getlist(name)
    if len(values) > 1:
        raise _invalid(f"{name} must be given once, got {len(values)} values.")
    return values[0] if values else None


def _invalid(message: str) -> ApiError:
    return ApiError(400, ErrorCode.INVALID_PARAMETER, message)


def _integer_parameter(
    query: QueryParams, name: str, default: int, minimum: int, maximum: int
) -> int:
    raw = _single_value(query, name)
    if raw is None:
        return default

    # MAX_OFFSET is a storage limit rather than part of the contract, so it is named only to
    # a request that exceeds it.
    if maximum == MAX_OFFSET:
        rule = f"{minimum} or more"
        integer_rule = f"an integer of {rule}"
    else:
        rule = f"between {minimum} and {maximum}"
        integer_rule = f"an integer {rule}"

    if _INTEGER.fullmatch(raw) is None:
        raise _invalid(f"{name} must be {integer_rule}, got {_quote(raw)}.")
    value = int(raw)
    if value > maximum == MAX_OFFSET:
        raise _invalid(f"{name} must be at most {maximum}, got {value}.")
    if not minimum <= value <= maximum:
        raise _invalid(f"{name} must be {rule}, got {value}.")
    return value


def _search_term(query: QueryParams) -> str | None:
    raw = _single_value(query, "searchTerm")
    if raw is None:
        return None
    if len(raw) > MAX_SEARCH_TERM_LENGTH:
        raise _invalid(
            f"searchTerm must be at most {MAX_SEARCH_TERM_LENGTH} characters, got {len(raw)}."
        )
    return raw.strip() or None


def _customer_id(request: Request) -> UUID:
    raw = str(request.path_params["customerId"])
    if _GUID.fullmatch(raw) is None:
        raise _invalid(f"customerId must be a GUID such as {_EXAMPLE_GUID}, got {_quote(raw)}.")
    return UUID(raw)


def _phone_number(query: QueryParams) -> str:
    raw = _single_value(query, "phoneNumber")
    if raw is None:
        raise _invalid(f"phoneNumber is required, in E.164 format such as {_EXAMPLE_PHONE}.")
    if _E164.fullmatch(raw) is not None:
        return raw

    message = f"phoneNumber must be in E.164 format such as {_EXAMPLE_PHONE}, got {_quote(raw)}."
    if raw.startswith(" ") and _E164.fullmatch("+" + raw[1:]) is not None:
        # A + left unencoded in a query string decodes to a space, as form encoding defines.
        message += " Send the + percent-encoded as %2B."
    raise _invalid(message)


def _email_problem(email: str) -> str | None:
    if len(email) > MAX_EMAIL_LENGTH:
        return f"must be at most {MAX_EMAIL_LENGTH} characters"
    if any(char.isspace() or not char.isprintable() for char in email):
        return "must not contain whitespace or control characters"
    local_part, at, domain = email.partition("@")
    if not at or "@" in domain:
        return "must contain exactly one @"
    if not local_part or not domain:
        return "must have text before and after the @"
    return None


def _email(query: QueryParams) -> str:
    raw = _single_value(query, "email")
    if raw is None:
        raise _invalid("email is required, for example email=name@example.com.")
    problem = _email_problem(raw)
    if problem is not None:
        raise _invalid(f"email {problem}, got {_quote(raw)}.")
    return raw


# --- Endpoints ------------------------------------------------------------------------------


class _CustomersApi:
    """The endpoints, bound to one database and an optional rate limit."""

    def __init__(self, database: SandboxDatabase, rate_limit: RateLimit | None) -> None:
        self._database = database
        self._rate_limiter = None if rate_limit is None else _RateLimiter(rate_limit)

    def _authorize(self, request: Request) -> UUID:
        """Return the store of the request's private API key, or raise 401, 403 or 429."""
        api_key = request.headers.get(API_KEY_HEADER)
        if not api_key:
            raise ApiError(
                401,
                ErrorCode.UNAUTHORIZED,
                f"The {API_KEY_HEADER} header is missing; send the store's private API key.",
            )
        owner = self._database.find_key_owner(api_key)
        if owner is None:
            raise ApiError(
                401,
                ErrorCode.UNAUTHORIZED,
                "The API key is not valid; send the store's private API key.",
            )
        if owner.is_public_key:
            raise ApiError(
                403,
                ErrorCode.FORBIDDEN,
                "Public keys cannot read customers; use the store's private API key.",
            )
        if self._rate_limiter is not None:
            self._rate_limiter.check(api_key)
        return owner.store_id

    async def get_customer(self, request: Request) -> Response:
        store_id = self._authorize(request)
        customer_id = _customer_id(request)
        customer_json = self._database.get_customer(store_id, customer_id)
        if customer_json is None:
            raise _customer_not_found(customer_id)
        return _success(customer_json)

    async def find_by_phone(self, request: Request) -> Response:
        store_id = self._authorize(request)
        phone_number = _phone_number(request.query_params)
        customer_json = self._database.find_by_phone(store_id, phone_number)
        if customer_json is None:
            raise ApiError(
                404, ErrorCode.NOT_FOUND, f"No customer has the phone number {phone_number}."
            )
        return _success(customer_json)

    async def find_by_email(self, request: Request) -> Response:
        store_id = self._authorize(request)
        email = _email(request.query_params)
        customer_json = self._database.find_by_email(store_id, email)
        if customer_json is None:
            raise ApiError(404, ErrorCode.NOT_FOUND, f"No customer has the e-mail {email}.")
        return _success(customer_json)

    async def list_customers(self, request: Request) -> Response:
        store_id = self._authorize(request)
        query = request.query_params
        limit = _integer_parameter(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = _integer_parameter(query, "offset", 0, 0, MAX_OFFSET)
        search_term = _search_term(query)

        listing = self._database.list_customers(store_id, limit, offset, search_term)
        pagination = Pagination(
            limit=limit,
            offset=offset,
            total=listing.total,
            has_more=offset + len(listing.customer_json) < listing.total,
        )
        customers = ",".join(listing.customer_json)
        return _success(
            f'{{"customers":[{customers}],"pagination":{pagination.model_dump_json()}}}'
        )

    async def get_cart(self, request: Request) -> Response:
        store_id = self._authorize(request)
        customer_id = _customer_id(request)
        lookup = self._database.get_cart(store_id, customer_id)
        if lookup is None:
            raise _customer_not_found(customer_id)
        return _success("null" if lookup.cart_json is None else lookup.cart_json)


def _customer_not_found(customer_id: UUID) -> ApiError:
    # A customer of another store gets this same message, so ids never leak across stores.
    return ApiError(404, ErrorCode.NOT_FOUND, f"Customer {customer_id} was not found.")


# --- Error handling -------------------------------------------------------------------------


async def _handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    logger.debug("%s %s failed with %d: %s", request.method, request.url.path, exc.status_code, exc)
    return error_response(exc.status_code, exc.code, exc.message, exc.headers)


async def _handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _STATUS_CODES.get(exc.status_code, ErrorCode.INTERNAL_ERROR)
    path = request.url.path
    if exc.status_code == 404:
        message = f"No endpoint at {path}; the Customers API is under {BASE_PATH}/customers."
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "GET").split(", ")
        # Starlette allows HEAD wherever GET is, but only GET is part of the contract.
        methods = ", ".join(method for method in allowed if method != "HEAD")
        message = f"Method {request.method} is not allowed on {path}; use {methods}."
    else:
        message = str(exc.detail)

    logger.debug("%s %s failed with %d: %s", request.method, path, exc.status_code, message)
    return error_response(exc.status_code, code, message, exc.headers)


class _InternalErrorMiddleware:
    """Middleware that returns the 500 envelope for an unexpected exception and logs its traceback.

    Starlette's own outermost handler would re-raise the exception after responding, so the
    server would log it a second time.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        response_started = False

        async def send_and_track(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self._app(scope, receive, send_and_track)
        except Exception:
            logger.exception("Unexpected error on %s %s", scope["method"], scope["path"])
            if response_started:
                # Part of the response is on the wire, so only the server can end it.
                raise
            response = error_response(
                500,
                ErrorCode.INTERNAL_ERROR,
                "The sandbox failed to handle the request; its log has the details.",
            )
            await response(scope, receive, send)


def create_app(database: SandboxDatabase, *, rate_limit: RateLimit | None = None) -> Starlette:
    """Create the Customers API application over the database.

    The caller keeps ownership of the database and closes it after the application stops.
    """
    api = _CustomersApi(database, rate_limit)
    customers = f"{BASE_PATH}/customers"
    routes = [
        Route(customers, api.list_customers, methods=["GET"]),
        # The two look-up paths come before {customerId}, which would match them too.
        Route(f"{customers}/by-phone", api.find_by_phone, methods=["GET"]),
        Route(f"{customers}/by-email", api.find_by_email, methods=["GET"]),
        Route(f"{customers}/{{customerId}}", api.get_customer, methods=["GET"]),
        Route(f"{customers}/{{customerId}}/cart", api.get_cart, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_InternalErrorMiddleware)],
        exception_handlers={
            ApiError: _handle_api_error,
            HTTPException: _handle_http_exception,
        },
    )
    # An API client should get the 404 envelope for a trailing slash, not a redirect.
    app.router.redirect_slashes = False
    return app
