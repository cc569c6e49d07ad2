"""Speed and memory of the offline store with 500 saved customers.

Run with ``uv run pytest tests/benchmarks/test_offline_speed.py -q -s``; the figures go to
docs/benchmarks.md.
"""

from __future__ import annotations

import gc
import os
import platform
import sqlite3
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vp_desk.api.models import Cart, Customer
from vp_desk.offline import OfflineStore
from vp_desk.sandbox.data import generate_dataset

pytestmark = pytest.mark.benchmark

ENTRIES = 500
WARM_UP_ROUNDS = 200
MEASURED_ROUNDS = 3000
P95_LIMIT_MS = 5.0


class DictKeys:
    """Data keys in a dict, so that the measurement leaves the keyring out."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}

    def load(self, profile_name: str) -> bytes | None:
        return self.keys.get(profile_name)

    def store(self, profile_name: str, data_key: bytes) -> None:
        self.keys[profile_name] = data_key

    def delete(self, profile_name: str) -> None:
        self.keys.pop(profile_name, None)


def saved_customers() -> list[tuple[Customer, Cart | None]]:
    dataset = generate_dataset(customers=ENTRIES, seed=11)
    return [
        (record.customer, dataset.carts.get(record.customer.id)) for record in dataset.customers
    ]


def measure_ms(operation: Callable[[int], object], rounds: int = MEASURED_ROUNDS) -> list[float]:
    """Run ``operation(i)`` for a warm-up, then time each of ``rounds`` calls in milliseconds."""
    for index in range(WARM_UP_ROUNDS):
        operation(index)

    timings = []
    for index in range(rounds):
        started = time.perf_counter_ns()
        operation(index)
        timings.append((time.perf_counter_ns() - started) / 1e6)
    return timings


def summary(name: str, timings: Sequence[float]) -> tuple[str, float, float]:
    median = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=100)[94]
    return name, median, p95


def resident_kib() -> int:
    """Return this process's resident set size in KiB, read from /proc (Linux only)."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("VmRSS is missing from /proc/self/status")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


@pytest.fixture
def customers() -> list[tuple[Customer, Cart | None]]:
    return saved_customers()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OfflineStore]:
    with OfflineStore.open("Benchmark", folder=tmp_path / "offline", keys=DictKeys()) as opened:
        yield opened


@pytest.fixture
def plain_table(
    tmp_path: Path, customers: list[tuple[Customer, Cart | None]]
) -> Iterator[sqlite3.Connection]:
    """An unencrypted table of the same customers, for the reference reading."""
    with closing(sqlite3.connect(tmp_path / "plain.sqlite3", isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE customers (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
        connection.executemany(
            "INSERT INTO customers VALUES (?, ?)",
            [(str(customer.id), customer.model_dump_json()) for customer, _cart in customers],
        )
        yield connection


def test_offline_lookup_speed(
    store: OfflineStore,
    customers: list[tuple[Customer, Cart | None]],
    plain_table: sqlite3.Connection,
) -> None:
    gc.collect()
    rss_before = resident_kib()
    tracemalloc.start()

    save_started = time.perf_counter()
    for customer, cart in customers:
        store.save(customer, cart)
    save_ms = (time.perf_counter() - save_started) * 1000 / len(customers)
    python_heap_kib = tracemalloc.get_traced_memory()[0] / 1024

    tracemalloc.reset_peak()
    found = store.search("zzz-no-such-name")
    search_peak_kib = tracemalloc.get_traced_memory()[1] / 1024
    tracemalloc.stop()
    rss_after = resident_kib()
    assert found == []

    ids = [customer.id for customer, _cart in customers]
    phones = [customer.phone_number for customer, _cart in customers if customer.phone_number]
    emails = [customer.email for customer, _cart in customers if customer.email]
    plain_ids = [str(customer_id) for customer_id in ids]

    rows = [
        summary("find_by_id", measure_ms(lambda i: store.find_by_id(ids[i % len(ids)]))),
        summary(
            "find_by_phone", measure_ms(lambda i: store.find_by_phone(phones[i % len(phones)]))
        ),
        summary(
            "find_by_email", measure_ms(lambda i: store.find_by_email(emails[i % len(emails)]))
        ),
        summary(
            "reference: plain SQLite row by primary key",
            measure_ms(
                lambda i: plain_table.execute(
                    "SELECT body FROM customers WHERE id = ?", (plain_ids[i % len(plain_ids)],)
                ).fetchone()
            ),
        ),
        summary("recent(50)", measure_ms(lambda i: store.recent(), rounds=200)),
        summary("search 'rossi'", measure_ms(lambda i: store.search("rossi"), rounds=200)),
        summary(
            "search, no match: 500 decrypted",
            measure_ms(lambda i: store.search("zzz-no-such-name"), rounds=200),
        ),
    ]

    assert store.path is not None
    file_kib = store.path.stat().st_size / 1024
    wal = store.path.with_name(store.path.name + "-wal")
    wal_kib = wal.stat().st_size / 1024 if wal.exists() else 0.0
    print()
    print(f"date: {datetime.now(UTC):%Y-%m-%d}")
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}, {platform.platform()}")
    print(f"python: {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")
    print(f"journal mode: {store.journal_mode}")
    print(f"{'operation':45} {'median ms':>10} {'p95 ms':>10}")
    for name, median, p95 in rows:
        print(f"{name:45} {median:10.3f} {p95:10.3f}")
    print(f"save, mean per snapshot (FULL sync): {save_ms:.3f} ms")
    print(f"store file with {ENTRIES} entries: {file_kib:.0f} KiB, WAL: {wal_kib:.0f} KiB")
    print(f"Python heap after saving {ENTRIES}: {python_heap_kib:.0f} KiB")
    print(f"Python heap peak of one search that decrypts all: {search_peak_kib:.0f} KiB")
    print(f"resident set growth, fill and search: {rss_after - rss_before} KiB")

    for name, _median, p95 in rows[:3]:
        assert p95 < P95_LIMIT_MS, f"{name}: p95 {p95:.3f} ms"
    assert len(store.recent(limit=ENTRIES)) == ENTRIES
