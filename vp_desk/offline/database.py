"""The SQLite file of one profile's offline store: location, connection, schema, recovery."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import platformdirs

from vp_desk.config import APP_NAME

logger = logging.getLogger("vp_desk.offline")

SCHEMA_VERSION = 1

BUSY_TIMEOUT_SECONDS = 10.0
"""How long a write waits for another vp-desk process to finish its transaction."""

JOURNAL_SIZE_LIMIT_BYTES = 1024 * 1024

# The files that SQLite keeps next to a database: the write-ahead log, its shared-memory
# index and the rollback journal.
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")

# The rows hold only ciphertext and keyed hashes. Times are microseconds since the Unix epoch,
# UTC. The payload is the nonce followed by the AES-GCM ciphertext and tag. The rowid table
# suits payloads of a few kilobytes better than a WITHOUT ROWID table keyed by the hash.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY,
    id_hash BLOB NOT NULL UNIQUE,
    phone_hash BLOB,
    email_hash BLOB,
    saved_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshots_by_phone ON snapshots (phone_hash);
CREATE INDEX IF NOT EXISTS snapshots_by_email ON snapshots (email_hash);
CREATE INDEX IF NOT EXISTS snapshots_by_use ON snapshots (pinned, last_used_at);
"""

_CORRUPTION_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


class CorruptFileError(Exception):
    """The store file is damaged, is not an SQLite database or has an unknown schema."""


def default_folder() -> Path:
    """Return the folder of the offline store files, such as ``~/.local/share/vp-desk/offline``."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False) / "offline"


def store_path(folder: Path, profile_name: str) -> Path:
    """Return the store file of a profile.

    The name is a hash, because a profile name may contain characters or words that file
    systems reject, such as ``/`` or ``CON`` on Windows.
    """
    digest = hashlib.sha256(profile_name.encode("utf-8")).hexdigest()[:32]
    return folder / f"{digest}.sqlite3"


def is_corruption(error: sqlite3.Error) -> bool:
    """Tell whether an SQLite error reports a damaged file rather than a passing problem."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _CORRUPTION_CODES


def connect_memory() -> sqlite3.Connection:
    """Open an empty store that lives in memory, with the schema in place."""
    connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    _create_schema(connection)
    return connection


def connect_file(
    path: Path, *, vfs: str | None = None, busy_timeout: float = BUSY_TIMEOUT_SECONDS
) -> tuple[sqlite3.Connection, str]:
    """Open or create the store file and return the connection and its journal mode.

    ``vfs`` names an SQLite VFS, such as ``unix-dotfile`` for a file system without the
    shared-memory locking that WAL needs. ``busy_timeout`` is in seconds. Raises
    CorruptFileError for a damaged file and sqlite3.Error or OSError when the file cannot be
    opened at all.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    uri = path.absolute().as_uri()
    if vfs is not None:
        uri += f"?vfs={vfs}"
    connection = sqlite3.connect(
        uri,
        uri=True,
        timeout=busy_timeout,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        journal_mode = _configure(connection)
        _check_integrity(connection)
        _create_schema(connection)
    except sqlite3.Error as error:
        connection.close()
        if is_corruption(error):
            raise CorruptFileError(str(error)) from error
        raise
    except BaseException:
        connection.close()
        raise
    return connection, journal_mode


def _configure(connection: sqlite3.Connection) -> str:
    # FULL makes every commit durable, so a crash or power cut loses at most the snapshot
    # being written. secure_delete zeroes the space of deleted rows, and temp_store keeps
    # sorting scratch space out of temporary files. The size limit truncates the WAL after a
    # checkpoint, which otherwise stays at about 4 MiB, several times the store itself.
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA secure_delete = ON")
    connection.execute("PRAGMA temp_store = MEMORY")
    connection.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT_BYTES}")
    return _choose_journal_mode(connection)


def _choose_journal_mode(connection: sqlite3.Connection) -> str:
    """Switch to WAL, or to a rollback journal where the file system does not support WAL.

    SQLite 3.40 leaves the mode unchanged, without an error, when the VFS offers no shared
    memory. An error from the switch, or from the first read in WAL mode, which opens the
    shared-memory index, also leads to the rollback journal.

    NOTE: both paths are tested, the first through SQLite's ``unix-dotfile`` VFS, which has no
    shared memory, and the second with a connection that raises on the switch. Neither has
    been tried on a network file system.
    """
    try:
        mode = str(connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
        if mode == "wal":
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return mode
    except sqlite3.OperationalError as error:
        logger.warning("WAL is not available for the offline store (%s)", error)

    mode = str(connection.execute("PRAGMA journal_mode = DELETE").fetchone()[0]).lower()
    logger.warning("The offline store uses a rollback journal (%s), not WAL", mode)
    return mode


def _check_integrity(connection: sqlite3.Connection) -> None:
    rows = connection.execute("PRAGMA quick_check").fetchall()
    if rows != [("ok",)]:
        problems = "; ".join(str(row[0]) for row in rows[:3])
        raise CorruptFileError(f"the integrity check failed: {problems}")

    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version not in (0, SCHEMA_VERSION):
        raise CorruptFileError(f"unknown schema version {version}")


def _create_schema(connection: sqlite3.Connection) -> None:
    with write_transaction(connection):
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextmanager
def write_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """Run the block in one write transaction, committed at the end or rolled back on error.

    BEGIN IMMEDIATE takes the write lock at once, so two processes wait for each other through
    the busy timeout instead of failing when a read turns into a write.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def move_aside(path: Path, moment: datetime) -> Path:
    """Rename a damaged store file and its companions with a time suffix; return the new path.

    Nothing is deleted, so the file can still be examined by hand.
    """
    stamp = moment.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")

    if path.exists():
        path.replace(target)
    for suffix in COMPANION_SUFFIXES:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.replace(target.with_name(target.name + suffix))
    return target


def profile_files(path: Path) -> list[Path]:
    """Return the store file, its companions and the damaged copies moved aside from it."""
    return sorted(path.parent.glob(f"{path.name}*"))
