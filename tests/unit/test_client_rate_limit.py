"""The client's token bucket: bursts, steady rate, deadline and cancellation, on virtual time."""

from __future__ import annotations

import asyncio
import bisect
import heapq
import itertools
from collections.abc import Coroutine, Sequence
from typing import Any

import httpx
import pytest

from vp_desk.api.client import CustomersClient
from vp_desk.api.errors import RequestTimeoutError
from vp_desk.api.models import Customer
from vp_desk.api.retry import RetryPolicy
from vp_desk.api.throttle import TokenBucket

CUSTOMER_ID = "123e4567-e89b-12d3-a456-426614174000"
SUCCESS = {
    "success": True,
    "data": {
        "id": CUSTOMER_ID,
        "createdAt": "2024-01-15T10:30:00Z",
        "updatedAt": "2024-01-20T14:45:00Z",
    },
}
RATE = 20.0
BURST = 40


class VirtualClock:
    """A clock whose time jumps to the next wake-up once every task of the test is asleep.

    Tasks must wait only on this clock; the fake transport never waits, so a task that is not
    asleep here is ready to run.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def run(self, coroutines: Sequence[Coroutine[Any, Any, Any]]) -> list[Any]:
        """Run ``coroutines`` as tasks to the end and return their results or errors."""
        tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
        while not all(task.done() for task in tasks):
            await asyncio.sleep(0)
            running = sum(not task.done() for task in tasks)
            asleep = sum(not future.done() for _, _, future in self._sleepers)
            if running and asleep == running:
                self._wake_next()
        return await asyncio.gather(*tasks, return_exceptions=True)

    def _wake_next(self) -> None:
        while self._sleepers:
            wake_time, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                self.now = max(self.now, wake_time)
                future.set_result(None)
                return


def max_in_window(times: list[float], length: float) -> int:
    """Return the most times that fall in one closed window of ``length`` seconds."""
    ordered = sorted(times)
    # A tiny margin absorbs float rounding at the window's far edge.
    return max(
        bisect.bisect_right(ordered, start + length - 1e-9) - index
        for index, start in enumerate(ordered)
    )


def send_all(arrivals: Sequence[float], *, deadline: float = 15.0) -> tuple[list[Any], list[float]]:
    """Start one get_customer call at each arrival time on one client, and return the results
    and the virtual times at which requests reached the transport."""
    clock = VirtualClock()
    sent: list[float] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(clock.now)
        return httpx.Response(200, json=SUCCESS)

    async def scenario() -> list[Any]:
        async with CustomersClient(
            "http://127.0.0.1:9",
            "sk_test_key",
            retry_policy=RetryPolicy(deadline=deadline),
            requests_per_second=RATE,
            burst=BURST,
            clock=clock,
            transport=httpx.MockTransport(record),
        ) as client:

            async def call_at(moment: float) -> Customer:
                await clock.sleep(moment)
                return await client.get_customer(CUSTOMER_ID)

            return await clock.run([call_at(moment) for moment in arrivals])

    return asyncio.run(scenario()), sent


def test_burst_goes_out_at_once() -> None:
    results, sent = send_all([0.0] * BURST)

    assert all(isinstance(result, Customer) for result in results)
    assert sent == [0.0] * BURST


def test_requests_beyond_burst_wait_for_tokens() -> None:
    _, sent = send_all([0.0] * (BURST + 3))

    assert sent[BURST:] == pytest.approx([0.05, 0.10, 0.15])


def test_simultaneous_calls_stay_under_limit() -> None:
    results, sent = send_all([0.0] * 300)

    assert all(isinstance(result, Customer) for result in results)
    assert len(sent) == 300
    assert max_in_window(sent, 1.0) <= BURST + RATE
    steady = sent[BURST:]
    average_rate = (len(steady) - 1) / (steady[-1] - steady[0])
    assert average_rate == pytest.approx(RATE, rel=1e-6)


def test_fast_typing_stays_under_limit() -> None:
    arrivals = [index * 0.02 for index in range(400)]

    results, sent = send_all(arrivals)

    assert all(isinstance(result, Customer) for result in results)
    assert max_in_window(sent, 1.0) <= BURST + RATE
    assert max_in_window(sent, 5.0) <= BURST + 5 * RATE
    last_five_seconds = [moment for moment in sent if moment > sent[-1] - 5.0]
    assert len(last_five_seconds) == pytest.approx(5 * RATE, abs=1)


def test_bucket_refills_while_idle() -> None:
    arrivals = [0.0] * BURST + [10.0] * BURST

    _, sent = send_all(arrivals)

    assert sent == [0.0] * BURST + [10.0] * BURST


def test_token_wait_past_deadline_fails_at_once() -> None:
    results, sent = send_all([0.0] * 400, deadline=15.0)

    timed_out = [index for index, result in enumerate(results) if isinstance(result, Exception)]
    assert all(isinstance(results[index], RequestTimeoutError) for index in timed_out)
    # Within 15 s the bucket lets through its burst and 20 tokens a second.
    assert BURST + 15 * RATE - 1 <= len(sent) <= BURST + 15 * RATE + 1
    assert len(timed_out) == 400 - len(sent)
    assert timed_out == list(range(len(sent), 400))


def test_cancelled_waiter_gives_token_back() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(rate=1.0, burst=1, clock=clock)

    async def scenario() -> tuple[float, float]:
        assert await bucket.acquire()
        waiter = asyncio.ensure_future(bucket.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        return bucket.reserve(), bucket.reserve()

    first_wait, second_wait = asyncio.run(scenario())

    assert first_wait == 1.0
    assert second_wait == 2.0


def test_refused_wait_takes_no_token() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(rate=2.0, burst=1, clock=clock)

    async def scenario() -> tuple[bool, bool, float]:
        first = await bucket.acquire()
        refused = await bucket.acquire(max_wait=0.1)
        return first, refused, bucket.reserve()

    first, refused, next_wait = asyncio.run(scenario())

    assert first is True
    assert refused is False
    assert next_wait == 0.5


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (float("inf"), 1), (1.0, 0)])
def test_bucket_rejects_invalid_settings(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        TokenBucket(rate=rate, burst=burst)
