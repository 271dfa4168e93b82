"""A prebuilt Core statement run on a session's connection, as a session query would see the data.

Services on the processing hot path build their reads once and run them on the connection: through
the ORM's execution path a statement is built and compiled per call and costs several times its
query. The session's autoflush does not run for them, so `read` flushes what the session holds
first (a no-op when nothing is pending), and the read counts rows added earlier in the same
transaction, as `session.execute` would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Executable
from sqlalchemy.orm import Session

from quotemaild.store.driver_statements import DriverStatement


def read(session: Session, statement: Executable, **params: Any) -> CursorResult[Any]:
    session.flush()
    return session.connection().execute(statement, params)


def read_one(session: Session, statement: DriverStatement, **params: Any) -> Any:
    """`read` for a statement that returns exactly one row, on SQLite's cursor where it can."""
    session.flush()
    return statement.one(session.connection(), params)
