"""SandboxServer: the sandbox application served by uvicorn in a background thread."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import socket
import sys
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn

from vp_desk.sandbox.app import RateLimit, create_app
from vp_desk.sandbox.data import Dataset
from vp_desk.sandbox.database import SandboxDatabase

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 5.0
# Requests still running this long after stop() are cancelled.
_GRACEFUL_SHUTDOWN_SECONDS = 2
_POLL_SECONDS = 0.01


class SandboxStartError(RuntimeError):
    """The sandbox server could not bind its port or did not start in time."""


def is_loopback_host(host: str) -> bool:
    """Return whether the host is "localhost" or an IP address of the loopback range."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SandboxServer:
    """Serves a dataset over real HTTP on a local port until stop() is called.

    The sandbox returns demo data to anyone with its test keys, so it binds only loopback
    addresses unless ``allow_remote`` is true.
    """

    def __init__(
        self,
        dataset: Dataset,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_remote: bool = False,
        rate_limit: RateLimit | None = None,
    ) -> None:
        """Prepare a server for ``host`` and ``port``; port 0 takes a free port at start().

        Raises ValueError for a port outside 0-65535, or for a host that is not a loopback
        address while ``allow_remote`` is false.
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
        self._rate_limit = rate_limit
        self._port: int | None = None
        self._socket: socket.socket | None = None
        self._database: SandboxDatabase | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._thread_error: BaseException | None = None

    @property
    def base_url(self) -> str:
        """The server's root URL, such as "http://127.0.0.1:8765"; RuntimeError before start()."""
        if self._port is None:
            raise RuntimeError("The sandbox server has no port until start() is called.")
        host = self._host.strip("[]")
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._port}"

    def start(self) -> None:
        """Bind the port, start serving in a daemon thread, and return once it accepts connections.

        Raises SandboxStartError when the port is taken or the server does not start within
        STARTUP_TIMEOUT_SECONDS, and RuntimeError when the server was already started.
        """
        if self._thread is not None:
            raise RuntimeError("The sandbox server was already started; create a new one.")

        self._socket = self._bind()
        try:
            self._database = SandboxDatabase(self._dataset)
            server, thread = self._start_thread(self._socket, self._database)
            self._wait_until_started(server, thread)
        except BaseException:
            self.stop()
            raise
        logger.info(
            "Sandbox serving %d customers at %s", len(self._dataset.customers), self.base_url
        )

    def _bind(self) -> socket.socket:
        host = self._host.strip("[]")
        try:
            address_info = socket.getaddrinfo(
                host, self._requested_port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
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
                    f"Port {self._requested_port} on {self._host} is already in use; "
                    "choose another port, or 0 for any free port."
                ) from exc
            raise SandboxStartError(
                f"Cannot listen on {self._host}:{self._requested_port}: {exc}"
            ) from exc

        self._port = int(sock.getsockname()[1])
        return sock

    def _start_thread(
        self, sock: socket.socket, database: SandboxDatabase
    ) -> tuple[uvicorn.Server, threading.Thread]:
        config = uvicorn.Config(
            create_app(database, rate_limit=self._rate_limit),
            # Without log_config, uvicorn leaves the process's logging set-up alone and only
            # sets the level of its own loggers.
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=self._serve,
            args=(server, sock),
            name=f"sandbox-server-{self._port}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        return server, thread

    def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            # asyncio.run gives the thread a loop of its own, never one of the caller's.
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:
            # Kept for start() to report; uvicorn calls sys.exit when its start-up fails.
            self._thread_error = exc
            logger.exception("The sandbox server thread failed")

    def _wait_until_started(self, server: uvicorn.Server, thread: threading.Thread) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive():
                raise SandboxStartError(
                    f"The sandbox server stopped during start-up: {self._thread_error!r}"
                )
            if time.monotonic() > deadline:
                raise SandboxStartError(
                    f"The sandbox server did not start within {STARTUP_TIMEOUT_SECONDS:g} s."
                )
            time.sleep(_POLL_SECONDS)

    def stop(self) -> None:
        """Stop serving, join the thread and close the database; later calls do nothing.

        Raises RuntimeError when the thread is still running after STOP_TIMEOUT_SECONDS.
        """
        thread, server = self._thread, self._server
        if server is not None:
            server.should_exit = True
        if thread is not None and thread.is_alive():
            thread.join(STOP_TIMEOUT_SECONDS / 2)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(STOP_TIMEOUT_SECONDS / 2)
            if thread.is_alive():
                raise RuntimeError(
                    f"The sandbox server thread did not stop within {STOP_TIMEOUT_SECONDS:g} s."
                )

        if self._socket is not None:
            self._socket.close()
            self._socket = None
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
