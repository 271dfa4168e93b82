"""`quotemaild backup PATH` and `quotemaild restore PATH --yes`: SQLite stores, daemon running or not.

PostgreSQL stores are backed up with PostgreSQL's own tools; both commands say how and exit 1.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from quotemaild.edges.cli.context import AppContext, emit, fail, handle_errors, pass_app
from quotemaild.errors import InvalidInput
from quotemaild.store import db
from quotemaild.store.backup import backup_sqlite, inspect, restore_sqlite
from quotemaild.store.lock import sqlite_path, store_lock


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def backup(app: AppContext, path: Path, force: bool, as_json: bool) -> None:
    """Write a consistent copy of the store to PATH, also while the daemon receives mail."""
    db_path = sqlite_path(app.config.store.url)
    if db_path is None:
        fail("backup works on SQLite stores; for PostgreSQL run: "
             f"pg_dump --format=custom --file={path} '<database URL>'", "error")
        return
    if path.exists() and not force:
        raise InvalidInput("PATH", f"{path} exists (use --force to replace it)")
    if path.resolve() == db_path.resolve():
        raise InvalidInput("PATH", "is the live database itself")
    info = backup_sqlite(db_path, path, app.config.store.busy_timeout)
    emit(dataclasses.asdict(info), as_json, lambda i: (
        f"backup written to {i['path']}: schema {i['revision']}, {i['tenants']} tenants, "
        f"{i['raw_messages']} raw messages, {i['requests']} requests, {i['size']} bytes"))


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Really replace the store's contents with PATH.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def restore(app: AppContext, path: Path, yes: bool, as_json: bool) -> None:
    """Replace the store's contents with the backup PATH, then migrate it to the current schema.

    Refused while a daemon serves this store (stop it first), without --yes, and for a file that
    is not a quotemaild database at a schema revision this version knows.
    """
    db_path = sqlite_path(app.config.store.url)
    if db_path is None:
        fail(f"restore works on SQLite stores; for PostgreSQL run: pg_restore --clean --dbname='<database URL>' {path}",
             "error")
        return
    info = inspect(path, db.known_revisions())
    if not yes:
        raise InvalidInput("--yes", f"restoring replaces everything in {db_path}; add --yes to go ahead")
    lock = store_lock(app.config.store.url)
    assert lock is not None
    lock.acquire()  # StoreLocked (exit 6) while a daemon serves this store
    try:
        restore_sqlite(path, db_path, app.config.store.busy_timeout)
        db.migrate(app.engine)
    finally:
        lock.release()
    after = inspect(db_path, None)
    result = {"restored_from": str(path), "path": str(db_path), "backup_revision": info.revision,
              "revision": after.revision, "tenants": after.tenants, "raw_messages": after.raw_messages,
              "requests": after.requests}
    emit(result, as_json, lambda r: (
        f"restored {r['path']} from {r['restored_from']} (schema {r['backup_revision']} -> {r['revision']}): "
        f"{r['tenants']} tenants, {r['raw_messages']} raw messages, {r['requests']} requests"))


def register(cli: click.Group) -> None:
    cli.add_command(backup)
    cli.add_command(restore)
