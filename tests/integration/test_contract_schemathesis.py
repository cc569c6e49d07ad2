"""Property-based contract test: Schemathesis sends generated requests to a sandbox on 127.0.0.1
and checks every response against resources/openapi/customers-v1.yaml."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from vp_desk.sandbox import SandboxServer, generate_dataset

SPEC_PATH = Path(__file__).resolve().parents[2] / "resources" / "openapi" / "customers-v1.yaml"
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
REQUEST_TIMEOUT_SECONDS = 5.0

DATASET = generate_dataset(customers=200, seed=7)
STORE = DATASET.stores[0]
KNOWN_CUSTOMERS = list(DATASET.customers_of(STORE.id))[:30]

# Generated ids, phones and emails almost never exist, so half of the cases take a real one.
# Without them, no look-up would answer 200, and its success schema would go unchecked.
KNOWN_VALUES: dict[str, list[str]] = {
    "customerId": [str(customer.id) for customer in KNOWN_CUSTOMERS],
    "phoneNumber": [c.phone_number for c in KNOWN_CUSTOMERS if c.phone_number],
    "email": [email for c in KNOWN_CUSTOMERS if c.email for email in (c.email, c.email.upper())],
    "searchTerm": [c.last_name for c in KNOWN_CUSTOMERS if c.last_name] + ["example", "44"],
}

schema = schemathesis.openapi.from_path(SPEC_PATH)


def with_known_values(parameters: dict[str, Any] | None) -> st.SearchStrategy[dict[str, Any]]:
    """Return the generated parameters, or the same with one of them set to a real value."""
    generated = dict(parameters or {})
    choices = [st.just(generated)]
    for name, values in KNOWN_VALUES.items():
        if name in generated:
            choices.append(st.sampled_from(values).map(replacing(generated, name)))
    return st.one_of(choices)


def replacing(parameters: dict[str, Any], name: str) -> Callable[[str], dict[str, Any]]:
    """Return a function that sets parameter ``name`` of a copy of ``parameters``."""
    return lambda value: {**parameters, name: value}


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    return with_known_values(path_parameters)


@schema.hook
def flatmap_query(
    context: schemathesis.HookContext, query: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    return with_known_values(query)


@pytest.fixture(scope="module")
def contract_server() -> Iterator[SandboxServer]:
    """A sandbox without a rate limit, so that every generated request reaches the API."""
    with SandboxServer(DATASET, rate_limit=None) as server:
        yield server


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_operation_meets_contract(
    case: schemathesis.Case[Any], contract_server: SandboxServer
) -> None:
    case.call_and_validate(
        base_url=f"{contract_server.base_url}/api/v1",
        headers={"X-API-Key": STORE.api_key},
        checks=CHECKS,
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
