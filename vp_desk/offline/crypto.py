"""Snapshot encryption (AES-GCM) and keyed look-up hashes (HMAC-SHA256) under one data key."""

from __future__ import annotations

import hashlib
import hmac
import os
from enum import StrEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DATA_KEY_BYTES = 32
"""Length of a profile's data key: 256 bits."""

NONCE_BYTES = 12
"""Length of the random AES-GCM nonce stored in front of each ciphertext: 96 bits."""

FINGERPRINT_BYTES = 16

# HKDF "info" strings. Each derived key serves one purpose, so the AES key never doubles as an
# HMAC key. Changing one makes every stored snapshot unreadable.
_ENCRYPTION_INFO = b"vp-desk offline store v1: snapshot encryption"
_LOOKUP_INFO = b"vp-desk offline store v1: look-up hashes"
_FINGERPRINT_INFO = b"vp-desk offline store v1: key fingerprint"

# Prefix of the associated data, so that a ciphertext made for another purpose or format
# version never decrypts as a snapshot.
_SNAPSHOT_CONTEXT = b"vp-desk offline snapshot v1\x00"


class LookupKind(StrEnum):
    """The field a look-up hash stands for; part of the hashed message, so kinds never collide."""

    CUSTOMER_ID = "id"
    PHONE = "phone"
    EMAIL = "email"


class SnapshotDecryptionError(Exception):
    """A stored snapshot failed authentication: tampered, moved to another row or wrong key."""


def new_data_key() -> bytes:
    """Return a fresh random data key from the operating system's CSPRNG."""
    return os.urandom(DATA_KEY_BYTES)


def _derive(data_key: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(data_key)


class SnapshotCipher:
    """Encrypts snapshots and hashes look-up values with keys derived from one data key.

    The data key is random and 256 bits long, so HKDF runs without a salt. The derived keys
    live only in this object's memory.
    """

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != DATA_KEY_BYTES:
            raise ValueError(f"A data key has {DATA_KEY_BYTES} bytes, not {len(data_key)}.")

        self._aead = AESGCM(_derive(data_key, _ENCRYPTION_INFO, DATA_KEY_BYTES))
        self._lookup_key = _derive(data_key, _LOOKUP_INFO, DATA_KEY_BYTES)
        # The file stores the fingerprint to tell which data key its snapshots were written
        # under, without revealing the key.
        self.fingerprint = _derive(data_key, _FINGERPRINT_INFO, FINGERPRINT_BYTES)

    def lookup_hash(self, kind: LookupKind, normalised_value: str) -> bytes:
        """Return the HMAC-SHA256 of a normalised id, phone or email, tagged with its kind."""
        message = kind.value.encode("ascii") + b"\x00" + normalised_value.encode("utf-8")
        return hmac.new(self._lookup_key, message, hashlib.sha256).digest()

    def encrypt(self, plaintext: bytes, row_identity: bytes) -> bytes:
        """Return a fresh nonce followed by the AES-GCM ciphertext and tag.

        ``row_identity`` becomes associated data, so the result decrypts only in that row.
        """
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, _SNAPSHOT_CONTEXT + row_identity)

    def decrypt(self, blob: bytes, row_identity: bytes) -> bytes:
        """Return the plaintext, or raise SnapshotDecryptionError when authentication fails."""
        if len(blob) <= NONCE_BYTES:
            raise SnapshotDecryptionError(f"the stored snapshot has only {len(blob)} bytes")

        nonce, ciphertext = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, ciphertext, _SNAPSHOT_CONTEXT + row_identity)
        except InvalidTag as error:
            raise SnapshotDecryptionError("the snapshot failed AES-GCM authentication") from error
