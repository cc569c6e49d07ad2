"""Deterministic seed data for the sandbox: two stores, their customers and carts."""

from __future__ import annotations

import gc
import random
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from uuid import UUID

from pydantic import JsonValue

from vp_desk.api.models import Cart, CartItem, CartStatus, Customer

WINDOW_START = datetime(2024, 1, 1, tzinfo=UTC)
"""Earliest creation time of any seeded customer or cart."""

WINDOW_END = datetime(2026, 11, 30, tzinfo=UTC)
"""Latest creation or update time of any seeded customer or cart."""

MAX_CUSTOMERS = 100_000
"""Largest dataset that generate_dataset builds.

At this size the UK drama ranges, 14 000 numbers per store, are already over half used.
"""

STORE_NAMES = ("Vesuvio Coffee Roasters", "Lakeside Outdoor Supply")
FIRST_STORE_SHARE = 0.6
"""Fraction of all customers, showcase customers included, that belong to the first store."""

CURRENCY_EXPONENTS: Mapping[str, int] = {
    "AUD": 2,
    "BRL": 2,
    "CZK": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "JPY": 0,
    "PLN": 2,
    "USD": 2,
}
"""Minor-unit digits of each seeded currency, as ISO 4217 lists them."""

_WINDOW_SECONDS = int((WINDOW_END - WINDOW_START).total_seconds())
# example.com is listed twice, so half of the addresses use it.
_EMAIL_DOMAINS = ("example.com", "example.com", "example.org", "example.net")

# NFKD leaves these letters whole because they are letters of their own, not accented ones.
_LETTER_FOLDS = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "þ": "th",
        "ß": "ss",
        "\u0131": "i",  # dotless i
    }
)


def strip_accents(text: str) -> str:
    """Return the text with accents removed and letters such as ł, ø, æ and ß spelt in ASCII."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.translate(_LETTER_FOLDS)


# --- Public records -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Store:
    """A store of the sandbox with its private and public API keys."""

    id: UUID
    name: str
    api_key: str
    public_key: str


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A customer together with the id of the store it belongs to."""

    store_id: UUID
    customer: Customer


@dataclass(frozen=True, slots=True)
class ShowcaseCustomer:
    """A fixed customer of the first store that docs, demos and tests refer to by name."""

    name: str
    purpose: str
    customer: Customer
    cart: Cart | None


@dataclass(frozen=True, slots=True)
class Dataset:
    """The stores, customers and carts that a sandbox serves, with look-ups by id."""

    stores: tuple[Store, ...]
    customers: tuple[CustomerRecord, ...] = field(repr=False)
    carts: Mapping[UUID, Cart] = field(repr=False)
    _stores_by_id: dict[UUID, Store] = field(init=False, repr=False, compare=False)
    _store_ids_by_customer: dict[UUID, UUID] = field(init=False, repr=False, compare=False)
    _customers_by_store: dict[UUID, tuple[Customer, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # The dataclass is frozen, so the indexes are set through object.__setattr__.
        grouped: dict[UUID, list[Customer]] = {store.id: [] for store in self.stores}
        for record in self.customers:
            grouped[record.store_id].append(record.customer)

        object.__setattr__(self, "_stores_by_id", {store.id: store for store in self.stores})
        object.__setattr__(
            self,
            "_store_ids_by_customer",
            {record.customer.id: record.store_id for record in self.customers},
        )
        object.__setattr__(
            self,
            "_customers_by_store",
            {store_id: tuple(customers) for store_id, customers in grouped.items()},
        )

    def customers_of(self, store_id: UUID) -> tuple[Customer, ...]:
        """Return the customers of one store in generation order; KeyError for an unknown id."""
        return self._customers_by_store[store_id]

    def cart_of(self, customer_id: UUID) -> Cart | None:
        """Return the customer's cart, or None when the customer has none or is unknown."""
        return self.carts.get(customer_id)

    def store_of(self, customer_id: UUID) -> Store:
        """Return the store that the customer belongs to; KeyError for an unknown customer."""
        return self._stores_by_id[self._store_ids_by_customer[customer_id]]


# --- Countries, names and phone ranges ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Country:
    code: str
    weight: int
    currency: str
    language: str
    # Each range is an E.164 prefix and the count of digits drawn after it.  With phonenumbers
    # 9.0.43, every number of the ranges of up to 4 digits passes is_valid_number, and so did
    # 1 500 random numbers of each longer range.
    phone_ranges: tuple[tuple[str, int], ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    latin_script: bool = True


def _ranges(prefixes: Iterable[str], digits: int) -> tuple[tuple[str, int], ...]:
    return tuple((prefix, digits) for prefix in prefixes)


# Ofcom keeps these UK ranges for drama, so they are not allocated to subscribers.
_GB_DRAMA = ["+442079460", "+441914980", "+442896496", "+442920180"] + [
    f"+44{area}4960" for area in (113, 114, 116, 117, 118, 121, 131, 141, 151, 161)
]
# NOTE: ARCEP's list of numbers kept for fiction, as remembered, not checked against its
# current decision.  phonenumbers accepts them all.
_FR_FICTION = ["+3319900", "+3326191", "+3335301", "+3346571", "+3353649"]
# NOTE: ACMA's ranges kept for film and television, as remembered, not checked against its
# current list.  phonenumbers accepts them all.
_AU_DRAMA = ["+6125550", "+6137010", "+6175550", "+6187010"]

_US_AREA_CODES = (201, 206, 212, 213, 305, 312, 404, 415, 503, 512, 617, 702, 713, 718, 773, 917)
_DE_MOBILE = (151, 152, 157, 159, 160, 162, 163, 170, 171, 172, 173, 174, 175, 176, 177, 178)
_IT_MOBILE = (320, 324, 327, 328, 329, 330, 333, 335, 338, 339, 340, 345, 347, 348, 349, 366)
_PL_MOBILE = (500, 501, 502, 509, 510, 512, 530, 535, 600, 601, 602, 660, 690, 720, 790, 880)
_DK_BLOCKS = (20, 21, 22, 23, 24, 25, 26, 27, 28, 30, 31, 40, 41, 42, 50, 51, 52, 53, 60, 61)
_BR_AREAS = (11, 21, 31, 41, 51, 61, 71, 81)
_CZ_MOBILE = (601, 602, 603, 604, 605, 606, 607, 608, 702, 720, 724, 730, 736, 773, 777, 792)

_COUNTRIES: tuple[_Country, ...] = (
    _Country(
        "US",
        18,
        "USD",
        "en-US",
        _ranges((f"+1{area}{digit}" for area in _US_AREA_CODES for digit in range(2, 10)), 6),
        (
            "James", "Emily", "Ethan", "Sofía", "Mateo", "Aaliyah", "Noah", "Olivia",
            "Liam", "Renée", "Jalen", "Madison", "Chen", "Destiny",
        ),
        (
            "Johnson", "Williams", "Garcia", "Martinez", "Nguyen", "Kim", "Patel",
            "Rodriguez", "Núñez", "Anderson", "Thompson", "Washington", "Peña", "Lee",
        ),
    ),
    _Country(
        "GB",
        14,
        "GBP",
        "en-GB",
        _ranges(_GB_DRAMA, 3),
        (
            "Oliver", "Amelia", "Harry", "Isla", "George", "Freya", "Rhys", "Zoë",
            "Niamh", "Siobhán", "Eleanor", "Callum", "Aoife", "Dafydd",
        ),
        (
            "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas",
            "O'Brien", "Davies", "MacLeod", "Brontë", "Ó Briain", "Patel",
        ),
    ),
    _Country(
        "DE",
        12,
        "EUR",
        "de-DE",
        _ranges((f"+49{prefix}" for prefix in _DE_MOBILE), 8),
        (
            "Lukas", "Jürgen", "Jörg", "Ursula", "Günter", "Anna", "Sophie",
            "Maximilian", "Lea", "Björn", "Käthe", "Felix", "Hannah", "Zoë",
        ),
        (
            "Müller", "Schmidt", "Schneider", "Fischer", "Weiß", "Schäfer", "Köhler",
            "Groß", "Wagner", "Becker", "Hoffmann", "Krüger", "Böhm", "von Bülow",
        ),
    ),
    _Country(
        "FR",
        10,
        "EUR",
        "fr-FR",
        _ranges(_FR_FICTION, 4),
        (
            "François", "Amélie", "Hélène", "Jérôme", "Chloé", "Léa", "Noël", "Gaëlle",
            "Théo", "Inès", "Benoît", "Élodie", "Camille", "Maël",
        ),
        (
            "Martin", "Bernard", "Dubois", "Lefèvre", "Girard", "Lemaître", "Moreau",
            "Rousseau", "Fournier", "Mercier", "Laurent", "Boucher", "Bélanger", "Faure",
        ),
    ),
    _Country(
        "IT",
        9,
        "EUR",
        "it-IT",
        _ranges((f"+39{prefix}" for prefix in _IT_MOBILE), 7),
        (
            "Giulia", "Francesco", "Alessandro", "Sofia", "Chiara", "Lorenzo", "Niccolò",
            "Matteo", "Giorgia", "Martina", "Federico", "Beatrice", "Elena", "Nicolò",
        ),
        (
            "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
            "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "D'Angelo",
        ),
    ),
    _Country(
        "ES",
        8,
        "EUR",
        "es-ES",
        _ranges((f"+34{prefix}" for prefix in range(600, 700)), 6),
        (
            "José", "María", "Lucía", "Álvaro", "Sofía", "Martín", "Íñigo", "Begoña",
            "Raúl", "Inés", "Sergio", "Nuria", "Ángel", "Paula",
        ),
        (
            "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
            "Pérez", "Gómez", "Muñoz", "Jiménez", "Ibáñez", "Núñez", "Ortiz",
        ),
    ),
    _Country(
        "JP",
        8,
        "JPY",
        "ja-JP",
        _ranges((f"+81{block}{digit}" for block in (70, 80, 90) for digit in range(1, 10)), 7),
        (
            "太郎", "花子", "健太", "陽菜", "翔", "さくら", "大輔", "美咲", "蓮", "結衣",
            "悠斗", "葵",
        ),
        (
            "山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤",
            "吉田", "山本",
        ),
        latin_script=False,
    ),
    _Country(
        "BR",
        6,
        "BRL",
        "pt-BR",
        _ranges((f"+55{area}9{digit}" for area in _BR_AREAS for digit in (7, 8, 9)), 7),
        (
            "João", "Ana", "Gabriel", "Beatriz", "Luís", "Camila", "Conceição", "Thiago",
            "Letícia", "Vitória", "Antônio", "Mariana", "Sebastião", "Júlia",
        ),
        (
            "Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Araújo",
            "Gonçalves", "Magalhães", "Rocha", "Carvalho", "Guimarães", "Simões", "Assunção",
        ),
    ),
    _Country(
        "AU",
        6,
        "AUD",
        "en-AU",
        _ranges(_AU_DRAMA, 4),
        (
            "Jack", "Charlotte", "William", "Mia", "Lachlan", "Matilda", "Kirra", "Jarrah",
            "Ruby", "Cooper", "Zoë", "Harper",
        ),
        (
            "Smith", "Nguyen", "Kelly", "Walker", "Mitchell", "O'Connor", "Campbell",
            "Tran", "Robinson", "Murphy", "Papadopoulos", "Ryan",
        ),
    ),
    _Country(
        "PL",
        4,
        "PLN",
        "pl-PL",
        _ranges((f"+48{prefix}" for prefix in _PL_MOBILE), 6),
        (
            "Łukasz", "Małgorzata", "Paweł", "Agnieszka", "Michał", "Zofia", "Wojciech",
            "Katarzyna", "Bartłomiej", "Żaneta", "Grzegorz", "Jadwiga",
        ),
        (
            "Nowak", "Wójcik", "Kowalczyk", "Woźniak", "Mazur", "Krawczyk", "Kaczmarek",
            "Zając", "Król", "Wieczorek", "Pawlak", "Michalak", "Sikora", "Baran",
        ),
    ),
    _Country(
        "DK",
        3,
        "DKK",
        "da-DK",
        # Danish numbers are valid only when their third digit is 1-9.
        _ranges((f"+45{block}{digit}" for block in _DK_BLOCKS for digit in range(1, 10)), 5),
        (
            "Søren", "Mette", "Jørgen", "Astrid", "Mads", "Frederikke", "Rasmus", "Sofie",
            "Bjørn", "Ida", "Anders", "Signe",
        ),
        (
            "Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Sørensen",
            "Rasmussen", "Jørgensen", "Møller", "Kjær", "Lund", "Østergaard",
        ),
    ),
    _Country(
        "CZ",
        2,
        "CZK",
        "cs-CZ",
        _ranges((f"+420{prefix}" for prefix in _CZ_MOBILE), 6),
        (
            "Jiří", "Tereza", "Petr", "Kateřina", "Tomáš", "Lucie", "Ondřej", "Markéta",
            "Vojtěch", "Barbora",
        ),
        (
            "Dvořák", "Novák", "Svoboda", "Černý", "Procházka", "Kučera", "Veselý",
            "Horák", "Němec", "Marek",
        ),
    ),
)  # fmt: skip

# Japanese names are written in kanji or kana, so their e-mail addresses use these romanisations.
_ROMAJI: Mapping[str, str] = {
    "太郎": "taro",
    "花子": "hanako",
    "健太": "kenta",
    "陽菜": "hina",
    "翔": "sho",
    "さくら": "sakura",
    "大輔": "daisuke",
    "美咲": "misaki",
    "蓮": "ren",
    "結衣": "yui",
    "悠斗": "yuto",
    "葵": "aoi",
    "山田": "yamada",
    "佐藤": "sato",
    "鈴木": "suzuki",
    "高橋": "takahashi",
    "田中": "tanaka",
    "伊藤": "ito",
    "渡辺": "watanabe",
    "中村": "nakamura",
    "小林": "kobayashi",
    "加藤": "kato",
    "吉田": "yoshida",
    "山本": "yamamoto",
}

# Picking from a pool in which each entry appears as often as its weight is faster than
# random.choices, and speed matters because demo mode generates the data at start-up.
_COUNTRY_POOL = tuple(country for country in _COUNTRIES for _ in range(country.weight))

# --- Product catalogues ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Product:
    id: str
    name: str
    sku: str | None
    base_price_eur: Decimal


def _product(product_id: str, name: str, sku: str | None, price: str) -> _Product:
    return _Product(product_id, name, sku, Decimal(price))


_COFFEE_CATALOGUE = (
    _product("prod_vcr_espresso_250", "Vesuvio Espresso Blend 250 g", "VCR-ESP-250", "9.50"),
    _product("prod_vcr_espresso_1000", "Vesuvio Espresso Blend 1 kg", "VCR-ESP-1000", "32.00"),
    _product("prod_vcr_ethiopia_250", "Ethiopia Yirgacheffe 250 g", "VCR-ETH-250", "12.90"),
    _product("prod_vcr_decaf_250", "Colombia Huila Decaf 250 g", "VCR-COL-DEC-250", "11.50"),
    _product("prod_vcr_brazil_500", "Brazil Cerrado 500 g", "VCR-BRA-500", "16.00"),
    _product("prod_vcr_guatemala_250", "Guatemala Antigua 250 g", "VCR-GUA-250", "13.40"),
    _product("prod_vcr_moka_3", "Moka Pot, 3 cups", "VCR-MOKA-3", "34.90"),
    _product("prod_vcr_cups_4", "Ceramic Espresso Cups, set of 4", "VCR-CUP-4", "24.00"),
    _product("prod_vcr_grinder", "Conical Burr Grinder", "VCR-GRN-01", "89.00"),
    _product("prod_vcr_filters_100", "Pour-over Paper Filters, 100 pack", "VCR-FLT-100", "5.50"),
    _product("prod_vcr_kettle", "Gooseneck Kettle 1 l", "VCR-KET-1", "49.00"),
    _product("prod_vcr_subscription", "Monthly Coffee Subscription", "VCR-SUB-M", "27.00"),
    _product("prod_vcr_gift_card", "Gift Card", None, "25.00"),
)

_OUTDOOR_CATALOGUE = (
    _product("prod_los_trail_shoes", "Trail Running Shoes", "LOS-SHO-TR", "119.00"),
    _product("prod_los_down_jacket", "Down Jacket", "LOS-JKT-DWN", "189.00"),
    _product("prod_los_tent_2p", "Two-Person Tent", "LOS-TNT-2P", "249.00"),
    _product("prod_los_sleeping_bag", "Sleeping Bag, comfort -5 °C", "LOS-SLB-M5", "139.00"),
    _product("prod_los_headlamp", "Headlamp 400 lm", "LOS-HLM-400", "34.95"),
    _product("prod_los_socks", "Merino Hiking Socks, 2 pairs", "LOS-SCK-MER", "22.00"),
    _product("prod_los_water_filter", "Squeeze Water Filter", "LOS-WFL-01", "44.50"),
    _product("prod_los_poles", "Carbon Trekking Poles, pair", "LOS-POL-CF", "79.00"),
    _product("prod_los_dry_bag", "Dry Bag 20 l", "LOS-DRY-20", "19.90"),
    _product("prod_los_stove", "Compact Camp Stove", "LOS-STV-01", "59.00"),
    _product("prod_los_bottle", "Insulated Bottle 750 ml", "LOS-BTL-750", "27.50"),
    _product("prod_los_rain_shell", "Rain Shell Jacket", "LOS-JKT-RN", "149.00"),
    _product("prod_los_gift_card", "Gift Card", None, "50.00"),
)

_CATALOGUES = (_COFFEE_CATALOGUE, _OUTDOOR_CATALOGUE)

# Fixed conversion rates from the catalogue's euro prices, rounded for readable price tags.
_EUR_RATES: Mapping[str, Decimal] = {
    "AUD": Decimal("1.65"),
    "BRL": Decimal("5.40"),
    "CZK": Decimal("25"),
    "DKK": Decimal("7.46"),
    "EUR": Decimal("1"),
    "GBP": Decimal("0.85"),
    "JPY": Decimal("160"),
    "PLN": Decimal("4.30"),
    "USD": Decimal("1.08"),
}


def _price_in(base_price_eur: Decimal, currency: str) -> Decimal:
    amount = base_price_eur * _EUR_RATES[currency]
    exponent = CURRENCY_EXPONENTS[currency]
    if exponent == 0:
        # Yen prices are rounded to tens, so that they look like shelf prices.
        return (amount / 10).quantize(Decimal(1), ROUND_HALF_UP) * 10
    return amount.quantize(Decimal(1).scaleb(-exponent), ROUND_HALF_UP)


@cache
def _priced_catalogue(store_index: int, currency: str) -> tuple[tuple[_Product, Decimal], ...]:
    return tuple(
        (product, _price_in(product.base_price_eur, currency))
        for product in _CATALOGUES[store_index]
    )


def _cart_items(lines: Iterable[tuple[_Product, Decimal, int]]) -> list[CartItem]:
    # Built without validation, which took a quarter of the generation's time, because every
    # value already has its wire type. A unit test checks each record in strict mode.
    return [
        CartItem.model_construct(
            product_id=product.id,
            product_name=product.name,
            sku=product.sku,
            quantity=quantity,
            unit_price=unit_price,
            line_total=unit_price * quantity,
        )
        for product, unit_price, quantity in lines
    ]


def _build_cart(
    cart_id: UUID,
    customer_id: UUID,
    status: CartStatus,
    currency: str,
    items: list[CartItem],
    created_at: datetime,
    updated_at: datetime,
) -> Cart:
    zero = Decimal(0).scaleb(-CURRENCY_EXPONENTS[currency])
    # Built without validation, as the items are in _cart_items.
    return Cart.model_construct(
        id=cart_id,
        customer_id=customer_id,
        status=status,
        currency=currency,
        items=items,
        item_count=sum(item.quantity for item in items),
        subtotal=sum((item.line_total for item in items), zero),
        created_at=created_at,
        updated_at=updated_at,
    )


# --- Showcase customers ---------------------------------------------------------------------


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _showcase_cart(
    cart_id: str,
    customer_id: str,
    status: CartStatus,
    currency: str,
    lines: Sequence[tuple[str, int]],
    times: tuple[str, str],
) -> Cart:
    prices = {product.id: (product, price) for product, price in _priced_catalogue(0, currency)}
    priced_lines = [(*prices[product_id], quantity) for product_id, quantity in lines]
    return _build_cart(
        UUID(cart_id),
        UUID(customer_id),
        status,
        currency,
        _cart_items(priced_lines),
        _utc(times[0]),
        _utc(times[1]),
    )


def _showcase_customer(
    customer_id: str,
    name: tuple[str, str],
    contact: tuple[str | None, str | None],
    verified: tuple[bool, bool],
    times: tuple[str, str],
    metadata: dict[str, JsonValue],
) -> Customer:
    return Customer(
        id=UUID(customer_id),
        first_name=name[0],
        last_name=name[1],
        phone_number=contact[0],
        email=contact[1],
        is_phone_verified=verified[0],
        is_email_verified=verified[1],
        created_at=_utc(times[0]),
        updated_at=_utc(times[1]),
        metadata=metadata,
    )


def _showcase_metadata(tier: str, orders: int, language: str) -> dict[str, JsonValue]:
    return {
        "loyaltyTier": tier,
        "marketingOptIn": True,
        "preferredLanguage": language,
        "lifetimeOrders": orders,
    }


SHOWCASE_CUSTOMERS: tuple[ShowcaseCustomer, ...] = (
    ShowcaseCustomer(
        "Giulia Rossi",
        "Italian mobile number and e-mail, both verified, with an active cart of 4 lines in EUR.",
        _showcase_customer(
            "2d5d67f3-d493-428e-b315-866868e383f0",
            ("Giulia", "Rossi"),
            ("+393471182905", "giulia.rossi@example.com"),
            (True, True),
            ("2024-02-11T09:26:53", "2026-03-02T17:40:12"),
            _showcase_metadata("gold", 23, "it-IT"),
        ),
        _showcase_cart(
            "3856e44f-2d05-44d6-9b32-fb7eee213a8e",
            "2d5d67f3-d493-428e-b315-866868e383f0",
            CartStatus.ACTIVE,
            "EUR",
            [
                ("prod_vcr_espresso_1000", 1),
                ("prod_vcr_moka_3", 1),
                ("prod_vcr_ethiopia_250", 2),
                ("prod_vcr_filters_100", 3),
            ],
            ("2026-02-27T08:15:00", "2026-03-02T17:40:12"),
        ),
    ),
    ShowcaseCustomer(
        "Sam Taylor",
        "Mixed-case e-mail with a +tag and a UK drama-range phone number.",
        _showcase_customer(
            "9cad92ed-33de-4370-afb9-0f00586a6d76",
            ("Sam", "Taylor"),
            ("+442079460958", "Sam.Taylor+support@Example.org"),
            (True, True),
            ("2024-06-03T14:02:41", "2025-11-19T10:05:30"),
            _showcase_metadata("silver", 7, "en-GB"),
        ),
        _showcase_cart(
            "34c1f650-b32d-4dfd-9714-6186bf14783c",
            "9cad92ed-33de-4370-afb9-0f00586a6d76",
            CartStatus.ABANDONED,
            "GBP",
            [("prod_vcr_grinder", 1), ("prod_vcr_decaf_250", 2)],
            ("2025-11-18T21:47:09", "2025-11-19T10:05:30"),
        ),
    ),
    ShowcaseCustomer(
        "José García",
        "E-mail address with non-ASCII letters in its local part; checked-out cart.",
        _showcase_customer(
            "965dc2ce-4c81-4470-a921-6b36ae453a7f",
            ("José", "García"),
            ("+34611480372", "josé.garcía@example.com"),
            (True, True),
            ("2024-09-21T11:30:00", "2026-01-08T16:22:45"),
            _showcase_metadata("bronze", 2, "es-ES"),
        ),
        _showcase_cart(
            "7ed8f5c4-dfa4-4b01-b4d0-2b19bb777ef5",
            "965dc2ce-4c81-4470-a921-6b36ae453a7f",
            CartStatus.CHECKED_OUT,
            "EUR",
            [("prod_vcr_brazil_500", 2), ("prod_vcr_cups_4", 1), ("prod_vcr_gift_card", 1)],
            ("2026-01-08T15:58:02", "2026-01-08T16:22:45"),
        ),
    ),
    ShowcaseCustomer(
        "Zoë Müller",
        "Customer without a cart.",
        _showcase_customer(
            "fa8a9c02-66ed-41e5-a80b-450229b87106",
            ("Zoë", "Müller"),
            ("+4915112345670", "zoe.mueller@example.net"),
            (True, True),
            ("2025-01-15T07:45:10", "2025-01-15T07:45:10"),
            _showcase_metadata("bronze", 0, "de-DE"),
        ),
        None,
    ),
    ShowcaseCustomer(
        "Søren Østergaard",
        "Unverified phone number and an unverified e-mail; cart in DKK.",
        _showcase_customer(
            "f206f2e3-38bf-4415-aa6a-967fb8e5885f",
            ("Søren", "Østergaard"),
            ("+4528194637", "soren.ostergaard@example.org"),
            (False, False),
            ("2025-05-30T19:12:44", "2025-06-02T08:01:19"),
            _showcase_metadata("bronze", 1, "da-DK"),
        ),
        _showcase_cart(
            "11962a78-fbcf-4dc6-95fa-7af8e9417efa",
            "f206f2e3-38bf-4415-aa6a-967fb8e5885f",
            CartStatus.ACTIVE,
            "DKK",
            [("prod_vcr_kettle", 1), ("prod_vcr_espresso_250", 2)],
            ("2025-06-01T20:33:00", "2025-06-02T08:01:19"),
        ),
    ),
    ShowcaseCustomer(
        "山田 太郎",
        "Name in kanji, Japanese mobile number and a cart in JPY, which has no minor unit.",
        _showcase_customer(
            "2f59b9d5-aa09-4d7a-a28d-22a426d0b489",
            ("太郎", "山田"),
            ("+819012345678", "yamada.taro@example.net"),
            (True, True),
            ("2024-04-01T00:00:00", "2026-07-15T03:27:58"),
            _showcase_metadata("platinum", 41, "ja-JP"),
        ),
        _showcase_cart(
            "53c4fb0e-70ce-49ec-92ec-47a74ce5b2c8",
            "2f59b9d5-aa09-4d7a-a28d-22a426d0b489",
            CartStatus.ACTIVE,
            "JPY",
            [("prod_vcr_ethiopia_250", 1), ("prod_vcr_guatemala_250", 1), ("prod_vcr_cups_4", 1)],
            ("2026-07-14T23:10:05", "2026-07-15T03:27:58"),
        ),
    ),
    ShowcaseCustomer(
        "Chloé Martin",
        "Active cart with no items yet, and a French number from the range kept for fiction.",
        _showcase_customer(
            "0f259a3a-d6f6-4787-bef6-11aedaf9ba77",
            ("Chloé", "Martin"),
            ("+33199001234", "chloe.martin@example.com"),
            (True, True),
            ("2025-08-09T12:00:00", "2025-10-10T09:09:09"),
            _showcase_metadata("silver", 5, "fr-FR"),
        ),
        _showcase_cart(
            "ebe6117f-fb6d-4402-a0dc-d19a401ba2c4",
            "0f259a3a-d6f6-4787-bef6-11aedaf9ba77",
            CartStatus.ACTIVE,
            "EUR",
            [],
            ("2025-10-10T09:09:09", "2025-10-10T09:09:09"),
        ),
    ),
    ShowcaseCustomer(
        "Łukasz Wójcik",
        "Customer with a phone number and no e-mail address; abandoned cart in PLN.",
        _showcase_customer(
            "b3740696-3567-4a57-9406-0ce30f5c16f7",
            ("Łukasz", "Wójcik"),
            ("+48501234567", None),
            (True, False),
            ("2024-12-24T18:30:00", "2025-12-01T07:00:00"),
            _showcase_metadata("bronze", 3, "pl-PL"),
        ),
        _showcase_cart(
            "e0940a4c-d5af-40f4-9093-f531f48203bb",
            "b3740696-3567-4a57-9406-0ce30f5c16f7",
            CartStatus.ABANDONED,
            "PLN",
            [("prod_vcr_subscription", 1)],
            ("2025-11-30T22:14:51", "2025-12-01T07:00:00"),
        ),
    ),
)
"""Fixed customers at the start of the first store, the same for every seed and count."""


# --- Generation -----------------------------------------------------------------------------


def _weighted_pool[T](weights: Mapping[T, int]) -> tuple[T, ...]:
    return tuple(value for value, weight in weights.items() for _ in range(weight))


_CART_STATUS_POOL = _weighted_pool(
    {CartStatus.ACTIVE: 12, CartStatus.CHECKED_OUT: 3, CartStatus.ABANDONED: 5}
)
_ITEM_COUNT_POOL = _weighted_pool({0: 4, 1: 14, 2: 18, 3: 18, 4: 15, 5: 11, 6: 9, 7: 6, 8: 5})
_QUANTITY_POOL = _weighted_pool({1: 35, 2: 9, 3: 4, 4: 2})
_EMAIL_TAGS = ("shop", "orders", "support", "news")
_CUSTOMER_TAGS = ("wholesale", "newsletter", "gift-buyer", "returns-watch", "press")
_NOTES = (
    "Prefers delivery after 17:00.",
    "Asked for invoices with the company VAT number.",
    "Replacement sent for a damaged parcel; follow up if it happens again.",
    "Speaks slowly on the phone; offer e-mail follow-up.",
    "Café owner, orders in bulk before holidays.",
    "Requested no paper catalogues.",
)


def _below(rng: random.Random, limit: int) -> int:
    # random.randrange is exact but several times slower.  Scaling the 53 random bits of
    # random() is biased by at most limit / 2**53, about 1e-8 for the largest limit here (10**8).
    return int(rng.random() * limit)


def _pick[T](rng: random.Random, choices: Sequence[T]) -> T:
    return choices[int(rng.random() * len(choices))]


def _random_uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def _random_hex_key(rng: random.Random, prefix: str) -> str:
    return f"{prefix}{rng.getrandbits(128):032x}"


@cache
def _email_word(name: str) -> str:
    romanised = _ROMAJI.get(name)
    if romanised is not None:
        return romanised
    folded = strip_accents(name).lower()
    return "".join(char for char in folded if char.isascii() and char.isalnum())


@cache
def _accented_email_word(name: str) -> str:
    lowered = unicodedata.normalize("NFC", name.lower())
    return "".join(char for char in lowered if char.isalnum())


def _loyalty_tier(orders: int) -> str:
    if orders < 3:
        return "bronze"
    if orders < 10:
        return "silver"
    if orders < 25:
        return "gold"
    return "platinum"


class _StoreCustomerFactory:
    """Factory of one store's random customers, which keeps their phones and e-mails unique."""

    def __init__(self, rng: random.Random, store_index: int, reserved: Iterable[Customer]) -> None:
        self._rng = rng
        self._store_index = store_index
        self._phones: set[str] = set()
        self._email_keys: set[str] = set()
        for customer in reserved:
            if customer.phone_number is not None:
                self._phones.add(customer.phone_number)
            if customer.email is not None:
                self._email_keys.add(customer.email.casefold())

    def make(self) -> tuple[Customer, Cart | None]:
        """Return a new customer of the store and its cart, if it has one."""
        rng = self._rng
        country = _pick(rng, _COUNTRY_POOL)
        first_name = _pick(rng, country.first_names)
        last_name = _pick(rng, country.last_names)

        contact_roll = rng.random()
        phone = None if contact_roll < 0.04 else self._new_phone(country)
        email = (
            None if 0.04 <= contact_roll < 0.07 else self._new_email(country, first_name, last_name)
        )

        created_at = WINDOW_START + timedelta(seconds=_below(rng, _WINDOW_SECONDS))
        updated_at = self._time_after(created_at)

        # Built without validation, as the cart items are in _cart_items.
        customer = Customer.model_construct(
            id=_random_uuid(rng),
            first_name=first_name,
            last_name=last_name,
            phone_number=phone,
            email=email,
            is_phone_verified=phone is not None and rng.random() < 0.85,
            is_email_verified=email is not None and rng.random() < 0.90,
            created_at=created_at,
            updated_at=updated_at,
            metadata=self._new_metadata(country),
        )
        return customer, self._new_cart(customer, country)

    def _time_after(self, start: datetime) -> datetime:
        seconds_left = int((WINDOW_END - start).total_seconds())
        return start + timedelta(seconds=_below(self._rng, seconds_left + 1))

    def _new_phone(self, country: _Country) -> str:
        rng = self._rng
        for _ in range(100):
            prefix, digits = _pick(rng, country.phone_ranges)
            number = f"{prefix}{_below(rng, 10**digits):0{digits}d}"
            if number not in self._phones:
                self._phones.add(number)
                return number
        raise RuntimeError(
            f"No free {country.code} phone number found after 100 draws; generate fewer customers."
        )

    def _new_email(self, country: _Country, first_name: str, last_name: str) -> str:
        rng = self._rng
        first, last = _email_word(first_name), _email_word(last_name)
        accented = not (first_name + last_name).isascii() and rng.random() < 0.06
        if country.latin_script and accented:
            first, last = _accented_email_word(first_name), _accented_email_word(last_name)

        local = self._email_local_part(first or "customer", last or "customer")
        domain = _pick(rng, _EMAIL_DOMAINS)
        if rng.random() < 0.04:
            # Some people type their address with capitals, and the API must still match it.
            local, domain = local.title(), domain.capitalize()
        tag = f"+{_pick(rng, _EMAIL_TAGS)}" if rng.random() < 0.03 else ""

        email = f"{local}{tag}@{domain}"
        while email.casefold() in self._email_keys:
            email = f"{local}{2 + _below(rng, 9_998)}{tag}@{domain}"
        self._email_keys.add(email.casefold())
        return email

    def _email_local_part(self, first: str, last: str) -> str:
        style = _below(self._rng, 6)
        if style == 0:
            return f"{first}{last}"
        if style == 1:
            return f"{first[0]}.{last}"
        if style == 2:
            return f"{first}_{last}"
        if style == 3:
            return f"{last}.{first}"
        return f"{first}.{last}"

    def _new_metadata(self, country: _Country) -> dict[str, JsonValue]:
        rng = self._rng
        if rng.random() < 0.05:
            return {}

        orders = int(rng.expovariate(1 / 6))
        metadata: dict[str, JsonValue] = {
            "loyaltyTier": _loyalty_tier(orders),
            "marketingOptIn": rng.random() < 0.55,
            "preferredLanguage": country.language,
            "lifetimeOrders": orders,
        }
        if rng.random() < 0.10:
            metadata["notes"] = _pick(rng, _NOTES)
        if rng.random() < 0.05:
            metadata["tags"] = list(rng.sample(_CUSTOMER_TAGS, k=rng.randint(1, 2)))
        return metadata

    def _new_cart(self, customer: Customer, country: _Country) -> Cart | None:
        rng = self._rng
        if rng.random() < 0.15:
            return None

        item_count = _pick(rng, _ITEM_COUNT_POOL)
        status = _pick(rng, _CART_STATUS_POOL) if item_count > 0 else CartStatus.ACTIVE

        priced = _priced_catalogue(self._store_index, country.currency)
        lines = [
            (product, price, _pick(rng, _QUANTITY_POOL))
            for product, price in rng.sample(priced, item_count)
        ]
        created_at = self._time_after(customer.created_at)
        return _build_cart(
            _random_uuid(rng),
            customer.id,
            status,
            country.currency,
            _cart_items(lines),
            created_at,
            self._time_after(created_at),
        )


def _make_store(rng: random.Random, name: str) -> Store:
    return Store(
        id=_random_uuid(rng),
        name=name,
        api_key=_random_hex_key(rng, "sk_test_"),
        public_key=_random_hex_key(rng, "pk_test_"),
    )


def generate_dataset(customers: int = 10_000, seed: int = 1) -> Dataset:
    """Generate two stores with ``customers`` customers in all and their carts.

    The same arguments give the same ids, keys and data in every process.  The first store
    gets 60 % of the customers, rounded, and starts with SHOWCASE_CUSTOMERS (the first
    ``customers`` of them when there are fewer), which count towards ``customers``.  Raises
    ValueError unless 1 <= customers <= MAX_CUSTOMERS.
    """
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise ValueError(f"customers must be between 1 and {MAX_CUSTOMERS}, got {customers}.")

    with garbage_collection_paused():
        return _generate(customers, seed)


@contextmanager
def garbage_collection_paused() -> Iterator[None]:
    """Pause the garbage collector while the block runs, which builds many lasting objects."""
    # 10 000 customers make hundreds of thousands of objects that all stay alive, and the
    # collector's passes over them cost 10 % of the time in a fresh process and over half in
    # one that already contains many objects (measured on a 2-core machine).  Collection
    # resumes afterwards, so no cycle is lost.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _generate(customers: int, seed: int) -> Dataset:
    rng = random.Random(seed)
    stores = tuple(_make_store(rng, name) for name in STORE_NAMES)
    showcase = SHOWCASE_CUSTOMERS[:customers]
    first_store_total = max(len(showcase), round(customers * FIRST_STORE_SHARE))

    records = [CustomerRecord(stores[0].id, entry.customer) for entry in showcase]
    carts = {entry.customer.id: entry.cart for entry in showcase if entry.cart is not None}
    random_counts = (first_store_total - len(showcase), customers - first_store_total)
    reserved: tuple[list[Customer], list[Customer]] = (
        [entry.customer for entry in SHOWCASE_CUSTOMERS],
        [],
    )

    for store_index, store in enumerate(stores):
        factory = _StoreCustomerFactory(rng, store_index, reserved[store_index])
        for _ in range(random_counts[store_index]):
            customer, cart = factory.make()
            records.append(CustomerRecord(store.id, customer))
            if cart is not None:
                carts[customer.id] = cart

    return Dataset(stores, tuple(records), carts)
