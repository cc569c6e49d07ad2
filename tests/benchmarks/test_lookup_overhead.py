"""What the client and the window add to the HTTP round trips of a look-up."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
import pytest
from pytestqt.qtbot import QtBot

from tests.benchmarks.harness import (
    WAIT_MS,
    PaintWatch,
    SandboxProcess,
    WindowFactory,
    press_enter,
    search_and_wait,
)
from tests.benchmarks.stats import (
    BenchmarkReport,
    alternate,
    elapsed_ms,
    measure_pair_async,
    summarize,
)
from vp_desk.api.client import API_PREFIX, CustomersClient
from vp_desk.api.models import Customer
from vp_desk.api.throttle import DEFAULT_REQUESTS_PER_SECOND

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(600)]

CLIENT_ROUNDS = 300
WINDOW_ROUNDS = 100
WARM_UP_ROUNDS = 20
CLIENT_LIMIT_MS = 1.0
WINDOW_LIMIT_MS = 10.0
PACE_SECONDS = 2 / DEFAULT_REQUESTS_PER_SECOND
"""A pause after each round that keeps two requests a round under the client's own rate
limit, so that its token bucket never makes a measured request wait."""


def customers_with_email(customers: list[Customer], count: int) -> list[Customer]:
    """Return ``count`` customers that have an email address, cycling when there are fewer."""
    with_email = [customer for customer in customers if customer.email]
    return [with_email[index % len(with_email)] for index in range(count)]


def test_client_lookup_overhead(
    sandbox: SandboxProcess, store_customers: list[Customer], report: BenchmarkReport
) -> None:
    emails = [
        str(customer.email)
        for customer in customers_with_email(store_customers, WARM_UP_ROUNDS + CLIENT_ROUNDS)
    ]
    found: list[Customer] = []
    statuses: list[int] = []

    async def compare() -> tuple[list[float], list[float]]:
        # trust_env=False, as the client does for loopback: no proxy of the environment.
        async with (
            CustomersClient(sandbox.base_url, sandbox.api_key) as client,
            httpx.AsyncClient(headers={"X-API-Key": sandbox.api_key}, trust_env=False) as plain,
        ):
            url = f"{sandbox.base_url}{API_PREFIX}/customers/by-email"

            async def through_client(index: int) -> None:
                found.append(await client.get_customer_by_email(emails[index]))

            async def plain_get(index: int) -> None:
                response = await plain.get(url, params={"email": emails[index]})
                statuses.append(response.status_code)

            return await measure_pair_async(
                through_client,
                plain_get,
                rounds=CLIENT_ROUNDS,
                warm_up=WARM_UP_ROUNDS,
                between=lambda: asyncio.sleep(PACE_SECONDS),
            )

    client_ms, plain_ms = asyncio.run(compare())

    assert [customer.email for customer in found] == emails
    assert set(statuses) == {200}
    figure = summarize("CustomersClient.get_customer_by_email", client_ms)
    reference = summarize("reference: httpx.AsyncClient.get, same URL and header", plain_ms)
    difference = figure.median - reference.median
    met = difference < CLIENT_LIMIT_MS
    report.add(
        "Look-up by email through the client",
        [figure, reference],
        unit="ms",
        result=f"difference of medians: {difference:+.3f} ms",
        target=f"under {CLIENT_LIMIT_MS:g} ms more at the median",
        met=met,
    )
    assert met, (
        f"MISSED: the client adds {difference:.3f} ms to the median look-up; "
        f"the target is under {CLIENT_LIMIT_MS:g} ms"
    )


def test_enter_to_painted_cart_overhead(
    qtbot: QtBot,
    open_window: WindowFactory,
    sandbox: SandboxProcess,
    store_customers: list[Customer],
    report: BenchmarkReport,
) -> None:
    window = open_window(sandbox)
    watch = PaintWatch(window)
    window.cart_shown.connect(watch.arm)
    # Connected after the window's own slots, so each mark follows the window's work on it.
    marks: dict[str, float] = {}
    window.controller.customer_found.connect(
        lambda _customer: marks.update(found=time.perf_counter())
    )
    window.cart_shown.connect(lambda _customer_id: marks.update(cart=time.perf_counter()))
    customers = customers_with_email(store_customers, WARM_UP_ROUNDS + WINDOW_ROUNDS + 1)
    # The first look-up opens the window's connection, as the agent's first search does.
    search_and_wait(qtbot, window, str(customers[-1].email))
    client = CustomersClient(sandbox.base_url, sandbox.api_key)
    phases: dict[str, list[float]] = {
        "window: detail shown": [],
        "window: cart shown": [],
        "client alone: look-up": [],
    }

    def through_window(index: int) -> float:
        watch.reset()
        marks.clear()
        started = time.perf_counter()
        press_enter(qtbot, window, str(customers[index].email))
        qtbot.waitUntil(lambda: watch.painted_at is not None, timeout=WAIT_MS)
        assert watch.painted_at is not None
        selected = window.selected_customer()
        assert selected is not None
        assert selected.id == customers[index].id
        phases["window: detail shown"].append((marks["found"] - started) * 1000)
        phases["window: cart shown"].append((marks["cart"] - started) * 1000)
        return (watch.painted_at - started) * 1000

    def client_alone(index: int) -> float:
        async def look_up() -> float:
            started = time.perf_counter()
            customer = await client.get_customer_by_email(str(customers[index].email))
            phases["client alone: look-up"].append(elapsed_ms(started))
            await client.get_cart(customer.id)
            return elapsed_ms(started)

        task = asyncio.ensure_future(look_up())
        qtbot.waitUntil(task.done, timeout=WAIT_MS)
        return task.result()

    measures = {"window": through_window, "client": client_alone}
    try:
        samples = alternate(
            list(measures),
            rounds=WINDOW_ROUNDS,
            warm_up=WARM_UP_ROUNDS,
            measure=lambda key, index: measures[key](index),
            between=lambda: qtbot.wait(int(PACE_SECONDS * 1000)),
        )
    finally:
        closing = asyncio.ensure_future(client.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)

    figure = summarize("Enter to painted detail and cart", samples["window"])
    reference = summarize("reference: the client's look-up and cart alone", samples["client"])
    difference = figure.median - reference.median
    met = difference < WINDOW_LIMIT_MS
    report.add(
        "Enter in the search bar to painted detail and cart",
        [figure, reference],
        unit="ms",
        result=f"difference of medians: {difference:+.2f} ms",
        target=f"under {WINDOW_LIMIT_MS:g} ms more at the median",
        met=met,
        notes=[
            "medians from Enter or from the first request: "
            + ", ".join(
                f"{phase} {statistics.median(values[WARM_UP_ROUNDS:]):.2f} ms"
                for phase, values in phases.items()
            )
        ],
    )
    assert met, (
        f"MISSED: the window adds {difference:.2f} ms to the median look-up and cart; "
        f"the target is under {WINDOW_LIMIT_MS:g} ms"
    )
