"""What the database server is, for /healthz: the backend, and on PostgreSQL the server's role
(primary or standby) and replication lag in seconds, when the server tells us.

A standby answers `pg_is_in_recovery()` true; its lag is the age of the last transaction it
replayed (`pg_last_xact_replay_timestamp()`, null before the first). A primary lists its standbys
in `pg_stat_replication`; their `replay_lag` is visible to roles with `pg_monitor` or superuser,
and null otherwise, in which case the lag is left out rather than guessed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text


def server_role(engine: Engine) -> dict[str, Any]:
    if engine.dialect.name != "postgresql":
        return {"backend": engine.dialect.name}
    with engine.connect() as conn:
        standby = bool(conn.execute(text("SELECT pg_is_in_recovery()")).scalar())
        if standby:
            lag = conn.execute(text("SELECT EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())")).scalar()
            info: dict[str, Any] = {"backend": "postgresql", "role": "standby"}
            if lag is not None:
                info["replication_lag_seconds"] = round(float(lag), 3)
            return info
        rows = conn.execute(text(
            "SELECT application_name, sync_state, EXTRACT(EPOCH FROM replay_lag) FROM pg_stat_replication"
        )).all()  # fmt: skip
    standbys = []
    for name, sync_state, lag in rows:
        entry: dict[str, Any] = {"name": name or "", "sync_state": sync_state}
        if lag is not None:
            entry["replication_lag_seconds"] = round(float(lag), 3)
        standbys.append(entry)
    return {"backend": "postgresql", "role": "primary", "standbys": standbys}
