"""Starlette application that serves a SandboxDatabase as the Customers API."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from uuid import UUID

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vp_desk.api.models import ErrorCode, Pagination
from vp_desk.sandbox import parameters
from vp_desk.sandbox.controls import API_KEY_HEADER, ControlsMiddleware, SandboxControls
from vp_desk.sandbox.database import SandboxDatabase
from vp_desk.sandbox.errors import ApiError, error_response, json_response
from vp_desk.sandbox.ratelimit import RateLimitDecision

logger = logging.getLogger(__name__)

BASE_PATH = "/api/v1"

# The rate-limit decision of a request, kept in its ASGI scope's "state" for the middleware
# that adds its headers to whichever response the request gets.
_RATE_LIMIT_STATE = "vp_desk_rate_limit"

_STATUS_CODES: Mapping[int, ErrorCode] = {
    400: ErrorCode.INVALID_PARAMETER,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    # ErrorCode has no code of its own for a wrong method, and the path does exist.
    405: ErrorCode.NOT_FOUND,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


def _success(data_json: str) -> Response:
    # data_json is the output of a wire model's model_dump_json, stored or made per request.
    return json_response(f'{{"success":true,"data":{data_json}}}')


# --- Endpoints ------------------------------------------------------------------------------


class _CustomersApi:
    """The endpoints, bound to one database and the controls that hold the rate limit."""

    def __init__(self, database: SandboxDatabase, controls: SandboxControls) -> None:
        self._database = database
        self._controls = controls

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
        self._check_rate_limit(request, api_key)
        return owner.store_id

    def _check_rate_limit(self, request: Request, api_key: str) -> None:
        decision = self._controls.take_token(api_key)
        if decision is None:
            return
        request.scope.setdefault("state", {})[_RATE_LIMIT_STATE] = decision
        if not decision.allowed:
            raise _rate_limited(decision)

    async def get_customer(self, request: Request) -> Response:
        store_id = self._authorize(request)
        customer_id = parameters.customer_id(request)
        customer_json = self._database.get_customer(store_id, customer_id)
        if customer_json is None:
            raise _customer_not_found(customer_id)
        return _success(customer_json)

    async def find_by_phone(self, request: Request) -> Response:
        store_id = self._authorize(request)
        phone_number = parameters.phone_number(request.query_params)
        customer_json = self._database.find_by_phone(store_id, phone_number)
        if customer_json is None:
            raise ApiError(
                404, ErrorCode.NOT_FOUND, f"No customer has the phone number {phone_number}."
            )
        return _success(customer_json)

    async def find_by_email(self, request: Request) -> Response:
        store_id = self._authorize(request)
        email = parameters.email(request.query_params)
        customer_json = self._database.find_by_email(store_id, email)
        if customer_json is None:
            raise ApiError(404, ErrorCode.NOT_FOUND, f"No customer has the e-mail {email}.")
        return _success(customer_json)

    async def list_customers(self, request: Request) -> Response:
        store_id = self._authorize(request)
        query = request.query_params
        limit = parameters.integer_parameter(
            query, "limit", parameters.DEFAULT_LIMIT, 1, parameters.MAX_LIMIT
        )
        offset = parameters.integer_parameter(query, "offset", 0, 0, parameters.MAX_OFFSET)
        criteria = parameters.list_criteria(query)

        listing = self._database.list_customers(store_id, limit, offset, criteria)
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
        customer_id = parameters.customer_id(request)
        lookup = self._database.get_cart(store_id, customer_id)
        if lookup is None:
            raise _customer_not_found(customer_id)
        return _success("null" if lookup.cart_json is None else lookup.cart_json)


def _customer_not_found(customer_id: UUID) -> ApiError:
    # A customer of another store gets this same message, so ids never leak across stores.
    return ApiError(404, ErrorCode.NOT_FOUND, f"Customer {customer_id} was not found.")


def _rate_limited(decision: RateLimitDecision) -> ApiError:
    seconds = decision.retry_after_seconds
    return ApiError(
        429,
        ErrorCode.RATE_LIMITED,
        f"Too many requests: this API key may send {decision.requests_per_second:g} requests "
        f"per second in bursts of up to {decision.limit}; retry in {seconds} "
        f"second{'' if seconds == 1 else 's'}.",
        {"Retry-After": str(seconds)},
    )


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


class _RateLimitHeadersMiddleware:
    """Middleware that adds the X-RateLimit headers to the response of a rate-limited request.

    Only requests whose private key passed the checks reach the rate limit, so responses of
    401, 403 and failures before the key check carry no such headers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            decision = scope.get("state", {}).get(_RATE_LIMIT_STATE)
            if message["type"] == "http.response.start" and decision is not None:
                headers = MutableHeaders(scope=message)
                for name, value in decision.headers().items():
                    headers[name] = value
            await send(message)

        await self._app(scope, receive, send_with_headers)


def create_app(database: SandboxDatabase, controls: SandboxControls | None = None) -> Starlette:
    """Create the Customers API application over the database.

    ``controls`` sets latency, injected failures and the rate limit, and logs each request;
    without it, the application adds nothing and limits nothing.  The caller keeps ownership
    of the database and closes it after the application stops.
    """
    controls = controls or SandboxControls()
    api = _CustomersApi(database, controls)
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
        middleware=[
            Middleware(ControlsMiddleware, controls=controls),
            Middleware(_RateLimitHeadersMiddleware),
            Middleware(_InternalErrorMiddleware),
        ],
        exception_handlers={
            ApiError: _handle_api_error,
            HTTPException: _handle_http_exception,
        },
    )
    # An API client should get the 404 envelope for a trailing slash, not a redirect.
    app.router.redirect_slashes = False
    return app
