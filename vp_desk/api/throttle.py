"""A token bucket that keeps the client's request rate under the server's limit."""

from __future__ import annotations

import asyncio
import math

from vp_desk.api.retry import Clock, SystemClock

DEFAULT_REQUESTS_PER_SECOND = 20.0
DEFAULT_BURST = 40


class TokenBucket:
    """Lets through ``burst`` requests at once, then ``rate`` requests per second.

    Each request takes one token. The bucket contains at most ``burst`` tokens and gains ``rate``
    tokens per second. A request that finds no token reserves the next one to come and waits
    for it, so waiting requests go out in the order they arrived. In any span of ``t`` seconds
    at most ``burst + rate * t`` requests go out.

    One bucket belongs to one event loop; it has no lock because asyncio runs one task at a time.
    """

    def __init__(
        self,
        rate: float = DEFAULT_REQUESTS_PER_SECOND,
        burst: int = DEFAULT_BURST,
        *,
        clock: Clock | None = None,
    ) -> None:
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError(f"rate must be a positive number of requests per second, got {rate}.")
        if burst < 1:
            raise ValueError(f"burst must be 1 or more, got {burst}.")
        self.rate = rate
        self.burst = burst
        self._clock = clock or SystemClock()
        self._tokens = float(burst)
        self._updated = self._clock.monotonic()

    def reserve(self) -> float:
        """Take a token and return the seconds to wait before the request may go out.

        A negative balance stands for the tokens that waiting requests have reserved.
        """
        self._refill()
        self._tokens -= 1
        return max(0.0, -self._tokens / self.rate)

    def release(self) -> None:
        """Give back a reserved token that no request will use."""
        self._refill()
        self._tokens = min(float(self.burst), self._tokens + 1)

    async def acquire(self, max_wait: float | None = None) -> bool:
        """Wait for a token; return False at once, taking none, if the wait is over ``max_wait``.

        Cancelling the calling task gives the reserved token back.
        """
        wait = self.reserve()
        if max_wait is not None and wait > max_wait:
            self.release()
            return False
        if wait > 0:
            try:
                await self._clock.sleep(wait)
            except asyncio.CancelledError:
                self.release()
                raise
        return True

    def _refill(self) -> None:
        now = self._clock.monotonic()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._updated = now
