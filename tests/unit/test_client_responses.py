"""How the client turns odd responses into models or typed errors, over a fake transport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from vp_desk.api.client import MAX_BODY_BYTES, CustomersClient, parse_retry_after
from vp_desk.api.errors import (
    BadRequestError,
    EndpointNotFoundError,
    ForbiddenError,
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
)
from vp_desk.api.retry import NO_RETRIES

CUSTOMER_ID = "123e4567-e89b-12d3-a456-426614174000"
CUSTOMER = {
    "id": CUSTOMER_ID,
    "email": "customer@example.com",
    "phoneNumber": "+442079460958",
    "firstName": "John",
    "lastName": "Doe",
    "isPhoneVerified": True,
    "isEmailVerified": True,
    "createdAt": "2024-01-15T10:30:00Z",
    "updatedAt": "2024-01-20T14:45:00Z",
}

Handler = Callable[[httpx.Request], httpx.Response]


def fetch_customer(handler: Handler) -> Any:
    """Run one get_customer call against ``handler``, without retries, and return the customer."""

    async def scenario() -> Any:
        transport = httpx.MockTransport(handler)
        async with CustomersClient(
            "http://127.0.0.1:9", "sk_test_key", retry_policy=NO_RETRIES, transport=transport
        ) as c:
            return await c.get_customer(CUSTOMER_ID)

    return asyncio.run(scenario())


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


def reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Handler:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda request: httpx.Response(status, content=content, headers=headers)


def test_success_envelope_gives_customer() -> None:
    customer = fetch_customer(reply(200, {"success": True, "data": CUSTOMER}))

    assert str(customer.id) == CUSTOMER_ID
    assert customer.phone_number == "+442079460958"
    assert customer.metadata == {}


def test_unknown_fields_are_accepted() -> None:
    body = {"success": True, "data": {**CUSTOMER, "loyaltyPoints": 12}, "requestId": "r1"}

    customer = fetch_customer(reply(200, body))

    assert customer.first_name == "John"


def test_missing_optional_fields_are_absent() -> None:
    data = {key: CUSTOMER[key] for key in ("id", "createdAt", "updatedAt")}

    customer = fetch_customer(reply(200, {"success": True, "data": data}))

    assert customer.email is None
    assert customer.phone_number is None
    assert customer.is_phone_verified is False


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, BadRequestError),
        (401, UnauthorizedError),
        (403, ForbiddenError),
        (404, EndpointNotFoundError),
        (429, RateLimitedError),
        (500, ServerError),
        (503, ServerError),
        (418, ServerError),
    ],
)
def test_error_status_gives_typed_error(status: int, error_type: type[Exception]) -> None:
    body = {"success": False, "error": {"code": "SOME_CODE", "message": "Explained."}}

    with pytest.raises(error_type) as caught:
        fetch_customer(reply(status, body))

    assert caught.value.status == status  # type: ignore[attr-defined]
    assert caught.value.code == "SOME_CODE"  # type: ignore[attr-defined]
    assert caught.value.server_message == "Explained."  # type: ignore[attr-defined]


def test_html_error_page_gives_server_error() -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"

    with pytest.raises(ServerError) as caught:
        fetch_customer(reply(502, page, {"Content-Type": "text/html"}))

    assert caught.value.status == 502
    assert caught.value.code is None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<html>maintenance</html>", id="html"),
        pytest.param(b"", id="empty"),
        pytest.param(json.dumps(CUSTOMER).encode(), id="no-envelope"),
        pytest.param(json.dumps({"success": False, "data": CUSTOMER}).encode(), id="success-false"),
        pytest.param(
            json.dumps({"success": True, "data": {"email": "x@example.com"}}).encode(),
            id="missing-id",
        ),
        pytest.param(
            json.dumps({"success": True, "data": {**CUSTOMER, "id": 42}}).encode(),
            id="wrong-type",
        ),
        pytest.param(
            json.dumps({"success": True, "data": {**CUSTOMER, "createdAt": "yesterday"}}).encode(),
            id="bad-time",
        ),
    ],
)
def test_invalid_success_body_gives_invalid_response(body: bytes) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        fetch_customer(reply(200, body))

    assert caught.value.status == 200


def test_float_money_gives_invalid_response() -> None:
    cart = {
        "id": CUSTOMER_ID,
        "customerId": CUSTOMER_ID,
        "status": "active",
        "currency": "EUR",
        "items": [],
        "itemCount": 0,
        "subtotal": 12.5,
        "createdAt": "2024-01-15T10:30:00Z",
        "updatedAt": "2024-01-15T10:30:00Z",
    }

    async def scenario() -> None:
        transport = httpx.MockTransport(reply(200, {"success": True, "data": cart}))
        async with CustomersClient("http://127.0.0.1:9", "sk_test_key", transport=transport) as c:
            await c.get_cart(CUSTOMER_ID)

    with pytest.raises(InvalidResponseError, match="decimal string"):
        run(scenario())


def test_oversized_body_gives_invalid_response() -> None:
    body = b'{"success": true, "data": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}'

    with pytest.raises(InvalidResponseError, match="over the limit"):
        fetch_customer(reply(200, body))


def test_null_cart_gives_none() -> None:
    async def scenario() -> Any:
        transport = httpx.MockTransport(reply(200, {"success": True, "data": None}))
        async with CustomersClient("http://127.0.0.1:9", "sk_test_key", transport=transport) as c:
            return await c.get_cart(CUSTOMER_ID)

    assert run(scenario()) is None


def test_rate_limit_carries_retry_after() -> None:
    body = {"success": False, "error": {"code": "RATE_LIMITED", "message": "Slow down."}}

    with pytest.raises(RateLimitedError) as caught:
        fetch_customer(reply(429, body, {"Retry-After": "7"}))

    assert caught.value.retry_after == 7.0


def test_retry_after_accepts_http_date() -> None:
    now = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)

    assert parse_retry_after("Fri, 04 Dec 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Fri, 04 Dec 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_request_carries_key_and_encoded_query() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "data": CUSTOMER})

    async def scenario() -> None:
        transport = httpx.MockTransport(handler)
        async with CustomersClient("http://127.0.0.1:9/", "sk_test_key", transport=transport) as c:
            await c.get_customer_by_email("sam+tag/x#y?z@example.com")

    run(scenario())

    request = seen[0]
    assert request.headers["X-API-Key"] == "sk_test_key"
    assert request.url.path == "/api/v1/customers/by-email"
    assert request.url.params["email"] == "sam+tag/x#y?z@example.com"
    assert request.url.fragment == ""


def test_customer_id_is_canonical_in_path() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "data": CUSTOMER})

    async def scenario() -> None:
        transport = httpx.MockTransport(handler)
        async with CustomersClient("http://127.0.0.1:9", "sk_test_key", transport=transport) as c:
            await c.get_customer("{" + CUSTOMER_ID.upper() + "}")

    run(scenario())

    assert seen[0].url.path == f"/api/v1/customers/{CUSTOMER_ID}"


@pytest.mark.parametrize("customer_id", ["../customers", "not-a-guid", ""])
def test_malformed_customer_id_is_rejected_before_sending(customer_id: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    async def scenario() -> None:
        transport = httpx.MockTransport(handler)
        async with CustomersClient("http://127.0.0.1:9", "sk_test_key", transport=transport) as c:
            await c.get_cart(customer_id)

    with pytest.raises(ValueError, match="not a customer id"):
        run(scenario())
    assert seen == []


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (101, 0), (50, -1)])
def test_list_rejects_out_of_range_paging(limit: int, offset: int) -> None:
    async def scenario() -> None:
        transport = httpx.MockTransport(reply(500, b""))
        async with CustomersClient("http://127.0.0.1:9", "sk_test_key", transport=transport) as c:
            await c.list_customers(limit=limit, offset=offset)

    with pytest.raises(ValueError, match="must be"):
        run(scenario())


def test_empty_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="empty"):
        CustomersClient("http://127.0.0.1:9", "")


def test_not_found_envelope_gives_not_found() -> None:
    body = {"success": False, "error": {"code": "NOT_FOUND", "message": "No customer."}}

    with pytest.raises(NotFoundError):
        fetch_customer(reply(404, body))


def test_bare_404_points_at_base_url() -> None:
    with pytest.raises(EndpointNotFoundError) as caught:
        fetch_customer(reply(404, b"<html>Not Found</html>", {"Content-Type": "text/html"}))

    assert not isinstance(caught.value, NotFoundError)


def test_other_customer_in_response_is_invalid() -> None:
    other = {**CUSTOMER, "id": "00000000-0000-4000-8000-000000000001"}

    with pytest.raises(InvalidResponseError, match="another customer"):
        fetch_customer(reply(200, {"success": True, "data": other}))


def test_absurd_money_precision_is_invalid() -> None:
    cart = {
        "id": CUSTOMER_ID,
        "customerId": CUSTOMER_ID,
        "status": "active",
        "currency": "EUR",
        "items": [],
        "itemCount": 0,
        "subtotal": "1E-999999999",
        "createdAt": "2024-01-15T10:30:00Z",
        "updatedAt": "2024-01-15T10:30:00Z",
    }

    async def scenario() -> None:
        transport = httpx.MockTransport(reply(200, {"success": True, "data": cart}))
        async with CustomersClient(
            "http://127.0.0.1:9", "sk_test_key", retry_policy=NO_RETRIES, transport=transport
        ) as client:
            await client.get_cart(CUSTOMER_ID)

    with pytest.raises(InvalidResponseError):
        run(scenario())
