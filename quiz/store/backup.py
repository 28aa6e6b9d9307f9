"""Backups: an online copy of the live database, its integrity check, and a restore.

Each function raises :class:`StoreError` when a file is not a sound database, and
:class:`StorageUnavailable` when the storage cannot be written.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from .errors import StoreError, translated
from .schema import SCHEMA_VERSION


def private_file(path: str | Path) -> None:
    """Create an empty file readable and writable by its owner only (mode 0600), as the
    database, its journals and its backups are: they hold every taker's answers."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _read_only(path: str | Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True))


@translated
def online_backup(conn: sqlite3.Connection, target: str | Path) -> None:
    """Copy the database of ``conn`` with SQLite's online backup: consistent even while
    the app writes. The copy is made beside the target, then renamed into place."""
    target = Path(target)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    private_file(partial)  # a backup holds every answer: readable by its owner only
    with closing(sqlite3.connect(partial)) as copy:
        conn.backup(copy)  # one step: a consistent snapshot; WAL lets writers go on
        copy.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
    check = integrity(partial)
    if check != "ok":
        partial.unlink()
        raise StoreError(f"the backup failed its integrity check: {check}")
    os.replace(partial, target)


@translated
def integrity(path: str | Path) -> str:
    """SQLite's integrity check of a database file: 'ok' or the first problems found."""
    with _read_only(path) as conn:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
    return "ok" if rows == ["ok"] else "; ".join(rows)


@translated
def restore(backup: str | Path, target: str | Path) -> int:
    """Put a backup in place of the database at ``target`` (the app must be stopped).

    The backup is checked first; the old database is kept beside it as
    ``<name>.before-restore``. Returns the schema version of the restored file.
    """
    backup, target = Path(backup), Path(target)
    check = integrity(backup)
    if check != "ok":
        raise StoreError(f"{backup} is not a sound database: {check}")
    with _read_only(backup) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(f"{backup} has schema version {version}, newer than this app")
    staged = target.with_name(f".{target.name}.restoring")
    staged.unlink(missing_ok=True)
    private_file(staged)
    shutil.copyfile(backup, staged)  # into the file made above: its mode stays 0600
    if target.exists():
        os.replace(target, target.with_name(f"{target.name}.before-restore"))
    for suffix in ("-wal", "-shm"):  # journals of the old file must not be applied to the new
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(staged, target)
    return version
