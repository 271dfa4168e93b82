"""Where the bench's stores live: SQLite files in the workdir, or databases on a private PostgreSQL.

A store is named by a `Store`: a `Path` is a SQLite file, a `str` is a store URL
(`postgresql+psycopg://...`). The bench's read-only counts (stored, threaded, pending) go through
`scalar` (and `rows`), which opens the file read-only for SQLite and a plain psycopg connection for PostgreSQL,
so a count never takes a lock the daemon under test waits on.

`--store postgresql` starts one PostgreSQL 15 server from Debian's package for the whole run
(`pgserver.py`, the same code the test suite uses, but with fsync on) and gives every stage a fresh database of its
own; the server and its temp dir are removed when the run ends.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quotemaild.bench import pgserver

Store = Path | str  # a SQLite file, or a store URL
KINDS = ("sqlite", "postgresql")


class StoreUnavailable(RuntimeError):
    """The asked store cannot be had (PostgreSQL binaries missing, server did not start)."""


def store_url(store: Store) -> str:
    return f"sqlite:///{store}" if isinstance(store, Path) else store


def is_postgresql(store: Store | None) -> bool:
    return isinstance(store, str) and store.startswith("postgresql")


def _libpq_url(url: str) -> str:
    """SQLAlchemy's `postgresql+psycopg://` as libpq takes it."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


def scalar(store: Store, sql: str) -> int | None:
    """One integer from a read-only query; None when the store or the table is not there (yet)."""
    found = rows(store, sql)
    return int(found[0][0]) if found else None


def rows(store: Store, sql: str) -> list[tuple[Any, ...]] | None:
    """The rows of a read-only query (no parameters: the bench only puts integers it made in its
    SQL); None when the store or the table is not there (yet)."""
    if isinstance(store, Path):
        try:
            with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as conn:
                return conn.execute(sql).fetchall()
        except sqlite3.Error:
            return None
    import psycopg

    try:
        with psycopg.connect(_libpq_url(store), connect_timeout=5, autocommit=True) as conn:
            return conn.execute(sql).fetchall()  # type: ignore[arg-type]
    except psycopg.Error:
        return None


def size_mb(store: Store) -> float | None:
    """The store's size on disk: the SQLite file with its WAL, or the PostgreSQL database."""
    if isinstance(store, Path):
        total = sum(p.stat().st_size for p in store.parent.glob(store.name + "*") if p.is_file())
        return round(total / 1024 / 1024, 1)
    size = scalar(store, "SELECT pg_database_size(current_database())")
    return round(size / 1024 / 1024, 1) if size is not None else None


@dataclass
class BenchStores:
    """Fresh stores for the stages of one run, of one kind."""

    kind: str
    workdir: Path
    server: pgserver.PostgresServer | None = None
    made: list[str] = field(default_factory=list)

    def fresh(self, name: str) -> Store:
        """A new empty store called `name` (a file under the workdir, or a new database)."""
        if self.server is None:
            path = self.workdir / name / "store.db"
            path.parent.mkdir(parents=True, exist_ok=True)
            return path
        url = self.server.new_database(name)
        self.made.append(url)
        return url

    def describe(self) -> dict[str, Any]:
        if self.server is None:
            return {"kind": "sqlite", "version": sqlite3.sqlite_version}
        return {"kind": "postgresql", "version": str(scalar(self.server.url(), "SHOW server_version_num")),
                "settings": dict(self.server.settings)}

    def close(self) -> None:
        if self.server is not None:
            pgserver.stop_server(self.server)
            self.server = None


def open_stores(kind: str, workdir: Path) -> BenchStores:
    if kind not in KINDS:
        raise StoreUnavailable(f"--store must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind == "sqlite":
        return BenchStores(kind, workdir)
    try:
        import psycopg  # noqa: F401 - the driver the daemon and the counts use
    except ImportError as exc:
        raise StoreUnavailable("the psycopg driver is missing: pip install 'quotemaild[postgresql]'") from exc
    missing = pgserver.binaries_missing()
    if missing:
        raise StoreUnavailable(f"PostgreSQL binaries missing ({', '.join(missing)}): apt-get install postgresql")
    try:
        server = pgserver.start_server("quotemaild-bench-pg-", pgserver.BENCH_SETTINGS)
    except (RuntimeError, OSError) as exc:
        raise StoreUnavailable(f"PostgreSQL did not start: {exc}") from exc
    return BenchStores(kind, workdir, server)
