"""OfflineStore across real processes: two writers at once, and a crash in the middle of a save."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.unit.conftest import MemoryKeyring
from tests.unit.test_offline_encryption import assert_no_plaintext, store_bytes
from vp_desk.credentials import KEYRING_SERVICE
from vp_desk.offline import OfflineStore
from vp_desk.offline.keys import data_key_username
from vp_desk.sandbox.data import generate_dataset

PROFILE = "Coffee shop"
DATASET_SEED = 7
DATASET_SIZE = 400
PER_WRITER = 200
CRASH_EXIT_CODE = 70

# The child opens the store with the data key it reads from stdin, installed in an in-memory
# keyring, and saves a slice of the seeded dataset. With "crash", it arms an SQLite trace
# callback that ends the process as the COMMIT of its last save starts. With "no-wal", every
# attempt to switch to WAL fails, as on a file system without shared memory.
CHILD = r"""
import os, sqlite3, sys, time
from pathlib import Path
import keyring, keyring.backend
from vp_desk.offline import OfflineStore
from vp_desk.offline.keys import data_key_username
from vp_desk.sandbox.data import generate_dataset

folder, profile, mode, start, count, journal = sys.argv[1:7]
start, count = int(start), int(count)

class SeededKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def __init__(self):
        super().__init__()
        self.passwords = {}

    def get_password(self, service, username):
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        self.passwords.pop((service, username), None)

backend = SeededKeyring()
backend.set_password("vp-desk", data_key_username(profile), sys.stdin.readline().strip())
keyring.set_keyring(backend)

armed = False
real_connect = sqlite3.connect

def crash_at_commit(statement):
    if armed and statement == "COMMIT":
        os._exit(CRASH_EXIT_CODE)

class WalRefusingConnection(sqlite3.Connection):
    def execute(self, sql, *parameters):
        if sql.replace(" ", "").upper() == "PRAGMAJOURNAL_MODE=WAL":
            raise sqlite3.OperationalError("simulated: no shared memory for WAL")
        return super().execute(sql, *parameters)

def connect_with_trace(*args, **kwargs):
    if journal == "no-wal":
        kwargs["factory"] = WalRefusingConnection
    connection = real_connect(*args, **kwargs)
    connection.set_trace_callback(crash_at_commit)
    return connection

sqlite3.connect = connect_with_trace

dataset = generate_dataset(customers=DATASET_SIZE, seed=DATASET_SEED)
records = dataset.customers
store = OfflineStore.open(profile, folder=Path(folder))
print(f"ready {store.journal_mode}", flush=True)
sys.stdin.readline()

began = time.time()
for record in records[start : start + count]:
    if mode == "crash" and record is records[start + count - 1]:
        armed = True
    store.save(record.customer, dataset.carts.get(record.customer.id))
ended = time.time()
store.close()
print(f"done {began} {ended}", flush=True)
"""


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def child_script() -> str:
    constants = (
        f"DATASET_SIZE = {DATASET_SIZE}\n"
        f"DATASET_SEED = {DATASET_SEED}\n"
        f"CRASH_EXIT_CODE = {CRASH_EXIT_CODE}\n"
    )
    return constants + CHILD


def start_child(
    folder: Path, key: str, mode: str, start: int, count: int, journal: str = "wal"
) -> subprocess.Popen[str]:
    arguments = [str(folder), PROFILE, mode, str(start), str(count), journal]
    child = subprocess.Popen(
        [sys.executable, "-c", child_script(), *arguments],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    child.stdin.write(key + "\n")
    child.stdin.flush()
    return child


def wait_for_line(child: subprocess.Popen[str], expected: str) -> str:
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.startswith(expected), f"child printed {line!r}, exit code {child.poll()}"
    return line


def create_store(folder: Path, memory_keyring: MemoryKeyring) -> str:
    """Create the profile's file and data key, and return the key as stored in the keyring."""
    with OfflineStore.open(PROFILE, folder=folder):
        pass
    return memory_keyring.passwords[(KEYRING_SERVICE, data_key_username(PROFILE))]


def test_two_processes_write_concurrently(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    key = create_store(tmp_path, memory_keyring)
    writers = [
        start_child(tmp_path, key, "write", index * PER_WRITER, PER_WRITER) for index in (0, 1)
    ]
    try:
        for writer in writers:
            wait_for_line(writer, "ready")
        for writer in writers:
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.flush()
        spans = []
        for writer in writers:
            _, began, ended = wait_for_line(writer, "done").split()
            spans.append((float(began), float(ended)))
            assert writer.wait(timeout=60) == 0
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
            writer.wait()
            for stream in (writer.stdin, writer.stdout):
                if stream is not None:
                    stream.close()

    # The writers ran at the same time, not one after the other.
    assert spans[0][0] < spans[1][1]
    assert spans[1][0] < spans[0][1]

    dataset = generate_dataset(customers=DATASET_SIZE, seed=DATASET_SEED)
    with OfflineStore.open(PROFILE, folder=tmp_path) as store:
        assert store.warning is None
        assert len(store.recent(limit=500)) == DATASET_SIZE
        for record in dataset.customers:
            found = store.find_by_id(record.customer.id)
            assert found is not None
            assert found.customer == record.customer
            assert found.cart == dataset.carts.get(record.customer.id)


@pytest.mark.parametrize(
    ("journal", "left_behind_suffix"), [("wal", "-wal"), ("no-wal", "-journal")]
)
def test_crash_loses_only_current_save(
    tmp_path: Path, memory_keyring: MemoryKeyring, journal: str, left_behind_suffix: str
) -> None:
    key = create_store(tmp_path, memory_keyring)
    saved_before_crash = 20
    child = start_child(tmp_path, key, "crash", 0, saved_before_crash + 1, journal)
    try:
        ready = wait_for_line(child, "ready")
        assert ready.split()[1] == ("wal" if journal == "wal" else "delete")
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
        exit_code = child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                stream.close()
    assert exit_code == CRASH_EXIT_CODE

    dataset = generate_dataset(customers=DATASET_SIZE, seed=DATASET_SEED)
    records = dataset.customers[: saved_before_crash + 1]
    path = next(tmp_path.glob("*.sqlite3"))
    left_behind = store_bytes(path)
    assert path.name + left_behind_suffix in left_behind
    assert_no_plaintext(
        left_behind,
        [(record.customer, dataset.carts.get(record.customer.id)) for record in records],
    )

    with OfflineStore.open(PROFILE, folder=tmp_path) as store:
        assert store.warning is None
        for record in records[:saved_before_crash]:
            assert store.find_by_id(record.customer.id) is not None
        assert store.find_by_id(records[-1].customer.id) is None
        assert len(store.recent(limit=500)) == saved_before_crash
