"""Retries, deadlines and the client's rate limit against a sandbox that fails on purpose."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from vp_desk.api.client import CustomersClient
from vp_desk.api.errors import RateLimitedError, RequestTimeoutError, ServerError
from vp_desk.api.models import Customer
from vp_desk.api.retry import NO_RETRIES, RetryNotice, RetryPolicy, RetryReason
from vp_desk.sandbox import Dataset, RateLimit, RequestLogEntry, SandboxServer, Store

FAST_RETRIES = RetryPolicy(base_delay=0.05, max_delay=0.1)


def logged(server: SandboxServer, count: int) -> list[RequestLogEntry]:
    """Return the request log once it has ``count`` entries, or after 3 s.

    The sandbox adds an entry after the response has gone out, so the client can see the
    response before the log shows it.
    """
    deadline = time.monotonic() + 3.0
    while len(server.request_log()) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return server.request_log()


@pytest.fixture
def store(sandbox_dataset: Dataset) -> Store:
    return sandbox_dataset.stores[0]


@pytest.fixture
def customer(sandbox_dataset: Dataset, store: Store) -> Customer:
    return next(iter(sandbox_dataset.customers_of(store.id)))


@pytest.fixture
def server(sandbox_dataset: Dataset) -> Iterator[SandboxServer]:
    """A sandbox of its own per test, without a rate limit until the test sets one."""
    with SandboxServer(sandbox_dataset, rate_limit=None) as own_server:
        yield own_server


def test_unavailable_server_gets_three_attempts(
    server: SandboxServer, store: Store, customer: Customer
) -> None:
    server.set_fail_rate(1.0)

    async def scenario() -> None:
        async with CustomersClient(
            server.base_url, store.api_key, retry_policy=FAST_RETRIES
        ) as client:
            await client.get_customer(customer.id)

    with pytest.raises(ServerError) as caught:
        asyncio.run(scenario())

    assert caught.value.status == 503
    assert [entry.status for entry in logged(server, 3)] == [503, 503, 503]


def test_slow_server_hits_attempt_deadline(
    server: SandboxServer, store: Store, customer: Customer
) -> None:
    server.set_latency(2.0)
    policy = RetryPolicy(max_attempts=1, attempt_timeout=0.3)

    async def scenario() -> None:
        async with CustomersClient(server.base_url, store.api_key, retry_policy=policy) as client:
            await client.get_customer(customer.id)

    started = time.monotonic()
    with pytest.raises(RequestTimeoutError):
        asyncio.run(scenario())

    assert time.monotonic() - started < 1.5
    assert [entry.client_disconnected for entry in logged(server, 1)] == [True]


def test_rate_limit_waits_for_retry_after(
    server: SandboxServer, store: Store, customer: Customer
) -> None:
    server.set_rate_limit(RateLimit(requests_per_second=1.0, burst=1))
    notices: list[RetryNotice] = []

    async def scenario() -> tuple[Customer, Customer]:
        async with CustomersClient(
            server.base_url, store.api_key, on_retry=notices.append
        ) as client:
            return await client.get_customer(customer.id), await client.get_customer(customer.id)

    first, second = asyncio.run(scenario())

    assert first.id == second.id == customer.id
    assert [entry.status for entry in logged(server, 3)] == [200, 429, 200]
    assert len(notices) == 1
    assert notices[0].reason is RetryReason.RATE_LIMITED
    assert notices[0].delay == 1.0


def test_long_retry_after_fails_at_once(
    server: SandboxServer, store: Store, customer: Customer
) -> None:
    server.set_rate_limit(RateLimit(requests_per_second=0.01, burst=1))

    async def scenario() -> None:
        async with CustomersClient(server.base_url, store.api_key) as client:
            await client.get_customer(customer.id)
            await client.get_customer(customer.id)

    started = time.monotonic()
    with pytest.raises(RateLimitedError) as caught:
        asyncio.run(scenario())

    assert time.monotonic() - started < 1.0
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 15
    assert [entry.status for entry in logged(server, 2)] == [200, 429]


CALLS = 40
SERVER_LIMIT = RateLimit(requests_per_second=10.0, burst=20)


def send_many(
    server: SandboxServer, store: Store, customer: Customer, client: dict[str, Any]
) -> list[object]:
    """Send CALLS look-ups at once on one client built with ``client`` options; return their
    results or errors."""

    async def scenario() -> list[object]:
        async with CustomersClient(server.base_url, store.api_key, **client) as own_client:
            calls = (own_client.get_customer(customer.id) for _ in range(CALLS))
            return await asyncio.gather(*calls, return_exceptions=True)

    return asyncio.run(scenario())


def test_client_bucket_keeps_under_server_limit(
    server: SandboxServer, store: Store, customer: Customer
) -> None:
    server.set_rate_limit(SERVER_LIMIT)

    started = time.monotonic()
    results = send_many(server, store, customer, {"requests_per_second": 10.0, "burst": 10})
    took = time.monotonic() - started

    assert all(isinstance(result, Customer) for result in results)
    statuses = [entry.status for entry in logged(server, CALLS)]
    # NOTE: the server's burst of 20 against the client's 10 absorbs up to a second of delay
    # that bunches requests on their way. The server shares this process and its GIL, so on
    # a badly overloaded machine a request or two may still meet a 429 and be retried.
    assert statuses.count(429) <= 2
    # 10 requests at once, then 30 at 10 a second.
    assert took >= 2.9


def test_unthrottled_client_meets_server_limit(
    server: SandboxServer, store: Store, customer: Customer
) -> None:
    server.set_rate_limit(SERVER_LIMIT)
    unthrottled = {"requests_per_second": 1e6, "burst": 1000, "retry_policy": NO_RETRIES}

    results = send_many(server, store, customer, unthrottled)

    statuses = [entry.status for entry in logged(server, CALLS)]
    assert statuses.count(429) >= 10
    assert sum(isinstance(result, RateLimitedError) for result in results) >= 10
