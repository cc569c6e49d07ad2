"""Data keys of the offline store in the operating system's keyring, one per profile."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from typing import Protocol

import keyring
import keyring.errors

from vp_desk.credentials import KEYRING_SERVICE, KeyringUnavailableError
from vp_desk.offline.crypto import DATA_KEY_BYTES

logger = logging.getLogger("vp_desk.offline")


def data_key_username(profile_name: str) -> str:
    """Return the keyring user name under which a profile's data key is stored.

    The profile's API key is stored under the plain profile name, which has at most 60
    characters. This name always has more, because the SHA-256 of the profile name alone adds
    64 hex digits, so the two entries never clash. The profile name in front keeps the entry
    recognisable in a keyring manager.
    """
    digest = hashlib.sha256(profile_name.encode("utf-8")).hexdigest()
    return f"{profile_name}/offline-data-key/{digest}"


class InvalidDataKeyError(ValueError):
    """The keyring entry of a data key does not contain the base64 of a 256-bit key."""


class DataKeyStore(Protocol):
    """Storage of each profile's data key for the offline store.

    Methods raise KeyringUnavailableError when the storage fails, and the store then keeps
    its snapshots in memory.
    """

    def load(self, profile_name: str) -> bytes | None:
        """Return the profile's data key, or None when none is stored."""
        ...

    def store(self, profile_name: str, data_key: bytes) -> None:
        """Store the profile's data key, replacing any earlier one."""
        ...

    def delete(self, profile_name: str) -> None:
        """Remove the profile's data key. Removing a missing key is not an error."""
        ...


class KeyringDataKeys:
    """Data keys, kept as base64 text in the keyring under the service ``vp-desk``.

    Every method raises KeyringUnavailableError when the keyring fails, whatever the error.
    Backends reach D-Bus or operating system services through other libraries, which may raise
    errors of their own, and the store must then fall back to memory, not stop.
    """

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self._service = service

    def load(self, profile_name: str) -> bytes | None:
        """Return the profile's data key, or None, and raise InvalidDataKeyError for a bad entry."""
        try:
            text = keyring.get_password(self._service, data_key_username(profile_name))
        except Exception as error:
            raise KeyringUnavailableError(str(error)) from error

        if text is None:
            return None
        return _decode_key(text)

    def store(self, profile_name: str, data_key: bytes) -> None:
        """Store the profile's data key, replacing any earlier one."""
        text = base64.b64encode(data_key).decode("ascii")
        try:
            keyring.set_password(self._service, data_key_username(profile_name), text)
        except Exception as error:
            raise KeyringUnavailableError(str(error)) from error
        logger.info("Stored the offline data key of profile %r in the keyring", profile_name)

    def delete(self, profile_name: str) -> None:
        """Remove the profile's data key. Removing a missing key is not an error."""
        try:
            keyring.delete_password(self._service, data_key_username(profile_name))
        except keyring.errors.PasswordDeleteError:
            return
        except Exception as error:
            raise KeyringUnavailableError(str(error)) from error
        logger.info("Removed the offline data key of profile %r from the keyring", profile_name)


def _decode_key(text: str) -> bytes:
    try:
        data_key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidDataKeyError("the stored data key is not valid base64") from error

    if len(data_key) != DATA_KEY_BYTES:
        raise InvalidDataKeyError(
            f"the stored data key has {len(data_key)} bytes, not {DATA_KEY_BYTES}"
        )
    return data_key


class SessionDataKeys:
    """Data keys kept in memory only, for stores that must not outlive the process."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}

    def load(self, profile_name: str) -> bytes | None:
        """Return the profile's data key, or None when none is stored."""
        return self._keys.get(profile_name)

    def store(self, profile_name: str, data_key: bytes) -> None:
        """Keep the profile's data key for this process."""
        self._keys[profile_name] = data_key

    def delete(self, profile_name: str) -> None:
        """Forget the profile's data key."""
        self._keys.pop(profile_name, None)
