"""Encrypted offline copies of the customers an agent opened, readable without the network."""

from vp_desk.offline.keys import (
    DataKeyStore,
    InvalidDataKeyError,
    KeyringDataKeys,
    SessionDataKeys,
)
from vp_desk.offline.snapshots import (
    DEFAULT_MAX_ENTRIES,
    DEFAULT_RECENT_LIMIT,
    DEFAULT_RETENTION_DAYS,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    Clock,
    CustomerSnapshot,
    OfflineStoreError,
    StoreWarning,
    StoreWarningKind,
    check_retention_days,
)
from vp_desk.offline.store import OfflineStore

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_RECENT_LIMIT",
    "DEFAULT_RETENTION_DAYS",
    "MAX_RETENTION_DAYS",
    "MIN_RETENTION_DAYS",
    "Clock",
    "CustomerSnapshot",
    "DataKeyStore",
    "InvalidDataKeyError",
    "KeyringDataKeys",
    "OfflineStore",
    "OfflineStoreError",
    "SessionDataKeys",
    "StoreWarning",
    "StoreWarningKind",
    "check_retention_days",
]
