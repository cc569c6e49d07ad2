"""OfflineStore: saving, look-ups, search, recent list, pins, retention, eviction, profiles."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from tests.unit.conftest import MemoryKeyring
from vp_desk.api.models import Cart, CartItem, CartStatus, Customer
from vp_desk.config import Profile
from vp_desk.credentials import KEYRING_SERVICE, KeyringCredentials
from vp_desk.offline import CustomerSnapshot, KeyringDataKeys, OfflineStore
from vp_desk.offline.keys import data_key_username

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PROFILE = "Coffee shop"


class FakeClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def make_customer(
    first_name: str | None = "Giulia",
    last_name: str | None = "Rossi",
    *,
    email: str | None = "giulia.rossi@example.com",
    phone_number: str | None = "+393471182905",
    customer_id: UUID | None = None,
    metadata: dict[str, object] | None = None,
) -> Customer:
    return Customer.model_validate(
        {
            "id": customer_id or uuid4(),
            "email": email,
            "phoneNumber": phone_number,
            "firstName": first_name,
            "lastName": last_name,
            "createdAt": "2024-02-11T09:26:53Z",
            "updatedAt": "2026-03-02T17:40:12Z",
            "metadata": metadata or {},
        }
    )


def make_cart(customer: Customer, product_name: str = "Vesuvio Espresso Blend 1 kg") -> Cart:
    item = CartItem(
        product_id="prod_espresso_1000",
        product_name=product_name,
        sku="VCR-ESP-1000",
        quantity=2,
        unit_price=Decimal("32.00"),
        line_total=Decimal("64.00"),
    )
    return Cart(
        id=uuid4(),
        customer_id=customer.id,
        status=CartStatus.ACTIVE,
        currency="EUR",
        items=[item],
        item_count=2,
        subtotal=Decimal("64.00"),
        created_at=datetime(2026, 2, 27, 8, 15, tzinfo=UTC),
        updated_at=datetime(2026, 3, 2, 17, 40, 12, tzinfo=UTC),
    )


def names(snapshots: list[CustomerSnapshot]) -> list[str]:
    return [snapshot.customer.full_name for snapshot in snapshots]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> Iterator[OfflineStore]:
    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as opened:
        yield opened


def test_open_creates_persistent_store(store: OfflineStore, tmp_path: Path) -> None:
    assert store.persistent is True
    assert store.warning is None
    assert store.journal_mode == "wal"
    assert store.path is not None
    assert store.path.parent == tmp_path
    assert store.path.exists()


def test_find_by_id_returns_customer_and_cart(store: OfflineStore, clock: FakeClock) -> None:
    customer = make_customer()
    cart = make_cart(customer)

    store.save(customer, cart)
    found = store.find_by_id(customer.id)

    assert found is not None
    assert found.customer == customer
    assert found.cart == cart
    assert found.saved_at == START
    assert found.last_used_at == START
    assert found.pinned is False


def test_customer_without_cart_is_saved(store: OfflineStore) -> None:
    customer = make_customer()

    store.save(customer, None)
    found = store.find_by_id(customer.id)

    assert found is not None
    assert found.cart is None


def test_find_by_phone_exact(store: OfflineStore) -> None:
    customer = make_customer(phone_number="+442079460958")
    store.save(customer, None)

    found = store.find_by_phone("+442079460958")

    assert found is not None
    assert found.customer.id == customer.id
    assert store.find_by_phone("+442079460959") is None
    assert store.find_by_phone("442079460958") is None


@pytest.mark.parametrize(
    "query",
    [
        "Giulia.Rossi@example.com",
        "giulia.rossi@EXAMPLE.COM",
        "GIULIA.ROSSI@Example.Com",
        " giulia.rossi@example.com ",
    ],
)
def test_find_by_email_ignores_case(store: OfflineStore, query: str) -> None:
    customer = make_customer(email="Giulia.Rossi@Example.com")
    store.save(customer, None)

    found = store.find_by_email(query)

    assert found is not None
    assert found.customer.id == customer.id


def test_find_by_email_unicode_domain(store: OfflineStore) -> None:
    customer = make_customer(email="jürgen@Müller.de")
    store.save(customer, None)

    found = store.find_by_email("JÜRGEN@müller.DE")

    assert found is not None
    assert found.customer.id == customer.id


def test_email_prefers_exact_local_case(store: OfflineStore, clock: FakeClock) -> None:
    upper = make_customer("Anna", "Upper", email="Anna@example.com")
    lower = make_customer("Anna", "Lower", email="anna@example.com")
    store.save(upper, None)
    clock.advance(minutes=1)
    store.save(lower, None)

    by_upper = store.find_by_email("Anna@EXAMPLE.com")
    by_lower = store.find_by_email("anna@example.com")
    by_other = store.find_by_email("ANNA@example.com")

    assert by_upper is not None
    assert by_upper.customer.id == upper.id
    assert by_lower is not None
    assert by_lower.customer.id == lower.id
    assert by_other is not None
    assert by_other.customer.id == lower.id  # no exact match: the most recently used


def test_find_unknown_returns_none(store: OfflineStore) -> None:
    store.save(make_customer(), None)

    assert store.find_by_id(uuid4()) is None
    assert store.find_by_phone("+15555550100") is None
    assert store.find_by_email("nobody@example.com") is None


def test_customer_without_phone_or_email(store: OfflineStore) -> None:
    customer = make_customer(email=None, phone_number=None)
    store.save(customer, None)

    assert store.find_by_id(customer.id) is not None
    assert store.find_by_phone("") is None
    assert store.find_by_email("") is None


def test_resave_replaces_and_keeps_pin(store: OfflineStore, clock: FakeClock) -> None:
    customer = make_customer()
    store.save(customer, None)
    store.set_pinned(customer.id, True)
    renamed = customer.model_copy(update={"last_name": "Bianchi", "phone_number": "+390612345678"})
    cart = make_cart(renamed)

    later = clock.advance(hours=2)
    store.save(renamed, cart)
    found = store.find_by_id(customer.id)

    assert found is not None
    assert found.customer.last_name == "Bianchi"
    assert found.cart == cart
    assert found.saved_at == later
    assert found.pinned is True
    assert store.find_by_phone("+393471182905") is None
    assert store.find_by_phone("+390612345678") is not None
    assert len(store.recent()) == 1


def test_cart_of_another_customer_is_rejected(store: OfflineStore) -> None:
    customer = make_customer()
    other = make_customer("Marco", "Bianchi")

    with pytest.raises(ValueError, match="another customer"):
        store.save(customer, make_cart(other))


def test_time_without_zone_is_rejected(store: OfflineStore) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        store.save(make_customer(), None, now=datetime(2026, 3, 2, 9, 0))


def test_recent_lists_newest_first(store: OfflineStore, clock: FakeClock) -> None:
    for index in range(5):
        store.save(make_customer("Customer", f"Number {index}"), None)
        clock.advance(minutes=1)

    recent = store.recent(limit=3)

    assert names(recent) == ["Customer Number 4", "Customer Number 3", "Customer Number 2"]
    assert recent[0].saved_at > recent[1].saved_at > recent[2].saved_at
    assert len(store.recent()) == 5


def test_recent_puts_pinned_first(store: OfflineStore, clock: FakeClock) -> None:
    customers = [make_customer("Customer", f"Number {index}") for index in range(4)]
    for customer in customers:
        store.save(customer, None)
        clock.advance(minutes=1)

    assert store.set_pinned(customers[1].id, True) is True
    assert store.set_pinned(customers[0].id, True) is True
    recent = store.recent()

    assert names(recent) == [
        "Customer Number 1",
        "Customer Number 0",
        "Customer Number 3",
        "Customer Number 2",
    ]
    assert [snapshot.pinned for snapshot in recent] == [True, True, False, False]


def test_unpin_restores_order(store: OfflineStore, clock: FakeClock) -> None:
    first = make_customer("First", "Opened")
    second = make_customer("Second", "Opened")
    store.save(first, None)
    clock.advance(minutes=1)
    store.save(second, None)

    store.set_pinned(first.id, True)
    store.set_pinned(first.id, False)

    assert names(store.recent()) == ["Second Opened", "First Opened"]


def test_pin_unknown_returns_false(store: OfflineStore) -> None:
    assert store.set_pinned(uuid4(), True) is False


def test_pin_survives_reopen(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    customer = make_customer()
    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as first_run:
        first_run.save(customer, make_cart(customer))
        first_run.set_pinned(customer.id, True)

    clock.advance(days=3)
    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as second_run:
        found = second_run.find_by_id(customer.id)

    assert found is not None
    assert found.pinned is True
    assert found.saved_at == START


def test_mark_used_keeps_saved_at(store: OfflineStore, clock: FakeClock) -> None:
    older = make_customer("Older", "Lookup")
    newer = make_customer("Newer", "Lookup")
    store.save(older, None)
    clock.advance(minutes=1)
    store.save(newer, None)

    used = clock.advance(minutes=5)
    assert store.mark_used(older.id) is True
    found = store.find_by_id(older.id)

    assert names(store.recent()) == ["Older Lookup", "Newer Lookup"]
    assert found is not None
    assert found.saved_at == START
    assert found.last_used_at == used
    assert store.mark_used(uuid4()) is False


def test_search_ignores_case_and_accents(store: OfflineStore) -> None:
    store.save(make_customer("Zoë", "Müller-Lüdenscheidt", email="zoe@example.de"), None)
    store.save(make_customer("Søren", "Kierkegaard", email="soren@example.dk"), None)
    store.save(make_customer("Łukasz", "Straße", email="lukasz@example.pl"), None)

    assert names(store.search("zoe")) == ["Zoë Müller-Lüdenscheidt"]
    assert names(store.search("MULLER")) == ["Zoë Müller-Lüdenscheidt"]
    assert names(store.search("sØren")) == ["Søren Kierkegaard"]
    assert names(store.search("lukasz strasse")) == ["Łukasz Straße"]
    assert names(store.search("STRASSE lukasz")) == ["Łukasz Straße"]


def test_search_full_name_either_order(store: OfflineStore) -> None:
    store.save(make_customer("Giulia", "Rossi"), None)

    assert names(store.search("Giulia Rossi")) == ["Giulia Rossi"]
    assert names(store.search("rossi  giulia")) == ["Giulia Rossi"]
    assert names(store.search("ia Ro")) == ["Giulia Rossi"]
    assert store.search("Giulia Bianchi") == []


def test_search_email_and_phone_digits(store: OfflineStore) -> None:
    store.save(
        make_customer("Giulia", "Rossi", email="g.rossi@example.com", phone_number="+393471182905"),
        None,
    )
    store.save(
        make_customer("Marco", "Bianchi", email="marco@example.org", phone_number="+442079460958"),
        None,
    )

    assert names(store.search("g.rossi@EXAMPLE")) == ["Giulia Rossi"]
    assert names(store.search("example.org")) == ["Marco Bianchi"]
    assert names(store.search("347 118")) == ["Giulia Rossi"]
    assert names(store.search("+44 20 7946-0958")) == ["Marco Bianchi"]
    assert names(store.search("(20) 7946")) == ["Marco Bianchi"]


def test_search_newest_first_limited(store: OfflineStore, clock: FakeClock) -> None:
    for index in range(5):
        store.save(make_customer("Anna", f"Rossi {index}"), None)
        clock.advance(minutes=1)
    store.save(make_customer("Marco", "Bianchi"), None)

    found = store.search("anna", limit=2)

    assert names(found) == ["Anna Rossi 4", "Anna Rossi 3"]
    assert len(store.search("")) == 6


def test_limits_below_one_are_rejected(store: OfflineStore) -> None:
    with pytest.raises(ValueError, match="0"):
        store.recent(limit=0)
    with pytest.raises(ValueError, match="-1"):
        store.search("anna", limit=-1)


def test_expired_snapshots_are_hidden(store: OfflineStore, clock: FakeClock) -> None:
    customer = make_customer()
    store.save(customer, None)
    store.set_pinned(customer.id, True)

    clock.advance(days=7)
    assert store.find_by_id(customer.id) is not None

    clock.advance(seconds=1)
    assert store.find_by_id(customer.id) is None
    assert store.find_by_phone("+393471182905") is None
    assert store.recent() == []
    assert store.search("giulia") == []
    assert store.set_pinned(customer.id, False) is False


def test_purge_deletes_expired_even_pinned(store: OfflineStore, clock: FakeClock) -> None:
    old_pinned = make_customer("Old", "Pinned")
    old = make_customer("Old", "Plain")
    store.save(old_pinned, None)
    store.save(old, None)
    store.set_pinned(old_pinned.id, True)
    clock.advance(days=6)
    fresh = make_customer("Fresh", "Plain")
    store.save(fresh, None)

    assert store.purge(now=START + timedelta(days=7)) == 0
    deleted = store.purge(now=START + timedelta(days=7, seconds=1))

    assert deleted == 2
    clock.advance(days=-6)  # back to START: deleted rows stay deleted
    assert names(store.recent()) == ["Fresh Plain"]


def test_retention_is_adjustable(store: OfflineStore, clock: FakeClock) -> None:
    customer = make_customer()
    store.save(customer, None)
    clock.advance(days=20)
    assert store.find_by_id(customer.id) is None

    store.set_retention_days(30)

    assert store.retention_days == 30
    assert store.find_by_id(customer.id) is not None
    assert store.purge() == 0


@pytest.mark.parametrize("days", [0, 91, -1, 365])
def test_retention_out_of_range_is_rejected(
    tmp_path: Path, memory_keyring: MemoryKeyring, days: int
) -> None:
    with pytest.raises(ValueError, match=f"retention of {days} days"):
        OfflineStore.open(PROFILE, folder=tmp_path, retention_days=days)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("days", [0, 91])
def test_set_retention_out_of_range_is_rejected(store: OfflineStore, days: int) -> None:
    with pytest.raises(ValueError, match=f"retention of {days} days"):
        store.set_retention_days(days)
    assert store.retention_days == 7


@pytest.mark.parametrize("days", [1, 90])
def test_retention_bounds_are_accepted(
    tmp_path: Path, memory_keyring: MemoryKeyring, days: int
) -> None:
    with OfflineStore.open(PROFILE, folder=tmp_path, retention_days=days) as store:
        assert store.retention_days == days


def test_least_recently_used_is_evicted(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    customers = [make_customer("Customer", f"Number {index}") for index in range(4)]
    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock, max_entries=3) as store:
        for customer in customers[:3]:
            store.save(customer, None)
            clock.advance(minutes=1)
        store.mark_used(customers[0].id)
        clock.advance(minutes=1)

        store.save(customers[3], None)

        assert store.find_by_id(customers[1].id) is None
        assert names(store.recent()) == [
            "Customer Number 3",
            "Customer Number 0",
            "Customer Number 2",
        ]


def test_pinned_are_evicted_after_unpinned(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    pinned = [make_customer("Pinned", f"Number {index}") for index in range(2)]
    plain = [make_customer("Plain", f"Number {index}") for index in range(3)]
    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock, max_entries=3) as store:
        for customer in pinned:
            store.save(customer, None)
            store.set_pinned(customer.id, True)
            clock.advance(minutes=1)
        for customer in plain[:2]:
            store.save(customer, None)
            clock.advance(minutes=1)

        assert names(store.recent()) == ["Pinned Number 1", "Pinned Number 0", "Plain Number 1"]

        # Pinned snapshots fill the store: the one just saved stays, and the least recently
        # used pinned one goes.
        store.set_pinned(plain[1].id, True)
        store.save(plain[2], None)

        assert names(store.recent()) == ["Plain Number 1", "Pinned Number 1", "Plain Number 2"]


def test_max_entries_below_one_is_rejected(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="max_entries 0"):
        OfflineStore.open(PROFILE, folder=tmp_path, max_entries=0)


def test_profiles_see_only_their_snapshots(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    coffee_customer = make_customer("Giulia", "Rossi")
    outdoor_customer = make_customer(
        "Marco", "Bianchi", email="marco@example.org", phone_number="+442079460958"
    )

    with (
        OfflineStore.open("Coffee shop", folder=tmp_path, clock=clock) as coffee,
        OfflineStore.open("Outdoor shop", folder=tmp_path, clock=clock) as outdoor,
    ):
        coffee.save(coffee_customer, None)
        outdoor.save(outdoor_customer, None)

        assert coffee.path != outdoor.path
        assert coffee.find_by_id(outdoor_customer.id) is None
        assert coffee.find_by_phone("+442079460958") is None
        assert names(coffee.recent()) == ["Giulia Rossi"]
        assert names(outdoor.recent()) == ["Marco Bianchi"]
        assert names(outdoor.search("rossi")) == []


def test_file_name_hides_profile_name(store: OfflineStore) -> None:
    assert store.path is not None
    assert "Coffee" not in store.path.name
    assert store.path.suffix == ".sqlite3"


def test_data_key_stored_as_base64(store: OfflineStore, memory_keyring: MemoryKeyring) -> None:
    stored = memory_keyring.passwords[(KEYRING_SERVICE, data_key_username(PROFILE))]

    assert len(base64.b64decode(stored, validate=True)) == 32
    assert list(memory_keyring.passwords) == [(KEYRING_SERVICE, data_key_username(PROFILE))]


def test_data_key_username_never_clashes(memory_keyring: MemoryKeyring) -> None:
    limits = Profile.model_fields["name"].metadata
    max_profile_name = max(getattr(limit, "max_length", 0) or 0 for limit in limits)
    tricky_name = "Coffee shop/offline-data-key"

    assert max_profile_name > 0
    assert len(data_key_username("a")) > max_profile_name
    assert data_key_username("Coffee shop") != data_key_username(tricky_name)
    assert data_key_username("Coffee shop").startswith("Coffee shop/")


def test_api_key_and_data_key_coexist(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    KeyringCredentials().set_key(PROFILE, "sk_test_one")

    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        store.save(make_customer(), None)
        store.clear()
    OfflineStore.remove_profile(PROFILE, folder=tmp_path)

    assert KeyringCredentials().get_key(PROFILE) == "sk_test_one"


def test_clear_deletes_snapshots_and_key(
    store: OfflineStore, memory_keyring: MemoryKeyring
) -> None:
    customer = make_customer()
    store.save(customer, make_cart(customer))
    entry = (KEYRING_SERVICE, data_key_username(PROFILE))
    old_key = memory_keyring.passwords[entry]

    store.clear()

    assert store.recent() == []
    assert store.find_by_id(customer.id) is None
    assert memory_keyring.passwords[entry] != old_key
    assert store.persistent is True

    store.save(customer, None)
    assert store.find_by_id(customer.id) is not None


def test_clear_keeps_working_after_reopen(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    before = make_customer("Before", "Clear")
    after = make_customer("After", "Clear")
    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as store:
        store.save(before, None)
        store.clear()
        store.save(after, None)

    with OfflineStore.open(PROFILE, folder=tmp_path, clock=clock) as reopened:
        assert names(reopened.recent()) == ["After Clear"]
        assert reopened.warning is None


def test_remove_profile_deletes_file_and_key(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    with (
        OfflineStore.open("Coffee shop", folder=tmp_path, clock=clock) as coffee,
        OfflineStore.open("Outdoor shop", folder=tmp_path, clock=clock) as outdoor,
    ):
        coffee.save(make_customer(), None)
        outdoor.save(make_customer("Marco", "Bianchi"), None)
        coffee_path = coffee.path
        outdoor_path = outdoor.path
    assert coffee_path is not None
    assert outdoor_path is not None

    OfflineStore.remove_profile("Coffee shop", folder=tmp_path)

    assert not coffee_path.exists()
    assert list(tmp_path.glob(f"{coffee_path.name}*")) == []
    assert (KEYRING_SERVICE, data_key_username("Coffee shop")) not in memory_keyring.passwords
    assert outdoor_path.exists()
    assert KeyringDataKeys().load("Outdoor shop") is not None
    with OfflineStore.open("Outdoor shop", folder=tmp_path, clock=clock) as outdoor:
        assert names(outdoor.recent()) == ["Marco Bianchi"]


def test_remove_missing_profile_is_harmless(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    OfflineStore.remove_profile("Never opened", folder=tmp_path)

    assert memory_keyring.passwords == {}


def test_closed_store_raises(store: OfflineStore) -> None:
    store.close()
    store.close()

    with pytest.raises(Exception, match="closed"):
        store.recent()
