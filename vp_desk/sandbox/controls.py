"""Run-time controls of a sandbox: added latency, injected failures, rate limit and request log."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vp_desk.api.models import ErrorCode
from vp_desk.sandbox.errors import error_response
from vp_desk.sandbox.ratelimit import RateLimit, RateLimitDecision, RateLimiter

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
MAX_LOG_ENTRIES = 10_000
"""Entries that the request log keeps; older ones are dropped, so a long demo stays small."""


def key_id(api_key: str) -> str:
    """Return the id under which the request log names an API key: a prefix of its SHA-256.

    The log never contains the key itself, and tests compute the same id from the key they sent.
    """
    return "key_" + hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class SandboxRequest:
    """A request as a latency function receives it, before the sandbox handles it."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    """The query parameters in the order sent, decoded."""
    key_id: str | None
    """The id of the X-API-Key header's key (see key_id), or None without the header."""

    def param(self, name: str) -> str | None:
        """Return the first value of a query parameter, or None when it is absent."""
        return next((value for key, value in self.params if key == name), None)


@dataclass(frozen=True, slots=True)
class RequestLogEntry:
    """One request that the sandbox received, and how it ended."""

    time: float
    """time.monotonic() of the sandbox's process when the request arrived."""
    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    key_id: str | None
    latency_seconds: float
    """The latency added before handling, whether or not the client waited for all of it."""
    status: int | None
    """The status sent, or None when no response was sent."""
    client_disconnected: bool
    """Whether the connection closed during the added latency: the client gave up, or
    go_offline() cut it."""


LatencySetting = float | Callable[[SandboxRequest], float]
"""Seconds to wait before handling each request, or a function that returns them per request."""


class SandboxControls:
    """Settings that tests and demos change while a sandbox serves, and its request log.

    Every method is safe to call from any thread.  A latency function runs on the server's
    thread, once per request, before the request is handled.
    """

    def __init__(
        self,
        *,
        latency: LatencySetting = 0.0,
        fail_rate: float = 0.0,
        rate_limit: RateLimit | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Set the controls as the set_ methods take them; ``clock`` times the rate limit."""
        self._lock = threading.Lock()
        self._clock = clock
        self._random = random.Random()
        self._log: deque[RequestLogEntry] = deque(maxlen=MAX_LOG_ENTRIES)
        self._latency: LatencySetting = 0.0
        self._fail_rate = 0.0
        self._rate_limiter: RateLimiter | None = None
        self.set_latency(latency)
        self.set_fail_rate(fail_rate)
        self.set_rate_limit(rate_limit)

    def set_latency(self, latency: LatencySetting) -> None:
        """Wait this many seconds before handling each request, or as many as the function returns.

        Raises ValueError for a negative or infinite number of seconds.
        """
        if not callable(latency):
            _check_latency(latency)
        with self._lock:
            self._latency = latency

    def set_fail_rate(self, fail_rate: float) -> None:
        """Respond to this share of requests, from 0 to 1, with 503 SERVICE_UNAVAILABLE.

        Raises ValueError for a share outside 0 to 1.
        """
        if not 0.0 <= fail_rate <= 1.0:
            raise ValueError(f"fail_rate must be from 0 to 1, got {fail_rate}.")
        with self._lock:
            self._fail_rate = fail_rate

    def set_rate_limit(self, rate_limit: RateLimit | None) -> None:
        """Limit each private API key from now on, every bucket full, or stop limiting with None."""
        with self._lock:
            self._rate_limiter = (
                None if rate_limit is None else RateLimiter(rate_limit, self._clock)
            )

    @property
    def rate_limit(self) -> RateLimit | None:
        """The rate limit in force, or None when requests are not limited."""
        with self._lock:
            limiter = self._rate_limiter
        return None if limiter is None else limiter.limit

    def request_log(self) -> list[RequestLogEntry]:
        """Return the logged requests, oldest first, up to the last MAX_LOG_ENTRIES.

        A request is logged as its response starts, so before the client can read any of it,
        or, when it gets no response, as the sandbox stops handling it.
        """
        with self._lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        """Forget every logged request."""
        with self._lock:
            self._log.clear()

    def take_token(self, api_key: str) -> RateLimitDecision | None:
        """Count a request of a private key against the rate limit; None when there is none."""
        with self._lock:
            limiter = self._rate_limiter
        return None if limiter is None else limiter.take(api_key)

    def latency_for(self, request: SandboxRequest) -> float:
        """Return the seconds to wait before handling the request.

        Raises ValueError when a latency function returns a negative or infinite number.
        """
        with self._lock:
            latency = self._latency
        if not callable(latency):
            return latency
        seconds = latency(request)
        _check_latency(seconds)
        return seconds

    def should_fail(self) -> bool:
        """Draw whether the next request gets the injected 503."""
        with self._lock:
            return self._fail_rate > 0.0 and self._random.random() < self._fail_rate

    @property
    def fail_rate(self) -> float:
        """The share of requests that get the injected 503."""
        with self._lock:
            return self._fail_rate

    def record(self, entry: RequestLogEntry) -> None:
        """Add an entry to the request log."""
        with self._lock:
            self._log.append(entry)


def _check_latency(seconds: float) -> None:
    if not (math.isfinite(seconds) and seconds >= 0.0):
        raise ValueError(f"latency must be a finite number of seconds of 0 or more, got {seconds}.")


class ControlsMiddleware:
    """ASGI middleware that applies SandboxControls to each request and logs how it ended.

    The latency comes first, then the injected failure, so a failed request is slow too.
    """

    def __init__(self, app: ASGIApp, controls: SandboxControls) -> None:
        self._app = app
        self._controls = controls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        arrived = time.monotonic()
        request = _sandbox_request(scope)
        latency = 0.0
        disconnected = False
        logged = False

        def record(status: int | None) -> None:
            nonlocal logged
            logged = True
            self._controls.record(
                RequestLogEntry(
                    time=arrived,
                    method=request.method,
                    path=request.path,
                    params=request.params,
                    key_id=request.key_id,
                    latency_seconds=latency,
                    status=status,
                    client_disconnected=disconnected,
                )
            )

        async def send_and_record(message: Message) -> None:
            # Logged before the first byte goes out, so a client that has its response can
            # rely on finding the request in the log.
            if message["type"] == "http.response.start" and not logged:
                record(int(message["status"]))
            await send(message)

        try:
            try:
                latency = self._controls.latency_for(request)
            except Exception:
                # A broken latency function is a bug of the test that set it, so it gets a 500.
                logger.exception(
                    "The latency function failed on %s %s", request.method, request.path
                )
                response = error_response(
                    500,
                    ErrorCode.INTERNAL_ERROR,
                    "The sandbox's latency function failed; its log has the details.",
                )
                await response(scope, receive, send_and_record)
                return

            if latency > 0.0:
                disconnected, receive = await _sleep_unless_disconnected(latency, receive)
            if not disconnected:
                await self._handle(scope, receive, send_and_record)
        finally:
            if not logged:
                record(None)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._controls.should_fail():
            await self._app(scope, receive, send)
            return

        response = error_response(
            503,
            ErrorCode.SERVICE_UNAVAILABLE,
            "The service is unavailable; retry later. The sandbox fails a share of "
            f"{self._controls.fail_rate:g} of all requests on purpose (its fail rate).",
        )
        await response(scope, receive, send)


def _sandbox_request(scope: Scope) -> SandboxRequest:
    api_key = None
    for name, value in scope["headers"]:
        if name.decode("latin-1").lower() == API_KEY_HEADER.lower():
            api_key = value.decode("latin-1")
            break

    query = QueryParams(scope["query_string"])
    return SandboxRequest(
        method=str(scope["method"]),
        path=str(scope["path"]),
        params=tuple(query.multi_items()),
        key_id=None if not api_key else key_id(api_key),
    )


async def _sleep_unless_disconnected(seconds: float, receive: Receive) -> tuple[bool, Receive]:
    """Wait ``seconds`` or until the client disconnects; return whether it did, and a receive.

    The returned receive first replays the request messages read while waiting, so the
    application still gets the whole request.
    """
    received: deque[Message] = deque()

    async def watch() -> None:
        # After the last part of the body, the server's receive only returns on disconnect.
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            received.append(message)

    watcher = asyncio.ensure_future(watch())
    try:
        done, _ = await asyncio.wait({watcher}, timeout=seconds)
    finally:
        if not watcher.done():
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    if watcher in done:
        watcher.result()  # re-raises an error of the server's receive, if there was one

    async def replay() -> Message:
        if received:
            return received.popleft()
        return await receive()

    return watcher in done, replay
