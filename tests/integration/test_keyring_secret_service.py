"""API keys through keyring's Secret Service backend, against a real gnome-keyring."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import keyring
import keyring.backend
import pytest

from vp_desk.credentials import KeyringCredentials

pytestmark = pytest.mark.skipif(
    not os.environ.get("DBUS_SESSION_BUS_ADDRESS"),
    reason="no D-Bus session bus; .ci/run starts one with an unlocked gnome-keyring",
)


@pytest.fixture
def secret_service() -> Iterator[keyring.backend.KeyringBackend]:
    """Install the Secret Service backend for the test and restore the previous one after."""
    from keyring.backends import SecretService

    previous = keyring.get_keyring()
    backend = SecretService.Keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_profile_key_round_trip(secret_service: keyring.backend.KeyringBackend) -> None:
    profile = f"CI store {uuid.uuid4()}"
    credentials = KeyringCredentials()

    credentials.set_key(profile, "sk_test_secret_service")
    stored = credentials.get_key(profile)
    credentials.delete_key(profile)

    assert stored == "sk_test_secret_service"
    assert credentials.get_key(profile) is None
    assert secret_service.get_password("vp-desk", profile) is None
