"""Fuzzing of response handling: any status, headers and body give a model or a typed ApiError."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vp_desk.api.client import CustomersClient, parse_retry_after
from vp_desk.api.errors import ApiError, ApiStatusError, InvalidResponseError
from vp_desk.api.models import Cart, Customer, CustomerPage

CUSTOMER_ID = "123e4567-e89b-12d3-a456-426614174000"
CUSTOMER = {
    "id": CUSTOMER_ID,
    "email": "customer@example.com",
    "phoneNumber": "+442079460958",
    "firstName": "John",
    "lastName": "Doe",
    "isPhoneVerified": True,
    "isEmailVerified": False,
    "createdAt": "2024-01-15T10:30:00Z",
    "updatedAt": "2024-01-20T14:45:00Z",
    "metadata": {"tier": "gold"},
}
CART = {
    "id": "9e3b5a17-4f2c-4d88-b1a6-2c7d0e9f5b34",
    "customerId": CUSTOMER_ID,
    "status": "active",
    "currency": "EUR",
    "items": [
        {
            "productId": "prd-1",
            "productName": "Moka pot",
            "sku": None,
            "quantity": 2,
            "unitPrice": "34.90",
            "lineTotal": "69.80",
        }
    ],
    "itemCount": 2,
    "subtotal": "69.80",
    "createdAt": "2025-01-18T16:20:11Z",
    "updatedAt": "2025-01-18T16:41:58Z",
}
PAGE = {
    "customers": [CUSTOMER],
    "pagination": {"limit": 50, "offset": 0, "total": 1, "hasMore": False},
}
ERROR = {"success": False, "error": {"code": "NOT_FOUND", "message": "Customer not found."}}

Call = Callable[[CustomersClient], Awaitable[Any]]

# Each operation: the call, the valid data of its envelope, and the types it may return.
OPERATIONS: dict[str, tuple[Call, Any, tuple[type, ...]]] = {
    "getCustomer": (lambda client: client.get_customer(CUSTOMER_ID), CUSTOMER, (Customer,)),
    "getCustomerByPhone": (
        lambda client: client.get_customer_by_phone("+442079460958"),
        CUSTOMER,
        (Customer,),
    ),
    "getCustomerByEmail": (
        lambda client: client.get_customer_by_email("customer@example.com"),
        CUSTOMER,
        (Customer,),
    ),
    "listCustomers": (lambda client: client.list_customers(), PAGE, (CustomerPage,)),
    "getCustomerCart": (lambda client: client.get_cart(CUSTOMER_ID), CART, (Cart, type(None))),
}

FUZZ_SETTINGS = settings(
    max_examples=120,
    deadline=2000,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class InstantClock:
    """A clock whose sleeps return at once, so retries cost no time."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**20, max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.sampled_from(["", "\u0000", "\ud800", "2024-02-30T25:61:00Z", "NaN", "1e999", "-0"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """Return ``value`` with one field of one nested object removed, replaced or retyped."""
    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        changed = dict(value)
        match draw(st.sampled_from(["drop", "replace", "descend"])):
            case "drop":
                del changed[key]
            case "replace":
                changed[key] = draw(json_values)
            case _:
                changed[key] = draw(mutated(value[key]))
        return changed
    if isinstance(value, list) and value:
        index = draw(st.integers(0, len(value) - 1))
        return [*value[:index], draw(mutated(value[index])), *value[index + 1 :]]
    return draw(json_values)


def near_valid_envelopes(data: Any) -> st.SearchStrategy[bytes]:
    envelopes = st.one_of(
        st.just({"success": True, "data": data}),
        mutated({"success": True, "data": data}),
        mutated(ERROR),
        st.builds(
            lambda extra: {"success": True, "data": data, **extra},
            st.dictionaries(st.text(max_size=12), json_values, max_size=3),
        ),
    )
    return envelopes.map(lambda envelope: json.dumps(envelope).encode("utf-8", "surrogatepass"))


def odd_bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
        json_values.map(lambda value: json.dumps(value).encode("utf-8", "surrogatepass")),
        st.sampled_from(
            [
                b"",
                b"<html><body>502 Bad Gateway</body></html>",
                b'{"success": true, "data": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                b'{"success": true, "data": {"limit": 1' + b"0" * 5000 + b"}}",
                b'{"success": true, "data": null}',
                b'\xef\xbb\xbf{"success": true}',
                b'{"success": true, "data": "\xff\xfe"}',
            ]
        ),
    )


statuses = st.one_of(
    st.sampled_from([200, 201, 204, 301, 304, 400, 401, 403, 404, 418, 429, 500, 502, 503, 504]),
    st.integers(min_value=100, max_value=599),
)
# Header values go to httpx as bytes, because servers may send any Latin-1 octet in them.
headers = st.fixed_dictionaries(
    {},
    optional={
        "Retry-After": st.one_of(
            st.text(alphabet=st.characters(codec="latin-1"), max_size=30),
            st.integers(0, 10**30).map(str),
            st.sampled_from(["Fri, 04 Dec 2026 12:00:30 GMT", "²", "-1", "1.5", "0"]),
        ),
        "Content-Type": st.sampled_from(["application/json", "text/html", "application/xml"]),
    },
).map(lambda fields: [(name.encode(), value.encode("latin-1")) for name, value in fields.items()])


def run_operation(
    call: Call, status: int, body: bytes, response_headers: list[tuple[bytes, bytes]]
) -> Any | ApiError:
    """Run ``call`` against a server that always responds this way; return the result or error."""

    def answer(request: httpx.Request) -> httpx.Response:
        # A stream, unlike content=, leaves decoding to the client, as a real response does.
        return httpx.Response(status, headers=response_headers, stream=httpx.ByteStream(body))

    async def scenario() -> Any:
        async with CustomersClient(
            "http://127.0.0.1:9",
            "sk_test_key",
            clock=InstantClock(),
            jitter=lambda: 0.0,
            transport=httpx.MockTransport(answer),
        ) as client:
            return await call(client)

    try:
        return asyncio.run(scenario())
    except ApiError as error:
        return error


def check_outcome(outcome: Any, status: int, result_types: tuple[type, ...]) -> None:
    if 200 <= status < 300:
        assert isinstance(outcome, (*result_types, InvalidResponseError)), repr(outcome)
    else:
        assert isinstance(outcome, ApiStatusError), repr(outcome)
        assert outcome.status == status


def fuzz_operation(name: str) -> Callable[[], None]:
    call, data, result_types = OPERATIONS[name]

    @FUZZ_SETTINGS
    @given(statuses, st.one_of(near_valid_envelopes(data), odd_bodies()), headers)
    def check(status: int, body: bytes, response_headers: list[tuple[bytes, bytes]]) -> None:
        outcome = run_operation(call, status, body, response_headers)

        check_outcome(outcome, status, result_types)

    return check


test_get_customer_survives_any_response = fuzz_operation("getCustomer")
test_get_customer_by_phone_survives_any_response = fuzz_operation("getCustomerByPhone")
test_get_customer_by_email_survives_any_response = fuzz_operation("getCustomerByEmail")
test_list_customers_survives_any_response = fuzz_operation("listCustomers")
test_get_cart_survives_any_response = fuzz_operation("getCustomerCart")


@FUZZ_SETTINGS
@given(st.sampled_from(sorted(OPERATIONS)), st.binary(max_size=300))
def test_bad_gzip_body_is_invalid_response(name: str, payload: bytes) -> None:
    call, _, _ = OPERATIONS[name]
    outcome = run_operation(call, 200, payload, [(b"Content-Encoding", b"gzip")])

    assert isinstance(outcome, InvalidResponseError), repr(outcome)


@FUZZ_SETTINGS
@given(st.sampled_from(sorted(OPERATIONS)))
def test_valid_gzip_body_is_parsed(name: str) -> None:
    call, data, result_types = OPERATIONS[name]
    body = gzip.compress(json.dumps({"success": True, "data": data}).encode())

    outcome = run_operation(call, 200, body, [(b"Content-Encoding", b"gzip")])

    assert isinstance(outcome, result_types), repr(outcome)


@FUZZ_SETTINGS
@given(st.text(alphabet=st.characters(codec="latin-1"), max_size=40))
@example("²")
@example("Fri, 04 Dec 99999 12:00:30 GMT")
@example("9" * 400)
def test_retry_after_parser_never_raises(value: str) -> None:
    seconds = parse_retry_after(value)

    assert seconds is None or seconds >= 0
