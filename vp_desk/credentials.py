"""Private API keys in the operating system's keyring, one entry per connection profile."""

from __future__ import annotations

import logging
from enum import StrEnum

import keyring
import keyring.errors

logger = logging.getLogger("vp_desk.credentials")

KEYRING_SERVICE = "vp-desk"

MAX_KEY_LENGTH = 1000


class KeyProblem(StrEnum):
    """The reason an API key was rejected before it was stored or sent."""

    EMPTY = "empty"
    WHITESPACE = "whitespace"
    TOO_LONG = "too_long"
    NOT_PRINTABLE = "not_printable"


def check_api_key(key: str) -> KeyProblem | None:
    """Return what is wrong with ``key``, or None when it can be stored and sent."""
    if not key:
        return KeyProblem.EMPTY
    if any(character.isspace() for character in key):
        return KeyProblem.WHITESPACE
    if len(key) > MAX_KEY_LENGTH:
        return KeyProblem.TOO_LONG
    # HTTP header values must be visible ASCII.
    if not all("!" <= character <= "~" for character in key):
        return KeyProblem.NOT_PRINTABLE
    return None


class KeyringUnavailableError(Exception):
    """The operating system's keyring could not be used."""


class KeyringCredentials:
    """Stores one API key per profile under the keyring service ``vp-desk``."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self._service = service

    def get_key(self, profile_name: str) -> str | None:
        """Return the profile's key, or None when none is stored."""
        try:
            return keyring.get_password(self._service, profile_name)
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailableError(str(error)) from error

    def set_key(self, profile_name: str, key: str) -> None:
        """Store the profile's key, replacing any earlier one."""
        problem = check_api_key(key)
        if problem is not None:
            raise ValueError(f"The API key cannot be stored: {problem.value}.")
        try:
            keyring.set_password(self._service, profile_name, key)
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailableError(str(error)) from error
        logger.info("Stored the API key of profile %r in the keyring", profile_name)

    def delete_key(self, profile_name: str) -> None:
        """Remove the profile's key; removing a missing key is not an error."""
        try:
            keyring.delete_password(self._service, profile_name)
        except keyring.errors.PasswordDeleteError:
            return
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailableError(str(error)) from error
        logger.info("Removed the API key of profile %r from the keyring", profile_name)
