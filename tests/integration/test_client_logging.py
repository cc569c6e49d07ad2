"""A whole client session against the sandbox, logged at DEBUG: no key, email or phone leaks."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import phonenumbers
import pytest

from vp_desk.api.client import CustomersClient
from vp_desk.api.errors import ApiError, RateLimitedError
from vp_desk.api.models import Customer, CustomerPage
from vp_desk.api.queries import CustomerListQuery
from vp_desk.api.retry import RetryPolicy
from vp_desk.logs import LoggingSetup, configure_logging
from vp_desk.sandbox import Dataset, RateLimit, SandboxServer

WRONG_KEY = "sk_test_00000000000000000000000000000000"
UNKNOWN_EMAIL = "nobody.here@example.org"
FAST_RETRIES = RetryPolicy(base_delay=0.01, max_delay=0.02)
LIBRARY_LOGGERS = [
    "",
    "httpx",
    "httpcore",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "asyncio",
    "vp_desk",
    "vp_desk.sandbox",
]


async def search(client: CustomersClient, term: str) -> CustomerPage:
    """List the customers that match ``term``; the one place this file calls list_customers."""
    return await client.list_customers(CustomerListQuery(search_term=term))


def customers_of(dataset: Dataset) -> list[Customer]:
    """Return three customers of the first store from different countries, with phone and
    email, the first with an email outside ASCII."""
    customers = [
        customer
        for customer in dataset.customers_of(dataset.stores[0].id)
        if customer.email and customer.phone_number
    ]
    non_ascii = next(customer for customer in customers if not (customer.email or "").isascii())
    others = [customer for customer in customers if customer.email and customer.email.isascii()]
    chosen = [non_ascii]
    for customer in others:
        if len(chosen) == 3:
            break
        if (customer.phone_number or "")[:3] not in {(c.phone_number or "")[:3] for c in chosen}:
            chosen.append(customer)
    return chosen


def phone_forms(e164: str) -> list[str]:
    """Return the forms a phone number could be written or sent in."""
    number = phonenumbers.parse(e164)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    forms = [e164, e164[1:], national, international, "".join(filter(str.isdigit, national))]
    return forms + [quote(form, safe="") for form in forms] + [quote_plus(f) for f in forms]


def email_forms(email: str) -> list[str]:
    forms = [email, email.lower(), email.swapcase()]
    return forms + [quote(form, safe="") for form in forms] + [quote_plus(f) for f in forms]


@pytest.fixture
def server(sandbox_dataset: Dataset) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox_dataset, rate_limit=None) as own_server:
        yield own_server


@pytest.fixture(params=["as-configured", "every-logger-at-debug"])
def logging_session(
    request: pytest.FixtureRequest, tmp_path: Path, server: SandboxServer
) -> Iterator[tuple[LoggingSetup, io.StringIO]]:
    """Configure logging as --debug does. The second run also sets every library logger to
    DEBUG, so that only the masking filter keeps their output from leaking."""
    levels = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    console = io.StringIO()
    setup = configure_logging(debug=True, folder=tmp_path, stream=console)
    if request.param == "every-logger-at-debug":
        for name in LIBRARY_LOGGERS:
            # Level 1 also passes uvicorn's TRACE records.
            logging.getLogger(name).setLevel(1)
    yield setup, console
    setup.close()
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def expect_error(call: Awaitable[Any]) -> ApiError:
    try:
        await call
    except ApiError as error:
        return error
    raise AssertionError("the call was expected to fail")


def run_session(server: SandboxServer, api_key: str, customers: list[Customer]) -> list[str]:
    """Run look-ups, searches and failures of every kind; return the name of each outcome."""
    outcomes: list[str] = []

    async def session() -> None:
        async with CustomersClient(server.base_url, api_key, retry_policy=FAST_RETRIES) as client:
            await look_up_everything(client, customers, outcomes)
            await fail_in_every_way(server, client, customers[0], outcomes)
        async with CustomersClient(server.base_url, WRONG_KEY) as stranger:
            error = await expect_error(stranger.get_customer(customers[0].id))
            outcomes.append(type(error).__name__)

    asyncio.run(session())
    return outcomes


async def look_up_everything(
    client: CustomersClient, customers: list[Customer], outcomes: list[str]
) -> None:
    async def step(call: Awaitable[Any]) -> Any:
        result = await call
        outcomes.append(type(result).__name__)
        return result

    for customer in customers:
        assert customer.email is not None
        assert customer.phone_number is not None
        number = phonenumbers.parse(customer.phone_number)
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        await step(client.get_customer(customer.id))
        await step(client.get_customer_by_phone(customer.phone_number))
        await step(client.get_customer_by_email(customer.email.swapcase()))
        await step(client.get_cart(customer.id))
        for term in (customer.last_name or "x", customer.email, customer.phone_number, national):
            await step(search(client, term))


async def fail_in_every_way(
    server: SandboxServer, client: CustomersClient, customer: Customer, outcomes: list[str]
) -> None:
    assert customer.phone_number is not None
    assert customer.email is not None
    number = phonenumbers.parse(customer.phone_number)
    spaced = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    failures = [
        client.get_customer_by_phone(spaced),
        client.get_customer_by_phone(customer.phone_number[1:]),
        client.get_customer_by_email(UNKNOWN_EMAIL),
        client.get_customer_by_email(customer.email + "@"),
    ]
    for call in failures:
        outcomes.append(type(await expect_error(call)).__name__)

    server.set_fail_rate(1.0)
    outcomes.append(type(await expect_error(client.get_customer_by_email(customer.email))).__name__)
    server.set_fail_rate(0.0)

    server.set_rate_limit(RateLimit(requests_per_second=0.01, burst=1))
    await client.get_customer_by_phone(customer.phone_number)
    limited = await expect_error(client.get_customer_by_phone(customer.phone_number))
    assert isinstance(limited, RateLimitedError)
    outcomes.append(type(limited).__name__)
    server.set_rate_limit(None)


def test_session_logs_leak_nothing(
    logging_session: tuple[LoggingSetup, io.StringIO],
    server: SandboxServer,
    sandbox_dataset: Dataset,
    capfd: pytest.CaptureFixture[str],
) -> None:
    setup, console = logging_session
    store = sandbox_dataset.stores[0]
    customers = customers_of(sandbox_dataset)

    outcomes = run_session(server, store.api_key, customers)

    for handler in setup.handlers:
        handler.flush()
    assert setup.log_file is not None
    files = sorted(setup.log_file.parent.glob("vp-desk.log*"))
    captured = capfd.readouterr()
    texts = [path.read_text(encoding="utf-8") for path in files]
    output = "\n".join([*texts, console.getvalue(), captured.out, captured.err])

    # The session ran every kind of request and failure, and its lines were written.
    assert {"Customer", "CustomerPage", "Cart", "NoneType"} & set(outcomes)
    assert {
        "BadRequestError",
        "NotFoundError",
        "ServerError",
        "RateLimitedError",
        "UnauthorizedError",
    } <= set(outcomes)
    assert "GET /customers/by-phone 200" in output
    assert "GET /customers/{customerId} 401" in output
    assert "Retrying GET /customers/by-email" in output

    secrets = [store.api_key, WRONG_KEY, UNKNOWN_EMAIL]
    for customer in customers:
        secrets += email_forms(customer.email or "")
        secrets += phone_forms(customer.phone_number or "")
    leaked = sorted({secret for secret in secrets if secret in output})
    assert leaked == []


def test_library_output_was_captured(
    server: SandboxServer, sandbox_dataset: Dataset, tmp_path: Path
) -> None:
    levels = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    console = io.StringIO()
    setup = configure_logging(debug=True, folder=tmp_path, stream=console)
    try:
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).setLevel(1)
        customer = customers_of(sandbox_dataset)[0]
        run_session(server, sandbox_dataset.stores[0].api_key, [customer])
    finally:
        setup.close()
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)

    output = console.getvalue()
    # Without these lines the leak check above would prove nothing about the libraries.
    assert "httpx: HTTP Request: GET" in output
    assert "httpcore" in output
    assert "vp_desk.sandbox" in output
    assert "?email=" in output
    assert "searchTerm=" in output
