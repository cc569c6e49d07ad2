"""SandboxServer: the sandbox application served by uvicorn in a background thread."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from vp_desk.api.models import build_validators
from vp_desk.net import is_loopback_host
from vp_desk.sandbox.app import create_app
from vp_desk.sandbox.controls import LatencySetting, RequestLogEntry, SandboxControls
from vp_desk.sandbox.data import Dataset
from vp_desk.sandbox.database import SandboxDatabase
from vp_desk.sandbox.ratelimit import DEFAULT_RATE_LIMIT, RateLimit

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 5.0
# Requests still running this long after stop() are cancelled.
_GRACEFUL_SHUTDOWN_SECONDS = 2
_POLL_SECONDS = 0.01


class SandboxStartError(RuntimeError):
    """The sandbox server could not bind its port or did not start in time."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """A PEM certificate chain and its private key, with which the sandbox serves HTTPS."""

    certificate: Path
    key: Path

    def check(self) -> None:
        """Load both files as a TLS server would; raise SandboxStartError when that fails."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            # An empty password makes an encrypted key fail here, where OpenSSL would
            # otherwise prompt for one on the terminal; uvicorn gets no password either.
            context.load_cert_chain(self.certificate, self.key, password="")
        except (OSError, ssl.SSLError) as exc:
            raise SandboxStartError(
                f"Cannot load the TLS certificate {self.certificate} with the key {self.key}: "
                f"{exc}. Both must be PEM files, the key unencrypted and matching the "
                "certificate."
            ) from exc


class SandboxServer:
    """Serves a dataset over real HTTP on a local port until stop() is called.

    The sandbox returns demo data to anyone with its test keys, so it binds only loopback
    addresses unless ``allow_remote`` is true.  Like the platform, it limits each private key
    to DEFAULT_RATE_LIMIT unless given another rate limit or None.  Tests and demos can slow
    it down, make it fail, take it offline and read its request log while it serves.  With
    ``tls`` it serves HTTPS instead of HTTP.
    """

    def __init__(
        self,
        dataset: Dataset,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_remote: bool = False,
        rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
        latency: LatencySetting = 0.0,
        fail_rate: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        tls: TlsFiles | None = None,
    ) -> None:
        """Prepare a server for ``host`` and ``port``; port 0 takes a free port at start().

        ``rate_limit`` None serves every request; ``latency`` and ``fail_rate`` are as
        set_latency and set_fail_rate take them.  ``clock`` returns the seconds by which the
        rate limit refills its buckets, so a test can stop time.  ``tls`` names the certificate
        and key of HTTPS; without it the server speaks plain HTTP.  Raises ValueError for a port
        outside 0-65535, for a host that is not a loopback address while ``allow_remote`` is
        false, and for an invalid latency or fail rate.
        """
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {port}.")
        if not allow_remote and not is_loopback_host(host):
            raise ValueError(
                f"host {host!r} is not a loopback address; the sandbox serves demo data "
                "without real authentication, so pass allow_remote=True to serve it anyway."
            )
        self._dataset = dataset
        self._host = host
        self._requested_port = port
        self._tls = tls
        self._controls = SandboxControls(
            latency=latency, fail_rate=fail_rate, rate_limit=rate_limit, clock=clock
        )
        self._port: int | None = None
        self._database: SandboxDatabase | None = None
        self._app: ASGIApp | None = None
        self._listener: _Listener | None = None
        self._stopped = False

    @property
    def base_url(self) -> str:
        """The server's root URL, such as "http://127.0.0.1:8765"; RuntimeError before start().

        The scheme is https:// when the server was given TLS files.
        """
        if self._port is None:
            raise RuntimeError("The sandbox server has no port until start() is called.")
        host = self._host.strip("[]")
        if ":" in host:
            host = f"[{host}]"
        scheme = "http" if self._tls is None else "https"
        return f"{scheme}://{host}:{self._port}"

    @property
    def is_online(self) -> bool:
        """Whether the server accepts connections: started, not stopped and not offline."""
        return self._listener is not None

    def start(self) -> None:
        """Bind the port, start serving in a daemon thread, and return once it accepts connections.

        Raises SandboxStartError when the TLS files cannot be loaded, the port is taken or the
        server does not start within STARTUP_TIMEOUT_SECONDS, and RuntimeError when the server
        was already started.
        """
        if self._app is not None or self._stopped:
            raise RuntimeError("The sandbox server was already started; create a new one.")
        # Checked here, because uvicorn loads the files on the server's thread, where a
        # failure would surface only as a thread that stopped during start-up.
        if self._tls is not None:
            self._tls.check()

        # The server's thread builds wire models that the app's thread may be building at the
        # same moment, and pydantic releases before its rebuild lock did not guard that.
        build_validators()
        sock = self._bind(self._requested_port)
        try:
            self._database = SandboxDatabase(self._dataset)
            self._app = create_app(self._database, self._controls)
            self._listener = _Listener.start(self._app, sock, self._port, self._tls)
        except BaseException:
            sock.close()
            self.stop()
            raise
        logger.info(
            "Sandbox serving %d customers at %s", len(self._dataset.customers), self.base_url
        )

    def _bind(self, port: int) -> socket.socket:
        host = self._host.strip("[]")
        try:
            address_info = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )
        except socket.gaierror as exc:
            raise SandboxStartError(f"Cannot resolve host {self._host!r}: {exc}.") from exc

        family, kind, protocol, _, address = address_info[0]
        sock = socket.socket(family, kind, protocol)
        try:
            # On POSIX systems SO_REUSEADDR only lets a restarted sandbox reuse a port that
            # still has closing connections.  On Windows it would let two servers share a
            # port, so a taken port would go unnoticed.
            if sys.platform != "win32":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen()
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise SandboxStartError(
                    f"Port {port} on {self._host} is already in use; "
                    "choose another port, or 0 for any free port."
                ) from exc
            raise SandboxStartError(f"Cannot listen on {self._host}:{port}: {exc}") from exc

        self._port = int(sock.getsockname()[1])
        return sock

    def go_offline(self) -> None:
        """Close the listening socket and every open connection, so that clients fail.

        New connections are refused, and requests in progress end without a response.  The
        database, the controls and the request log stay.  Does nothing when already offline;
        raises RuntimeError before start() or after stop().
        """
        self._check_running("go offline")
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop(abort_connections=True)
            logger.info("Sandbox at %s is offline", self.base_url)

    def go_online(self) -> None:
        """Listen again on the same port after go_offline(); does nothing when online.

        Raises SandboxStartError when another program took the port meanwhile, and
        RuntimeError before start() or after stop().
        """
        self._check_running("go online")
        if self._listener is not None or self._app is None:
            return
        assert self._port is not None
        sock = self._bind(self._port)
        try:
            self._listener = _Listener.start(self._app, sock, self._port, self._tls)
        except BaseException:
            sock.close()
            raise
        logger.info("Sandbox at %s is online again", self.base_url)

    def _check_running(self, action: str) -> None:
        if self._app is None or self._stopped:
            raise RuntimeError(f"The sandbox server can only {action} between start() and stop().")

    def set_latency(self, latency: LatencySetting) -> None:
        """Wait this many seconds before handling each request, or as many as the function returns.

        The function receives a SandboxRequest and runs on the server's thread.  A client that
        disconnects during the wait gets no response, and the log marks its request.  Raises
        ValueError for a negative or infinite number of seconds.
        """
        self._controls.set_latency(latency)

    def set_fail_rate(self, fail_rate: float) -> None:
        """Respond to this share of requests, from 0 to 1, with 503 SERVICE_UNAVAILABLE."""
        self._controls.set_fail_rate(fail_rate)

    def set_rate_limit(self, rate_limit: RateLimit | None) -> None:
        """Limit each private API key from now on, every bucket full, or stop limiting with None."""
        self._controls.set_rate_limit(rate_limit)

    def request_log(self) -> list[RequestLogEntry]:
        """Return the requests received so far, oldest first, up to the last MAX_LOG_ENTRIES.

        A request is in the log before its client can read any of the response.  A request
        that gets no response appears once the sandbox stops handling it.
        """
        return self._controls.request_log()

    def clear_request_log(self) -> None:
        """Forget every logged request."""
        self._controls.clear_request_log()

    def stop(self) -> None:
        """Stop serving, join the thread and close the database; later calls do nothing.

        Raises RuntimeError when the thread is still running after STOP_TIMEOUT_SECONDS.
        """
        self._stopped = True
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop(abort_connections=False)
        if self._database is not None:
            self._database.close()
            self._database = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class _Listener:
    """One uvicorn server on one listening socket, run by its own thread and event loop."""

    def __init__(self, server: uvicorn.Server, sock: socket.socket, port: int | None) -> None:
        self._server = server
        self._socket = sock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._serve, name=f"sandbox-server-{port}", daemon=True
        )

    @classmethod
    def start(
        cls, app: ASGIApp, sock: socket.socket, port: int | None, tls: TlsFiles | None
    ) -> _Listener:
        """Serve ``app`` on the bound socket and return once it accepts connections.

        With ``tls`` the socket carries HTTPS.

        Raises SandboxStartError when the server does not start within STARTUP_TIMEOUT_SECONDS.
        """
        config = uvicorn.Config(
            app,
            # Without log_config, uvicorn leaves the process's logging set-up alone and only
            # sets the level of its own loggers.
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
            ssl_certfile=None if tls is None else tls.certificate,
            ssl_keyfile=None if tls is None else tls.key,
        )
        listener = cls(uvicorn.Server(config), sock, port)
        listener._thread.start()
        try:
            listener._wait_until_started()
        except BaseException:
            listener.stop(abort_connections=True)
            raise
        return listener

    def _serve(self) -> None:
        try:
            # asyncio.run gives the thread a loop of its own, never one of the caller's.
            asyncio.run(self._run())
        except BaseException as exc:
            # Kept for start() to report; uvicorn calls sys.exit when its start-up fails.
            self._error = exc
            logger.exception("The sandbox server thread failed")

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._server.serve(sockets=[self._socket])

    def _wait_until_started(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive():
                raise SandboxStartError(
                    f"The sandbox server stopped during start-up: {self._error!r}"
                )
            if time.monotonic() > deadline:
                raise SandboxStartError(
                    f"The sandbox server did not start within {STARTUP_TIMEOUT_SECONDS:g} s."
                )
            time.sleep(_POLL_SECONDS)

    def stop(self, *, abort_connections: bool) -> None:
        """Stop serving and join the thread, cutting open connections first if asked.

        Raises RuntimeError when the thread is still running after STOP_TIMEOUT_SECONDS.
        """
        loop, server, thread = self._loop, self._server, self._thread
        if abort_connections and loop is not None and thread.is_alive():
            cut = asyncio.run_coroutine_threadsafe(_close_connections(server), loop)
            cut.result(STOP_TIMEOUT_SECONDS)

        server.should_exit = True
        if thread.is_alive():
            thread.join(STOP_TIMEOUT_SECONDS / 2)
            if thread.is_alive():
                server.force_exit = True
                thread.join(STOP_TIMEOUT_SECONDS / 2)
            if thread.is_alive():
                raise RuntimeError(
                    f"The sandbox server thread did not stop within {STOP_TIMEOUT_SECONDS:g} s."
                )
        self._socket.close()


async def _close_connections(server: uvicorn.Server) -> None:
    """Stop accepting connections and abort every open one, as a network outage would.

    NOTE: uses the attributes servers and server_state.connections of uvicorn 0.55's Server,
    which are not documented; uvicorn's own shutdown would let requests in progress finish.
    """
    for listening_server in server.servers:
        listening_server.close()
    for connection in list(server.server_state.connections):
        connection.transport.abort()
