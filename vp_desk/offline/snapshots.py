"""Snapshots, warnings, errors and limits of the offline store, free of storage details."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from vp_desk.api.models import Cart, Customer

DEFAULT_RETENTION_DAYS = 7
MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 90
DEFAULT_MAX_ENTRIES = 500
DEFAULT_RECENT_LIMIT = 50

Clock = Callable[[], datetime]
"""A function that returns the current time, timezone-aware."""


@dataclass(frozen=True, slots=True)
class CustomerSnapshot:
    """A customer and their cart as fetched from the API at ``saved_at``.

    ``last_used_at`` is when the agent last opened the customer, online or from this store.
    Both times are in UTC.
    """

    customer: Customer
    cart: Cart | None
    saved_at: datetime
    last_used_at: datetime
    pinned: bool


class StoreWarningKind(StrEnum):
    """A problem the window should tell the agent about. The Qt layer words each member."""

    KEYRING_UNAVAILABLE = "keyring_unavailable"
    """The keyring cannot hold the data key, so snapshots live in memory for this session."""

    FOLDER_UNAVAILABLE = "folder_unavailable"
    """The store file cannot be created or opened, so snapshots live in memory."""

    CORRUPT_FILE_MOVED = "corrupt_file_moved"
    """The store file was damaged. It was renamed and a new, empty one replaces it."""

    SNAPSHOTS_UNREADABLE = "snapshots_unreadable"
    """The key of the saved snapshots is gone from the keyring, so they were deleted."""


@dataclass(frozen=True, slots=True)
class StoreWarning:
    """A problem of the store, with an English ``detail`` for logs, never for the agent."""

    kind: StoreWarningKind
    detail: str
    moved_to: Path | None = None


class OfflineStoreError(Exception):
    """A storage operation failed: disk full, an I/O error, or a lock held past the timeout."""


def check_retention_days(days: int) -> int:
    """Return ``days`` if it is a valid retention period, or raise ValueError naming it."""
    valid_type = isinstance(days, int) and not isinstance(days, bool)
    if not valid_type or not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise ValueError(
            f"Invalid retention of {days!r} days: choose {MIN_RETENTION_DAYS} to "
            f"{MAX_RETENTION_DAYS} days."
        )
    return days
