"""Tests that the sandbox server's real responses match the Customers API contract."""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as JsonSchemaError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from vp_desk.api.models import Customer
from vp_desk.sandbox.data import Dataset, generate_dataset
from vp_desk.sandbox.database import SandboxDatabase
from vp_desk.sandbox.ratelimit import RateLimit
from vp_desk.sandbox.server import SandboxServer

SPEC_PATH = Path(__file__).resolve().parents[2] / "resources" / "openapi" / "customers-v1.yaml"

# The document's own location serves as the base URI that its "#/components/..." refs resolve
# against; nothing is fetched from it.
SPEC_URI = SPEC_PATH.as_uri()

API_PREFIX = "/api/v1"

# Neither value occurs in the generated dataset; the sample fixture checks that.
UNKNOWN_PHONE_NUMBER = "+447700900999"
UNKNOWN_EMAIL = "no.such.customer@example.com"
UNKNOWN_CUSTOMER_ID = "00000000-0000-4000-8000-000000000000"
UNKNOWN_API_KEY = "sk_test_0000000000000000000000000000"


def load_spec() -> dict[str, Any]:
    """Load the contract from its YAML file."""
    with SPEC_PATH.open(encoding="utf-8") as file:
        loaded = yaml.safe_load(file)

    assert isinstance(loaded, dict), f"{SPEC_PATH} does not contain a mapping"
    return loaded


SPEC = load_spec()
REGISTRY: Registry[Any] = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(SPEC))


def pointer_of(*tokens: str) -> str:
    """Join tokens into a JSON pointer, escaping them as RFC 6901 requires."""
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)


def node_at(pointer: str) -> Any:
    """Return the node of the document at a JSON pointer."""
    node: Any = SPEC
    for token in pointer.split("/")[1:]:
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def follow_ref(node: Mapping[str, Any], pointer: str) -> tuple[Mapping[str, Any], str]:
    """Follow local "$ref"s from a node, returning the target and its pointer."""
    while "$ref" in node:
        pointer = node["$ref"][1:]
        node = node_at(pointer)
    return node, pointer


def leaf_errors(errors: Iterable[JsonSchemaError]) -> Iterator[JsonSchemaError]:
    """Yield the innermost errors, so that a failed oneOf names the field that failed."""
    for error in errors:
        if error.context:
            yield from leaf_errors(error.context)
        else:
            yield error


def validation_errors(schema_pointer: str, instance: Any) -> list[str]:
    """Validate an instance against the schema at a pointer of the contract."""
    schema = {"$ref": SPEC_URI + "#" + quote(schema_pointer, safe="/~")}
    validator = Draft202012Validator(
        schema, registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
    )

    errors = leaf_errors(validator.iter_errors(instance))
    return sorted(f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors)


def find_operation(operation_id: str) -> str:
    """Return the pointer of the operation with this operationId."""
    for path, path_item in SPEC["paths"].items():
        for method, operation in path_item.items():
            if operation.get("operationId") == operation_id:
                return pointer_of("paths", path, method)
    raise AssertionError(f"the contract has no operation {operation_id}")


def contract_errors(operation_id: str, response: httpx.Response) -> list[str]:
    """Check a response against the contract's response for its operation and status."""
    responses_pointer = find_operation(operation_id) + "/responses"
    status = str(response.status_code)
    if status not in node_at(responses_pointer):
        return [f"{operation_id} does not document status {status}"]
    response_spec, response_pointer = follow_ref(
        node_at(responses_pointer + pointer_of(status)), responses_pointer + pointer_of(status)
    )

    content_type = response.headers.get("content-type", "")
    if content_type.split(";")[0].strip() != "application/json":
        return [f"content type {content_type!r} is not application/json"]

    schema_pointer = response_pointer + pointer_of("content", "application/json", "schema")
    errors = [f"body {message}" for message in validation_errors(schema_pointer, response.json())]
    errors += header_errors(response_spec, response_pointer, response.headers)
    return errors


def header_errors(
    response_spec: Mapping[str, Any], response_pointer: str, headers: httpx.Headers
) -> list[str]:
    """Check the headers that the contract declares for a response."""
    errors = []
    for name, header in response_spec.get("headers", {}).items():
        header_pointer = response_pointer + pointer_of("headers", name)
        header, header_pointer = follow_ref(header, header_pointer)
        value = headers.get(name)
        if value is None:
            if header.get("required", False):
                errors.append(f"header {name} is missing")
            continue

        # Header values are text, and an integer schema describes their decimal form.
        instance: Any = value
        if header["schema"].get("type") == "integer":
            if not value.strip().lstrip("-").isdigit():
                errors.append(f"header {name}: {value!r} is not an integer")
                continue
            instance = int(value)
        messages = validation_errors(f"{header_pointer}/schema", instance)
        errors += [f"header {name}: {message}" for message in messages]
    return errors


@dataclass(frozen=True)
class Sample:
    """Keys of one store and the customers that the requests refer to."""

    private_key: str
    public_key: str
    customer: Customer
    customer_without_cart: Customer
    foreign_customer: Customer

    def placeholders(self) -> dict[str, str]:
        """Return the values that the case table refers to by name."""
        return {
            "customer_id": str(self.customer.id),
            "email": str(self.customer.email),
            "email_upper": str(self.customer.email).upper(),
            "phone": str(self.customer.phone_number),
            "no_cart_id": str(self.customer_without_cart.id),
            "foreign_id": str(self.foreign_customer.id),
            "foreign_email": str(self.foreign_customer.email),
            "foreign_phone": str(self.foreign_customer.phone_number),
            "last_name": str(self.customer.last_name),
            "unknown_id": UNKNOWN_CUSTOMER_ID,
            "unknown_email": UNKNOWN_EMAIL,
            "unknown_phone": UNKNOWN_PHONE_NUMBER,
            "long_email": "a" * 243 + "@example.com",
            "long_search": "a" * 201,
        }

    def api_key(self, kind: str) -> str | None:
        """Return the key of a kind that the case table names, or None for no key."""
        keys = {
            "private": self.private_key,
            "public": self.public_key,
            "unknown": UNKNOWN_API_KEY,
            "none": None,
        }
        return keys[kind]


@dataclass(frozen=True)
class Case:
    """A request and the status that the sandbox must return for it.

    ``path`` and the values of ``params`` may name values of ``Sample.placeholders``
    in braces, and ``key`` is a kind that ``Sample.api_key`` accepts.
    """

    operation_id: str
    status: int
    label: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    key: str = "private"

    def __str__(self) -> str:
        return f"{self.operation_id}-{self.status}-{self.label}"


def pick_sample(dataset: Dataset) -> Sample:
    """Pick one store's keys and the customers that the cases need."""
    assert len(dataset.stores) >= 2, "the tests need a second store for foreign customers"
    store, other_store = dataset.stores[0], dataset.stores[1]
    customers = list(dataset.customers_of(store.id))
    emails = {c.email.casefold() for c in customers if c.email}
    phones = {c.phone_number for c in customers if c.phone_number}

    with_cart = [c for c in customers if has_contacts(c) and dataset.cart_of(c.id) is not None]
    without_cart = [c for c in customers if dataset.cart_of(c.id) is None]
    foreign = [
        c
        for c in dataset.customers_of(other_store.id)
        if has_contacts(c)
        and str(c.email).casefold() not in emails
        and c.phone_number not in phones
    ]
    assert with_cart, "no customer of the first store has an email, a phone number and a cart"
    assert without_cart, "every customer of the first store has a cart"
    assert foreign, "no customer of the second store has an email and phone number of its own"

    assert UNKNOWN_EMAIL not in emails
    assert UNKNOWN_PHONE_NUMBER not in phones
    assert UNKNOWN_CUSTOMER_ID not in {str(c.id) for c in customers}
    return Sample(store.api_key, store.public_key, with_cart[0], without_cart[0], foreign[0])


def has_contacts(customer: Customer) -> bool:
    """Return whether a customer has both an email address and a phone number."""
    return bool(customer.email and customer.phone_number)


def key_cases(operation_id: str) -> list[Case]:
    """Build the cases of a missing, unknown or public key for an operation."""
    path, params = VALID_REQUESTS[operation_id]
    return [
        Case(operation_id, 401, "missing key", path, params, key="none"),
        Case(operation_id, 401, "unknown key", path, params, key="unknown"),
        Case(operation_id, 403, "public key", path, params, key="public"),
    ]


# A path and parameters per operation that succeed with the private key.
VALID_REQUESTS: dict[str, tuple[str, dict[str, str]]] = {
    "getCustomer": ("/customers/{customer_id}", {}),
    "getCustomerByPhone": ("/customers/by-phone", {"phoneNumber": "{phone}"}),
    "getCustomerByEmail": ("/customers/by-email", {"email": "{email}"}),
    "listCustomers": ("/customers", {}),
    "getCustomerCart": ("/customers/{customer_id}/cart", {}),
}

CASES = [
    Case("getCustomer", 200, "known", "/customers/{customer_id}"),
    Case("getCustomer", 400, "malformed id", "/customers/not-a-guid"),
    Case("getCustomer", 404, "unknown id", "/customers/{unknown_id}"),
    Case("getCustomer", 404, "other store", "/customers/{foreign_id}"),
    *key_cases("getCustomer"),
    Case("getCustomerByPhone", 200, "known", "/customers/by-phone", {"phoneNumber": "{phone}"}),
    Case("getCustomerByPhone", 400, "no plus", "/customers/by-phone", {"phoneNumber": "12345"}),
    Case("getCustomerByPhone", 400, "letters", "/customers/by-phone", {"phoneNumber": "+44abc"}),
    Case("getCustomerByPhone", 400, "missing", "/customers/by-phone"),
    Case(
        "getCustomerByPhone",
        404,
        "unknown",
        "/customers/by-phone",
        {"phoneNumber": "{unknown_phone}"},
    ),
    Case(
        "getCustomerByPhone",
        404,
        "other store",
        "/customers/by-phone",
        {"phoneNumber": "{foreign_phone}"},
    ),
    *key_cases("getCustomerByPhone"),
    Case("getCustomerByEmail", 200, "known", "/customers/by-email", {"email": "{email}"}),
    Case(
        "getCustomerByEmail", 200, "upper case", "/customers/by-email", {"email": "{email_upper}"}
    ),
    Case("getCustomerByEmail", 400, "no at sign", "/customers/by-email", {"email": "giulia"}),
    Case("getCustomerByEmail", 400, "too long", "/customers/by-email", {"email": "{long_email}"}),
    Case("getCustomerByEmail", 400, "missing", "/customers/by-email"),
    Case("getCustomerByEmail", 404, "unknown", "/customers/by-email", {"email": "{unknown_email}"}),
    Case(
        "getCustomerByEmail",
        404,
        "other store",
        "/customers/by-email",
        {"email": "{foreign_email}"},
    ),
    *key_cases("getCustomerByEmail"),
    Case("listCustomers", 200, "defaults", "/customers"),
    Case("listCustomers", 200, "last page", "/customers", {"limit": "100", "offset": "100"}),
    Case("listCustomers", 200, "past the end", "/customers", {"offset": "100000"}),
    Case("listCustomers", 200, "search", "/customers", {"searchTerm": "{last_name}"}),
    Case("listCustomers", 200, "no match", "/customers", {"searchTerm": "zzqxjv"}),
    Case("listCustomers", 400, "limit 0", "/customers", {"limit": "0"}),
    Case("listCustomers", 400, "limit 101", "/customers", {"limit": "101"}),
    Case("listCustomers", 400, "limit text", "/customers", {"limit": "ten"}),
    Case("listCustomers", 400, "offset negative", "/customers", {"offset": "-1"}),
    Case("listCustomers", 400, "search too long", "/customers", {"searchTerm": "{long_search}"}),
    Case(
        "listCustomers",
        200,
        "all filters and order",
        "/customers",
        {
            "searchTerm": "{last_name}",
            "phoneVerified": "true",
            "emailVerified": "false",
            "createdFrom": "2024-01-01T00:00:00Z",
            "createdTo": "2026-12-31T23:59:59+01:00",
            "sortBy": "updatedAt",
            "sortOrder": "desc",
        },
    ),
    Case("listCustomers", 200, "by email", "/customers", {"sortBy": "email"}),
    Case("listCustomers", 400, "verified yes", "/customers", {"phoneVerified": "yes"}),
    Case("listCustomers", 400, "verified empty", "/customers", {"emailVerified": ""}),
    Case("listCustomers", 400, "date only", "/customers", {"createdFrom": "2025-01-01"}),
    Case("listCustomers", 400, "no offset", "/customers", {"createdTo": "2025-01-01T00:00:00"}),
    Case(
        "listCustomers",
        400,
        "reversed range",
        "/customers",
        {"createdFrom": "2025-06-01T00:00:00Z", "createdTo": "2025-01-01T00:00:00Z"},
    ),
    Case("listCustomers", 400, "sort field", "/customers", {"sortBy": "age"}),
    Case("listCustomers", 400, "sort order", "/customers", {"sortOrder": "up"}),
    *key_cases("listCustomers"),
    Case("getCustomerCart", 200, "cart", "/customers/{customer_id}/cart"),
    Case("getCustomerCart", 200, "no cart", "/customers/{no_cart_id}/cart"),
    Case("getCustomerCart", 400, "malformed id", "/customers/not-a-guid/cart"),
    Case("getCustomerCart", 404, "unknown id", "/customers/{unknown_id}/cart"),
    Case("getCustomerCart", 404, "other store", "/customers/{foreign_id}/cart"),
    *key_cases("getCustomerCart"),
]


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate_dataset(customers=300, seed=1)


@pytest.fixture(scope="module")
def sample(dataset: Dataset) -> Sample:
    return pick_sample(dataset)


# High enough that no test here runs out of tokens, so that every response to a private key
# carries the rate-limit headers and they are checked against the contract.
GENEROUS_RATE_LIMIT = RateLimit(requests_per_second=10_000, burst=10_000)


@pytest.fixture(scope="module")
def client(dataset: Dataset) -> Iterator[httpx.Client]:
    with (
        SandboxServer(dataset, host="127.0.0.1", port=0, rate_limit=GENEROUS_RATE_LIMIT) as server,
        httpx.Client(base_url=server.base_url + API_PREFIX, timeout=10, trust_env=False) as client,
    ):
        yield client


def send(client: httpx.Client, sample: Sample, case: Case) -> httpx.Response:
    """Send a case's request, filling in the sample's values."""
    values = sample.placeholders()
    params = {name: value.format(**values) for name, value in case.params.items()}
    api_key = sample.api_key(case.key)
    headers = {} if api_key is None else {"X-API-Key": api_key}

    return client.get(case.path.format(**values), params=params, headers=headers)


RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_response_matches_contract(client: httpx.Client, sample: Sample, case: Case) -> None:
    response = send(client, sample, case)

    assert response.status_code == case.status, response.text
    assert contract_errors(case.operation_id, response) == []
    # 401 and 403 are decided before the rate limit, so they carry no bucket state.
    for name in RATE_LIMIT_HEADERS:
        assert (name in response.headers) is (case.status not in (401, 403)), name


@pytest.fixture(scope="module")
def limited_client(dataset: Dataset, sample: Sample) -> Iterator[httpx.Client]:
    """Connect to a second sandbox whose rate limit allows one request, then one per 1000 s."""
    rate_limit = RateLimit(requests_per_second=0.001, burst=1)
    with (
        SandboxServer(dataset, host="127.0.0.1", port=0, rate_limit=rate_limit) as server,
        httpx.Client(base_url=server.base_url + API_PREFIX, timeout=10, trust_env=False) as client,
    ):
        first = client.get("/customers", headers={"X-API-Key": sample.private_key})
        assert first.status_code == 200, first.text
        yield client


@pytest.mark.parametrize("operation_id", VALID_REQUESTS)
def test_rate_limited_response_matches_contract(
    limited_client: httpx.Client, sample: Sample, operation_id: str
) -> None:
    case = Case(operation_id, 429, "rate limited", *VALID_REQUESTS[operation_id])
    response = send(limited_client, sample, case)

    assert response.status_code == 429, response.text
    assert contract_errors(operation_id, response) == []


@pytest.fixture(scope="module")
def failing_client(dataset: Dataset) -> Iterator[httpx.Client]:
    """Connect to a third sandbox that responds to every request with 503."""
    with (
        SandboxServer(dataset, host="127.0.0.1", port=0, fail_rate=1.0) as server,
        httpx.Client(base_url=server.base_url + API_PREFIX, timeout=10, trust_env=False) as client,
    ):
        yield client


@pytest.mark.parametrize("operation_id", VALID_REQUESTS)
def test_unavailable_response_matches_contract(
    failing_client: httpx.Client, sample: Sample, operation_id: str
) -> None:
    case = Case(operation_id, 503, "injected failure", *VALID_REQUESTS[operation_id])
    response = send(failing_client, sample, case)

    assert response.status_code == 503, response.text
    assert contract_errors(operation_id, response) == []


DATABASE_METHODS = {
    "getCustomer": "get_customer",
    "getCustomerByPhone": "find_by_phone",
    "getCustomerByEmail": "find_by_email",
    "listCustomers": "list_customers",
    "getCustomerCart": "get_cart",
}


def fail_query(*args: object) -> NoReturn:
    """Stand in for a database query that fails."""
    raise RuntimeError("simulated database failure")


@pytest.mark.parametrize(("operation_id", "method"), DATABASE_METHODS.items())
def test_internal_error_matches_contract(
    client: httpx.Client,
    sample: Sample,
    monkeypatch: pytest.MonkeyPatch,
    operation_id: str,
    method: str,
) -> None:
    # The server thread looks the method up on the class at each request, so it gets the patch.
    monkeypatch.setattr(SandboxDatabase, method, fail_query)
    case = Case(operation_id, 500, "database failure", *VALID_REQUESTS[operation_id])

    response = send(client, sample, case)

    assert response.status_code == 500, response.text
    assert contract_errors(operation_id, response) == []


def test_cases_cover_every_documented_status() -> None:
    covered = {(case.operation_id, str(case.status)) for case in CASES}
    operation_ids = set()

    for path_item in SPEC["paths"].values():
        for operation in path_item.values():
            operation_id = operation["operationId"]
            operation_ids.add(operation_id)
            # The tests above produce 429, 500 and 503 for every operation.
            statuses = set(operation["responses"]) - {"429", "500", "503"}
            if operation_id == "listCustomers":
                # An empty result is a 200, so the list never returns 404.
                statuses.discard("404")
            missing = {status for status in statuses if (operation_id, status) not in covered}

            assert missing == set(), operation_id

    assert set(VALID_REQUESTS) == operation_ids
    assert set(DATABASE_METHODS) == operation_ids


def get_data(client: httpx.Client, sample: Sample, path: str, params: dict[str, str]) -> Any:
    """Send a request with the private key, check that it succeeded and return its data."""
    response = client.get(path, params=params, headers={"X-API-Key": sample.private_key})

    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_lookups_return_requested_customer(client: httpx.Client, sample: Sample) -> None:
    customer = sample.customer
    by_id = get_data(client, sample, f"/customers/{customer.id}", {})
    by_phone = get_data(
        client, sample, "/customers/by-phone", {"phoneNumber": str(customer.phone_number)}
    )
    by_email = get_data(
        client, sample, "/customers/by-email", {"email": str(customer.email).upper()}
    )

    assert by_id["id"] == str(customer.id)
    assert by_phone["id"] == str(customer.id)
    assert by_email["id"] == str(customer.id)


def test_list_defaults_to_first_fifty(client: httpx.Client, sample: Sample) -> None:
    page = get_data(client, sample, "/customers", {})
    pagination = page["pagination"]

    assert pagination["limit"] == 50
    assert pagination["offset"] == 0
    assert len(page["customers"]) == min(50, pagination["total"])


def test_list_pages_cover_store_once(
    client: httpx.Client, sample: Sample, dataset: Dataset
) -> None:
    expected_ids = {str(customer.id) for customer in dataset.customers_of(dataset.stores[0].id)}
    seen_ids: list[str] = []

    offset = 0
    has_more = True
    while has_more:
        page = get_data(client, sample, "/customers", {"limit": "100", "offset": str(offset)})
        pagination = page["pagination"]
        seen_ids += [customer["id"] for customer in page["customers"]]

        assert pagination["total"] == len(expected_ids)
        assert pagination["offset"] == offset
        assert pagination["hasMore"] == (len(seen_ids) < len(expected_ids))
        has_more = pagination["hasMore"]
        offset += 100

    assert len(seen_ids) == len(set(seen_ids))
    assert set(seen_ids) == expected_ids


def test_search_ignores_case(client: httpx.Client, sample: Sample) -> None:
    term = str(sample.customer.last_name).upper()
    page = get_data(client, sample, "/customers", {"searchTerm": term, "limit": "100"})

    assert str(sample.customer.id) in {customer["id"] for customer in page["customers"]}


def test_cart_item_count_sums_quantities(client: httpx.Client, sample: Sample) -> None:
    cart = get_data(client, sample, f"/customers/{sample.customer.id}/cart", {})

    assert cart["customerId"] == str(sample.customer.id)
    assert cart["itemCount"] == sum(item["quantity"] for item in cart["items"])


def test_customer_without_cart_gets_null(client: httpx.Client, sample: Sample) -> None:
    path = f"/customers/{sample.customer_without_cart.id}/cart"

    assert get_data(client, sample, path, {}) is None
