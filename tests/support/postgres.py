"""The private PostgreSQL server of `--store=postgresql` runs (initdb, pg_ctl, torn down after).

The server itself lives in the package (`quotemaild/bench/pgserver.py`) because the bench starts
one too; this module keeps the name the tests import.
"""

from __future__ import annotations

from quotemaild.bench.pgserver import (
    BIN,
    SERVICE_USER,
    SUPERUSER,
    PostgresServer,
    binaries_missing,
    start_server,
    stop_server,
)

__all__ = ["BIN", "SERVICE_USER", "SUPERUSER", "PostgresServer", "binaries_missing", "start_server", "stop_server"]
