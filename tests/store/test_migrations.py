"""Migrations go up, down and up again on a temp database, and match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from quotemaild.store import db
from quotemaild.store.models import Base
from quotemaild.store.search import is_search_table


def test_up_down_up(config):
    """The whole chain applies, reverts to empty, and applies again."""
    engine = db.make_engine(config.store)
    db.migrate(engine)
    assert db.schema_is_current(engine)
    assert "raw_messages" in inspect(engine).get_table_names()
    db.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    db.migrate(engine)
    assert db.schema_is_current(engine)
    engine.dispose()


def test_models_match_migrations(config):
    """No model change is missing a migration (autogenerate finds no difference)."""
    engine = db.make_engine(config.store)
    db.migrate(engine)
    with engine.connect() as conn:
        # The full-text tables (and their shadow tables) are the migration's own, not models.
        opts = {"render_as_batch": True,
                "include_name": lambda name, kind, _parent: kind != "table" or not is_search_table(name)}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    engine.dispose()
    assert diff == []


@pytest.mark.sqlite_only
def test_sqlite_is_durable(config):
    """SQLite runs in WAL mode with synchronous=FULL (2)."""
    engine = db.make_engine(config.store)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    engine.dispose()


@pytest.mark.sqlite_only
def test_the_processing_engine_skips_the_fsync_and_the_daemons_keeps_it(config):
    """The processing child's engine commits with synchronous=NORMAL (its work is redone from the
    durable raw copy); the daemon's own engine, which acknowledges mail, stays FULL."""
    durable = db.make_engine(config.store)
    db.migrate(durable)
    rebuildable = db.make_engine(config.store, rebuildable=True)
    with db.make_sessionmaker(rebuildable).begin() as s:
        assert s.connection().exec_driver_sql("PRAGMA synchronous").scalar() == 1
    with db.make_sessionmaker(durable).begin() as s:
        assert s.connection().exec_driver_sql("PRAGMA synchronous").scalar() == 2
    rebuildable.dispose()
    durable.dispose()


@pytest.mark.sqlite_only
def test_the_daemons_engine_leaves_checkpoints_to_the_processing_child(config):
    """The daemon's commit writer answers SMTP: its engine checkpoints only after a much longer
    log than the default, which the processing child's and the CLI's engines keep."""
    daemon = db.make_engine(config.store, checkpoint_pages=db.DAEMON_CHECKPOINT_PAGES)
    child = db.make_engine(config.store, rebuildable=True)
    cli = db.make_engine(config.store)
    pages = {}
    for name, engine in (("daemon", daemon), ("child", child), ("cli", cli)):
        with engine.connect() as conn:
            pages[name] = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        engine.dispose()
    assert pages == {"daemon": db.DAEMON_CHECKPOINT_PAGES, "child": db.CHECKPOINT_PAGES, "cli": db.CHECKPOINT_PAGES}
    assert db.DAEMON_CHECKPOINT_PAGES > 10 * db.CHECKPOINT_PAGES
