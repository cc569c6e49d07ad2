"""OfflineStore: encrypted snapshots of the customers an agent opened, one file per profile."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Self
from uuid import UUID

from vp_desk.api.models import Cart, Customer
from vp_desk.credentials import KeyringUnavailableError
from vp_desk.offline.crypto import (
    LookupKind,
    SnapshotCipher,
    SnapshotDecryptionError,
    new_data_key,
)
from vp_desk.offline.database import (
    BUSY_TIMEOUT_SECONDS,
    CorruptFileError,
    connect_file,
    connect_memory,
    default_folder,
    is_corruption,
    move_aside,
    profile_files,
    store_path,
    write_transaction,
)
from vp_desk.offline.keys import DataKeyStore, InvalidDataKeyError, KeyringDataKeys
from vp_desk.offline.matching import (
    TextMatcher,
    customer_id_key,
    email_exact_key,
    email_match_key,
    phone_key,
)
from vp_desk.offline.rows import (
    ROW_COLUMNS,
    InvalidPayloadError,
    Row,
    encode_payload,
    read_customer,
    read_snapshot,
    to_micros,
)
from vp_desk.offline.snapshots import (
    DEFAULT_MAX_ENTRIES,
    DEFAULT_RECENT_LIMIT,
    DEFAULT_RETENTION_DAYS,
    Clock,
    CustomerSnapshot,
    OfflineStoreError,
    StoreWarning,
    StoreWarningKind,
    check_retention_days,
)

logger = logging.getLogger("vp_desk.offline")

_FINGERPRINT = "key_fingerprint"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _check_limit(limit: int) -> int:
    if limit < 1:
        raise ValueError(f"Invalid limit {limit!r}: it must be at least 1.")
    return limit


class OfflineStore:
    """The customers that one profile's agent opened, readable when the network is down.

    Snapshots sit in an SQLite file per profile, encrypted with AES-GCM under the profile's
    data key from the keyring. Ids, phones and emails are stored only as keyed hashes. Without
    a usable keyring or folder, the store lives in memory for the session. ``persistent`` is
    then False and ``warning`` gives the reason.

    At most ``max_entries`` snapshots (500 by default) are kept. Beyond that the least
    recently used unpinned ones are evicted first. Pinned ones go only when they alone fill
    the store, and the snapshot just saved always stays. Snapshots older than the retention
    period, measured from ``saved_at``, are hidden from every look-up and deleted by
    ``purge``, pinned or not.

    Methods are thread-safe. They raise OfflineStoreError when SQLite fails for a reason
    other than a damaged file, which the store moves aside and replaces.
    """

    def __init__(
        self,
        profile_name: str,
        *,
        path: Path,
        keys: DataKeyStore,
        clock: Clock,
        retention_days: int,
        max_entries: int,
        sqlite_vfs: str | None,
        busy_timeout: float,
    ) -> None:
        """Prepare a store without opening it. Callers use ``OfflineStore.open``."""
        if max_entries < 1:
            raise ValueError(f"Invalid max_entries {max_entries!r}: it must be at least 1.")

        self._profile_name = profile_name
        self._path = path
        self._keys = keys
        self._clock = clock
        self._retention_days = check_retention_days(retention_days)
        self._max_entries = max_entries
        self._sqlite_vfs = sqlite_vfs
        self._busy_timeout = busy_timeout
        self._lock = threading.RLock()
        self._warnings: list[StoreWarning] = []
        self._persistent = False
        self._journal_mode = "memory"
        self._cipher = SnapshotCipher(new_data_key())
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def open(
        cls,
        profile_name: str,
        *,
        folder: Path | None = None,
        keys: DataKeyStore | None = None,
        clock: Clock | None = None,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        sqlite_vfs: str | None = None,
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    ) -> OfflineStore:
        """Open the profile's store, creating its file and data key on first use.

        ``folder`` defaults to the ``offline`` folder in the user data folder, ``keys`` to the
        operating system's keyring and ``clock`` to the system clock. ``sqlite_vfs`` names an
        SQLite VFS for file systems that need one. ``busy_timeout`` is how long, in seconds, a
        write waits for another vp-desk process. Raises ValueError for a retention outside
        1 to 90 days or a ``max_entries`` below 1, never for a keyring or file problem.
        """
        store = cls(
            profile_name,
            path=store_path(folder if folder is not None else default_folder(), profile_name),
            keys=keys if keys is not None else KeyringDataKeys(),
            clock=clock if clock is not None else _utc_now,
            retention_days=retention_days,
            max_entries=max_entries,
            sqlite_vfs=sqlite_vfs,
            busy_timeout=busy_timeout,
        )
        store._start()
        return store

    @staticmethod
    def remove_profile(
        profile_name: str, *, folder: Path | None = None, keys: DataKeyStore | None = None
    ) -> None:
        """Delete the profile's store file, its companions and its data key.

        Damaged copies moved aside earlier are deleted too, because nothing can decrypt them
        once the key is gone. Close any open store of the profile first. Raises
        KeyringUnavailableError, after the files are gone, when the key cannot be deleted.
        """
        path = store_path(folder if folder is not None else default_folder(), profile_name)
        for file in profile_files(path):
            file.unlink(missing_ok=True)
        logger.info("Deleted the offline store files of profile %r", profile_name)

        (keys if keys is not None else KeyringDataKeys()).delete(profile_name)

    @property
    def profile_name(self) -> str:
        """Name of the connection profile whose snapshots this store holds."""
        return self._profile_name

    @property
    def persistent(self) -> bool:
        """Whether snapshots go to the encrypted file (True) or only to memory (False)."""
        return self._persistent

    @property
    def warning(self) -> StoreWarning | None:
        """The latest problem worth telling the agent about, or None."""
        return self._warnings[-1] if self._warnings else None

    @property
    def warnings(self) -> tuple[StoreWarning, ...]:
        """Every problem since the store was opened, oldest first."""
        return tuple(self._warnings)

    @property
    def path(self) -> Path | None:
        """The store file, or None while the store lives in memory."""
        return self._path if self._persistent else None

    @property
    def journal_mode(self) -> str:
        """SQLite's journal mode: ``wal``, ``delete`` where WAL is unavailable, or ``memory``."""
        return self._journal_mode

    @property
    def retention_days(self) -> int:
        """Number of days a snapshot stays visible after it was saved."""
        return self._retention_days

    @property
    def max_entries(self) -> int:
        """Maximum number of snapshots kept."""
        return self._max_entries

    def set_retention_days(self, days: int) -> None:
        """Change the retention period, or raise ValueError for one outside 1 to 90 days."""
        self._retention_days = check_retention_days(days)

    def save(self, customer: Customer, cart: Cart | None, *, now: datetime | None = None) -> None:
        """Save or replace the customer's snapshot and mark it as used at ``now``.

        A snapshot keeps its pin. The least recently used snapshots beyond ``max_entries``,
        unpinned ones first, are evicted in the same transaction.
        """
        if cart is not None and cart.customer_id != customer.id:
            raise ValueError(f"The cart {cart.id} belongs to another customer than {customer.id}.")
        moment = to_micros(self._moment(now))
        plaintext = encode_payload(customer, cart)

        def write(connection: sqlite3.Connection) -> None:
            cipher = self._cipher
            id_hash = cipher.lookup_hash(LookupKind.CUSTOMER_ID, customer_id_key(customer.id))
            phone_hash = None
            if customer.phone_number:
                phone_hash = cipher.lookup_hash(LookupKind.PHONE, phone_key(customer.phone_number))
            email_hash = None
            if customer.email:
                email_hash = cipher.lookup_hash(LookupKind.EMAIL, email_match_key(customer.email))
            payload = cipher.encrypt(plaintext, id_hash)

            with write_transaction(connection):
                connection.execute(
                    "INSERT INTO snapshots "
                    "(id_hash, phone_hash, email_hash, saved_at, last_used_at, pinned, payload) "
                    "VALUES (?, ?, ?, ?, ?, 0, ?) "
                    "ON CONFLICT (id_hash) DO UPDATE SET phone_hash = excluded.phone_hash, "
                    "email_hash = excluded.email_hash, saved_at = excluded.saved_at, "
                    "last_used_at = excluded.last_used_at, payload = excluded.payload",
                    (id_hash, phone_hash, email_hash, moment, moment, payload),
                )
                self._evict(connection, keep=id_hash)

        self._run(write)

    def find_by_id(self, customer_id: UUID) -> CustomerSnapshot | None:
        """Return the snapshot of the customer with this id, or None."""

        def read(connection: sqlite3.Connection) -> CustomerSnapshot | None:
            id_hash = self._cipher.lookup_hash(LookupKind.CUSTOMER_ID, customer_id_key(customer_id))
            rows = self._select(connection, "id_hash = ?", (id_hash,))
            snapshots = self._open_rows(connection, rows)
            return snapshots[0] if snapshots else None

        return self._run(read)

    def find_by_phone(self, phone_number: str) -> CustomerSnapshot | None:
        """Return the most recently used snapshot with this E.164 phone number, or None."""
        query_key = phone_key(phone_number)

        def read(connection: sqlite3.Connection) -> CustomerSnapshot | None:
            phone_hash = self._cipher.lookup_hash(LookupKind.PHONE, query_key)
            rows = self._select(connection, "phone_hash = ?", (phone_hash,))
            for snapshot in self._open_rows(connection, rows):
                # Checked against the plaintext, because the hash column is not authenticated.
                if phone_key(snapshot.customer.phone_number or "") == query_key:
                    return snapshot
            return None

        return self._run(read)

    def find_by_email(self, email: str) -> CustomerSnapshot | None:
        """Return the snapshot with this email, compared case-insensitively, or None.

        Among snapshots that differ only in the case of the local part, the one that equals
        ``email`` with the domain casefolded wins, and otherwise the most recently used.
        """
        query_key = email_match_key(email)
        exact_key = email_exact_key(email)

        def read(connection: sqlite3.Connection) -> CustomerSnapshot | None:
            email_hash = self._cipher.lookup_hash(LookupKind.EMAIL, query_key)
            rows = self._select(connection, "email_hash = ?", (email_hash,))
            matches = [
                snapshot
                for snapshot in self._open_rows(connection, rows)
                if email_match_key(snapshot.customer.email or "") == query_key
            ]
            for snapshot in matches:
                if email_exact_key(snapshot.customer.email or "") == exact_key:
                    return snapshot
            return matches[0] if matches else None

        return self._run(read)

    def search(self, text: str, limit: int = DEFAULT_RECENT_LIMIT) -> list[CustomerSnapshot]:
        """Return up to ``limit`` snapshots that match free text, most recently used first.

        The text matches case- and accent-insensitively within the first, last or full name
        or the email, and by its digits within the phone number. Every snapshot is decrypted,
        at most ``max_entries`` of them. An empty text matches all.
        """
        _check_limit(limit)
        matcher = TextMatcher(text)

        def read(connection: sqlite3.Connection) -> list[CustomerSnapshot]:
            rows = self._select(connection, "1", ())
            return self._open_rows(connection, rows, limit=limit, accept=matcher.matches)

        return self._run(read)

    def recent(self, limit: int = DEFAULT_RECENT_LIMIT) -> list[CustomerSnapshot]:
        """Return the last ``limit`` customers opened: pinned first, then most recent first."""
        _check_limit(limit)

        def read(connection: sqlite3.Connection) -> list[CustomerSnapshot]:
            rows = self._select(
                connection, "1", (), order="pinned DESC, last_used_at DESC, id DESC"
            )
            return self._open_rows(connection, rows, limit=limit)

        return self._run(read)

    def set_pinned(self, customer_id: UUID, pinned: bool) -> bool:
        """Pin or unpin the customer's snapshot, and return False when there is none."""
        return self._update(customer_id, "pinned = ?", (int(pinned),))

    def mark_used(self, customer_id: UUID, *, now: datetime | None = None) -> bool:
        """Record that the agent opened the saved snapshot again, moving it up in ``recent``.

        The snapshot's ``saved_at`` stays, because its data is no newer. Returns False when
        there is no snapshot of the customer.
        """
        moment = to_micros(self._moment(now))
        return self._update(customer_id, "last_used_at = ?", (moment,))

    def purge(self, *, now: datetime | None = None) -> int:
        """Delete snapshots saved before the retention period and those beyond the maximum.

        Returns the number deleted. The app calls this at start and every hour.
        """
        cutoff = to_micros(self._moment(now) - timedelta(days=self._retention_days))

        def delete(connection: sqlite3.Connection) -> int:
            with write_transaction(connection):
                expired = connection.execute(
                    "DELETE FROM snapshots WHERE saved_at < ?", (cutoff,)
                ).rowcount
                evicted = self._evict(connection)
            return expired + evicted

        deleted = self._run(delete)
        if deleted:
            logger.info("Purged %d offline snapshots of profile %r", deleted, self._profile_name)
        return deleted

    def clear(self) -> None:
        """Delete every snapshot and replace the data key, so old copies cannot be decrypted.

        If the keyring fails to store the new key, the old key is deleted where possible and
        the store continues in memory.
        """
        with self._lock:
            connection = self._require_open()
            data_key = new_data_key()
            try:
                if self._persistent:
                    self._keys.store(self._profile_name, data_key)
            except KeyringUnavailableError as error:
                self._clear_without_keyring(connection, error)
                return

            cipher = SnapshotCipher(data_key)
            try:
                with write_transaction(connection):
                    connection.execute("DELETE FROM snapshots")
                    self._write_fingerprint(connection, cipher.fingerprint)
            except sqlite3.Error as error:
                raise OfflineStoreError(f"Clearing the offline store failed: {error}") from error
            self._cipher = cipher
            logger.info("Cleared the offline store of profile %r", self._profile_name)

    def close(self) -> None:
        """Close the SQLite connection. Closing twice is harmless."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Opening and recovery.

    def _start(self) -> None:
        try:
            data_key = self._acquire_key()
        except KeyringUnavailableError as error:
            self._start_in_memory(
                StoreWarning(StoreWarningKind.KEYRING_UNAVAILABLE, f"keyring failed: {error}")
            )
            return

        self._cipher = SnapshotCipher(data_key)
        try:
            self._open_file()
        except (sqlite3.Error, OSError, CorruptFileError) as error:
            detail = f"cannot open {self._path}: {error}"
            self._start_in_memory(StoreWarning(StoreWarningKind.FOLDER_UNAVAILABLE, detail))
            return

        try:
            self._reconcile_key(self._require_open())
        except sqlite3.Error as error:
            self.close()
            detail = f"cannot write {self._path}: {error}"
            self._start_in_memory(StoreWarning(StoreWarningKind.FOLDER_UNAVAILABLE, detail))

    def _acquire_key(self) -> bytes:
        try:
            existing = self._keys.load(self._profile_name)
        except InvalidDataKeyError as error:
            logger.warning(
                "The offline data key of profile %r is invalid (%s), so it is replaced",
                self._profile_name,
                error,
            )
            existing = None
        if existing is not None:
            return existing

        self._keys.store(self._profile_name, new_data_key())
        # Reading back catches keyrings that accept a password without keeping it, and picks
        # up the key of another vp-desk process that stored its own at the same moment.
        try:
            stored_key = self._keys.load(self._profile_name)
        except InvalidDataKeyError as error:
            raise KeyringUnavailableError(f"the keyring altered the data key: {error}") from error
        if stored_key is None:
            raise KeyringUnavailableError("the keyring did not keep the data key")
        return stored_key

    def _open_file(self) -> None:
        try:
            self._connection, self._journal_mode = self._connect_file()
        except CorruptFileError as error:
            self._move_aside(error)
            self._connection, self._journal_mode = self._connect_file()
        self._persistent = True
        logger.info(
            "Opened the offline store of profile %r at %s (journal mode %s)",
            self._profile_name,
            self._path,
            self._journal_mode,
        )

    def _connect_file(self) -> tuple[sqlite3.Connection, str]:
        return connect_file(self._path, vfs=self._sqlite_vfs, busy_timeout=self._busy_timeout)

    def _move_aside(self, error: Exception) -> None:
        moved_to = move_aside(self._path, self._clock())
        logger.warning(
            "The offline store %s is damaged (%s), so it was moved to %s and replaced",
            self._path,
            error,
            moved_to,
        )
        self._warnings.append(
            StoreWarning(StoreWarningKind.CORRUPT_FILE_MOVED, str(error), moved_to=moved_to)
        )

    def _start_in_memory(self, warning: StoreWarning) -> None:
        logger.warning(
            "The offline store of profile %r keeps snapshots in memory only: %s",
            self._profile_name,
            warning.detail,
        )
        self._warnings.append(warning)
        self._persistent = False
        self._journal_mode = "memory"
        self._cipher = SnapshotCipher(new_data_key())
        self._connection = connect_memory()

    def _recover_from_corruption(self, error: sqlite3.Error) -> None:
        self.close()
        self._persistent = False
        try:
            self._move_aside(error)
            self._open_file()
            self._reconcile_key(self._require_open())
        except (sqlite3.Error, OSError, CorruptFileError) as reopen_error:
            self.close()
            detail = f"cannot recreate {self._path}: {reopen_error}"
            self._start_in_memory(StoreWarning(StoreWarningKind.FOLDER_UNAVAILABLE, detail))

    def _clear_without_keyring(
        self, connection: sqlite3.Connection, error: KeyringUnavailableError
    ) -> None:
        try:
            with write_transaction(connection):
                connection.execute("DELETE FROM snapshots")
        except sqlite3.Error as delete_error:
            message = f"Clearing the offline store failed: {delete_error}"
            raise OfflineStoreError(message) from delete_error
        try:
            self._keys.delete(self._profile_name)
        except KeyringUnavailableError as delete_error:
            logger.warning("The old offline data key could not be deleted: %s", delete_error)

        self.close()
        detail = f"keyring failed while clearing: {error}"
        self._start_in_memory(StoreWarning(StoreWarningKind.KEYRING_UNAVAILABLE, detail))

    # Key fingerprint: which data key the file's snapshots were written under.

    def _reconcile_key(self, connection: sqlite3.Connection) -> None:
        """Make the file and this store agree on the data key.

        Another vp-desk process may have cleared the store and stored a new key, which this
        store then adopts from the keyring. When no available key matches the file, its
        snapshots can never be decrypted again, so they are deleted.
        """
        stored = self._read_fingerprint(connection)
        if stored == self._cipher.fingerprint:
            return
        if stored is not None and self._adopt_keyring_key(stored):
            return

        with write_transaction(connection):
            stored = self._read_fingerprint(connection)
            if stored == self._cipher.fingerprint:
                return
            deleted = 0
            if stored is not None:
                deleted = connection.execute("DELETE FROM snapshots").rowcount
            self._write_fingerprint(connection, self._cipher.fingerprint)

        if deleted:
            detail = f"deleted {deleted} snapshots written under a data key no longer available"
            logger.warning("The offline store of profile %r %s", self._profile_name, detail)
            self._warnings.append(StoreWarning(StoreWarningKind.SNAPSHOTS_UNREADABLE, detail))

    def _adopt_keyring_key(self, fingerprint: bytes) -> bool:
        try:
            data_key = self._keys.load(self._profile_name)
        except (KeyringUnavailableError, InvalidDataKeyError) as error:
            logger.warning("The offline data key could not be reloaded: %s", error)
            return False
        if data_key is None:
            return False

        cipher = SnapshotCipher(data_key)
        if cipher.fingerprint != fingerprint:
            return False
        self._cipher = cipher
        logger.info("Adopted the new offline data key of profile %r", self._profile_name)
        return True

    @staticmethod
    def _read_fingerprint(connection: sqlite3.Connection) -> bytes | None:
        row = connection.execute(
            "SELECT value FROM meta WHERE name = ?", (_FINGERPRINT,)
        ).fetchone()
        return None if row is None else bytes(row[0])

    @staticmethod
    def _write_fingerprint(connection: sqlite3.Connection, fingerprint: bytes) -> None:
        connection.execute(
            "INSERT INTO meta (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (_FINGERPRINT, fingerprint),
        )

    # Running operations.

    def _run[T](self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``operation`` under the lock, and once more after replacing a damaged file."""
        with self._lock:
            connection = self._require_open()
            try:
                if self._persistent:
                    self._reconcile_key(connection)
                return operation(connection)
            except sqlite3.Error as error:
                if not (self._persistent and is_corruption(error)):
                    raise OfflineStoreError(f"The offline store failed: {error}") from error
                self._recover_from_corruption(error)

            try:
                return operation(self._require_open())
            except sqlite3.Error as error:
                raise OfflineStoreError(f"The offline store failed: {error}") from error

    def _require_open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise OfflineStoreError("The offline store is closed.")
        return self._connection

    def _moment(self, now: datetime | None) -> datetime:
        moment = self._clock() if now is None else now
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"The time {moment!r} has no time zone. Pass an aware datetime.")
        return moment.astimezone(UTC)

    def _cutoff(self) -> int:
        return to_micros(self._moment(None) - timedelta(days=self._retention_days))

    def _select(
        self,
        connection: sqlite3.Connection,
        condition: str,
        parameters: tuple[object, ...],
        *,
        order: str = "last_used_at DESC, id DESC",
    ) -> list[Row]:
        """Return the unexpired rows that meet ``condition``, a fixed SQL expression."""
        sql = (
            f"SELECT {ROW_COLUMNS} FROM snapshots "  # noqa: S608 - no text from outside
            f"WHERE ({condition}) AND saved_at >= ? ORDER BY {order}"
        )
        return [Row(*row) for row in connection.execute(sql, (*parameters, self._cutoff()))]

    def _open_rows(
        self,
        connection: sqlite3.Connection,
        rows: Iterable[Row],
        *,
        limit: int | None = None,
        accept: Callable[[Customer], bool] | None = None,
    ) -> list[CustomerSnapshot]:
        """Decrypt rows in order into up to ``limit`` snapshots, and delete unreadable rows.

        With ``accept``, only snapshots whose customer it accepts are returned, and only their
        carts are validated, so a search spends little time on the snapshots it skips.
        """
        snapshots: list[CustomerSnapshot] = []
        problems: dict[int, str] = {}
        for row in rows:
            if limit is not None and len(snapshots) == limit:
                break
            try:
                plaintext = self._cipher.decrypt(row.payload, row.id_hash)
                if accept is not None and not accept(read_customer(plaintext)):
                    continue
                snapshots.append(read_snapshot(row, plaintext))
            except (SnapshotDecryptionError, InvalidPayloadError) as error:
                problems[row.rowid] = str(error)

        if problems:
            self._drop_unreadable(connection, problems)
        return snapshots

    def _drop_unreadable(self, connection: sqlite3.Connection, problems: dict[int, str]) -> None:
        with write_transaction(connection):
            connection.executemany(
                "DELETE FROM snapshots WHERE id = ?", [(rowid,) for rowid in problems]
            )
        logger.warning(
            "Dropped %d offline snapshots of profile %r that could not be read: %s",
            len(problems),
            self._profile_name,
            "; ".join(sorted(set(problems.values()))),
        )

    def _update(self, customer_id: UUID, assignment: str, parameters: tuple[object, ...]) -> bool:
        """Apply ``assignment``, a fixed SQL expression, to the customer's unexpired snapshot."""

        def update(connection: sqlite3.Connection) -> bool:
            id_hash = self._cipher.lookup_hash(LookupKind.CUSTOMER_ID, customer_id_key(customer_id))
            with write_transaction(connection):
                changed = connection.execute(
                    f"UPDATE snapshots SET {assignment} "  # noqa: S608 - no text from outside
                    "WHERE id_hash = ? AND saved_at >= ?",
                    (*parameters, id_hash, self._cutoff()),
                ).rowcount
            return changed > 0

        return self._run(update)

    def _evict(self, connection: sqlite3.Connection, keep: bytes | None = None) -> int:
        """Delete the snapshots beyond ``max_entries``: unpinned, least recently used, first.

        The snapshot whose id hash is ``keep``, the one just saved, stays even when pinned
        ones fill the store, because the agent has that customer open.
        """
        return connection.execute(
            "DELETE FROM snapshots WHERE id IN (SELECT id FROM snapshots "
            "ORDER BY id_hash IS ? DESC, pinned DESC, last_used_at DESC, id DESC "
            "LIMIT -1 OFFSET ?)",
            (keep, self._max_entries),
        ).rowcount
