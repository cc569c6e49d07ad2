"""Unit-test helpers; the shared fixtures live in tests/conftest.py."""

from __future__ import annotations

from tests.keyrings import MemoryKeyring

__all__ = ["MemoryKeyring"]
