"""The client against small misbehaving servers on 127.0.0.1: slow bodies, TLS, proxies."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from vp_desk.api.client import CustomersClient
from vp_desk.api.errors import NetworkError, RequestTimeoutError
from vp_desk.api.retry import RetryPolicy

CUSTOMER_ID = "123e4567-e89b-12d3-a456-426614174000"
PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"]

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def local_server(
    handler: Handler, context: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    """Serve ``handler`` on a free port of 127.0.0.1 and yield the port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def client_for(port: int, **options: Any) -> CustomersClient:
    return CustomersClient(f"http://127.0.0.1:{port}", "sk_test_key", **options)


def test_trickling_body_hits_attempt_deadline() -> None:
    connections: list[float] = []

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(time.monotonic())
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        # One byte every 100 ms keeps every read far inside the read timeout.
        for _ in range(100):
            if reader.at_eof():
                return
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.1)

    async def scenario() -> float:
        async with local_server(trickle) as port:
            timeout = httpx.Timeout(5.0, read=0.5)
            policy = RetryPolicy(max_attempts=1, attempt_timeout=1.0)
            async with client_for(port, timeout=timeout, retry_policy=policy) as client:
                started = time.monotonic()
                with pytest.raises(RequestTimeoutError, match=r"not complete within 1\.0 s"):
                    await client.get_customer(CUSTOMER_ID)
                return time.monotonic() - started

    took = asyncio.run(scenario())

    assert 0.9 < took < 2.0
    assert len(connections) == 1


def test_trickling_body_is_retried_within_deadline() -> None:
    connections: list[float] = []

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(time.monotonic())
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(100):
            if reader.at_eof():
                return
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.1)

    async def scenario() -> float:
        async with local_server(trickle) as port:
            policy = RetryPolicy(base_delay=0.1, attempt_timeout=0.6, deadline=1.5)
            async with client_for(port, retry_policy=policy) as client:
                started = time.monotonic()
                with pytest.raises(RequestTimeoutError):
                    await client.get_customer(CUSTOMER_ID)
                return time.monotonic() - started

    took = asyncio.run(scenario())

    assert took < 2.0
    assert 2 <= len(connections) <= 3


def test_cancel_closes_connection_at_once() -> None:
    request_seen = asyncio.Event()
    closed_at: list[float] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        request_seen.set()
        await reader.read()
        closed_at.append(time.monotonic())

    async def scenario() -> float:
        async with local_server(hold) as port, client_for(port) as client:
            task = asyncio.create_task(client.get_customer(CUSTOMER_ID))
            await asyncio.wait_for(request_seen.wait(), timeout=5.0)
            await asyncio.sleep(0.1)

            cancelled_at = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            for _ in range(100):
                if closed_at:
                    break
                await asyncio.sleep(0.01)
            return closed_at[0] - cancelled_at

    assert asyncio.run(scenario()) < 0.5


def test_server_closing_early_is_retried() -> None:
    attempts: list[int] = []

    async def close_then_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        attempts.append(1)
        if len(attempts) == 1:
            return
        body = (
            b'{"success":true,"data":{"id":"' + CUSTOMER_ID.encode() + b'",'
            b'"createdAt":"2024-01-15T10:30:00Z","updatedAt":"2024-01-15T10:30:00Z"}}'
        )
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()

    async def scenario() -> str:
        async with local_server(close_then_answer) as port:
            policy = RetryPolicy(base_delay=0.05)
            async with client_for(port, retry_policy=policy) as client:
                customer = await client.get_customer(CUSTOMER_ID)
                return str(customer.id)

    assert asyncio.run(scenario()) == CUSTOMER_ID
    assert len(attempts) == 2


def self_signed_context(folder: Path) -> ssl.SSLContext:
    """Return a server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vp-desk test server")])
    now = datetime.now(UTC)

    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )

    certificate_path = folder / "server.pem"
    key_path = folder / "server.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_path, key_path)
    return context


def test_untrusted_certificate_fails_without_retry(tmp_path: Path) -> None:
    handshakes: list[int] = []

    async def never_reached(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handshakes.append(1)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        connections: list[int] = []

        def count_connection() -> asyncio.Protocol:
            connections.append(1)
            return asyncio.Protocol()

        server = await loop.create_server(
            count_connection, "127.0.0.1", 0, ssl=self_signed_context(tmp_path)
        )
        try:
            port = server.sockets[0].getsockname()[1]
            async with CustomersClient(f"https://127.0.0.1:{port}", "sk_test_key") as client:
                with pytest.raises(NetworkError, match="certificate could not be verified"):
                    await client.get_customer(CUSTOMER_ID)
        finally:
            server.close()
            await server.wait_closed()
        assert len(connections) == 1

    asyncio.run(scenario())


@pytest.fixture
def proxy_environment(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Return a function that points HTTPS_PROXY, and only it, at a port of 127.0.0.1."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return lambda port: monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")


def test_https_proxy_from_environment_carries_request(
    proxy_environment: Callable[[int], None],
) -> None:
    request_lines: list[bytes] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_lines.append(head.split(b"\r\n")[0])
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()

    async def scenario() -> None:
        async with local_server(refuse) as port:
            proxy_environment(port)
            # The proxy rejects the CONNECT itself, so no traffic leaves 127.0.0.1.
            async with CustomersClient("https://customers.example.test", "sk_test_key") as client:
                with pytest.raises(NetworkError, match="proxy server refused"):
                    await client.get_customer(CUSTOMER_ID)

    asyncio.run(scenario())

    assert request_lines == [b"CONNECT customers.example.test:443 HTTP/1.1"]


def test_cart_request_reported_before_reply() -> None:
    sent = asyncio.Event()
    received: list[bytes] = []

    async def reply_once_sent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        # The reply waits for on_sent, so a call that never reports its request times out.
        await asyncio.wait_for(sent.wait(), 5.0)
        body = b'{"success": true, "data": null}'
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()

    async def scenario() -> object:
        async with local_server(reply_once_sent) as port, client_for(port) as client:
            return await client.get_cart(CUSTOMER_ID, on_sent=sent.set)

    cart = asyncio.run(scenario())

    assert cart is None
    assert sent.is_set()
    assert received[0].startswith(f"GET /api/v1/customers/{CUSTOMER_ID}/cart ".encode())
