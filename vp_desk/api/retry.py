"""When and how long the Customers API client waits before it sends a request again."""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import httpx

RETRYABLE_STATUSES = frozenset({502, 503, 504})
"""Gateway and availability errors: the request most likely never reached the application."""

RATE_LIMITED_STATUS = 429


class Clock(Protocol):
    """The time source and the sleep of the client, replaceable so that tests need not wait."""

    def monotonic(self) -> float:
        """Return seconds on a clock that never goes back."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``; cancelling the calling task ends the wait at once."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``asyncio.sleep``."""

    def monotonic(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Wait with ``asyncio.sleep``."""
        await asyncio.sleep(seconds)


class RetryReason(StrEnum):
    """The kind of failure of an attempt that sending the request again may fix."""

    CONNECTION_FAILED = "connection failed"
    TIMED_OUT = "timed out"
    SERVER_UNAVAILABLE = "server unavailable"
    RATE_LIMITED = "rate limited"


@dataclass(frozen=True, slots=True)
class RetryNotice:
    """A retry the client is about to make, for a status line such as "retrying in 3 s"."""

    reason: RetryReason
    attempt: int
    """The attempt that failed, counted from 1."""
    max_attempts: int
    delay: float
    """Seconds until the next attempt starts."""
    status: int | None = None
    """The HTTP status of the failed attempt, or None when no response arrived."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Limits of one client call: attempts, backoff between them and the time they may take.

    The backoff before attempt n + 1 is "full jitter": a random time between 0 and
    ``min(max_delay, base_delay * 2 ** (n - 1))`` seconds, so that clients that failed
    together do not come back together. A 429 response waits its ``Retry-After`` instead.
    """

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 4.0
    attempt_timeout: float = 10.0
    """Seconds for one attempt, from sending the request to the last byte of the body."""
    deadline: float = 15.0
    """Seconds for the whole call: every attempt, every wait for a token and every backoff."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be 1 or more, got {self.max_attempts}.")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("base_delay and max_delay must be 0 or more.")
        if not (self.attempt_timeout > 0 and self.deadline > 0):
            raise ValueError("attempt_timeout and deadline must be positive.")

    def backoff(self, failed_attempt: int, fraction: float) -> float:
        """Return the wait after attempt ``failed_attempt``; ``fraction`` is uniform in [0, 1)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (failed_attempt - 1))
        return ceiling * fraction


DEFAULT_RETRY_POLICY = RetryPolicy()
NO_RETRIES = RetryPolicy(max_attempts=1)


def retry_reason_for_status(status: int) -> RetryReason | None:
    """Return why a response with ``status`` may be retried, or None when it must not be."""
    if status in RETRYABLE_STATUSES:
        return RetryReason.SERVER_UNAVAILABLE
    if status == RATE_LIMITED_STATUS:
        return RetryReason.RATE_LIMITED
    return None


def retry_reason_for_exception(error: BaseException) -> RetryReason | None:
    """Return why a failed exchange may be retried, or None when it must not be.

    ``error`` is what httpx raised, or the ``TimeoutError`` of an attempt's deadline. A failed
    certificate check is not retried, because the next attempt would fail the same way.
    """
    if isinstance(error, TimeoutError | httpx.ReadTimeout):
        return RetryReason.TIMED_OUT
    if is_certificate_failure(error):
        return None
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return RetryReason.CONNECTION_FAILED
    # The connection broke after the request was sent; every call of the client is a GET, and
    # sending a GET again is safe.
    if isinstance(error, httpx.ReadError | httpx.WriteError | httpx.RemoteProtocolError):
        return RetryReason.CONNECTION_FAILED
    return None


def is_certificate_failure(error: BaseException) -> bool:
    """Tell whether ``error`` or an exception that caused it is a failed certificate check."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
