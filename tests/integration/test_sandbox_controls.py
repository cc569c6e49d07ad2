"""Run-time controls of the sandbox: latency, injected failures, going offline, request log."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.sandbox_command import run_cli, stop_cli
from vp_desk.api.client import CustomersClient
from vp_desk.api.models import CustomerPage, ErrorCode, ErrorEnvelope
from vp_desk.api.queries import CustomerListQuery
from vp_desk.sandbox.cli import main
from vp_desk.sandbox.controls import RequestLogEntry, SandboxRequest, key_id
from vp_desk.sandbox.data import Dataset, Store
from vp_desk.sandbox.server import SandboxServer

API = "/api/v1"
LOG_WAIT_SECONDS = 5.0


@pytest.fixture(scope="module")
def server(sandbox_dataset: Dataset) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox_dataset, rate_limit=None) as own_server:
        yield own_server


@pytest.fixture(autouse=True)
def reset_controls(server: SandboxServer) -> Iterator[None]:
    """Give every test a fast, healthy, online server with an empty log."""
    server.clear_request_log()
    yield
    server.go_online()
    server.set_latency(0.0)
    server.set_fail_rate(0.0)


@pytest.fixture(scope="module")
def store(sandbox_dataset: Dataset) -> Store:
    return sandbox_dataset.stores[0]


def plain_client(server: SandboxServer, timeout: float = 10.0) -> httpx.Client:
    return httpx.Client(base_url=server.base_url + API, timeout=timeout, trust_env=False)


def get_customers(
    client: httpx.Client, store: Store, params: dict[str, str] | None = None
) -> httpx.Response:
    return client.get("/customers", params=params, headers={"X-API-Key": store.api_key})


def wait_for_log(server: SandboxServer, count: int) -> list[RequestLogEntry]:
    """Return the log once it has ``count`` entries.

    A request without a response is logged only when the server stops handling it.
    """
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    while len(server.request_log()) < count:
        assert time.monotonic() < deadline, f"the log has {len(server.request_log())} entries"
        time.sleep(0.01)
    return server.request_log()


def error_code(response: httpx.Response) -> str:
    return ErrorEnvelope.model_validate_json(response.content).error.code


# --- Latency ---------------------------------------------------------------------------------


def test_latency_delays_every_response(server: SandboxServer, store: Store) -> None:
    server.set_latency(0.2)

    with plain_client(server) as client:
        started = time.monotonic()
        found = get_customers(client, store)
        found_seconds = time.monotonic() - started
        started = time.monotonic()
        refused = client.get("/customers")
        refused_seconds = time.monotonic() - started

    assert found.status_code == 200
    assert refused.status_code == 401
    assert found_seconds >= 0.2
    assert refused_seconds >= 0.2
    assert [entry.latency_seconds for entry in wait_for_log(server, 2)] == [0.2, 0.2]


def test_latency_function_slows_chosen_requests(server: SandboxServer, store: Store) -> None:
    def slow_first_search(request: SandboxRequest) -> float:
        return 0.6 if request.param("searchTerm") == "ros" else 0.0

    server.set_latency(slow_first_search)
    finished: list[str] = []

    async def search(client: CustomersClient, term: str) -> CustomerPage:
        page = await client.list_customers(CustomerListQuery(search_term=term))
        finished.append(term)
        return page

    async def scenario() -> tuple[CustomerPage, CustomerPage]:
        async with CustomersClient(server.base_url, store.api_key) as client:
            early = asyncio.create_task(search(client, "ros"))
            await asyncio.sleep(0.1)
            late = asyncio.create_task(search(client, "rossi"))
            return await early, await late

    early, late = asyncio.run(scenario())

    assert finished == ["rossi", "ros"]
    assert early.pagination.total >= late.pagination.total > 0
    entries = wait_for_log(server, 2)
    latencies = {dict(entry.params)["searchTerm"]: entry.latency_seconds for entry in entries}
    assert latencies == {"ros": 0.6, "rossi": 0.0}


def test_failing_latency_function_gives_500(
    server: SandboxServer, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(request: SandboxRequest) -> float:
        raise RuntimeError("simulated bug in a latency function")

    server.set_latency(broken)
    with plain_client(server) as client:
        response = get_customers(client, store)

    assert response.status_code == 500
    assert error_code(response) == ErrorCode.INTERNAL_ERROR
    assert "simulated bug" in caplog.text
    assert wait_for_log(server, 1)[0].status == 500


def test_negative_latency_from_function_gives_500(server: SandboxServer, store: Store) -> None:
    server.set_latency(lambda request: -1.0)

    with plain_client(server) as client:
        response = get_customers(client, store)

    assert response.status_code == 500
    assert error_code(response) == ErrorCode.INTERNAL_ERROR


@pytest.mark.parametrize("latency", [-0.1, math.inf, math.nan])
def test_invalid_latency_rejected(server: SandboxServer, latency: float) -> None:
    with pytest.raises(ValueError, match="latency must be"):
        server.set_latency(latency)


def test_latency_keeps_request_body(server: SandboxServer, store: Store) -> None:
    server.set_latency(0.05)

    with plain_client(server) as client:
        response = client.post(
            "/customers", content=b"x" * 100_000, headers={"X-API-Key": store.api_key}
        )

    assert response.status_code == 405
    assert error_code(response) == ErrorCode.NOT_FOUND


def test_disconnect_during_latency_logged(server: SandboxServer, store: Store) -> None:
    server.set_latency(1.5)

    with plain_client(server, timeout=0.2) as client, pytest.raises(httpx.ReadTimeout):
        get_customers(client, store)

    [entry] = wait_for_log(server, 1)
    assert entry.client_disconnected is True
    assert entry.status is None


# --- Injected failures -----------------------------------------------------------------------


def test_fail_rate_one_answers_503(server: SandboxServer, store: Store) -> None:
    server.set_fail_rate(1.0)

    with plain_client(server) as client:
        responses = [get_customers(client, store) for _ in range(5)]
        without_key = client.get("/customers")

    for response in [*responses, without_key]:
        assert response.status_code == 503
        assert error_code(response) == ErrorCode.SERVICE_UNAVAILABLE
        assert response.json()["success"] is False
        assert "X-RateLimit-Remaining" not in response.headers
    assert [entry.status for entry in wait_for_log(server, 6)] == [503] * 6


def test_fail_rate_half_fails_about_half(server: SandboxServer, store: Store) -> None:
    server.set_fail_rate(0.5)

    with plain_client(server) as client:
        statuses = [get_customers(client, store, {"limit": "1"}).status_code for _ in range(200)]

    # Below 60 or above 140 of 200 has a probability of about 1e-8 at a share of 0.5.
    assert set(statuses) == {200, 503}
    assert 60 <= statuses.count(503) <= 140


@pytest.mark.parametrize("fail_rate", [-0.01, 1.01, math.nan])
def test_invalid_fail_rate_rejected(server: SandboxServer, fail_rate: float) -> None:
    with pytest.raises(ValueError, match="fail_rate must be from 0 to 1"):
        server.set_fail_rate(fail_rate)


# --- Offline ---------------------------------------------------------------------------------


def test_offline_refuses_then_online_serves(server: SandboxServer, store: Store) -> None:
    base_url = server.base_url

    server.go_offline()
    with plain_client(server) as client, pytest.raises(httpx.ConnectError):
        get_customers(client, store)
    offline = server.is_online
    server.go_online()
    with plain_client(server) as client:
        response = get_customers(client, store)

    assert offline is False
    assert server.is_online is True
    assert server.base_url == base_url
    assert response.status_code == 200


def test_offline_closes_kept_alive_connection(server: SandboxServer, store: Store) -> None:
    with plain_client(server) as client:
        first = get_customers(client, store)
        server.go_offline()
        with pytest.raises(httpx.TransportError):
            get_customers(client, store)
        server.go_online()
        again = get_customers(client, store)

    assert first.status_code == 200
    assert again.status_code == 200


def test_offline_cuts_request_in_progress(server: SandboxServer, store: Store) -> None:
    arrived = threading.Event()

    def slow(request: SandboxRequest) -> float:
        arrived.set()
        return 3.0

    server.set_latency(slow)
    outcome: list[BaseException | httpx.Response] = []

    def request() -> None:
        with plain_client(server) as client:
            try:
                outcome.append(get_customers(client, store))
            except httpx.TransportError as error:
                outcome.append(error)

    thread = threading.Thread(target=request)
    thread.start()
    assert arrived.wait(LOG_WAIT_SECONDS)
    started = time.monotonic()
    server.go_offline()
    offline_seconds = time.monotonic() - started
    thread.join(LOG_WAIT_SECONDS)

    assert offline_seconds < 2.0
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx.TransportError)
    [entry] = wait_for_log(server, 1)
    assert entry.status is None
    assert entry.client_disconnected is True


def test_offline_and_online_repeat(server: SandboxServer, store: Store) -> None:
    server.go_offline()
    server.go_offline()
    server.go_online()
    server.go_online()

    with plain_client(server) as client:
        assert get_customers(client, store).status_code == 200


def test_offline_needs_started_server(sandbox_dataset: Dataset) -> None:
    server = SandboxServer(sandbox_dataset)

    with pytest.raises(RuntimeError, match="between start"):
        server.go_offline()
    server.start()
    server.go_offline()
    server.stop()
    with pytest.raises(RuntimeError, match="between start"):
        server.go_online()


# --- Request log -----------------------------------------------------------------------------


def test_request_log_records_requests(server: SandboxServer, store: Store) -> None:
    before = time.monotonic()
    with plain_client(server) as client:
        get_customers(client, store, {"searchTerm": "rossi", "limit": "5"})
        client.get("/customers/not-a-guid", headers={"X-API-Key": store.api_key})
        client.get("/customers")
    after = time.monotonic()

    listed, malformed, anonymous = wait_for_log(server, 3)

    assert before <= listed.time <= malformed.time <= anonymous.time <= after
    assert listed.method == "GET"
    assert listed.path == f"{API}/customers"
    assert listed.params == (("searchTerm", "rossi"), ("limit", "5"))
    assert listed.key_id == key_id(store.api_key)
    assert listed.status == 200
    assert listed.client_disconnected is False
    assert listed.latency_seconds == 0.0
    assert malformed.path == f"{API}/customers/not-a-guid"
    assert malformed.status == 400
    assert anonymous.key_id is None
    assert anonymous.status == 401


def test_request_log_never_holds_key(server: SandboxServer, store: Store) -> None:
    with plain_client(server) as client:
        get_customers(client, store)
        client.get("/customers", headers={"X-API-Key": store.public_key})

    entries = wait_for_log(server, 2)

    assert store.api_key not in repr(entries)
    assert store.public_key not in repr(entries)
    assert entries[0].key_id != entries[1].key_id


def test_request_log_clears(server: SandboxServer, store: Store) -> None:
    with plain_client(server) as client:
        get_customers(client, store)
    wait_for_log(server, 1)

    server.clear_request_log()

    assert server.request_log() == []


def test_key_id_is_stable_and_short() -> None:
    assert key_id("sk_test_a") == key_id("sk_test_a")
    assert key_id("sk_test_a") != key_id("sk_test_b")
    assert key_id("sk_test_a").startswith("key_")
    assert len(key_id("sk_test_a")) == 16


# --- Command line ----------------------------------------------------------------------------


def test_cli_latency_and_fail_rate(tmp_path: Path) -> None:
    process, keys = run_cli(tmp_path, "--latency", "150", "--fail-rate", "1")
    try:
        with httpx.Client(trust_env=False, timeout=10) as client:
            started = time.monotonic()
            response = client.get(
                f"{keys['baseUrl']}{API}/customers",
                headers={"X-API-Key": keys["stores"][0]["apiKey"]},
            )
            seconds = time.monotonic() - started
    finally:
        stdout, stderr = stop_cli(process)

    assert process.returncode == 0, stderr
    assert response.status_code == 503
    assert error_code(response) == ErrorCode.SERVICE_UNAVAILABLE
    assert seconds >= 0.15
    assert "Added latency: 150 ms per request" in stdout
    assert "Fail rate: 1 (this share of requests gets 503)" in stdout


@pytest.mark.parametrize(
    ("arguments", "shown"),
    [
        (["--latency", "-5"], "invalid latency '-5'"),
        (["--latency", "soon"], "invalid latency 'soon'"),
        (["--fail-rate", "1.5"], "invalid fail rate '1.5'"),
        (["--fail-rate", "nan"], "invalid fail rate 'nan'"),
        (["--rate-limit", "-1"], "invalid rate limit '-1'"),
        (["--burst", "0"], "invalid burst 0"),
    ],
)
def test_cli_rejects_bad_controls(
    capsys: pytest.CaptureFixture[str], arguments: list[str], shown: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)

    assert exit_info.value.code == 2
    assert shown in capsys.readouterr().err
