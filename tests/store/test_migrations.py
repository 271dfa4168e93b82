"""Migrations go up, down and up again on a temp database, and match the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from quotemaild.store import db
from quotemaild.store.models import Base


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
        diff = compare_metadata(MigrationContext.configure(conn, opts={"render_as_batch": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_sqlite_is_durable(config):
    """SQLite runs in WAL mode with synchronous=FULL (2)."""
    engine = db.make_engine(config.store)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    engine.dispose()


def test_processing_sessions_skip_the_fsync_and_others_keep_it(config):
    """Rebuildable (processing) sessions run with synchronous=NORMAL; the next plain session on
    the same pooled connection is back to FULL, so acknowledged mail keeps its fsync."""
    from sqlalchemy import text

    engine = db.make_engine(config.store)
    db.migrate(engine)
    with db.make_rebuildable(engine).begin() as s:
        assert s.execute(text("PRAGMA synchronous")).scalar() == 1
    with db.make_sessionmaker(engine).begin() as s:
        assert s.execute(text("PRAGMA synchronous")).scalar() == 2
    engine.dispose()
