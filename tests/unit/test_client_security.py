"""How the client builds its connections: TLS trust, environment proxies, base URL checks.

These tests only build clients; none of them sends a request.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx
import pytest
import truststore

from vp_desk.api.client import CustomersClient

REMOTE_BASE_URL = "https://customers.example.test"
PROXY_URL = "http://127.0.0.1:3128"
PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"]


@pytest.fixture
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear every proxy variable, so a test sets exactly the ones it is about."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def built_client(base_url: str) -> Iterator[CustomersClient]:
    client = CustomersClient(base_url, "sk_test_key")
    yield client
    asyncio.run(client.aclose())


@pytest.fixture
def remote_client(
    no_proxy_environment: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CustomersClient]:
    monkeypatch.setenv("HTTPS_PROXY", PROXY_URL)
    yield from built_client(REMOTE_BASE_URL)


def pool_for(client: CustomersClient, url: str) -> Any:
    """Return the httpcore pool that the client's httpx client picks for ``url``."""
    transport = client._http._transport_for_url(httpx.URL(url))
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    return transport._pool


def test_ssl_context_uses_system_trust_store(remote_client: CustomersClient) -> None:
    context = remote_client.ssl_context

    assert isinstance(context, truststore.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_connections_use_trust_store_context(remote_client: CustomersClient) -> None:
    pool = pool_for(remote_client, f"{REMOTE_BASE_URL}/api/v1/customers")

    assert isinstance(pool, httpcore.AsyncHTTPProxy)
    assert pool._ssl_context is remote_client.ssl_context


def test_https_proxy_from_environment_is_used(remote_client: CustomersClient) -> None:
    pool = pool_for(remote_client, f"{REMOTE_BASE_URL}/api/v1/customers")

    assert isinstance(pool, httpcore.AsyncHTTPProxy)
    proxy_url = pool._proxy_url
    assert (proxy_url.scheme, proxy_url.host, proxy_url.port) == (b"http", b"127.0.0.1", 3128)


def test_no_proxy_from_environment_is_honoured(
    no_proxy_environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY_URL)
    monkeypatch.setenv("NO_PROXY", "customers.example.test")

    for client in built_client(REMOTE_BASE_URL):
        pool = pool_for(client, f"{REMOTE_BASE_URL}/api/v1/customers")

        assert isinstance(pool, httpcore.AsyncConnectionPool)
        assert not isinstance(pool, httpcore.AsyncHTTPProxy)


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8765", "https://localhost:8443", "http://[::1]:8765"]
)
def test_loopback_server_bypasses_proxy(
    no_proxy_environment: None, monkeypatch: pytest.MonkeyPatch, base_url: str
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY_URL)
    monkeypatch.setenv("HTTP_PROXY", PROXY_URL)

    for client in built_client(base_url):
        pool = pool_for(client, f"{base_url}/api/v1/customers")

        assert not isinstance(pool, httpcore.AsyncHTTPProxy)
        assert pool._ssl_context is client.ssl_context


@pytest.mark.parametrize(
    "base_url",
    [
        "http://customers.example.test",
        "http://192.0.2.10:8765",
        "ftp://127.0.0.1",
        "127.0.0.1:8765",
        "https://",
        "https://[::1",
    ],
)
def test_unsafe_base_url_is_rejected(base_url: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        CustomersClient(base_url, "sk_test_key")


def test_plain_http_rejection_names_fix() -> None:
    with pytest.raises(ValueError, match=r"use https://"):
        CustomersClient("http://customers.example.test", "sk_test_key")


def test_closed_client_rejects_calls() -> None:
    client = CustomersClient("http://127.0.0.1:9", "sk_test_key")
    asyncio.run(client.aclose())

    client.prepare()
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(client.get_customer_by_email("ada@example.com"))
