"""The processing child's WAL checkpoints: none inside its commits (which return inside the write
gate), one at most every `every` seconds between its transactions, copying the log into the file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from quotemaild.config import StoreConfig
from quotemaild.store import db


def _child_engine(path: Path):  # type: ignore[no-untyped-def]
    return db.make_engine(StoreConfig(url=f"sqlite:///{path}"), rebuildable=True, checkpoint_pages=db.NO_AUTOCHECKPOINT)


def _write_pages(engine, rows: int) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body BLOB)"))
        conn.execute(text("INSERT INTO filler (body) VALUES (randomblob(4000))"), [{}] * rows)


def test_the_child_engine_never_checkpoints_in_a_commit_and_its_checkpointer_does_between(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    engine = _child_engine(path)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
    _write_pages(engine, 1500)  # past SQLite's default of 1,000 pages: that would have checkpointed
    in_file = path.stat().st_size
    assert in_file < 1_000_000  # the 6 MB written are all still in the log

    checkpoints = db.WalCheckpoints(engine, every=3600.0)
    checkpoints()
    assert path.stat().st_size > 6_000_000  # copied into the database file

    _write_pages(engine, 500)
    before = path.stat().st_size
    checkpoints()  # within `every` of the last one: nothing
    assert path.stat().st_size == before
    engine.dispose()


def test_on_a_server_database_the_checkpointer_does_nothing() -> None:
    from sqlalchemy import create_engine

    engine = create_engine("postgresql+psycopg://q@localhost/q")  # never connected
    checkpoints = db.WalCheckpoints(engine)
    checkpoints()
    assert not checkpoints.enabled


def test_a_checkpoint_that_fails_is_logged_and_left_for_later(tmp_path: Path) -> None:
    from structlog.testing import capture_logs

    engine = _child_engine(tmp_path / "q.db")
    _write_pages(engine, 10)
    engine.dispose()
    (tmp_path / "q.db").unlink()
    (tmp_path / "q.db").mkdir()  # the store cannot be opened any more
    checkpoints = db.WalCheckpoints(engine, every=0.0)
    with capture_logs() as logs:
        checkpoints()  # the batch before it has committed: a failure here must not undo it
    assert [e["event"] for e in logs] == ["checkpoint_failed"]
