"""Tests of the Customers API contract in resources/openapi/customers-v1.yaml."""

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as JsonSchemaError
from openapi_spec_validator import validate
from pydantic import BaseModel, ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from vp_desk.api import models

SPEC_PATH = Path(__file__).resolve().parents[2] / "resources" / "openapi" / "customers-v1.yaml"

# The document's own location serves as the base URI that its "#/components/..." refs resolve
# against; nothing is fetched from it.
SPEC_URI = SPEC_PATH.as_uri()

ERROR_STATUSES = {"400", "401", "403", "404", "429", "500", "503"}
DOCUMENTED_STATUSES = {"200"} | ERROR_STATUSES

ERROR_CODE_OF_STATUS = {
    "400": "INVALID_PARAMETER",
    "401": "UNAUTHORIZED",
    "403": "FORBIDDEN",
    "404": "NOT_FOUND",
    "429": "RATE_LIMITED",
    "500": "INTERNAL_ERROR",
    "503": "SERVICE_UNAVAILABLE",
}

RATE_LIMIT_HEADERS = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}

# Statuses whose requests may have reached the rate limit, so their responses carry its state.
# 401 and 403 come before the limit, and 503 from a failure in front of the whole API.
STATUSES_WITH_RATE_LIMIT_HEADERS = {"200", "400", "404", "429", "500"}


@dataclass(frozen=True)
class ExpectedOperation:
    """An operation the contract must declare, with its parameters as (name, location)."""

    path: str
    operation_id: str
    parameters: frozenset[tuple[str, str]]
    success_model: type[BaseModel]


EXPECTED_OPERATIONS = [
    ExpectedOperation(
        "/customers",
        "listCustomers",
        frozenset(
            {
                ("limit", "query"),
                ("offset", "query"),
                ("searchTerm", "query"),
                ("phoneVerified", "query"),
                ("emailVerified", "query"),
                ("createdFrom", "query"),
                ("createdTo", "query"),
                ("sortBy", "query"),
                ("sortOrder", "query"),
            }
        ),
        models.CustomerPageEnvelope,
    ),
    ExpectedOperation(
        "/customers/by-phone",
        "getCustomerByPhone",
        frozenset({("phoneNumber", "query")}),
        models.CustomerEnvelope,
    ),
    ExpectedOperation(
        "/customers/by-email",
        "getCustomerByEmail",
        frozenset({("email", "query")}),
        models.CustomerEnvelope,
    ),
    ExpectedOperation(
        "/customers/{customerId}",
        "getCustomer",
        frozenset({("customerId", "path")}),
        models.CustomerEnvelope,
    ),
    ExpectedOperation(
        "/customers/{customerId}/cart",
        "getCustomerCart",
        frozenset({("customerId", "path")}),
        models.CartEnvelope,
    ),
]

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "Customer": models.Customer,
    "Cart": models.Cart,
    "CartItem": models.CartItem,
    "Pagination": models.Pagination,
    "CustomerPage": models.CustomerPage,
    "ErrorDetail": models.ErrorDetail,
    "ErrorEnvelope": models.ErrorEnvelope,
    "CustomerEnvelope": models.CustomerEnvelope,
    "CustomerPageEnvelope": models.CustomerPageEnvelope,
    "CartEnvelope": models.CartEnvelope,
}

# Keywords whose value is one subschema, a list of subschemas or a map of names to subschemas.
SINGLE_SUBSCHEMA_KEYWORDS = (
    "items",
    "additionalProperties",
    "unevaluatedProperties",
    "not",
    "contains",
    "if",
    "then",
    "else",
)
LIST_SUBSCHEMA_KEYWORDS = ("allOf", "anyOf", "oneOf", "prefixItems")
MAP_SUBSCHEMA_KEYWORDS = ("properties", "patternProperties", "$defs", "dependentSchemas")


@dataclass(frozen=True)
class Example:
    """An example or default value in the document and the schema it must satisfy."""

    location: str
    schema_pointer: str
    value: Any


def load_spec() -> dict[str, Any]:
    """Load the contract from its YAML file."""
    with SPEC_PATH.open(encoding="utf-8") as file:
        loaded = yaml.safe_load(file)

    assert isinstance(loaded, dict), f"{SPEC_PATH} does not contain a mapping"
    return loaded


SPEC = load_spec()
REGISTRY: Registry[Any] = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(SPEC))


def escape_pointer_token(token: str) -> str:
    """Escape one JSON pointer token as RFC 6901 requires."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer_of(*tokens: str) -> str:
    """Join tokens into a JSON pointer."""
    return "".join("/" + escape_pointer_token(token) for token in tokens)


def node_at(pointer: str) -> Any:
    """Return the node of the document at a JSON pointer."""
    node: Any = SPEC
    for token in pointer.split("/")[1:]:
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def follow_ref(node: Mapping[str, Any], pointer: str) -> tuple[Mapping[str, Any], str]:
    """Follow local "$ref"s from a node, returning the target and its pointer."""
    while "$ref" in node:
        reference = node["$ref"]
        assert reference.startswith("#/"), f"{pointer}: only local refs are expected"
        pointer = reference[1:]
        node = node_at(pointer)
    return node, pointer


def validator_at(schema_pointer: str) -> Draft202012Validator:
    """Build a JSON Schema 2020-12 validator for the schema at a pointer of the document."""
    schema = {"$ref": SPEC_URI + "#" + quote(schema_pointer, safe="/~")}
    return Draft202012Validator(
        schema,
        registry=REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def leaf_errors(errors: Iterable[JsonSchemaError]) -> Iterator[JsonSchemaError]:
    """Yield the innermost errors, so that a failed oneOf names the field that failed."""
    for error in errors:
        if error.context:
            yield from leaf_errors(error.context)
        else:
            yield error


def validation_errors(schema_pointer: str, instance: Any) -> list[str]:
    """Validate an instance against the schema at a pointer and return the error messages."""
    errors = leaf_errors(validator_at(schema_pointer).iter_errors(instance))
    return sorted(f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors)


def examples_in_schema(schema: Any, pointer: str) -> Iterator[Example]:
    """Yield the examples and defaults of a schema and of all its subschemas."""
    if not isinstance(schema, dict):
        return

    for index, value in enumerate(schema.get("examples", [])):
        yield Example(f"{pointer}/examples/{index}", pointer, value)
    for keyword in ("example", "default"):
        if keyword in schema:
            yield Example(f"{pointer}/{keyword}", pointer, schema[keyword])

    for keyword in SINGLE_SUBSCHEMA_KEYWORDS:
        if keyword in schema:
            yield from examples_in_schema(schema[keyword], f"{pointer}/{keyword}")
    for keyword in LIST_SUBSCHEMA_KEYWORDS:
        for index, subschema in enumerate(schema.get(keyword, [])):
            yield from examples_in_schema(subschema, f"{pointer}/{keyword}/{index}")
    for keyword in MAP_SUBSCHEMA_KEYWORDS:
        for name, subschema in schema.get(keyword, {}).items():
            yield from examples_in_schema(subschema, pointer + pointer_of(keyword, name))


def examples_beside_schema(node: Mapping[str, Any], pointer: str) -> Iterator[Example]:
    """Yield the examples of a parameter, header or media type object."""
    schema_pointer = f"{pointer}/schema"
    if "example" in node:
        yield Example(f"{pointer}/example", schema_pointer, node["example"])

    for name, example in node.get("examples", {}).items():
        example_pointer = pointer + pointer_of("examples", name)
        example, example_pointer = follow_ref(example, example_pointer)
        yield Example(f"{example_pointer}/value", schema_pointer, example["value"])


def collect_examples(node: Any, pointer: str = "") -> Iterator[Example]:
    """Yield every example and default in the document with the schema it belongs to."""
    if not isinstance(node, dict):
        if isinstance(node, list):
            for index, child in enumerate(node):
                yield from collect_examples(child, f"{pointer}/{index}")
        return

    if "schema" in node:
        yield from examples_beside_schema(node, pointer)
        yield from examples_in_schema(node["schema"], f"{pointer}/schema")

    for key, child in node.items():
        child_pointer = pointer + pointer_of(key)
        if child_pointer == "/components/schemas":
            for name, schema in child.items():
                yield from examples_in_schema(schema, child_pointer + pointer_of(name))
        elif key not in ("schema", "example", "examples"):
            yield from collect_examples(child, child_pointer)


def all_schemas(schema: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield a schema and all its subschemas with their pointers."""
    if not isinstance(schema, dict):
        return

    yield pointer, schema
    for keyword in SINGLE_SUBSCHEMA_KEYWORDS:
        if keyword in schema:
            yield from all_schemas(schema[keyword], f"{pointer}/{keyword}")
    for keyword in LIST_SUBSCHEMA_KEYWORDS:
        for index, subschema in enumerate(schema.get(keyword, [])):
            yield from all_schemas(subschema, f"{pointer}/{keyword}/{index}")
    for keyword in MAP_SUBSCHEMA_KEYWORDS:
        for name, subschema in schema.get(keyword, {}).items():
            yield from all_schemas(subschema, pointer + pointer_of(keyword, name))


def operation_pointer(expected: ExpectedOperation) -> str:
    """Return the pointer of an expected operation's GET object."""
    return pointer_of("paths", expected.path, "get")


def response_of(expected: ExpectedOperation, status: str) -> tuple[Mapping[str, Any], str]:
    """Return an operation's response object for a status, refs followed, and its pointer."""
    pointer = operation_pointer(expected) + pointer_of("responses", status)
    return follow_ref(node_at(pointer), pointer)


def json_schema_pointer(response_pointer: str) -> str:
    """Return the pointer of a response's application/json schema."""
    return response_pointer + pointer_of("content", "application/json", "schema")


def aliases_of(model: type[BaseModel]) -> set[str]:
    """Return the wire names of a model's fields."""
    return {field.alias or name for name, field in model.model_fields.items()}


def required_aliases_of(model: type[BaseModel]) -> set[str]:
    """Return the wire names of a model's fields that have no default."""
    return {
        field.alias or name for name, field in model.model_fields.items() if field.is_required()
    }


ALL_EXAMPLES = list(collect_examples(SPEC))


def test_document_is_valid_openapi_31() -> None:
    assert SPEC["openapi"].startswith("3.1.")

    validate(SPEC)


def test_info_names_version_and_purpose() -> None:
    info = SPEC["info"]

    assert info["version"] == "1.0.0"
    assert info["title"]
    assert "sandbox" in info["description"]


def test_server_is_sandbox_with_base_url_variable() -> None:
    servers = SPEC["servers"]

    assert len(servers) == 1
    assert servers[0]["url"] == "{baseUrl}/api/v1"
    assert servers[0]["variables"]["baseUrl"]["default"] == "http://127.0.0.1:8765"


def strings_in(node: Any) -> Iterator[str]:
    """Yield every string key and value in a parsed YAML node."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, child in node.items():
            yield str(key)
            yield from strings_in(child)
    elif isinstance(node, list):
        for child in node:
            yield from strings_in(child)


def test_document_names_only_loopback_urls() -> None:
    urls = re.findall(r"[a-z][a-z0-9+.-]*://[^\s\"'`)]+", " ".join(strings_in(SPEC)))

    assert urls == ["http://127.0.0.1:8765"]


def test_security_is_api_key_header_everywhere() -> None:
    schemes = SPEC["components"]["securitySchemes"]

    assert len(schemes) == 1
    [(name, scheme)] = schemes.items()
    assert scheme["type"] == "apiKey"
    assert scheme["in"] == "header"
    assert scheme["name"] == "X-API-Key"
    assert SPEC["security"] == [{name: []}]

    for expected in EXPECTED_OPERATIONS:
        assert "security" not in node_at(operation_pointer(expected)), expected.operation_id


def test_paths_are_exactly_the_expected_ones() -> None:
    assert set(SPEC["paths"]) == {expected.path for expected in EXPECTED_OPERATIONS}

    for expected in EXPECTED_OPERATIONS:
        assert set(SPEC["paths"][expected.path]) == {"get"}, expected.path


@pytest.mark.parametrize("expected", EXPECTED_OPERATIONS, ids=lambda op: op.operation_id)
def test_operation_has_id_and_exact_parameters(expected: ExpectedOperation) -> None:
    pointer = operation_pointer(expected)
    operation = node_at(pointer)

    assert operation["operationId"] == expected.operation_id

    parameters = [
        follow_ref(parameter, f"{pointer}/parameters/{index}")[0]
        for index, parameter in enumerate(operation.get("parameters", []))
    ]
    declared = [(parameter["name"], parameter["in"]) for parameter in parameters]
    assert len(declared) == len(set(declared)), f"duplicate parameters: {declared}"
    assert set(declared) == expected.parameters


PARAMETER_SCHEMAS = {
    "customerId": (True, {"type": "string", "format": "uuid"}),
    "phoneNumber": (True, {"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$"}),
    "email": (True, {"type": "string", "format": "email", "maxLength": 254}),
    "limit": (False, {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}),
    "offset": (False, {"type": "integer", "minimum": 0, "default": 0}),
    "searchTerm": (False, {"type": "string", "maxLength": 200}),
    "phoneVerified": (False, {"type": "boolean"}),
    "emailVerified": (False, {"type": "boolean"}),
    "createdFrom": (False, {"type": "string", "format": "date-time"}),
    "createdTo": (False, {"type": "string", "format": "date-time"}),
    "sortBy": (False, {"$ref": "#/components/schemas/CustomerSortField"}),
    "sortOrder": (False, {"$ref": "#/components/schemas/SortOrder"}),
}


@pytest.mark.parametrize(("name", "required_and_schema"), PARAMETER_SCHEMAS.items())
def test_parameter_schema_and_required_flag(
    name: str, required_and_schema: tuple[bool, dict[str, Any]]
) -> None:
    required, schema = required_and_schema
    [parameter] = [
        parameter
        for parameter in SPEC["components"]["parameters"].values()
        if parameter["name"] == name
    ]

    assert parameter.get("required", False) is required
    assert parameter["schema"] == schema


@pytest.mark.parametrize(
    ("phone_number", "valid"),
    [
        ("+447700900123", True),
        ("+1234567", True),
        ("+123456789012345", True),
        ("+123456", False),
        ("+1234567890123456", False),
        ("447700900123", False),
        ("+0447700900123", False),
        ("+44 7700 900123", False),
        ("+44-7700-900123", False),
    ],
)
def test_phone_number_parameter_pattern(phone_number: str, valid: bool) -> None:
    errors = validation_errors("/components/parameters/PhoneNumber/schema", phone_number)

    assert (not errors) is valid, errors


@pytest.mark.parametrize("expected", EXPECTED_OPERATIONS, ids=lambda op: op.operation_id)
def test_operation_documents_every_status_from_shared_responses(
    expected: ExpectedOperation,
) -> None:
    responses = node_at(operation_pointer(expected))["responses"]

    assert set(responses) == DOCUMENTED_STATUSES
    for status, response in responses.items():
        assert response["$ref"].startswith("#/components/responses/"), status


@pytest.mark.parametrize("expected", EXPECTED_OPERATIONS, ids=lambda op: op.operation_id)
def test_operation_has_example_for_every_status(expected: ExpectedOperation) -> None:
    for status in DOCUMENTED_STATUSES:
        response, _ = response_of(expected, status)
        media = response["content"]["application/json"]

        assert media.get("examples") or "example" in media, f"{status} has no example"


@pytest.mark.parametrize(("status", "code"), ERROR_CODE_OF_STATUS.items())
def test_error_response_accepts_only_its_code(status: str, code: str) -> None:
    schema_pointer = json_schema_pointer(response_of(EXPECTED_OPERATIONS[0], status)[1])

    for other_code in models.ErrorCode:
        envelope = {"success": False, "error": {"code": other_code.value, "message": "Failed."}}
        errors = validation_errors(schema_pointer, envelope)

        assert (not errors) is (other_code == code), (other_code, errors)


def test_error_response_rejects_success_true() -> None:
    schema_pointer = json_schema_pointer(response_of(EXPECTED_OPERATIONS[0], "404")[1])
    envelope = {"success": True, "error": {"code": "NOT_FOUND", "message": "Not found."}}

    assert validation_errors(schema_pointer, envelope)


def test_rate_limited_response_requires_retry_after() -> None:
    response, pointer = response_of(EXPECTED_OPERATIONS[0], "429")
    header, header_pointer = follow_ref(
        response["headers"]["Retry-After"], pointer + pointer_of("headers", "Retry-After")
    )

    assert header["required"] is True
    assert header["schema"]["type"] == "integer"
    assert not validation_errors(f"{header_pointer}/schema", 1)
    assert validation_errors(f"{header_pointer}/schema", 0)
    assert validation_errors(f"{header_pointer}/schema", -1)


@pytest.mark.parametrize("expected", EXPECTED_OPERATIONS, ids=lambda op: op.operation_id)
def test_rate_limit_headers_declared_where_limit_applies(expected: ExpectedOperation) -> None:
    for status in DOCUMENTED_STATUSES:
        response, _ = response_of(expected, status)
        declared = set(response.get("headers", {})) & RATE_LIMIT_HEADERS

        if status in STATUSES_WITH_RATE_LIMIT_HEADERS:
            assert declared == RATE_LIMIT_HEADERS, status
        else:
            assert declared == set(), status


@pytest.mark.parametrize("name", sorted(RATE_LIMIT_HEADERS))
def test_rate_limit_header_is_optional_integer(name: str) -> None:
    header = SPEC["components"]["headers"][name]

    assert header["required"] is False
    assert header["schema"]["type"] == "integer"
    assert validation_errors(pointer_of("components", "headers", name, "schema"), -1)


def test_document_has_examples_of_every_kind() -> None:
    locations = [example.location for example in ALL_EXAMPLES]

    assert any(location.startswith("/components/parameters/") for location in locations)
    assert any(location.startswith("/components/headers/") for location in locations)
    assert any(location.startswith("/components/responses/") for location in locations)
    assert any(location.startswith("/components/schemas/") for location in locations)


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda example: example.location)
def test_example_validates_against_its_schema(example: Example) -> None:
    assert validation_errors(example.schema_pointer, example.value) == []


@pytest.mark.parametrize("expected", EXPECTED_OPERATIONS, ids=lambda op: op.operation_id)
def test_success_examples_parse_and_reserialize(expected: ExpectedOperation) -> None:
    response, pointer = response_of(expected, "200")
    media = response["content"]["application/json"]

    for name, example in media["examples"].items():
        parsed = expected.success_model.model_validate(example["value"])
        written = parsed.model_dump(mode="json")

        assert validation_errors(json_schema_pointer(pointer), written) == [], name


@pytest.mark.parametrize("status", sorted(ERROR_STATUSES))
def test_error_examples_parse_and_reserialize(status: str) -> None:
    response, pointer = response_of(EXPECTED_OPERATIONS[0], status)
    media = response["content"]["application/json"]

    for name, example in media["examples"].items():
        parsed = models.ErrorEnvelope.model_validate(example["value"])
        written = parsed.model_dump(mode="json")

        assert parsed.error.code == ERROR_CODE_OF_STATUS[status], name
        assert validation_errors(json_schema_pointer(pointer), written) == [], name


@pytest.mark.parametrize(("schema_name", "model"), SCHEMA_MODELS.items())
def test_schema_properties_equal_model_aliases(schema_name: str, model: type[BaseModel]) -> None:
    schema = SPEC["components"]["schemas"][schema_name]

    assert set(schema["properties"]) == aliases_of(model)


@pytest.mark.parametrize(("schema_name", "model"), SCHEMA_MODELS.items())
def test_schema_required_equals_model_required(schema_name: str, model: type[BaseModel]) -> None:
    schema = SPEC["components"]["schemas"][schema_name]

    assert set(schema.get("required", [])) == required_aliases_of(model)


@pytest.mark.parametrize(
    ("schema_name", "field"),
    [
        ("Customer", "email"),
        ("Customer", "phoneNumber"),
        ("Customer", "firstName"),
        ("Customer", "lastName"),
        ("CartItem", "sku"),
    ],
)
def test_optional_text_field_is_string_or_null(schema_name: str, field: str) -> None:
    schema = SPEC["components"]["schemas"][schema_name]

    assert schema["properties"][field]["type"] == ["string", "null"]
    assert field not in schema.get("required", [])


def test_cart_status_enum_equals_model() -> None:
    assert SPEC["components"]["schemas"]["CartStatus"]["enum"] == list(models.CartStatus)


def test_error_code_enum_equals_model() -> None:
    assert SPEC["components"]["schemas"]["ErrorCode"]["enum"] == list(models.ErrorCode)


def test_sort_field_enum_equals_model() -> None:
    schema = SPEC["components"]["schemas"]["CustomerSortField"]

    assert schema["enum"] == list(models.CustomerSortField)
    assert schema["default"] == models.CustomerSortField.NAME


def test_sort_order_enum_equals_model() -> None:
    schema = SPEC["components"]["schemas"]["SortOrder"]

    assert schema["enum"] == list(models.SortOrder)
    assert schema["default"] == models.SortOrder.ASC


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2025-01-01T00:00:00Z", True),
        ("2025-01-01T01:00:00+01:00", True),
        ("2025-01-01T00:00:00.123456789Z", True),
        ("2025-01-01", False),
        ("2025-01-01T00:00:00", False),
        ("yesterday", False),
    ],
)
def test_created_bound_is_date_time_with_offset(value: str, valid: bool) -> None:
    errors = validation_errors("/components/parameters/CreatedFrom/schema", value)

    assert (not errors) is valid, errors


def test_no_schema_forbids_unknown_fields() -> None:
    for name, schema in SPEC["components"]["schemas"].items():
        for pointer, subschema in all_schemas(schema, pointer_of("components", "schemas", name)):
            assert subschema.get("additionalProperties") is not False, pointer
            assert subschema.get("unevaluatedProperties") is not False, pointer


def test_customer_accepts_unknown_fields() -> None:
    customer = {
        "id": "3f9c2b7e-8d41-4a6f-9c0e-5b7d2e1a4c88",
        "createdAt": "2024-03-02T09:15:27Z",
        "updatedAt": "2024-03-02T09:15:27Z",
        "loyaltyPoints": 120,
    }

    assert validation_errors("/components/schemas/Customer", customer) == []
    assert models.Customer.model_validate(customer).id


@pytest.mark.parametrize("amount", ["34.90", "-0.50", "1E+3", "1E-6", "0", "125000.00"])
def test_money_written_by_model_matches_schema(amount: str) -> None:
    item = models.CartItem(
        product_id="prd-10482",
        product_name="Moka pot, 3 cups",
        quantity=1,
        unit_price=Decimal(amount),
        line_total=Decimal(amount),
    )

    written = item.model_dump(mode="json")

    assert validation_errors("/components/schemas/CartItem", written) == []


def test_money_is_never_a_json_number() -> None:
    assert validation_errors("/components/schemas/Money", 34.9)
    assert validation_errors("/components/schemas/Money", 34)

    with pytest.raises(ValidationError):
        models.CartItem.model_validate(
            {
                "productId": "prd-10482",
                "productName": "Moka pot, 3 cups",
                "quantity": 1,
                "unitPrice": 34.9,
                "lineTotal": "34.90",
            }
        )
