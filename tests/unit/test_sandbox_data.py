"""Tests of the sandbox's seed data generator."""

import hashlib
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC
from decimal import Decimal
from uuid import UUID

import phonenumbers
import pytest

from vp_desk.api.models import Cart, CartItem, CartStatus, Customer
from vp_desk.sandbox.data import (
    _COUNTRIES,
    CURRENCY_EXPONENTS,
    MAX_CUSTOMERS,
    SHOWCASE_CUSTOMERS,
    WINDOW_END,
    WINDOW_START,
    Dataset,
    ShowcaseCustomer,
    generate_dataset,
    strip_accents,
)

E164_DIGITS = 15
EXAMPLE_DOMAINS = {"example.com", "example.org", "example.net"}

# Prints a digest of a dataset, so that datasets made in other processes can be compared.
DIGEST_SCRIPT = """
import hashlib
from vp_desk.sandbox.data import generate_dataset
dataset = generate_dataset(customers=300, seed=5)
digest = hashlib.sha256()
for store in dataset.stores:
    digest.update(repr(store).encode())
for record in dataset.customers:
    digest.update(str(record.store_id).encode())
    digest.update(record.customer.model_dump_json().encode())
for customer_id, cart in dataset.carts.items():
    digest.update(str(customer_id).encode())
    digest.update(cart.model_dump_json().encode())
print(digest.hexdigest())
"""


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate_dataset()


def all_customers(dataset: Dataset) -> list[Customer]:
    return [record.customer for record in dataset.customers]


def showcase(name: str) -> ShowcaseCustomer:
    return next(entry for entry in SHOWCASE_CUSTOMERS if entry.name == name)


def dataset_digest(dataset: Dataset) -> str:
    digest = hashlib.sha256()
    for store in dataset.stores:
        digest.update(repr(store).encode())
    for record in dataset.customers:
        digest.update(str(record.store_id).encode())
        digest.update(record.customer.model_dump_json().encode())
    for customer_id, cart in dataset.carts.items():
        digest.update(str(customer_id).encode())
        digest.update(cart.model_dump_json().encode())
    return digest.hexdigest()


# --- Determinism and counts ------------------------------------------------------------------


def test_same_seed_gives_equal_datasets() -> None:
    first = generate_dataset(customers=400, seed=3)
    second = generate_dataset(customers=400, seed=3)

    assert first == second
    assert dataset_digest(first) == dataset_digest(second)


def test_same_seed_equal_across_processes() -> None:
    # Different hash seeds change the iteration order of sets of strings, which must not leak
    # into the data.
    digests = set()
    for hash_seed in ("0", "12345"):
        environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", DIGEST_SCRIPT],
            capture_output=True,
            text=True,
            env=environment,
            check=True,
            timeout=60,
        )
        digests.add(result.stdout.strip())

    assert digests == {dataset_digest(generate_dataset(customers=300, seed=5))}


def test_different_seed_differs() -> None:
    first = generate_dataset(customers=300, seed=1)
    second = generate_dataset(customers=300, seed=2)

    assert [store.id for store in first.stores] != [store.id for store in second.stores]
    assert [store.api_key for store in first.stores] != [store.api_key for store in second.stores]
    first_ids = {record.customer.id for record in first.customers}
    second_ids = {record.customer.id for record in second.customers}
    assert first_ids & second_ids == {entry.customer.id for entry in SHOWCASE_CUSTOMERS}


def test_default_count_and_store_split(dataset: Dataset) -> None:
    first_store, second_store = dataset.stores

    assert len(dataset.customers) == 10_000
    assert len(dataset.customers_of(first_store.id)) == 6_000
    assert len(dataset.customers_of(second_store.id)) == 4_000


@pytest.mark.parametrize("count", [1, 3, len(SHOWCASE_CUSTOMERS), 9, 57])
def test_small_counts_are_exact(count: int) -> None:
    small = generate_dataset(customers=count, seed=4)

    assert len(small.customers) == count
    assert len({record.customer.id for record in small.customers}) == count


@pytest.mark.parametrize("count", [0, -1, MAX_CUSTOMERS + 1])
def test_count_out_of_range_rejected(count: int) -> None:
    with pytest.raises(ValueError, match=str(count)):
        generate_dataset(customers=count)


def test_stores_have_names_and_keys(dataset: Dataset) -> None:
    names = [store.name for store in dataset.stores]

    assert names == ["Vesuvio Coffee Roasters", "Lakeside Outdoor Supply"]
    for store in dataset.stores:
        assert store.api_key.startswith("sk_test_")
        assert store.public_key.startswith("pk_test_")
        assert len(store.api_key) == len("sk_test_") + 32
        assert len(store.public_key) == len("pk_test_") + 32
        int(store.api_key.removeprefix("sk_test_"), 16)
        int(store.public_key.removeprefix("pk_test_"), 16)
    assert len({store.api_key for store in dataset.stores}) == 2


# --- Showcase customers ----------------------------------------------------------------------


@pytest.mark.parametrize(("count", "seed"), [(20, 1), (300, 9), (2_000, 77)])
def test_showcase_customers_lead_first_store(count: int, seed: int) -> None:
    generated = generate_dataset(customers=count, seed=seed)
    first_store = generated.stores[0]
    leading = generated.customers_of(first_store.id)[: len(SHOWCASE_CUSTOMERS)]

    assert list(leading) == [entry.customer for entry in SHOWCASE_CUSTOMERS]
    for entry in SHOWCASE_CUSTOMERS:
        assert generated.cart_of(entry.customer.id) == entry.cart
        assert generated.store_of(entry.customer.id) == first_store


def test_showcase_covers_documented_cases() -> None:
    giulia = showcase("Giulia Rossi")
    assert giulia.customer.phone_number is not None
    giulia_phone = phonenumbers.parse(giulia.customer.phone_number)
    assert phonenumbers.region_code_for_number(giulia_phone) == "IT"
    assert giulia.customer.is_phone_verified
    assert giulia.cart is not None
    assert giulia.cart.currency == "EUR"
    assert len(giulia.cart.items) >= 4

    sam_email = showcase("Sam Taylor").customer.email
    assert sam_email is not None
    assert "+" in sam_email.partition("@")[0]
    assert sam_email != sam_email.lower()

    jose_email = showcase("José García").customer.email
    assert jose_email is not None
    assert not jose_email.isascii()

    assert showcase("Zoë Müller").cart is None
    assert not showcase("Søren Østergaard").customer.is_phone_verified
    assert showcase("Łukasz Wójcik").customer.email is None

    empty_cart = showcase("Chloé Martin").cart
    assert empty_cart is not None
    assert empty_cart.items == []
    assert empty_cart.status is CartStatus.ACTIVE


def test_showcase_names_match_customers() -> None:
    for entry in SHOWCASE_CUSTOMERS:
        customer = entry.customer
        # Japanese order puts the family name first, as the showcase name does.
        names = {f"{customer.first_name} {customer.last_name}"}
        names.add(f"{customer.last_name} {customer.first_name}")
        assert entry.name in names


# --- Customers -------------------------------------------------------------------------------


def test_every_record_validates(dataset: Dataset) -> None:
    for customer in all_customers(dataset):
        assert Customer.model_validate_json(customer.model_dump_json()) == customer
    for cart in dataset.carts.values():
        assert Cart.model_validate_json(cart.model_dump_json()) == cart


def test_records_have_wire_types(dataset: Dataset) -> None:
    # The generator builds records without validation, so every field must already have its
    # wire type. Strict mode rejects a str for a status, or an int for a flag or an amount.
    for customer in all_customers(dataset):
        assert Customer.model_validate(dict(customer), strict=True) == customer
    for cart in dataset.carts.values():
        assert Cart.model_validate(dict(cart), strict=True) == cart
        for item in cart.items:
            assert CartItem.model_validate(dict(item), strict=True) == item


def test_phones_are_valid_e164(dataset: Dataset) -> None:
    regions: Counter[str | None] = Counter()
    for customer in all_customers(dataset):
        if customer.phone_number is None:
            continue
        parsed = phonenumbers.parse(customer.phone_number)
        formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

        assert phonenumbers.is_valid_number(parsed), customer.phone_number
        assert formatted == customer.phone_number
        assert len(customer.phone_number) <= E164_DIGITS + 1
        regions[phonenumbers.region_code_for_number(parsed)] += 1

    assert None not in regions
    assert len(regions) >= 6
    assert {"GB", "US", "DE", "FR", "IT", "JP", "BR", "AU"} <= set(regions)


def test_phone_ranges_valid_at_edges() -> None:
    for country in _COUNTRIES:
        for prefix, digits in country.phone_ranges:
            for suffix in ("0" * digits, "5" * digits, "9" * digits):
                parsed = phonenumbers.parse(prefix + suffix)

                assert phonenumbers.is_valid_number(parsed), prefix + suffix
                assert phonenumbers.region_code_for_number(parsed) == country.code


def test_language_fits_phone_country(dataset: Dataset) -> None:
    checked = 0
    for customer in all_customers(dataset):
        language = customer.metadata.get("preferredLanguage")
        if customer.phone_number is None or language is None:
            continue
        region = phonenumbers.region_code_for_number(phonenumbers.parse(customer.phone_number))

        assert language == f"{str(language)[:2]}-{region}", customer.phone_number
        checked += 1
    assert checked > 8_000


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_phones_valid_for_other_seeds(seed: int) -> None:
    generated = generate_dataset(customers=1_500, seed=seed)

    for record in generated.customers:
        number = record.customer.phone_number
        if number is not None:
            assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number


def test_contacts_unique_per_store(dataset: Dataset) -> None:
    for store in dataset.stores:
        customers = dataset.customers_of(store.id)
        phones = [c.phone_number for c in customers if c.phone_number is not None]
        emails = [c.email.casefold() for c in customers if c.email is not None]

        assert len(phones) == len(set(phones))
        assert len(emails) == len(set(emails))


def test_emails_well_formed(dataset: Dataset) -> None:
    for customer in all_customers(dataset):
        if customer.email is None:
            continue
        local_part, at, domain = customer.email.partition("@")

        assert at == "@"
        assert local_part
        assert "@" not in domain
        assert domain.casefold() in EXAMPLE_DOMAINS
        assert not any(char.isspace() for char in customer.email)
        assert len(customer.email) <= 254


def test_email_variety(dataset: Dataset) -> None:
    emails = [c.email for c in all_customers(dataset) if c.email is not None]
    local_parts = [email.partition("@")[0] for email in emails]

    assert sum(not part.isascii() for part in local_parts) >= 20
    assert sum(email != email.lower() for email in emails) >= 100
    assert sum("+" in part for part in local_parts) >= 100


def test_emails_follow_names(dataset: Dataset) -> None:
    latin = [c for c in all_customers(dataset) if c.email and str(c.last_name).isascii()]
    assert len(latin) > 1_000
    for customer in latin:
        last_name = str(customer.last_name).lower().replace("'", "").replace(" ", "")
        assert last_name in str(customer.email).lower()


def test_contact_and_verification_rates(dataset: Dataset) -> None:
    customers = all_customers(dataset)
    with_phone = [c for c in customers if c.phone_number is not None]
    with_email = [c for c in customers if c.email is not None]
    unverified_phones = sum(not c.is_phone_verified for c in with_phone) / len(with_phone)
    unverified_emails = sum(not c.is_email_verified for c in with_email) / len(with_email)

    assert 0.01 < 1 - len(with_phone) / len(customers) < 0.08
    assert 0.01 < 1 - len(with_email) / len(customers) < 0.08
    assert 0.12 < unverified_phones < 0.18
    assert 0.07 < unverified_emails < 0.13
    assert all(c.phone_number or c.email for c in customers)
    assert not any(c.is_phone_verified for c in customers if c.phone_number is None)
    assert not any(c.is_email_verified for c in customers if c.email is None)


def test_names_include_non_ascii(dataset: Dataset) -> None:
    full_names = {f"{c.first_name} {c.last_name}" for c in all_customers(dataset)}
    non_ascii = {name for name in full_names if not name.isascii()}

    assert len(non_ascii) / len(full_names) > 0.3
    for letter in ("é", "ë", "ø", "ł", "ü", "ř", "山"):
        assert any(letter in name for name in non_ascii), letter


def test_timestamps_ordered_in_window(dataset: Dataset) -> None:
    for customer in all_customers(dataset):
        assert customer.created_at.tzinfo == UTC
        assert WINDOW_START <= customer.created_at <= customer.updated_at <= WINDOW_END
    for cart in dataset.carts.values():
        assert cart.created_at.tzinfo == UTC
        assert WINDOW_START <= cart.created_at <= cart.updated_at <= WINDOW_END


def test_cart_created_after_customer(dataset: Dataset) -> None:
    created = {c.id: c.created_at for c in all_customers(dataset)}

    for customer_id, cart in dataset.carts.items():
        assert cart.customer_id == customer_id
        assert cart.created_at >= created[customer_id]


def test_metadata_fields(dataset: Dataset) -> None:
    metadata = [c.metadata for c in all_customers(dataset)]
    filled = [entry for entry in metadata if entry]

    assert len(filled) / len(metadata) > 0.9
    assert any(entry == {} for entry in metadata)
    for entry in filled:
        assert entry["loyaltyTier"] in {"bronze", "silver", "gold", "platinum"}
        assert isinstance(entry["marketingOptIn"], bool)
        assert isinstance(entry["lifetimeOrders"], int)
        assert isinstance(entry["preferredLanguage"], str)
    assert any("notes" in entry for entry in filled)


# --- Carts -----------------------------------------------------------------------------------


def test_cart_arithmetic(dataset: Dataset) -> None:
    for cart in dataset.carts.values():
        exponent = -CURRENCY_EXPONENTS[cart.currency]
        subtotal = sum((item.line_total for item in cart.items), Decimal(0))

        assert cart.item_count == sum(item.quantity for item in cart.items)
        assert cart.subtotal == subtotal
        assert cart.subtotal.as_tuple().exponent == exponent
        for item in cart.items:
            assert item.line_total == item.unit_price * item.quantity
            assert item.unit_price.as_tuple().exponent == exponent
            assert item.line_total.as_tuple().exponent == exponent
            assert item.unit_price > 0
            assert item.quantity >= 1


def test_cart_shapes(dataset: Dataset) -> None:
    carts = list(dataset.carts.values())
    statuses = Counter(cart.status for cart in carts)
    without_cart = 1 - len(carts) / len(dataset.customers)

    assert 0.12 < without_cart < 0.18
    assert set(statuses) == set(CartStatus)
    assert max(len(cart.items) for cart in carts) == 8
    assert any(cart.items == [] and cart.status is CartStatus.ACTIVE for cart in carts)
    assert all(cart.items for cart in carts if cart.status is not CartStatus.ACTIVE)


def test_cart_currency_per_country(dataset: Dataset) -> None:
    currencies_by_region: dict[str | None, set[str]] = {}
    for record in dataset.customers:
        cart = dataset.cart_of(record.customer.id)
        if cart is None or record.customer.phone_number is None:
            continue
        region = phonenumbers.region_code_for_number(
            phonenumbers.parse(record.customer.phone_number)
        )
        currencies_by_region.setdefault(region, set()).add(cart.currency)

    assert currencies_by_region["JP"] == {"JPY"}
    assert currencies_by_region["GB"] == {"GBP"}
    assert currencies_by_region["BR"] == {"BRL"}
    assert currencies_by_region["IT"] == {"EUR"}
    assert {"GBP", "USD", "EUR", "JPY", "BRL", "AUD"} <= {
        cart.currency for cart in dataset.carts.values()
    }


def test_cart_products_fit_store(dataset: Dataset) -> None:
    coffee_store = dataset.stores[0]
    prefixes: Counter[str] = Counter()

    for customer_id, cart in dataset.carts.items():
        prefix = "prod_vcr_" if dataset.store_of(customer_id) == coffee_store else "prod_los_"
        prefixes[prefix] += 1
        assert all(item.product_id.startswith(prefix) for item in cart.items)
        assert len({item.product_id for item in cart.items}) == len(cart.items)
    assert prefixes["prod_vcr_"] > 0
    assert prefixes["prod_los_"] > 0


# --- Look-ups --------------------------------------------------------------------------------


def test_lookups_agree_with_records(dataset: Dataset) -> None:
    ids_by_store = {
        store.id: {customer.id for customer in dataset.customers_of(store.id)}
        for store in dataset.stores
    }

    for record in dataset.customers:
        assert dataset.store_of(record.customer.id).id == record.store_id
        assert record.customer.id in ids_by_store[record.store_id]
    assert dataset.cart_of(showcase("Zoë Müller").customer.id) is None
    with pytest.raises(KeyError):
        dataset.store_of(UUID("00000000-0000-4000-8000-000000000000"))


def test_strip_accents_spells_letters_in_ascii() -> None:
    assert strip_accents("José Dvořák") == "Jose Dvorak"
    assert strip_accents("Łukasz Søren Æsir Weiß") == "Lukasz Soren AEsir Weiss"
    assert strip_accents("山田") == "山田"
