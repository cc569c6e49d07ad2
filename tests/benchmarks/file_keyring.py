"""A keyring backend that keeps passwords in a JSON file, for the start-up probe's app modes.

keyring loads it by name from PYTHON_KEYRING_BACKEND=file_keyring.FileKeyring at its first
use, so the probe need not import keyring before the app does. VP_DESK_BENCH_KEYRING names
the file, which maps "service/user name" to the password and outlives the probe, as a real
keyring's entries do.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.backend
import keyring.errors

KEYRING_VARIABLE = "VP_DESK_BENCH_KEYRING"


class FileKeyring(keyring.backend.KeyringBackend):
    """Passwords in the JSON file that VP_DESK_BENCH_KEYRING names."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._path = Path(os.environ[KEYRING_VARIABLE])

    def _entries(self) -> dict[str, str]:
        entries: dict[str, str] = json.loads(self._path.read_text(encoding="utf-8"))
        return entries

    def get_password(self, service: str, username: str) -> str | None:
        return self._entries().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._entries()
        entries[f"{service}/{username}"] = password
        self._path.write_text(json.dumps(entries), encoding="utf-8")

    def delete_password(self, service: str, username: str) -> None:
        entries = self._entries()
        if entries.pop(f"{service}/{username}", None) is None:
            raise keyring.errors.PasswordDeleteError(username)
        self._path.write_text(json.dumps(entries), encoding="utf-8")
