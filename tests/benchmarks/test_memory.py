"""Memory of one window session over 1,000 look-ups by email, phone number and id."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from pytestqt.qtbot import QtBot

from tests.benchmarks.harness import SandboxProcess, WindowFactory, search_and_wait
from tests.benchmarks.stats import BenchmarkReport, resident_mib, summarize
from vp_desk.api.models import Customer
from vp_desk.ui.main_window import MainWindow

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(900)]

LOOKUPS = 1_000
BASELINE_LOOKUPS = 10
TRACED_LOOKUPS = 200
CHECKPOINTS = (10, 100, 250, 500, 750, 1_000)
LIMIT_MIB = 20.0
CLIENT_REQUESTS_PER_SECOND = 1_000.0
"""The client's own rate limit, raised from the application's 20 requests per second, so that
2,000 requests take seconds rather than 100 s. The token bucket's memory does not depend on it."""


def query_of(customer: Customer, index: int) -> str:
    """Return the customer's email, E.164 phone number or id, taking turns by ``index``."""
    if index % 3 == 0 and customer.email:
        return customer.email
    if index % 3 == 1 and customer.phone_number:
        return customer.phone_number
    return str(customer.id)


def look_up(qtbot: QtBot, window: MainWindow, customer: Customer, index: int) -> None:
    """Search for the customer by the query of ``index`` and wait for the cart."""
    search_and_wait(qtbot, window, query_of(customer, index))
    selected = window.selected_customer()
    assert selected is not None
    assert selected.id == customer.id


def settled_rss_mib() -> float:
    """Return the RSS after a full garbage collection, so that only live memory counts."""
    gc.collect()
    return resident_mib()


def test_memory_after_1000_lookups(
    qtbot: QtBot,
    open_window: WindowFactory,
    sandbox: SandboxProcess,
    store_customers: list[Customer],
    report: BenchmarkReport,
) -> None:
    window = open_window(sandbox, requests_per_second=CLIENT_REQUESTS_PER_SECOND)
    customers = store_customers[:LOOKUPS]
    extra_customers = store_customers[LOOKUPS : LOOKUPS + TRACED_LOOKUPS]
    rss_at: dict[int, float] = {0: settled_rss_mib()}

    for index, customer in enumerate(customers):
        look_up(qtbot, window, customer, index)
        done = index + 1
        if done in CHECKPOINTS:
            rss_at[done] = settled_rss_mib()

    # RSS can hide growth that reuses memory freed by earlier tests of the session, so the
    # Python heap that further look-ups leave behind is counted too. This comes after the RSS
    # figures, because tracemalloc's own records would add to them.
    gc.collect()
    tracemalloc.start()
    try:
        for index, customer in enumerate(extra_customers, start=LOOKUPS):
            look_up(qtbot, window, customer, index)
        gc.collect()
        heap_kib_per_lookup = tracemalloc.get_traced_memory()[0] / 1024 / len(extra_customers)
    finally:
        tracemalloc.stop()

    growth = rss_at[LOOKUPS] - rss_at[BASELINE_LOOKUPS]
    met = growth < LIMIT_MIB
    figure = summarize(f"RSS after {LOOKUPS:,} look-ups", [rss_at[LOOKUPS]])
    reference = summarize(
        f"reference: RSS after {BASELINE_LOOKUPS} look-ups", [rss_at[BASELINE_LOOKUPS]]
    )
    report.add(
        f"Memory after {LOOKUPS:,} look-ups in one session",
        [figure, reference],
        unit="MiB",
        result=f"growth: {growth:+.2f} MiB",
        target=f"under {LIMIT_MIB:g} MiB more",
        met=met,
        notes=[
            "one session: email, phone and id in turn, each to its detail and cart; RSS "
            "after gc.collect()",
            f"Python heap left allocated by {TRACED_LOOKUPS} further look-ups (tracemalloc): "
            f"{heap_kib_per_lookup:.2f} KiB per look-up",
            "RSS at each checkpoint: "
            + ", ".join(f"{count}: {mib:.1f} MiB" for count, mib in rss_at.items()),
        ],
    )
    assert met, (
        f"MISSED: RSS grew {growth:.2f} MiB from look-up {BASELINE_LOOKUPS} to {LOOKUPS:,}; "
        f"the target is under {LIMIT_MIB:g} MiB"
    )
