"""0007 moves the bytes of raw messages to raw_message_data with the data in place, and back."""

import datetime as dt

from sqlalchemy import inspect, text

from quotemaild.store import db
from tests.support.raws import sqlite_foreign_keys

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def _raw(conn, raw_id: int, data: bytes, purged: bool) -> None:
    conn.execute(text(
        "INSERT INTO raw_messages (id, tenant_id, received_at, channel, mail_from, rcpt_to, peer, helo, size,"
        " sha256, data, state, attempts, purged_at) VALUES (:id, 1, :now, 'smtp', 'k@example.org', '[]', '', '',"
        " :size, 'x', :data, 'processed', 1, :purged)"
    ), {"id": raw_id, "now": NOW, "size": len(data), "data": data, "purged": NOW if purged else None})


def test_bytes_move_to_their_own_table_and_back(config):
    """Kept bytes are copied exactly, purged ones get no row, a message still points at its raw row;
    the downgrade puts the bytes back in raw_messages."""
    engine = db.make_engine(config.store)
    db.migrate(engine, "0006")
    big = bytes(range(256)) * 8000  # 2 MB over overflow pages, every byte value
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO tenants (id, slug, name, language, auto_reply, sender_mode, own_addresses,"
            " own_domains, created_at) VALUES (1, 'acme', 'Acme', 'nl', true, 'tenant', '[]', '[]', :now)"
        ), {"now": NOW})
        _raw(conn, 1, b"Subject: one\r\n\r\nhallo\r\n", purged=False)
        _raw(conn, 2, b"", purged=True)
        _raw(conn, 3, big, purged=False)
        conn.execute(text(
            "INSERT INTO messages (id, tenant_id, raw_id, direction, message_id, \"references\", subject, \"to\","
            " cc, reply_to, text, provenance, kind, defects, info, created_at) VALUES (1, 1, 3, 'in', '<m@x>',"
            " '[]', 's', '[]', '[]', '[]', 't', 'direct', 'human', '[]', '{}', :now)"
        ), {"now": NOW})

    db.migrate(engine)
    with engine.connect() as conn:
        moved = dict(conn.execute(text("SELECT raw_id, data FROM raw_message_data ORDER BY raw_id")).all())
        ids = conn.execute(text("SELECT id FROM raw_messages ORDER BY id")).scalars().all()
        message_raw = conn.execute(text("SELECT raw_id FROM messages")).scalar()
        dangling, _ = sqlite_foreign_keys(conn)
    assert moved == {1: b"Subject: one\r\n\r\nhallo\r\n", 3: big}
    assert ids == [1, 2, 3] and message_raw == 3 and dangling == []
    assert "data" not in {c["name"] for c in inspect(engine).get_columns("raw_messages")}

    db.downgrade(engine, "0006")
    with engine.connect() as conn:
        back = dict(conn.execute(text("SELECT id, data FROM raw_messages ORDER BY id")).all())
    assert back == {1: b"Subject: one\r\n\r\nhallo\r\n", 2: b"", 3: big}
    assert "raw_message_data" not in inspect(engine).get_table_names()
    db.migrate(engine)
    assert db.schema_is_current(engine)
    engine.dispose()
