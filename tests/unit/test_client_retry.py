"""How the client retries GET requests, over a scripted transport and a clock that never waits."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from vp_desk.api.client import CustomersClient
from vp_desk.api.errors import (
    BadRequestError,
    EndpointNotFoundError,
    ForbiddenError,
    NetworkError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    UnauthorizedError,
)
from vp_desk.api.models import Customer
from vp_desk.api.retry import RetryNotice, RetryPolicy, RetryReason, SystemClock

CUSTOMER_ID = "123e4567-e89b-12d3-a456-426614174000"
CUSTOMER = {
    "id": CUSTOMER_ID,
    "email": "customer@example.com",
    "createdAt": "2024-01-15T10:30:00Z",
    "updatedAt": "2024-01-20T14:45:00Z",
}
SUCCESS = {"success": True, "data": CUSTOMER}

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class StepClock:
    """A clock for one task at a time: each sleep moves the time forward at once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class ScriptedTransport(httpx.MockTransport):
    """Returns, raises or calls the n-th step for the n-th request: a response, an exception
    or a function of the request."""

    def __init__(self, steps: Iterable[Step]) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []
        super().__init__(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps[len(self.requests) - 1]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)


def respond(status: int, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    if body is None:
        body = {"success": False, "error": {"code": "SOME_CODE", "message": "Explained."}}
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


def run_get_customer(
    steps: Iterable[Step],
    *,
    clock: StepClock | None = None,
    policy: RetryPolicy | None = None,
    jitter: float = 1.0,
    on_retry: Callable[[RetryNotice], None] | None = None,
) -> tuple[Customer | Exception, ScriptedTransport, StepClock]:
    """Run one get_customer call over ``steps`` and return its result or error."""
    transport = ScriptedTransport(steps)
    clock = clock or StepClock()

    async def scenario() -> Customer:
        async with CustomersClient(
            "http://127.0.0.1:9",
            "sk_test_key",
            retry_policy=policy or RetryPolicy(),
            on_retry=on_retry,
            clock=clock,
            jitter=lambda: jitter,
            transport=transport,
        ) as client:
            return await client.get_customer(CUSTOMER_ID)

    try:
        return asyncio.run(scenario()), transport, clock
    except Exception as error:
        return error, transport, clock


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_status_is_retried(status: int) -> None:
    result, transport, clock = run_get_customer([respond(status), respond(200, SUCCESS)])

    assert isinstance(result, Customer)
    assert len(transport.requests) == 2
    assert clock.sleeps == [0.5]


def test_three_failures_end_with_last_error() -> None:
    result, transport, clock = run_get_customer([respond(502), respond(504), respond(503)])

    assert isinstance(result, ServerError)
    assert result.status == 503
    assert len(transport.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, BadRequestError),
        (401, UnauthorizedError),
        (403, ForbiddenError),
        (404, EndpointNotFoundError),
        (500, ServerError),
    ],
)
def test_client_error_is_not_retried(status: int, error_type: type[Exception]) -> None:
    result, transport, clock = run_get_customer([respond(status), respond(200, SUCCESS)])

    assert isinstance(result, error_type)
    assert len(transport.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.ReadTimeout("slow read"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("closed without a response"),
    ],
    ids=lambda failure: type(failure).__name__,
)
def test_transport_failure_is_retried(failure: Exception) -> None:
    result, transport, _ = run_get_customer([failure, respond(200, SUCCESS)])

    assert isinstance(result, Customer)
    assert len(transport.requests) == 2


def test_connection_failures_end_with_network_error() -> None:
    failures = [httpx.ConnectError("refused") for _ in range(3)]

    result, transport, _ = run_get_customer(failures)

    assert isinstance(result, NetworkError)
    assert len(transport.requests) == 3


def test_read_timeouts_end_with_timeout_error() -> None:
    failures = [httpx.ReadTimeout("slow") for _ in range(3)]

    result, transport, _ = run_get_customer(failures)

    assert isinstance(result, RequestTimeoutError)
    assert len(transport.requests) == 3


def test_certificate_failure_is_not_retried() -> None:
    failure = httpx.ConnectError("certificate verify failed")
    failure.__cause__ = ssl.SSLCertVerificationError("self-signed certificate")

    result, transport, _ = run_get_customer([failure, respond(200, SUCCESS)])

    assert isinstance(result, NetworkError)
    assert "certificate could not be verified" in str(result)
    assert len(transport.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [httpx.ProxyError("refused by proxy"), httpx.PoolTimeout("pool")],
    ids=lambda failure: type(failure).__name__,
)
def test_local_failure_is_not_retried(failure: Exception) -> None:
    result, transport, _ = run_get_customer([failure, respond(200, SUCCESS)])

    assert isinstance(result, NetworkError | RequestTimeoutError)
    assert len(transport.requests) == 1


def test_backoff_has_full_jitter() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=1.5)

    assert policy.backoff(1, 0.0) == 0.0
    assert policy.backoff(1, 0.5) == 0.25
    assert policy.backoff(2, 0.999) == pytest.approx(0.999)
    assert policy.backoff(3, 1.0) == 1.5
    assert policy.backoff(10, 1.0) == 1.5


def test_backoff_uses_jitter_fraction() -> None:
    steps = [respond(503), respond(503), respond(200, SUCCESS)]

    _, _, clock = run_get_customer(steps, jitter=0.25)

    assert clock.sleeps == [0.125, 0.25]


def test_rate_limit_waits_retry_after_seconds() -> None:
    notices: list[RetryNotice] = []
    steps = [respond(429, headers={"Retry-After": "2"}), respond(200, SUCCESS)]

    result, transport, clock = run_get_customer(steps, on_retry=notices.append)

    assert isinstance(result, Customer)
    assert len(transport.requests) == 2
    assert clock.sleeps == [2.0]
    assert notices == [
        RetryNotice(
            reason=RetryReason.RATE_LIMITED, attempt=1, max_attempts=3, delay=2.0, status=429
        )
    ]


def test_rate_limit_waits_until_http_date() -> None:
    moment = datetime.now(UTC) + timedelta(seconds=6)
    headers = {"Retry-After": format_datetime(moment, usegmt=True)}

    result, _, clock = run_get_customer([respond(429, headers=headers), respond(200, SUCCESS)])

    assert isinstance(result, Customer)
    assert len(clock.sleeps) == 1
    assert 4.0 < clock.sleeps[0] <= 6.0


def test_rate_limit_past_deadline_fails_at_once() -> None:
    steps = [respond(429, headers={"Retry-After": "60"}), respond(200, SUCCESS)]

    result, transport, clock = run_get_customer(steps)

    assert isinstance(result, RateLimitedError)
    assert result.retry_after == 60.0
    assert len(transport.requests) == 1
    assert clock.sleeps == []


def test_rate_limit_without_retry_after_backs_off() -> None:
    result, _, clock = run_get_customer([respond(429), respond(200, SUCCESS)], jitter=0.5)

    assert isinstance(result, Customer)
    assert clock.sleeps == [0.25]


def test_rate_limits_share_attempt_budget() -> None:
    limited = respond(429, headers={"Retry-After": "1"})

    result, transport, clock = run_get_customer([limited, limited, limited, respond(200, SUCCESS)])

    assert isinstance(result, RateLimitedError)
    assert result.retry_after == 1.0
    assert len(transport.requests) == 3
    assert clock.sleeps == [1.0, 1.0]


def test_service_unavailable_honours_retry_after() -> None:
    steps = [respond(503, headers={"Retry-After": "3"}), respond(200, SUCCESS)]

    result, _, clock = run_get_customer(steps)

    assert isinstance(result, Customer)
    assert clock.sleeps == [3.0]


def test_deadline_stops_retries() -> None:
    clock = StepClock()

    def slow_failure(request: httpx.Request) -> httpx.Response:
        clock.now += 10.0
        raise httpx.ReadTimeout("slow", request=request)

    steps = [slow_failure, slow_failure, slow_failure]
    policy = RetryPolicy(deadline=15.0)

    result, transport, _ = run_get_customer(steps, clock=clock, policy=policy)

    assert isinstance(result, RequestTimeoutError)
    assert len(transport.requests) == 2
    assert clock.now == pytest.approx(20.5)


def test_backoff_past_deadline_is_not_slept() -> None:
    clock = StepClock()

    def late_failure(request: httpx.Request) -> httpx.Response:
        clock.now += 14.8
        return respond(503)

    policy = RetryPolicy(deadline=15.0, base_delay=0.5)

    result, transport, _ = run_get_customer([late_failure], clock=clock, policy=policy)

    assert isinstance(result, ServerError)
    assert len(transport.requests) == 1
    assert clock.sleeps == []


def test_one_attempt_policy_never_retries() -> None:
    policy = RetryPolicy(max_attempts=1)

    result, transport, _ = run_get_customer([respond(503), respond(200, SUCCESS)], policy=policy)

    assert isinstance(result, ServerError)
    assert len(transport.requests) == 1


def test_failing_retry_callback_does_not_fail_call(caplog: pytest.LogCaptureFixture) -> None:
    def broken(notice: RetryNotice) -> None:
        raise RuntimeError("status bar is gone")

    result, _, _ = run_get_customer([respond(503), respond(200, SUCCESS)], on_retry=broken)

    assert isinstance(result, Customer)
    assert "on_retry callback failed" in caplog.text


def test_notices_count_attempts() -> None:
    notices: list[RetryNotice] = []
    failure = httpx.ConnectError("refused")

    run_get_customer([failure, respond(504), respond(200, SUCCESS)], on_retry=notices.append)

    assert [notice.attempt for notice in notices] == [1, 2]
    assert [notice.reason for notice in notices] == [
        RetryReason.CONNECTION_FAILED,
        RetryReason.SERVER_UNAVAILABLE,
    ]
    assert [notice.status for notice in notices] == [None, 504]
    assert [notice.delay for notice in notices] == [0.5, 1.0]


@pytest.mark.parametrize(
    "arguments",
    [
        {"max_attempts": 0},
        {"base_delay": -1.0},
        {"attempt_timeout": 0.0},
        {"deadline": -5.0},
    ],
)
def test_policy_rejects_invalid_limits(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        RetryPolicy(**arguments)


def cancel_after_first_request(
    handler: Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]], policy: RetryPolicy
) -> tuple[float, int]:
    """Start get_customer, cancel it 50 ms after its first request reached ``handler``, and
    return the seconds the task took to end and the number of requests made."""
    requests: list[httpx.Request] = []
    first_request = asyncio.Event()

    async def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        first_request.set()
        return await handler(request)

    async def scenario() -> float:
        transport = httpx.MockTransport(answer)
        async with CustomersClient(
            "http://127.0.0.1:9",
            "sk_test_key",
            retry_policy=policy,
            clock=SystemClock(),
            jitter=lambda: 1.0,
            transport=transport,
        ) as client:
            task = asyncio.create_task(client.get_customer(CUSTOMER_ID))
            await asyncio.wait_for(first_request.wait(), timeout=2.0)
            await asyncio.sleep(0.05)

            started = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=2.0)
            return time.monotonic() - started

    took = asyncio.run(scenario())
    return took, len(requests)


def test_cancel_during_backoff_ends_at_once() -> None:
    async def unavailable(request: httpx.Request) -> httpx.Response:
        return respond(503)

    policy = RetryPolicy(base_delay=30.0, max_delay=30.0, deadline=60.0)

    took, requests = cancel_after_first_request(unavailable, policy)

    assert took < 0.5
    assert requests == 1


def test_cancel_during_request_ends_at_once() -> None:
    async def hanging(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(60)
        return respond(200, SUCCESS)

    took, requests = cancel_after_first_request(hanging, RetryPolicy())

    assert took < 0.5
    assert requests == 1


def test_attempt_deadline_bounds_slow_body() -> None:
    async def trickle() -> Any:
        yield b'{"success": true, '
        for _ in range(100):
            await asyncio.sleep(0.05)
            yield b" "

    async def slow_body(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=trickle())

    async def scenario() -> None:
        transport = httpx.MockTransport(slow_body)
        policy = RetryPolicy(max_attempts=1, attempt_timeout=0.3)
        async with CustomersClient(
            "http://127.0.0.1:9", "sk_test_key", retry_policy=policy, transport=transport
        ) as client:
            await client.get_customer(CUSTOMER_ID)

    started = time.monotonic()
    with pytest.raises(RequestTimeoutError, match=r"not complete within 0\.3 s"):
        asyncio.run(scenario())
    assert time.monotonic() - started < 2.0
