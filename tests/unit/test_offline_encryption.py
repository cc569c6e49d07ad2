"""What the offline store writes to disk: ciphertext and keyed hashes, never customer data."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.unit.conftest import MemoryKeyring
from tests.unit.test_offline_store import PROFILE, FakeClock, make_cart, make_customer
from vp_desk.api.models import Cart, Customer
from vp_desk.offline import KeyringDataKeys, OfflineStore
from vp_desk.offline.crypto import (
    NONCE_BYTES,
    LookupKind,
    SnapshotCipher,
    SnapshotDecryptionError,
)
from vp_desk.sandbox.data import generate_dataset

COMPANIONS = ("", "-wal", "-shm", "-journal")


def known_customers() -> list[tuple[Customer, Cart | None]]:
    """Return customers with unusual values that cannot appear in a file by chance."""
    wilhelmina = make_customer(
        "Wilhelmina",
        "Fotheringay-Phipps",
        email="Wilhelmina.Fotheringay@Example-Florists.co.uk",
        phone_number="+442079460958",
        metadata={"note": "prefers decaf oat latte", "loyaltyTier": "platinum-orchid"},
    )
    zoe = make_customer(
        "Zoë",
        "Müller-Lüdenscheidt",
        email="zoë.müller@bücher.example",
        phone_number="+4915112345678",
        metadata={"favouriteShop": "Kaffeerösterei Nordlicht"},
    )
    no_cart = make_customer(
        "Quentin", "Zabriskie", email="q.zabriskie@example.org", phone_number="+12025550147"
    )
    dataset = generate_dataset(customers=20, seed=5)
    sampled = [
        (record.customer, dataset.carts.get(record.customer.id)) for record in dataset.customers
    ]
    return [
        (wilhelmina, make_cart(wilhelmina, "Jamaica Blue Mountain Peaberry")),
        (zoe, make_cart(zoe, "Schwarzwälder Kirschtorte Bohnen")),
        (no_cart, None),
        *sampled,
    ]


def plaintext_needles(customer: Customer, cart: Cart | None) -> set[str]:
    """Return every value of a customer and cart that must never appear on disk."""
    needles = {str(customer.id), customer.id.hex, customer.full_name}
    for value in (customer.first_name, customer.last_name, customer.email):
        if value:
            needles.add(value)
    if customer.email:
        needles.add(customer.email.split("@")[0])
        needles.add(customer.email.casefold())
    if customer.phone_number:
        needles.add(customer.phone_number)
        needles.add(customer.phone_number.removeprefix("+"))
    needles.update(str(value) for value in customer.metadata.values() if isinstance(value, str))
    json_text = customer.model_dump_json()
    needles.add(json_text)
    needles.add(json_text[:40])
    needles.add(json_text[-40:])
    if cart is not None:
        needles.add(str(cart.id))
        needles.update(item.product_name for item in cart.items)
        needles.update(item.sku for item in cart.items if item.sku)
        needles.add(cart.model_dump_json()[:40])
    return {needle for needle in needles if len(needle) >= 4}


def store_bytes(path: Path) -> dict[str, bytes]:
    """Return the bytes of the store file and of each companion file that exists."""
    found = {}
    for suffix in COMPANIONS:
        file = path.with_name(path.name + suffix)
        if file.exists():
            found[file.name] = file.read_bytes()
    return found


def assert_no_plaintext(files: dict[str, bytes], saved: list[tuple[Customer, Cart | None]]) -> None:
    for customer, cart in saved:
        for needle in plaintext_needles(customer, cart):
            for encoded in (needle.encode("utf-8"), needle.encode("utf-16-le")):
                for name, content in files.items():
                    assert encoded not in content, f"{needle!r} appears in {name}"
        assert customer.id.bytes not in b"".join(files.values())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.mark.parametrize("vfs", [None, "unix-dotfile"], ids=["wal", "rollback-journal"])
def test_store_files_hold_no_plaintext(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock, vfs: str | None
) -> None:
    saved = known_customers()
    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock, sqlite_vfs=vfs) as store:
        for customer, cart in saved:
            store.save(customer, cart)
        store.set_pinned(saved[0][0].id, True)
        assert store.path is not None
        path = store.path
        while_open = store_bytes(path)

    after_close = store_bytes(path)

    assert path.name in while_open
    if vfs is None:
        assert path.name + "-wal" in while_open
    assert_no_plaintext(while_open, saved)
    assert_no_plaintext(after_close, saved)


def test_needles_are_found_in_plain_sqlite(tmp_path: Path) -> None:
    # Guards the search above: the same values written unencrypted are found.
    saved = known_customers()
    path = tmp_path / "plain.sqlite3"
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE customers (body TEXT)")
        for customer, _cart in saved:
            connection.execute("INSERT INTO customers VALUES (?)", (customer.model_dump_json(),))
        connection.commit()

    with pytest.raises(AssertionError, match=r"appears in plain\.sqlite3"):
        assert_no_plaintext(store_bytes(path), saved)


def test_each_encryption_uses_fresh_nonce() -> None:
    cipher = SnapshotCipher(bytes(32))

    first = cipher.encrypt(b"same snapshot", b"row")
    second = cipher.encrypt(b"same snapshot", b"row")

    assert first[:NONCE_BYTES] != second[:NONCE_BYTES]
    assert first != second
    assert cipher.decrypt(first, b"row") == b"same snapshot"


def test_ciphertext_is_bound_to_its_row() -> None:
    cipher = SnapshotCipher(bytes(32))
    blob = cipher.encrypt(b"snapshot", b"row one")

    with pytest.raises(SnapshotDecryptionError):
        cipher.decrypt(blob, b"row two")
    with pytest.raises(SnapshotDecryptionError):
        SnapshotCipher(bytes(31) + b"\x01").decrypt(blob, b"row one")
    with pytest.raises(SnapshotDecryptionError):
        cipher.decrypt(blob[:NONCE_BYTES], b"row one")


def test_lookup_hashes_differ_by_kind_and_key() -> None:
    cipher = SnapshotCipher(bytes(32))
    other = SnapshotCipher(bytes(31) + b"\x01")

    id_hash = cipher.lookup_hash(LookupKind.CUSTOMER_ID, "value")
    email_hash = cipher.lookup_hash(LookupKind.EMAIL, "value")

    assert id_hash != email_hash
    assert id_hash != other.lookup_hash(LookupKind.CUSTOMER_ID, "value")
    assert len(id_hash) == 32


def test_profiles_have_different_data_keys(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    with (
        OfflineStore.open("Coffee shop", folder=tmp_path, clock=clock),
        OfflineStore.open("Outdoor shop", folder=tmp_path, clock=clock),
    ):
        pass

    keys = KeyringDataKeys()
    assert keys.load("Coffee shop") != keys.load("Outdoor shop")


@pytest.fixture
def store_with_two(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> Iterator[tuple[OfflineStore, Customer, Customer]]:
    giulia = make_customer("Giulia", "Rossi", email="giulia@example.com", phone_number="+3934711")
    marco = make_customer("Marco", "Bianchi", email="marco@example.com", phone_number="+4420794")
    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        store.save(giulia, make_cart(giulia))
        store.save(marco, None)
        yield store, giulia, marco


def raw_connection(store: OfflineStore) -> sqlite3.Connection:
    assert store.path is not None
    return sqlite3.connect(store.path, isolation_level=None)


def test_tampered_snapshot_is_dropped(
    store_with_two: tuple[OfflineStore, Customer, Customer], caplog: pytest.LogCaptureFixture
) -> None:
    store, giulia, marco = store_with_two
    with closing(raw_connection(store)) as raw:
        payload = raw.execute("SELECT payload FROM snapshots ORDER BY id LIMIT 1").fetchone()[0]
        flipped = payload[:-1] + bytes([payload[-1] ^ 0x01])
        raw.execute("UPDATE snapshots SET payload = ? WHERE payload = ?", (flipped, payload))

        with caplog.at_level(logging.WARNING, logger="vp_desk.offline"):
            found = store.find_by_id(giulia.id)
        remaining = raw.execute("SELECT count(*) FROM snapshots").fetchone()[0]

    assert found is None
    assert "could not be read" in caplog.text
    assert "AES-GCM authentication" in caplog.text
    assert remaining == 1
    assert [snapshot.customer.id for snapshot in store.recent()] == [marco.id]


def test_swapped_snapshots_are_dropped(
    store_with_two: tuple[OfflineStore, Customer, Customer],
) -> None:
    store, giulia, marco = store_with_two
    with closing(raw_connection(store)) as raw:
        first, second = raw.execute("SELECT id, payload FROM snapshots ORDER BY id").fetchall()
        raw.execute("UPDATE snapshots SET payload = ? WHERE id = ?", (second[1], first[0]))
        raw.execute("UPDATE snapshots SET payload = ? WHERE id = ?", (first[1], second[0]))

    assert store.find_by_id(giulia.id) is None
    assert store.find_by_id(marco.id) is None
    assert store.recent() == []


def test_swapped_phone_hashes_find_nobody(
    store_with_two: tuple[OfflineStore, Customer, Customer],
) -> None:
    store, giulia, marco = store_with_two
    with closing(raw_connection(store)) as raw:
        first, second = raw.execute("SELECT id, phone_hash FROM snapshots ORDER BY id").fetchall()
        raw.execute("UPDATE snapshots SET phone_hash = ? WHERE id = ?", (second[1], first[0]))
        raw.execute("UPDATE snapshots SET phone_hash = ? WHERE id = ?", (first[1], second[0]))

    assert giulia.phone_number is not None
    assert marco.phone_number is not None
    assert store.find_by_phone(giulia.phone_number) is None
    assert store.find_by_phone(marco.phone_number) is None
    assert store.find_by_id(giulia.id) is not None


def test_invalid_plaintext_dropped_unlogged(
    store_with_two: tuple[OfflineStore, Customer, Customer], caplog: pytest.LogCaptureFixture
) -> None:
    store, giulia, _marco = store_with_two
    data_key = KeyringDataKeys().load(PROFILE)
    assert data_key is not None
    cipher = SnapshotCipher(data_key)
    id_hash = cipher.lookup_hash(LookupKind.CUSTOMER_ID, str(giulia.id))
    plaintext = b'{"customer": {"id": "Secret-Surname-Kowalczyk"}, "cart": null}'
    with closing(raw_connection(store)) as raw:
        raw.execute(
            "UPDATE snapshots SET payload = ? WHERE id_hash = ?",
            (cipher.encrypt(plaintext, id_hash), id_hash),
        )

    with caplog.at_level(logging.WARNING, logger="vp_desk.offline"):
        found = store.find_by_id(giulia.id)

    assert found is None
    assert "invalid fields" in caplog.text
    assert "Kowalczyk" not in caplog.text
    assert len(store.recent()) == 1


def test_short_payload_is_dropped(
    store_with_two: tuple[OfflineStore, Customer, Customer],
) -> None:
    store, _giulia, _marco = store_with_two
    with closing(raw_connection(store)) as raw:
        raw.execute("UPDATE snapshots SET payload = x'00'")

    assert store.search("") == []
