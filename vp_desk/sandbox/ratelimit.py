"""Rate limit per API key: a token bucket, as the platform applies to its Customers API."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_REQUESTS_PER_SECOND = 20.0
DEFAULT_BURST = 40


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A token bucket per API key.

    Each key's bucket holds up to ``burst`` tokens and starts full.  A request takes one token
    and is rejected when none is left, and tokens come back at ``requests_per_second``.  Over
    any span of t seconds a key so gets at most ``burst + requests_per_second * t`` requests.
    """

    requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND
    burst: int = DEFAULT_BURST

    def __post_init__(self) -> None:
        if not (math.isfinite(self.requests_per_second) and self.requests_per_second > 0):
            raise ValueError(
                f"requests_per_second must be a positive number, got {self.requests_per_second}."
            )
        if self.burst < 1:
            raise ValueError(f"burst must be 1 or more, got {self.burst}.")


DEFAULT_RATE_LIMIT = RateLimit()


@dataclass(frozen=True, slots=True)
class RateLimitDecision:
    """Whether one request may go ahead, and the state of its key's bucket afterwards."""

    allowed: bool
    requests_per_second: float
    limit: int
    """The bucket's size, the burst."""
    remaining: int
    """Whole tokens left after this request."""
    reset_seconds: int
    """Whole seconds, rounded up, until the bucket is full again."""
    retry_after_seconds: int
    """Whole seconds, rounded up and at least 1, until a rejected request may be sent again."""

    def headers(self) -> dict[str, str]:
        """Return the X-RateLimit headers that describe this decision."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimiter:
    """Token buckets of API keys under one RateLimit; safe to use from several threads."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        """Start with every bucket full; ``clock`` returns seconds, like time.monotonic."""
        self._limit = limit
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def limit(self) -> RateLimit:
        """The rate and burst that every key's bucket follows."""
        return self._limit

    def take(self, key: str) -> RateLimitDecision:
        """Take a token from the key's bucket if it has one, and return the decision."""
        rate, burst = self._limit.requests_per_second, self._limit.burst
        with self._lock:
            now = self._clock()
            tokens, updated = self._buckets.get(key, (float(burst), now))
            # max() guards against a clock that went back, which would drain the bucket.
            tokens = min(float(burst), tokens + max(0.0, now - updated) * rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)

        return RateLimitDecision(
            allowed=allowed,
            requests_per_second=rate,
            limit=burst,
            remaining=math.floor(tokens),
            reset_seconds=math.ceil((burst - tokens) / rate),
            retry_after_seconds=max(1, math.ceil((1.0 - tokens) / rate)),
        )
