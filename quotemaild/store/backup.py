"""Online backup and restore of an SQLite store, with SQLite's backup API.

`backup_sqlite` copies the live database in one step inside a read transaction: in WAL mode that
is a consistent snapshot and it does not block the daemon's writer. The copy is written next to
the target, switched to a single self-contained file (journal_mode=DELETE), fsync'd and renamed
into place, so PATH is either absent or complete.

`inspect` vets a file before a restore: an SQLite database with the quotemaild tables at a schema
revision this version knows. `restore_sqlite` copies it into the store through SQLite (so the
target's WAL is handled by SQLite itself); the caller holds the store lock and migrates afterwards.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from quotemaild.errors import InvalidInput, StoreUnavailable

SQLITE_MAGIC = b"SQLite format 3\x00"
REQUIRED_TABLES = frozenset({"alembic_version", "tenants", "raw_messages", "quote_requests", "messages"})


@dataclass(frozen=True)
class DbInfo:
    path: str
    revision: str
    tenants: int
    raw_messages: int
    requests: int
    size: int


def backup_sqlite(db_path: Path, dest: Path, busy_timeout: float) -> DbInfo:
    if not db_path.exists():
        raise StoreUnavailable(f"{db_path} does not exist")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # all the mail: owner only
    try:
        src = sqlite3.connect(db_path, timeout=busy_timeout)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # pages=-1: all in one step, one read transaction, one snapshot
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        _fsync(partial)
        os.replace(partial, dest)
        _fsync(dest.parent)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise StoreUnavailable(f"backup failed: {exc}") from exc
    return inspect(dest, None)


def inspect(path: Path, known: set[str] | None) -> DbInfo:
    """Describe a quotemaild database file; `InvalidInput` if it is not one (at a known revision)."""
    try:
        with path.open("rb") as f:
            magic = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise InvalidInput("PATH", f"cannot read {path}: {exc.strerror}") from exc
    if magic != SQLITE_MAGIC:
        raise InvalidInput("PATH", f"{path} is not an SQLite database")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = REQUIRED_TABLES - tables
        if missing:
            raise InvalidInput("PATH", f"{path} is not a quotemaild database (no {', '.join(sorted(missing))} table)")
        revisions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
        if len(revisions) != 1:
            raise InvalidInput("PATH", f"{path} has no single schema revision ({revisions})")
        revision = revisions[0]
        if known is not None and revision not in known:
            raise InvalidInput("PATH", f"{path} is at schema revision {revision!r}, unknown to this quotemaild (newer?)")
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise InvalidInput("PATH", f"{path} fails SQLite's integrity check: {check}")

        def count(table: str) -> int:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 (fixed names)

        return DbInfo(str(path), revision, count("tenants"), count("raw_messages"), count("quote_requests"),
                      path.stat().st_size)
    except sqlite3.DatabaseError as exc:
        raise InvalidInput("PATH", f"{path} cannot be read as a database: {exc}") from exc
    finally:
        conn.close()


def restore_sqlite(src: Path, db_path: Path, busy_timeout: float) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(db_path, timeout=busy_timeout)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"restore failed: {exc}") from exc


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
