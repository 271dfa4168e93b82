"""Is the store URL usable? For `check-config`: connects (SQLite: read-only) and reads the schema
revision, and creates nothing.

    ok        the store answers; `schema` says current / behind (serve migrates) / empty
    ConfigError        the URL cannot be used at all (bad syntax, driver not installed)
    StoreUnavailable   it could be right but does not answer (server down, directory unwritable)
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from quotemaild.config import StoreConfig
from quotemaild.errors import ConfigError, StoreUnavailable
from quotemaild.store.db import head_revisions, known_revisions, make_engine


def probe_store(store: StoreConfig) -> dict[str, Any]:
    try:
        url = make_url(store.url)
    except ArgumentError as exc:
        raise ConfigError("store.url", f"not a database URL: {exc}") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        revision = _sqlite_revision(url.database or "", store.busy_timeout)
    else:
        revision = _server_revision(store)
    return {"backend": backend, "url": url.render_as_string(hide_password=True), **_schema(revision)}


def _schema(revision: str | None | bool) -> dict[str, Any]:
    if revision is False:
        return {"schema": "absent", "detail": "the database will be created by `migrate` or `serve`"}
    if revision is None:
        return {"schema": "empty", "detail": "no quotemaild schema yet; `migrate` or `serve` creates it"}
    assert isinstance(revision, str)
    if revision in head_revisions():
        return {"schema": "current", "revision": revision}
    if revision in known_revisions():
        return {"schema": "behind", "revision": revision, "detail": "`migrate` or `serve` upgrades it"}
    return {"schema": "unknown", "revision": revision, "detail": "written by a newer quotemaild?"}


def _sqlite_revision(database: str, busy_timeout: float) -> str | None | bool:
    if not database or database == ":memory:":
        raise ConfigError("store.url", "an in-memory SQLite database cannot hold mail")
    path = Path(database)
    if not path.exists():
        parent = path.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise StoreUnavailable(f"{path} does not exist and {parent} is not a writable directory")
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=busy_timeout)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" not in tables:
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            return row[0] if row else None
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"{path}: {exc}") from exc


def _server_revision(store: StoreConfig) -> str | None:
    try:
        engine = make_engine(store)  # with its connect timeout: a host that does not answer is reported
    except (NoSuchModuleError, ModuleNotFoundError, ArgumentError) as exc:
        raise ConfigError("store.url", f"cannot use this URL: {exc}") from exc
    try:
        with engine.connect() as conn:
            try:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except SQLAlchemyError:
                return None
    except SQLAlchemyError as exc:
        raise StoreUnavailable(f"cannot connect: {str(exc).splitlines()[0][:200]}") from exc
    finally:
        engine.dispose()
