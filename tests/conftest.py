"""Fixtures shared by the integration and widget tests: one sandbox on loopback per session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import keyring
import pytest

from tests.keyrings import MemoryKeyring
from vp_desk.sandbox.data import Dataset, generate_dataset
from vp_desk.sandbox.server import SandboxServer

# Widget tests need no display; the platform must be chosen before Qt starts.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

SANDBOX_CUSTOMERS = 300


@pytest.fixture(scope="session")
def sandbox_dataset() -> Dataset:
    """Return the deterministic demo data that the session's sandbox serves."""
    return generate_dataset(customers=SANDBOX_CUSTOMERS, seed=1)


@pytest.fixture(scope="session")
def sandbox_server(sandbox_dataset: Dataset) -> Iterator[SandboxServer]:
    """Serve ``sandbox_dataset`` on 127.0.0.1 for the whole session, without a rate limit.

    Tests page through whole stores in quick succession, which the default rate limit would
    reject with 429; the rate-limit tests start sandboxes of their own.
    """
    with SandboxServer(sandbox_dataset, rate_limit=None) as server:
        yield server


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Install a fresh in-memory keyring for the test and restore the previous one after."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
