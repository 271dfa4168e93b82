"""Big binary column values read and written without extra copies in memory.

Through a plain SELECT or INSERT, SQLite assembles a blob in its own buffer and the driver copies
it again, and an INSERT also builds the whole row as one record first: a 35 MiB attachment took
130 MiB to store. On SQLite these helpers use incremental blob I/O on the session's own
connection (same transaction): a read fills one bytes object, a write goes to the pages in
chunks. Other databases read a big value a chunk at a time and write it with the plain
statement. Small values are not worth the extra statement.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

# Values from this size up go through blob I/O on SQLite.
BIG_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024


def read_big(session: Session, column: InstrumentedAttribute[bytes], row_id: int) -> bytes | None:
    """The value of `column` in the row with primary key `row_id`, or None when there is no row.
    The primary key must be the table's rowid on SQLite (an INTEGER PRIMARY KEY)."""
    table = column.class_.__table__
    key = _key(column)
    # One query: a small value comes back at once (every processed message), a big one as NULL.
    size = func.length(column)
    row = session.execute(select(size, case((size < BIG_BYTES, column))).where(key == row_id)).first()
    if row is None or row[0] is None:
        return None
    if row[1] is not None:
        return bytes(row[1])
    blob_api = _sqlite_connection(session)
    if blob_api is not None:
        with blob_api.blobopen(table.name, column.key, row_id, readonly=True) as blob:
            return blob.read()
    # PostgreSQL sends a whole bytea as hex text (twice its size), then the driver decodes it into
    # a buffer of its own and copies that into bytes: four times the value at once. A chunk at a
    # time, the parts and their join are all there is.
    part = select(func.substring(column, bindparam("start"), _CHUNK)).where(key == row_id)
    parts = [bytes(session.scalar(part, {"start": start + 1})) for start in range(0, row[0], _CHUNK)]
    return b"".join(parts)


def write_big(session: Session, column: InstrumentedAttribute[bytes], row_id: int, data: bytes) -> None:
    """Set `column` of an existing (flushed) row to `data`."""
    table = column.class_.__table__
    where = _key(column) == row_id
    blob_api = _sqlite_connection(session)
    if blob_api is None or len(data) < BIG_BYTES:
        session.execute(update(table).where(where).values({column.key: data}))
        return
    session.execute(update(table).where(where).values({column.key: func.zeroblob(len(data))}))
    fill_blob(blob_api, table.name, column.key, row_id, data)


def fill_blob(db: sqlite3.Connection, table: str, column: str, row_id: int, data: bytes) -> None:
    """Write `data` into a zeroblob of its length already in `column` of the row, in chunks."""
    view = memoryview(data)
    with db.blobopen(table, column, row_id) as blob:
        for start in range(0, len(view), _CHUNK):
            blob.write(view[start : start + _CHUNK])


def _key(column: InstrumentedAttribute[bytes]) -> Any:
    (key,) = column.class_.__table__.primary_key.columns
    return key


def _sqlite_connection(session: Session) -> sqlite3.Connection | None:
    """The sqlite3 connection under the session's transaction, or None on other databases."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    driver = connection.connection.driver_connection
    return driver if isinstance(driver, sqlite3.Connection) else None
