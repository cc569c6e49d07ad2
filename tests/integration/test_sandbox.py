"""Tests of the sandbox server over real HTTP on 127.0.0.1."""

import logging
import signal
import socket
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest

from tests.integration.sandbox_command import stop_cli, wait_for_keys
from vp_desk.api.models import (
    CartEnvelope,
    CartStatus,
    Customer,
    CustomerEnvelope,
    CustomerPageEnvelope,
    ErrorCode,
    ErrorEnvelope,
)
from vp_desk.sandbox.cli import main
from vp_desk.sandbox.data import SHOWCASE_CUSTOMERS, Dataset, ShowcaseCustomer, Store
from vp_desk.sandbox.database import SandboxDatabase
from vp_desk.sandbox.ratelimit import RateLimit
from vp_desk.sandbox.server import SandboxServer, SandboxStartError

API = "/api/v1"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
UNKNOWN_PHONE = "+447700900999"
UNKNOWN_EMAIL = "nobody.here@example.com"
UNKNOWN_KEY = "sk_test_00000000000000000000000000000000"
PUBLIC_KEY_MESSAGE = "Public keys cannot read customers; use the store's private API key."


def showcase(name: str) -> ShowcaseCustomer:
    return next(entry for entry in SHOWCASE_CUSTOMERS if entry.name == name)


GIULIA = showcase("Giulia Rossi").customer
SAM = showcase("Sam Taylor").customer
JOSE = showcase("José García").customer
ZOE = showcase("Zoë Müller").customer
CHLOE = showcase("Chloé Martin").customer


@pytest.fixture(scope="module")
def client(sandbox_server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=sandbox_server.base_url + API, timeout=10, trust_env=False
    ) as client:
        yield client


@pytest.fixture(scope="module")
def store(sandbox_dataset: Dataset) -> Store:
    return sandbox_dataset.stores[0]


@pytest.fixture(scope="module")
def other_store(sandbox_dataset: Dataset) -> Store:
    return sandbox_dataset.stores[1]


def get(client: httpx.Client, path: str, key: str | None, params: Any = None) -> httpx.Response:
    headers = {} if key is None else {"X-API-Key": key}
    return client.get(path, params=params, headers=headers)


def error_of(response: httpx.Response, status: int, code: ErrorCode) -> str:
    """Check the response's status, error code and envelope, and return its message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    envelope = ErrorEnvelope.model_validate_json(response.content)
    assert response.json()["success"] is False
    assert envelope.error.code == code
    return envelope.error.message


def fold(text: str | None) -> str:
    """Casefold and strip accents the way a person comparing names loosely would."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.replace("ł", "l").replace("ø", "o").replace("æ", "ae")


def list_all(client: httpx.Client, key: str, limit: int, **params: str) -> list[Customer]:
    customers: list[Customer] = []
    offset = 0
    while True:
        response = get(client, "/customers", key, {"limit": limit, "offset": offset, **params})
        assert response.status_code == 200, response.text
        page = CustomerPageEnvelope.model_validate_json(response.content).data
        customers += page.customers
        offset += limit
        if not page.pagination.has_more:
            return customers
        assert offset < 10_000, "hasMore stayed true past every customer of the dataset"


def search(client: httpx.Client, key: str, term: str) -> list[Customer]:
    return list_all(client, key, 100, searchTerm=term)


# --- Customer look-ups -----------------------------------------------------------------------


@pytest.mark.parametrize("entry", SHOWCASE_CUSTOMERS, ids=lambda entry: entry.name)
def test_get_customer_returns_record(
    client: httpx.Client, store: Store, entry: ShowcaseCustomer
) -> None:
    response = get(client, f"/customers/{entry.customer.id}", store.api_key)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    envelope = CustomerEnvelope.model_validate_json(response.content)
    assert envelope.success is True
    assert envelope.data == entry.customer


def test_times_are_utc_with_z(client: httpx.Client, store: Store) -> None:
    data = get(client, f"/customers/{GIULIA.id}", store.api_key).json()["data"]

    assert data["createdAt"] == "2024-02-11T09:26:53Z"
    assert data["updatedAt"].endswith("Z")


def test_get_customer_accepts_upper_case_id(client: httpx.Client, store: Store) -> None:
    response = get(client, f"/customers/{str(GIULIA.id).upper()}", store.api_key)

    assert response.status_code == 200, response.text
    assert CustomerEnvelope.model_validate_json(response.content).data.id == GIULIA.id


def test_second_store_reads_own_customer(
    client: httpx.Client, sandbox_dataset: Dataset, other_store: Store
) -> None:
    expected = sandbox_dataset.customers_of(other_store.id)[0]

    response = get(client, f"/customers/{expected.id}", other_store.api_key)

    assert response.status_code == 200, response.text
    assert CustomerEnvelope.model_validate_json(response.content).data == expected


def test_find_by_phone_with_encoded_plus(client: httpx.Client, store: Store) -> None:
    response = get(client, "/customers/by-phone", store.api_key, {"phoneNumber": "+442079460958"})

    assert b"phoneNumber=%2B442079460958" in response.request.url.query
    assert response.status_code == 200, response.text
    assert CustomerEnvelope.model_validate_json(response.content).data == SAM


def test_raw_plus_decodes_to_space(client: httpx.Client, store: Store) -> None:
    response = get(client, "/customers/by-phone?phoneNumber=+442079460958", store.api_key)

    assert b"phoneNumber=+442079460958" in response.request.url.query
    message = error_of(response, 400, ErrorCode.INVALID_PARAMETER)
    assert "' 442079460958'" in message
    assert "%2B" in message


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("Sam.Taylor+support@Example.org", SAM),
        ("sam.taylor+SUPPORT@EXAMPLE.ORG", SAM),
        ("josé.garcía@example.com", JOSE),
        ("JOSÉ.GARCÍA@EXAMPLE.COM", JOSE),
        ("GIULIA.ROSSI@example.com", GIULIA),
    ],
)
def test_find_by_email_ignores_case(
    client: httpx.Client, store: Store, email: str, expected: Customer
) -> None:
    response = get(client, "/customers/by-email", store.api_key, {"email": email})

    assert response.status_code == 200, response.text
    assert CustomerEnvelope.model_validate_json(response.content).data == expected


@pytest.mark.parametrize(
    "email", ["sam.taylor@example.org", "taylor+support@example.org", "giulia.rossi@example"]
)
def test_find_by_email_matches_whole_address(
    client: httpx.Client, store: Store, email: str
) -> None:
    response = get(client, "/customers/by-email", store.api_key, {"email": email})

    message = error_of(response, 404, ErrorCode.NOT_FOUND)
    assert email in message


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"/customers/{UNKNOWN_ID}", None),
        (f"/customers/{UNKNOWN_ID}/cart", None),
        ("/customers/by-phone", {"phoneNumber": UNKNOWN_PHONE}),
        ("/customers/by-email", {"email": UNKNOWN_EMAIL}),
    ],
)
def test_unknown_customer_not_found(
    client: httpx.Client, store: Store, path: str, params: dict[str, str] | None
) -> None:
    response = get(client, path, store.api_key, params)

    error_of(response, 404, ErrorCode.NOT_FOUND)


# --- Customer list ---------------------------------------------------------------------------


def test_list_defaults(client: httpx.Client, sandbox_dataset: Dataset, store: Store) -> None:
    response = get(client, "/customers", store.api_key)

    assert response.status_code == 200, response.text
    envelope = CustomerPageEnvelope.model_validate_json(response.content)
    pagination = envelope.data.pagination
    assert envelope.success is True
    assert pagination.limit == 50
    assert pagination.offset == 0
    assert pagination.total == len(sandbox_dataset.customers_of(store.id))
    assert pagination.has_more is True
    assert len(envelope.data.customers) == 50


def test_list_pages_stable_across_sizes(
    client: httpx.Client, sandbox_dataset: Dataset, store: Store
) -> None:
    by_seven = [customer.id for customer in list_all(client, store.api_key, 7)]
    by_hundred = [customer.id for customer in list_all(client, store.api_key, 100)]
    expected = {customer.id for customer in sandbox_dataset.customers_of(store.id)}

    assert by_seven == by_hundred
    assert len(by_seven) == len(expected)
    assert set(by_seven) == expected


def test_list_sorted_by_last_then_first_name(client: httpx.Client, store: Store) -> None:
    customers = list_all(client, store.api_key, 100)
    keys = [(fold(c.last_name), fold(c.first_name), str(c.id)) for c in customers]

    assert len(keys) > 100
    assert keys == sorted(keys)


def test_list_has_more_until_last_page(client: httpx.Client, store: Store) -> None:
    total = get(client, "/customers", store.api_key).json()["data"]["pagination"]["total"]

    last_full = get(client, "/customers", store.api_key, {"limit": 10, "offset": total - 11})
    last = get(client, "/customers", store.api_key, {"limit": 10, "offset": total - 10})

    assert last_full.json()["data"]["pagination"]["hasMore"] is True
    assert last.json()["data"]["pagination"]["hasMore"] is False
    assert len(last.json()["data"]["customers"]) == 10


def test_list_offset_past_end(client: httpx.Client, store: Store) -> None:
    response = get(client, "/customers", store.api_key, {"offset": 100_000})

    page = CustomerPageEnvelope.model_validate_json(response.content).data
    assert page.customers == []
    assert page.pagination.offset == 100_000
    assert page.pagination.total > 0
    assert page.pagination.has_more is False


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("jose", JOSE),
        ("JOSÉ", JOSE),
        ("garcia jose", JOSE),
        ("7946", SAM),
        ("+44 20 7946 0958", SAM),
        ("sam.taylor+support", SAM),
        ("muller", ZOE),
        ("MÜLLER", ZOE),
        ("zoe müller", ZOE),
        ("lukasz", showcase("Łukasz Wójcik").customer),
        ("山田 太郎", showcase("山田 太郎").customer),
        ("chloé martin", CHLOE),
    ],
)
def test_search_finds_customer(
    client: httpx.Client, store: Store, term: str, expected: Customer
) -> None:
    found = search(client, store.api_key, term)

    assert expected.id in {customer.id for customer in found}


@pytest.mark.parametrize("term", ["jose", "MULLER", "example.org", "Ros"])
def test_search_returns_only_matches(client: httpx.Client, store: Store, term: str) -> None:
    found = search(client, store.api_key, term)

    assert found
    for customer in found:
        names = f"{customer.first_name} {customer.last_name} {customer.email}"
        assert fold(term) in fold(names), names


def test_search_phone_digits(client: httpx.Client, store: Store) -> None:
    found = search(client, store.api_key, "7946")

    assert found
    for customer in found:
        digits = (customer.phone_number or "") + (customer.email or "")
        assert "7946" in digits


def test_search_escapes_like_wildcards(
    client: httpx.Client, sandbox_dataset: Dataset, store: Store
) -> None:
    customers = sandbox_dataset.customers_of(store.id)
    with_underscore = {c.id for c in customers if "_" in (c.email or "")}

    assert search(client, store.api_key, "%") == []
    assert {c.id for c in search(client, store.api_key, "_")} == with_underscore
    assert search(client, store.api_key, "\\") == []


def test_search_stays_in_store(client: httpx.Client, other_store: Store) -> None:
    found = search(client, other_store.api_key, "giulia.rossi@example.com")

    assert GIULIA.id not in {customer.id for customer in found}


def test_blank_search_lists_everyone(client: httpx.Client, store: Store) -> None:
    blank = get(client, "/customers", store.api_key, {"searchTerm": "   "})
    everyone = get(client, "/customers", store.api_key)

    assert blank.json()["data"]["pagination"] == everyone.json()["data"]["pagination"]


# --- Carts -----------------------------------------------------------------------------------


def test_cart_returned(client: httpx.Client, store: Store) -> None:
    response = get(client, f"/customers/{GIULIA.id}/cart", store.api_key)

    assert response.status_code == 200, response.text
    envelope = CartEnvelope.model_validate_json(response.content)
    assert envelope.success is True
    assert envelope.data == showcase("Giulia Rossi").cart
    assert response.json()["data"]["subtotal"] == "109.20"


def test_cart_null_without_cart(client: httpx.Client, store: Store) -> None:
    response = get(client, f"/customers/{ZOE.id}/cart", store.api_key)

    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "data": None}
    assert CartEnvelope.model_validate_json(response.content).data is None


def test_empty_active_cart(client: httpx.Client, store: Store) -> None:
    response = get(client, f"/customers/{CHLOE.id}/cart", store.api_key)

    cart = CartEnvelope.model_validate_json(response.content).data
    assert cart is not None
    assert cart.items == []
    assert cart.status is CartStatus.ACTIVE
    assert response.json()["data"]["subtotal"] == "0.00"


# --- Keys and stores -------------------------------------------------------------------------

ALL_OPERATIONS = [
    (f"/customers/{GIULIA.id}", None),
    ("/customers/by-phone", {"phoneNumber": str(GIULIA.phone_number)}),
    ("/customers/by-email", {"email": str(GIULIA.email)}),
    ("/customers", None),
    (f"/customers/{GIULIA.id}/cart", None),
]


@pytest.mark.parametrize(("path", "params"), ALL_OPERATIONS)
def test_missing_key_unauthorized(
    client: httpx.Client, path: str, params: dict[str, str] | None
) -> None:
    message = error_of(get(client, path, None, params), 401, ErrorCode.UNAUTHORIZED)

    assert "X-API-Key" in message


@pytest.mark.parametrize(("path", "params"), ALL_OPERATIONS)
def test_unknown_key_unauthorized(
    client: httpx.Client, path: str, params: dict[str, str] | None
) -> None:
    message = error_of(get(client, path, UNKNOWN_KEY, params), 401, ErrorCode.UNAUTHORIZED)

    assert UNKNOWN_KEY not in message


@pytest.mark.parametrize(("path", "params"), ALL_OPERATIONS)
def test_public_key_forbidden(
    client: httpx.Client, store: Store, path: str, params: dict[str, str] | None
) -> None:
    response = get(client, path, store.public_key, params)

    assert error_of(response, 403, ErrorCode.FORBIDDEN) == PUBLIC_KEY_MESSAGE


def test_key_checked_before_parameters(client: httpx.Client, store: Store) -> None:
    missing = get(client, "/customers", None, {"limit": "0"})
    public = get(client, "/customers/not-a-guid", store.public_key)

    error_of(missing, 401, ErrorCode.UNAUTHORIZED)
    error_of(public, 403, ErrorCode.FORBIDDEN)


@pytest.mark.parametrize(
    ("path", "params", "unknown_path", "unknown_params", "hidden", "unknown"),
    [
        (
            f"/customers/{GIULIA.id}",
            None,
            f"/customers/{UNKNOWN_ID}",
            None,
            str(GIULIA.id),
            UNKNOWN_ID,
        ),
        (
            f"/customers/{GIULIA.id}/cart",
            None,
            f"/customers/{UNKNOWN_ID}/cart",
            None,
            str(GIULIA.id),
            UNKNOWN_ID,
        ),
        (
            "/customers/by-phone",
            {"phoneNumber": GIULIA.phone_number},
            "/customers/by-phone",
            {"phoneNumber": UNKNOWN_PHONE},
            str(GIULIA.phone_number),
            UNKNOWN_PHONE,
        ),
        (
            "/customers/by-email",
            {"email": GIULIA.email},
            "/customers/by-email",
            {"email": UNKNOWN_EMAIL},
            str(GIULIA.email),
            UNKNOWN_EMAIL,
        ),
    ],
)
def test_other_store_customer_looks_unknown(
    client: httpx.Client,
    other_store: Store,
    path: str,
    params: dict[str, str] | None,
    unknown_path: str,
    unknown_params: dict[str, str] | None,
    hidden: str,
    unknown: str,
) -> None:
    foreign = get(client, path, other_store.api_key, params)
    missing = get(client, unknown_path, other_store.api_key, unknown_params)

    error_of(foreign, 404, ErrorCode.NOT_FOUND)
    assert foreign.text.replace(hidden, unknown) == missing.text


# --- Invalid parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/customers", {"limit": "0"}, "limit must be between 1 and 100, got 0."),
        ("/customers", {"limit": "101"}, "limit must be between 1 and 100, got 101."),
        (
            "/customers",
            {"limit": "abc"},
            "limit must be an integer between 1 and 100, got 'abc'.",
        ),
        ("/customers", {"limit": "1.5"}, "limit must be an integer between 1 and 100"),
        ("/customers", {"limit": ""}, "limit must be an integer between 1 and 100, got ''."),
        ("/customers", {"offset": "-1"}, "offset must be 0 or more, got -1."),
        ("/customers", {"offset": "x"}, "offset must be an integer of 0 or more, got 'x'."),
        ("/customers", {"offset": "9" * 19}, "offset must be at most 9223372036854775807"),
        ("/customers", [("limit", "5"), ("limit", "6")], "limit must be given once"),
        (
            "/customers",
            {"searchTerm": "a" * 201},
            "searchTerm must be at most 200 characters, got 201.",
        ),
        ("/customers/not-a-guid", None, "customerId must be a GUID"),
        ("/customers/not-a-guid/cart", None, "customerId must be a GUID"),
        ("/customers/2d5d67f3d493428eb315866868e383f0", None, "customerId must be a GUID"),
        ("/customers/{2d5d67f3-d493-428e-b315-866868e383f0}", None, "customerId must be a GUID"),
        ("/customers/by-phone", None, "phoneNumber is required"),
        ("/customers/by-phone", {"phoneNumber": "442079460958"}, "phoneNumber must be in E.164"),
        ("/customers/by-phone", {"phoneNumber": "+44 20 7946 0958"}, "phoneNumber must be"),
        ("/customers/by-phone", {"phoneNumber": "+0442079460958"}, "phoneNumber must be"),
        ("/customers/by-phone", {"phoneNumber": "+12345"}, "phoneNumber must be"),
        ("/customers/by-phone", {"phoneNumber": "+4420794609580000"}, "phoneNumber must be"),
        ("/customers/by-email", None, "email is required"),
        ("/customers/by-email", {"email": "giulia"}, "email must contain exactly one @"),
        ("/customers/by-email", {"email": "a@b@example.com"}, "exactly one @"),
        ("/customers/by-email", {"email": "@example.com"}, "before and after the @"),
        ("/customers/by-email", {"email": "giulia@"}, "before and after the @"),
        ("/customers/by-email", {"email": "giulia rossi@example.com"}, "whitespace"),
        ("/customers/by-email", {"email": "giulia\trossi@example.com"}, "whitespace"),
        ("/customers/by-email", {"email": "a" * 243 + "@example.com"}, "at most 254"),
    ],
)
def test_invalid_parameter_rejected(
    client: httpx.Client, store: Store, path: str, params: Any, message: str
) -> None:
    response = get(client, path, store.api_key, params)

    assert message in error_of(response, 400, ErrorCode.INVALID_PARAMETER)


def test_longest_valid_email_accepted(client: httpx.Client, store: Store) -> None:
    email = "a" * 242 + "@example.com"

    response = get(client, "/customers/by-email", store.api_key, {"email": email})

    assert len(email) == 254
    error_of(response, 404, ErrorCode.NOT_FOUND)


# --- Routing and failures --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/orders", "/customers/", "/customers/by-phone/x/y"])
def test_unknown_path_envelope(client: httpx.Client, store: Store, path: str) -> None:
    message = error_of(get(client, path, store.api_key), 404, ErrorCode.NOT_FOUND)

    assert path in message


def test_unknown_path_outside_api(sandbox_server: SandboxServer) -> None:
    with httpx.Client(trust_env=False, timeout=10) as plain:
        response = plain.get(sandbox_server.base_url + "/")

    error_of(response, 404, ErrorCode.NOT_FOUND)


def test_wrong_method_envelope(client: httpx.Client, store: Store) -> None:
    response = client.post("/customers", headers={"X-API-Key": store.api_key})

    message = error_of(response, 405, ErrorCode.NOT_FOUND)
    assert "GET" in response.headers["allow"]
    assert message == f"Method POST is not allowed on {API}/customers; use GET."


def fail_query(*args: object) -> NoReturn:
    raise RuntimeError("simulated database failure")


def test_unexpected_error_is_500_envelope(
    client: httpx.Client,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(SandboxDatabase, "get_customer", fail_query)

    with caplog.at_level(logging.ERROR, logger="vp_desk.sandbox.app"):
        response = get(client, f"/customers/{GIULIA.id}", store.api_key)

    error_of(response, 500, ErrorCode.INTERNAL_ERROR)
    assert "Traceback" not in response.text
    assert "simulated" not in response.text
    failures = [record for record in caplog.records if record.exc_info]
    assert len(failures) == 1
    assert "simulated database failure" in caplog.text


def test_rate_limit_answers_429(sandbox_dataset: Dataset, store: Store, other_store: Store) -> None:
    limit = RateLimit(requests_per_second=0.01, burst=2)
    with (
        SandboxServer(sandbox_dataset, rate_limit=limit) as server,
        httpx.Client(base_url=server.base_url + API, timeout=10, trust_env=False) as limited,
    ):
        allowed = [get(limited, "/customers", store.api_key) for _ in range(2)]
        over_limit = get(limited, "/customers", store.api_key)
        other_key = get(limited, "/customers", other_store.api_key)
        no_key = get(limited, "/customers", None)

    assert [response.status_code for response in allowed] == [200, 200]
    message = error_of(over_limit, 429, ErrorCode.RATE_LIMITED)
    assert "0.01 requests per second in bursts of up to 2" in message
    assert 90 < int(over_limit.headers["retry-after"]) <= 100
    assert other_key.status_code == 200
    error_of(no_key, 401, ErrorCode.UNAUTHORIZED)


# --- Server life cycle -----------------------------------------------------------------------


def test_taken_port_raises_clear_error(sandbox_dataset: Dataset) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        server = SandboxServer(sandbox_dataset, port=port)

        with pytest.raises(SandboxStartError, match=f"Port {port} .* already in use"):
            server.start()
    server.stop()


def test_stop_is_idempotent(sandbox_dataset: Dataset) -> None:
    server = SandboxServer(sandbox_dataset)
    server.start()
    base_url = server.base_url

    server.stop()
    server.stop()

    with httpx.Client(trust_env=False, timeout=2) as plain, pytest.raises(httpx.ConnectError):
        plain.get(base_url + API + "/customers")


def test_non_loopback_host_rejected(sandbox_dataset: Dataset) -> None:
    # The constructor rejects the host before any socket exists, so nothing is bound.
    with pytest.raises(ValueError, match="allow_remote"):
        SandboxServer(sandbox_dataset, host="sandbox.example")


def test_base_url_before_start_raises(sandbox_dataset: Dataset) -> None:
    with pytest.raises(RuntimeError, match="start"):
        _ = SandboxServer(sandbox_dataset).base_url


# --- Command line ----------------------------------------------------------------------------


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_cli_serves_until_signal(tmp_path: Path, stop_signal: signal.Signals) -> None:
    keys_path = tmp_path / "keys.json"
    command = [sys.executable, "-m", "vp_desk.sandbox.cli", "--port", "0", "--customers", "120"]
    command += ["--seed", "3", "--write-keys", str(keys_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        keys = wait_for_keys(keys_path, process)
        store = keys["stores"][0]
        with httpx.Client(trust_env=False, timeout=10) as plain:
            response = plain.get(
                f"{keys['baseUrl']}{API}/customers",
                params={"limit": 1},
                headers={"X-API-Key": store["apiKey"]},
            )

        stdout, stderr = stop_cli(process, stop_signal)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, stderr
    assert keys_path.stat().st_mode & 0o777 == 0o600
    assert keys["baseUrl"].startswith("http://127.0.0.1:")
    assert [s["name"] for s in keys["stores"]] == [
        "Vesuvio Coffee Roasters",
        "Lakeside Outdoor Supply",
    ]
    assert set(store) == {"id", "name", "apiKey", "publicKey"}
    assert response.status_code == 200, response.text
    assert response.json()["data"]["pagination"]["total"] == 72
    assert keys["baseUrl"] in stdout
    for listed in keys["stores"]:
        assert listed["id"] in stdout
        assert listed["apiKey"] in stdout
        assert listed["publicKey"] in stdout
    assert list(tmp_path.iterdir()) == [keys_path]


@pytest.mark.parametrize(
    ("arguments", "shown"),
    [
        (["--port", "70000"], "70000"),
        (["--port", "-1"], "-1"),
        (["--port", "http"], "'http'"),
        (["--customers", "0"], "invalid customer count 0"),
        (["--host", "sandbox.example"], "--allow-remote"),
    ],
)
def test_cli_rejects_bad_arguments(
    capsys: pytest.CaptureFixture[str], arguments: list[str], shown: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)

    assert exit_info.value.code == 2
    assert shown in capsys.readouterr().err
