"""OfflineStore without a keyring, with damaged files or lost keys, and with a second instance."""

from __future__ import annotations

import base64
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from tests.unit.conftest import MemoryKeyring
from tests.unit.test_offline_store import PROFILE, FakeClock, make_cart, make_customer
from vp_desk.credentials import KEYRING_SERVICE
from vp_desk.offline import OfflineStore, OfflineStoreError, StoreWarningKind
from vp_desk.offline.keys import data_key_username

KEY_ENTRY = (KEYRING_SERVICE, data_key_username(PROFILE))


class ForgetfulKeyring(MemoryKeyring):
    """A keyring that accepts passwords and keeps none, like a misconfigured backend."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


class BrokenBusKeyring(MemoryKeyring):
    """A keyring whose backend raises an error of its own, not one of keyring's."""

    def get_password(self, service: str, username: str) -> str | None:
        raise ConnectionError("the D-Bus session bus is not reachable")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    """Reinstall, after the test, the keyring that was installed before it."""
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


def fill_store(folder: Path, clock: FakeClock, count: int = 30) -> Path:
    """Save ``count`` customers with carts, close the store and return its file."""
    with OfflineStore.open(PROFILE, folder=folder, clock=clock) as store:
        for index in range(count):
            customer = make_customer("Customer", f"Number {index}")
            store.save(customer, make_cart(customer))
        assert store.path is not None
        return store.path


@pytest.mark.parametrize(
    "backend",
    [keyring.backends.fail.Keyring, ForgetfulKeyring, BrokenBusKeyring],
    ids=["fail-backend", "forgetful", "foreign-error"],
)
def test_unusable_keyring_uses_memory(
    tmp_path: Path,
    clock: FakeClock,
    restore_keyring: None,
    backend: type[keyring.backend.KeyringBackend],
) -> None:
    keyring.set_keyring(backend())
    customer = make_customer()

    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        store.save(customer, make_cart(customer))

        assert store.persistent is False
        assert store.path is None
        assert store.journal_mode == "memory"
        assert store.warning is not None
        assert store.warning.kind == StoreWarningKind.KEYRING_UNAVAILABLE
        assert store.find_by_id(customer.id) is not None
        assert len(store.recent()) == 1
    assert list(tmp_path.iterdir()) == []


def test_memory_store_clear(tmp_path: Path, clock: FakeClock, restore_keyring: None) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    customer = make_customer()

    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        store.save(customer, None)
        store.clear()

        assert store.recent() == []
        store.save(customer, None)
        assert store.find_by_id(customer.id) is not None


def test_unusable_folder_uses_memory(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    folder = tmp_path / "not-a-folder"
    folder.write_text("a file where the folder should be", encoding="utf-8")

    with OfflineStore.open(PROFILE, folder=folder, clock=clock) as store:
        store.save(make_customer(), None)

        assert store.persistent is False
        assert store.warning is not None
        assert store.warning.kind == StoreWarningKind.FOLDER_UNAVAILABLE
        assert len(store.recent()) == 1


def test_garbage_file_is_moved_aside(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    path = fill_store(tmp_path, clock)
    garbage = b"this is not an SQLite database" * 200
    path.write_bytes(garbage)

    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        customer = make_customer()
        store.save(customer, None)

        assert store.persistent is True
        assert store.warning is not None
        assert store.warning.kind == StoreWarningKind.CORRUPT_FILE_MOVED
        moved_to = store.warning.moved_to
        assert moved_to == path.with_name(f"{path.name}.corrupt-20260302-090000")
        assert moved_to.read_bytes() == garbage
        assert store.find_by_id(customer.id) is not None


@pytest.mark.parametrize("fraction", [0.5, 0.2])
def test_truncated_file_is_moved_aside(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock, fraction: float
) -> None:
    path = fill_store(tmp_path, clock)
    content = path.read_bytes()
    path.write_bytes(content[: int(len(content) * fraction)])

    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        assert store.warning is not None
        assert store.warning.kind == StoreWarningKind.CORRUPT_FILE_MOVED
        assert store.recent() == []
        store.save(make_customer(), None)
        assert len(store.recent()) == 1


def test_second_corruption_gets_its_own_name(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    path = fill_store(tmp_path, clock, count=1)
    moved = []
    for _attempt in range(2):
        path.write_bytes(b"garbage" * 1000)
        with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
            assert store.warning is not None
            moved.append(store.warning.moved_to)

    assert moved[0] != moved[1]
    assert all(file is not None and file.exists() for file in moved)


def test_unknown_schema_version_is_moved_aside(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    path = fill_store(tmp_path, clock, count=1)
    with closing(sqlite3.connect(path)) as raw:
        raw.execute("PRAGMA user_version = 99")

    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        assert store.warning is not None
        assert store.warning.kind == StoreWarningKind.CORRUPT_FILE_MOVED
        assert "schema version 99" in store.warning.detail


def test_corruption_while_open_recovered(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    path = fill_store(tmp_path, clock, count=60)
    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        assert len(store.search("")) == 50
        page_size = 4096
        with path.open("r+b") as file:
            file.seek(page_size * 3)
            file.write(os.urandom(page_size * 10))
        # A write through another connection makes the store read the pages again.
        with closing(sqlite3.connect(path, isolation_level=None)) as raw:
            raw.execute("INSERT INTO meta (name, value) VALUES ('touched', x'01')")

        found = store.search("")
        customer = make_customer()
        store.save(customer, None)

        assert found == []
        assert store.warning is not None
        assert store.warning.kind == StoreWarningKind.CORRUPT_FILE_MOVED
        assert store.persistent is True
        assert store.find_by_id(customer.id) is not None


def test_invalid_key_in_keyring_is_replaced(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    fill_store(tmp_path, clock, count=3)
    memory_keyring.passwords[KEY_ENTRY] = "not base64 at all!"

    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        assert store.persistent is True
        assert store.warning is not None
        assert store.warning.kind == StoreWarningKind.SNAPSHOTS_UNREADABLE
        assert store.recent() == []
        new_key = base64.b64decode(memory_keyring.passwords[KEY_ENTRY])
        assert len(new_key) == 32


def test_lost_key_deletes_unreadable_snapshots(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    path = fill_store(tmp_path, clock, count=3)
    del memory_keyring.passwords[KEY_ENTRY]

    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        customer = make_customer()
        store.save(customer, None)

        assert store.warning is not None
        assert store.warning.kind == StoreWarningKind.SNAPSHOTS_UNREADABLE
        assert "3 snapshots" in store.warning.detail
        assert [snapshot.customer.id for snapshot in store.recent()] == [customer.id]
    with closing(sqlite3.connect(path)) as raw:
        assert raw.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 1


def test_clear_with_failing_keyring_still_deletes(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        path = store.path
        store.save(make_customer(), None)
        previous = keyring.get_keyring()
        keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
        try:
            store.clear()
        finally:
            keyring.set_keyring(previous)

        assert store.persistent is False
        assert store.warning is not None
        assert store.warning.kind == StoreWarningKind.KEYRING_UNAVAILABLE
        assert store.recent() == []
    assert path is not None
    with closing(sqlite3.connect(path)) as raw:
        assert raw.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 0


def test_second_instance_follows_clear(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    before = make_customer("Before", "Clear")
    after = make_customer("After", "Clear")
    with (
        OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as first,
        OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as second,
    ):
        second.save(before, None)
        first.clear()

        assert second.find_by_id(before.id) is None
        second.save(after, None)

        found = first.find_by_id(after.id)
        assert found is not None
        assert found.customer == after
        assert first.warning is None
        assert second.warning is None


def test_two_instances_share_snapshots(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    customer = make_customer()
    with (
        OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as first,
        OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as second,
    ):
        first.save(customer, make_cart(customer))
        second.set_pinned(customer.id, True)

        found = first.find_by_id(customer.id)

    assert found is not None
    assert found.pinned is True


def test_rollback_journal_without_wal(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # SQLite's unix-dotfile VFS offers no shared memory, so WAL cannot start on it.
    customer = make_customer()
    with caplog.at_level(logging.WARNING, logger="vp_desk.offline"):
        store = OfflineStore.open(PROFILE, folder=tmp_path, clock=clock, sqlite_vfs="unix-dotfile")
    with store:
        store.save(customer, make_cart(customer))
        assert store.path is not None
        path = store.path

        assert store.persistent is True
        assert store.journal_mode == "delete"
        assert "rollback journal" in caplog.text
        assert not path.with_name(path.name + "-wal").exists()

    with OfflineStore.open(
        PROFILE, folder=tmp_path, clock=clock, sqlite_vfs="unix-dotfile"
    ) as reopened:
        found = reopened.find_by_id(customer.id)
    assert found is not None
    assert found.customer == customer


class WalRefusingConnection(sqlite3.Connection):
    """A connection on which switching to WAL fails, as where shared memory cannot be created."""

    def execute(self, sql: str, *parameters: object) -> sqlite3.Cursor:
        if sql.replace(" ", "").upper() == "PRAGMAJOURNAL_MODE=WAL":
            raise sqlite3.OperationalError("simulated: no shared memory for WAL")
        return super().execute(sql, *parameters)  # type: ignore[arg-type]


def test_rollback_journal_when_wal_fails(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_connect = sqlite3.connect

    def connect_refusing_wal(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return real_connect(*args, **kwargs, factory=WalRefusingConnection)

    monkeypatch.setattr(sqlite3, "connect", connect_refusing_wal)
    customer = make_customer()

    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        store.save(customer, None)

        assert store.journal_mode == "delete"
        assert store.persistent is True
        assert store.find_by_id(customer.id) is not None


def test_failed_write_raises_store_error(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock, busy_timeout=0.1) as store:
        assert store.path is not None
        with closing(sqlite3.connect(store.path, isolation_level=None, timeout=0)) as raw:
            raw.execute("BEGIN IMMEDIATE")

            with pytest.raises(OfflineStoreError, match="locked"):
                store.save(make_customer(), None)
            raw.execute("ROLLBACK")

        store.save(make_customer(), None)
        assert len(store.recent()) == 1
