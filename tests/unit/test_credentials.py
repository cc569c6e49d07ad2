"""API keys per profile in the keyring, and the checks a key passes before it is stored."""

from __future__ import annotations

import keyring
import keyring.backends.fail
import pytest

from tests.keyrings import MemoryKeyring
from vp_desk.credentials import (
    KEYRING_SERVICE,
    KeyProblem,
    KeyringCredentials,
    KeyringUnavailableError,
    check_api_key,
)


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", KeyProblem.EMPTY),
        ("sk_test_abc def", KeyProblem.WHITESPACE),
        ("sk_test_abc\n", KeyProblem.WHITESPACE),
        ("k" * 1001, KeyProblem.TOO_LONG),
        ("sk_test_é", KeyProblem.NOT_PRINTABLE),
        ("sk_test_\x00", KeyProblem.NOT_PRINTABLE),
        ("sk_test_0123456789abcdef", None),
        ("k" * 1000, None),
    ],
)
def test_check_api_key(key: str, problem: KeyProblem | None) -> None:
    assert check_api_key(key) == problem


def test_key_round_trip_per_profile(memory_keyring: MemoryKeyring) -> None:
    credentials = KeyringCredentials()

    credentials.set_key("Coffee shop", "sk_test_one")
    credentials.set_key("Outdoor shop", "sk_test_two")

    assert credentials.get_key("Coffee shop") == "sk_test_one"
    assert credentials.get_key("Outdoor shop") == "sk_test_two"
    assert memory_keyring.passwords[(KEYRING_SERVICE, "Coffee shop")] == "sk_test_one"


def test_delete_key_twice_is_harmless(memory_keyring: MemoryKeyring) -> None:
    credentials = KeyringCredentials()
    credentials.set_key("Coffee shop", "sk_test_one")

    credentials.delete_key("Coffee shop")
    credentials.delete_key("Coffee shop")

    assert credentials.get_key("Coffee shop") is None


def test_invalid_key_is_not_stored(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="whitespace"):
        KeyringCredentials().set_key("Coffee shop", "sk test")

    assert memory_keyring.passwords == {}


def test_missing_keyring_raises_unavailable() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        credentials = KeyringCredentials()
        with pytest.raises(KeyringUnavailableError):
            credentials.set_key("Coffee shop", "sk_test_one")
        with pytest.raises(KeyringUnavailableError):
            credentials.get_key("Coffee shop")
    finally:
        keyring.set_keyring(previous)
