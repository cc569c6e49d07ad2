"""Fixtures shared by the integration and widget tests: one sandbox on loopback per session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

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
    """Serve ``sandbox_dataset`` on 127.0.0.1 for the whole session."""
    with SandboxServer(sandbox_dataset) as server:
        yield server
