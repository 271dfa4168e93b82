"""The only engine factory, and the migration runner.

SQLite runs in WAL mode with `synchronous=FULL`: a commit returns only after the WAL is fsync'd,
which is what lets the SMTP edge answer 250 after a commit. `busy_timeout` bounds how long a
writer waits for a lock before the edge answers 451 instead.

PostgreSQL (`postgresql+psycopg://`, psycopg 3) runs every session with `synchronous_commit = on`
whatever the server's default, so a commit returns only once its WAL is flushed (and, on a
server with synchronous standbys, confirmed by them): the same promise behind the 250. A pool of
`[store] pool_size` connections per process, checked before use (`pool_pre_ping`), so a server
that restarted or failed over costs the next unit of work a reconnect instead of an error.
Migrations take a PostgreSQL advisory lock, so instances that start together migrate once.
"""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.config import StoreConfig
from quotemaild.errors import describe
from quotemaild.logs import get_logger
from quotemaild.store import batch_writes, changes, notify

log = get_logger(__name__)


# WAL pages after which a commit also checkpoints (copies the log into the database file and
# syncs it). SQLite's default suits every connection but the daemon's: its commit writer answers
# SMTP, and a checkpoint there delays a whole batch of 250s, more so as the file grows (at 1M
# messages the pages it writes back are spread over gigabytes). The daemon's engine waits for a
# much longer log, so the processing child, whose transactions follow the writer's closely, does
# the checkpoints (between its transactions, `WalCheckpoints`, none in its commits); the daemon
# only steps in when the child is not committing (a long burst, no child).
CHECKPOINT_PAGES = 1000
DAEMON_CHECKPOINT_PAGES = 16000
NO_AUTOCHECKPOINT = 0


_EMPTY_JSON: dict[type, str] = {list: "[]", dict: "{}"}


def json_text(value: Any) -> str:
    """The JSON columns' serializer: `json.dumps`, with the empty list and object (most of a
    message's address lists, defects and details, about half of its JSON values) answered
    without the encoder's ~2 us of set-up each."""
    if not value:
        empty = _EMPTY_JSON.get(type(value))
        if empty is not None:
            return empty
    return json.dumps(value)


def make_engine(store: StoreConfig, rebuildable: bool = False, checkpoint_pages: int = CHECKPOINT_PAGES) -> Engine:
    """`rebuildable`: for the processing child, whose every write can be redone from durable data.

    On SQLite its commits use synchronous=NORMAL: no fsync per commit. In WAL mode that keeps the
    database consistent; a power cut may lose the last such commits, and then the raw copies they
    processed are still `pending` (their state changes in the same transaction) and are processed
    again at start-up (an acknowledgement already handed to the smarthost may then go out twice).
    Mail is never acknowledged to a sender on such a commit.
    """
    url = make_url(store.url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": store.busy_timeout, "check_same_thread": False},
            pool_size=8,
            max_overflow=8,
            json_serializer=json_text,
        )
        event.listen(engine, "connect", _sqlite_pragmas("NORMAL" if rebuildable else "FULL", checkpoint_pages))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.get_backend_name() == "postgresql":
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=store.pool_size,
            max_overflow=store.pool_size,
            pool_timeout=store.busy_timeout,
            json_serializer=json_text,
            connect_args={
                "options": "-c synchronous_commit=on",
                "connect_timeout": max(1, int(store.busy_timeout)),
                "application_name": "quotemaild",
            },
        )
    return create_engine(url, pool_pre_ping=True)


class WalCheckpoints:
    """The processing child's checkpoints: at most one every `every` seconds, run after a write
    transaction has committed and the write gate is released (call it there), never inside one.

    A commit that passes `wal_autocheckpoint` pages checkpoints before it returns, and the child's
    commit returns inside the gate: the SMTP commit writer then waited for a checkpoint (10-15 ms
    with its fsync, every few transactions under load) that needs no lock at all. A PASSIVE
    checkpoint copies what no reader still needs and never blocks a writer. A no-op elsewhere
    than SQLite."""

    def __init__(self, engine: Engine, every: float = 0.25) -> None:
        self.engine = engine
        self.every = every
        self._last = 0.0
        self.enabled = engine.dialect.name == "sqlite"

    def __call__(self) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < self.every:
            return
        self._last = now
        try:
            raw = self.engine.raw_connection()  # autocommit (see `_sqlite_pragmas`): no transaction around it
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                raw.close()
        except Exception as exc:  # the transaction before it has committed: nothing to undo, try later
            log.warning("checkpoint_failed", error=describe(exc)[:300])


def _sqlite_pragmas(synchronous: str, checkpoint_pages: int) -> Any:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we send BEGIN ourselves (see make_engine)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute(f"PRAGMA wal_autocheckpoint={int(checkpoint_pages)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return on_connect


def _sqlite_begin(conn: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN; we issue it ourselves. A write transaction
    # takes its lock up front (BEGIN IMMEDIATE): in WAL mode a deferred transaction that reads and
    # then writes fails at once if another writer committed in between. Read-only sessions (see
    # `make_reader`) use a plain BEGIN so they never hold the lock the SMTP commit writer needs.
    if conn.get_execution_options().get("sqlite_begin") == "deferred":
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for units of work that write (SQLite: BEGIN IMMEDIATE); their flushes feed the
    change events (`store/changes.py`)."""
    sessions = sessionmaker(engine, expire_on_commit=False)
    batch_writes.track(sessions)  # before the change feed's listener: see store/batch_writes.py
    changes.track(sessions)
    notify.announce(sessions)  # PostgreSQL: other processes and instances hear of the commit
    return sessions


def make_reader(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read: they never take SQLite's write lock. One per engine (building it
    costs more than the read it is used for)."""
    readers = _READERS.get(engine)
    if readers is None:
        readers = sessionmaker(engine.execution_options(sqlite_begin="deferred"), expire_on_commit=False)
        _READERS[engine] = readers
    return readers


_READERS: weakref.WeakKeyDictionary[Engine, sessionmaker[Session]] = weakref.WeakKeyDictionary()


def _alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("quotemaild.store") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


# pg_advisory_lock key of schema changes (any fixed 64-bit number unlikely to clash): instances
# that start at once wait for each other, and the later ones find the schema current.
MIGRATION_LOCK = 0x71_6D_61_69_6C_64_01  # "qmaild" 1


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Held while migrating. PostgreSQL: a session advisory lock on a connection of its own (the
    server drops it if this process dies). SQLite: nothing; one daemon holds the file (store.lock)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            conn.commit()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent; once across instances starting together)."""
    with migration_lock(engine):
        command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with migration_lock(engine):
        command.downgrade(_alembic_config(engine), revision)


def schema_is_current(engine: Engine) -> bool:
    script = ScriptDirectory.from_config(_alembic_config(engine))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    return set(current) == set(script.get_heads())


def known_revisions() -> set[str]:
    """Every schema revision this version of quotemaild knows (to vet a backup before restoring)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("quotemaild.store") / "migrations"))
    return {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}


def head_revisions() -> set[str]:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("quotemaild.store") / "migrations"))
    return set(ScriptDirectory.from_config(cfg).get_heads())
