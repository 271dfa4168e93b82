"""Another process holding the store's write lock, so the daemon's commits wait and time out.

SQLite: an exclusive transaction on the file. PostgreSQL: an exclusive lock on `raw_messages`
(what a schema change run at the wrong moment holds); the daemon's `lock_timeout`, like SQLite's
busy timeout, then turns the wait into a 451.
"""

from __future__ import annotations

from typing import Any

import psycopg
from sqlalchemy.engine import make_url


class StoreLocker:
    def __init__(self, url: str) -> None:
        self._url = make_url(url)
        self._conn: Any = None

    def lock(self) -> None:
        if self._url.get_backend_name() == "sqlite":
            import sqlite3

            self._conn = sqlite3.connect(str(self._url.database), isolation_level=None)
            self._conn.execute("BEGIN EXCLUSIVE")
        else:
            u = self._url
            self._conn = psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database)
            self._conn.execute("LOCK TABLE raw_messages IN ACCESS EXCLUSIVE MODE")

    def release(self) -> None:
        if self._conn is not None:
            self._conn.rollback() if hasattr(self._conn, "rollback") else None
            self._conn.close()
            self._conn = None
