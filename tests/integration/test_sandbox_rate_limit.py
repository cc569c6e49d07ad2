"""The sandbox's rate limit: a token bucket per private API key, and its response headers."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.sandbox_command import run_cli, stop_cli
from vp_desk.api.models import ErrorCode, ErrorEnvelope
from vp_desk.sandbox.data import Dataset, Store
from vp_desk.sandbox.ratelimit import DEFAULT_RATE_LIMIT, RateLimit, RateLimiter
from vp_desk.sandbox.server import SandboxServer

API = "/api/v1"
LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
RUN_SECONDS = 3.0
RUN_REQUESTS_PER_SECOND = 50


class ManualClock:
    """A clock that only moves when a test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def store(sandbox_dataset: Dataset) -> Store:
    return sandbox_dataset.stores[0]


@pytest.fixture(scope="module")
def other_store(sandbox_dataset: Dataset) -> Store:
    return sandbox_dataset.stores[1]


def plain_client(server: SandboxServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url + API, timeout=10, trust_env=False)


def get(client: httpx.Client, key: str | None) -> httpx.Response:
    headers = {} if key is None else {"X-API-Key": key}
    return client.get("/customers", params={"limit": "1"}, headers=headers)


def header(response: httpx.Response, name: str) -> int:
    return int(response.headers[name])


# --- The bucket ------------------------------------------------------------------------------


def test_bucket_allows_burst_then_rejects() -> None:
    clock = ManualClock()
    limiter = RateLimiter(DEFAULT_RATE_LIMIT, clock)

    decisions = [limiter.take("key") for _ in range(41)]

    assert [d.allowed for d in decisions] == [True] * 40 + [False]
    assert [d.remaining for d in decisions] == [*range(39, -1, -1), 0]
    assert {d.limit for d in decisions} == {40}
    assert decisions[-1].retry_after_seconds == 1
    assert decisions[-1].reset_seconds == 2
    assert decisions[0].reset_seconds == 1


def test_bucket_refills_at_rate() -> None:
    clock = ManualClock()
    limiter = RateLimiter(DEFAULT_RATE_LIMIT, clock)
    for _ in range(40):
        limiter.take("key")

    clock.now += 0.5
    allowed = sum(limiter.take("key").allowed for _ in range(15))

    assert allowed == 10


def test_bucket_never_holds_more_than_burst() -> None:
    clock = ManualClock()
    limiter = RateLimiter(DEFAULT_RATE_LIMIT, clock)
    limiter.take("key")

    clock.now += 3600
    allowed = sum(limiter.take("key").allowed for _ in range(50))

    assert allowed == 40


def test_bucket_survives_clock_going_back() -> None:
    clock = ManualClock()
    limiter = RateLimiter(RateLimit(requests_per_second=1, burst=2), clock)
    limiter.take("key")

    clock.now -= 100
    decision = limiter.take("key")

    assert decision.allowed is True
    assert decision.remaining == 0


def test_buckets_are_per_key() -> None:
    limiter = RateLimiter(RateLimit(requests_per_second=1, burst=1), ManualClock())

    first = limiter.take("a")
    second = limiter.take("a")
    other = limiter.take("b")

    assert (first.allowed, second.allowed, other.allowed) == (True, False, True)


def test_slow_rate_gives_long_retry_after() -> None:
    limiter = RateLimiter(RateLimit(requests_per_second=0.1, burst=1), ManualClock())
    limiter.take("key")

    rejected = limiter.take("key")

    assert rejected.allowed is False
    assert rejected.retry_after_seconds == 10
    assert rejected.reset_seconds == 10


@pytest.mark.parametrize(
    ("requests_per_second", "burst"), [(0, 40), (-1, 40), (math.nan, 40), (math.inf, 40), (20, 0)]
)
def test_invalid_rate_limit_rejected(requests_per_second: float, burst: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        RateLimit(requests_per_second=requests_per_second, burst=burst)


# --- Over HTTP -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def limited_server(sandbox_dataset: Dataset, clock: ManualClock) -> Iterator[SandboxServer]:
    """Serve with the default rate limit on a clock that moves only when a test moves it."""
    with SandboxServer(sandbox_dataset, clock=clock) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh_buckets(request: pytest.FixtureRequest) -> None:
    if "limited_server" in request.fixturenames:
        request.getfixturevalue("limited_server").set_rate_limit(DEFAULT_RATE_LIMIT)


def test_burst_of_60_gets_40_then_429(limited_server: SandboxServer, store: Store) -> None:
    with plain_client(limited_server) as client:
        responses = [get(client, store.api_key) for _ in range(60)]

    statuses = [response.status_code for response in responses]
    assert statuses == [200] * 40 + [429] * 20
    for response in responses:
        assert header(response, "X-RateLimit-Limit") == 40
        assert 0 <= header(response, "X-RateLimit-Reset") <= 2
    remaining = [header(response, "X-RateLimit-Remaining") for response in responses]
    assert remaining == [*range(39, -1, -1)] + [0] * 20
    for response in responses[40:]:
        assert header(response, "Retry-After") == 1
        error = ErrorEnvelope.model_validate_json(response.content).error
        assert error.code == ErrorCode.RATE_LIMITED
        assert "20 requests per second in bursts of up to 40" in error.message


def test_request_after_retry_after_succeeds(
    limited_server: SandboxServer, store: Store, clock: ManualClock
) -> None:
    with plain_client(limited_server) as client:
        for _ in range(40):
            get(client, store.api_key)
        rejected = get(client, store.api_key)
        clock.now += header(rejected, "Retry-After")
        accepted = get(client, store.api_key)

    assert rejected.status_code == 429
    assert accepted.status_code == 200
    # A whole second brings back 20 tokens, and the accepted request took one.
    assert header(accepted, "X-RateLimit-Remaining") == 19


def test_other_key_has_own_bucket(
    limited_server: SandboxServer, store: Store, other_store: Store
) -> None:
    with plain_client(limited_server) as client:
        for _ in range(41):
            get(client, store.api_key)
        other = get(client, other_store.api_key)

    assert other.status_code == 200
    assert header(other, "X-RateLimit-Remaining") == 39


def test_rejected_keys_get_no_limit_headers(limited_server: SandboxServer, store: Store) -> None:
    with plain_client(limited_server) as client:
        missing = get(client, None)
        public = get(client, store.public_key)
        unknown = get(client, "sk_test_unknown")

    assert [missing.status_code, public.status_code, unknown.status_code] == [401, 403, 401]
    for response in (missing, public, unknown):
        for name in LIMIT_HEADERS:
            assert name not in response.headers


def test_limit_headers_on_errors_after_key_check(
    limited_server: SandboxServer, store: Store
) -> None:
    with plain_client(limited_server) as client:
        bad_request = client.get("/customers/not-a-guid", headers={"X-API-Key": store.api_key})
        not_found = client.get(
            "/customers/00000000-0000-4000-8000-000000000000",
            headers={"X-API-Key": store.api_key},
        )

    assert bad_request.status_code == 400
    assert not_found.status_code == 404
    assert header(bad_request, "X-RateLimit-Remaining") == 39
    assert header(not_found, "X-RateLimit-Remaining") == 38


def test_rate_limit_turned_off(limited_server: SandboxServer, store: Store) -> None:
    limited_server.set_rate_limit(None)

    with plain_client(limited_server) as client:
        responses = [get(client, store.api_key) for _ in range(60)]

    assert {response.status_code for response in responses} == {200}
    for name in LIMIT_HEADERS:
        assert name not in responses[0].headers


def test_real_clock_burst_then_retry_after(sandbox_dataset: Dataset, store: Store) -> None:
    with SandboxServer(sandbox_dataset) as server, plain_client(server) as client:
        started = time.monotonic()
        responses = [get(client, store.api_key) for _ in range(60)]
        elapsed = time.monotonic() - started
        first_rejected = next(r for r in responses if r.status_code == 429)
        time.sleep(header(first_rejected, "Retry-After"))
        after_wait = get(client, store.api_key)

    successes = sum(response.status_code == 200 for response in responses)
    # The bucket refills while the burst is sent, at 20 tokens per second.
    assert 40 <= successes <= 40 + math.ceil(elapsed * 20)
    assert [response.status_code for response in responses[:40]] == [200] * 40
    assert after_wait.status_code == 200


def test_steady_overload_stays_within_limit(sandbox_dataset: Dataset, store: Store) -> None:
    with SandboxServer(sandbox_dataset) as server, plain_client(server) as client:
        started = time.monotonic()
        for index in range(int(RUN_SECONDS * RUN_REQUESTS_PER_SECOND)):
            # Paced against the start, so a slow request does not lower the rate that follows.
            pause = started + index / RUN_REQUESTS_PER_SECOND - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            get(client, store.api_key)
        log = server.request_log()

    successes = sorted(entry.time for entry in log if entry.status == 200)
    rejected = [entry for entry in log if entry.status == 429]
    span = log[-1].time - log[0].time
    busiest = max(
        sum(1 for moment in successes if start <= moment < start + 1.0) for start in successes
    )
    assert busiest <= 20 + 40
    assert rejected
    # Tokens come back at 20 per second whatever the load, so at least that many succeed.
    assert len(successes) >= 40 + 20 * span - 5


# --- Command line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected_statuses", "expected_limit", "summary"),
    [
        (
            ["--rate-limit", "0.5", "--burst", "3"],
            [200, 200, 200, 429, 429],
            "3",
            "Rate limit: 0.5 requests per second per API key, bursts of up to 3",
        ),
        (["--rate-limit", "0"], [200] * 5, None, "Rate limit: off"),
        ([], [200] * 5, "40", "Rate limit: 20 requests per second per API key"),
    ],
    ids=["custom", "off", "default"],
)
def test_cli_rate_limit_options(
    tmp_path: Path,
    options: list[str],
    expected_statuses: list[int],
    expected_limit: str | None,
    summary: str,
) -> None:
    process, keys = run_cli(tmp_path, *options)
    try:
        with httpx.Client(trust_env=False, timeout=10) as client:
            responses = [
                client.get(
                    f"{keys['baseUrl']}{API}/customers",
                    headers={"X-API-Key": keys["stores"][0]["apiKey"]},
                )
                for _ in range(5)
            ]
    finally:
        stdout, stderr = stop_cli(process)

    assert process.returncode == 0, stderr
    assert [response.status_code for response in responses] == expected_statuses
    assert responses[0].headers.get("X-RateLimit-Limit") == expected_limit
    assert summary in stdout
