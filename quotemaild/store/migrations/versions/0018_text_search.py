"""Trigram full-text index for the inbox's text search (SQLite)

Revision ID: 0018
Revises: 0017

A text search that matched few requests read every message of the tenant (a LIKE over
`messages.text`): 2-3 s at 100k requests. On SQLite two external-content FTS5 tables with the
trigram tokenizer (substring semantics, terms of 3+ characters) index the message text and the
request's subject and requester; triggers keep them in step in the same transaction as every
insert, delete (FK cascades fire them too) and update of those columns, so the daemon, the
processing child's Core inserts, the CLI and bulk loads all keep them right. They are filled
from the existing rows here ('rebuild'). `store/search.py` uses them; other engines keep the LIKE.
`detail=none` (rowids only, no positions): the search re-checks every candidate with its LIKE
anyway, and positions would make the index ~5x bigger and each insert ~2x dearer (0.58 vs 0.32 ms
for a 1.5 KB text in a micro-benchmark; 11 vs 1.2 MB for 3,000 such texts).
"""

from alembic import op


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_MSG_ADD = "INSERT INTO messages_fts (rowid, text) VALUES (NEW.id, NEW.text);"
_MSG_DEL = "INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', OLD.id, OLD.text);"
_REQ_COLS = "subject, requester_email, requester_name"
_REQ_ADD = (f"INSERT INTO requests_fts (rowid, {_REQ_COLS}) "
            "VALUES (NEW.id, NEW.subject, NEW.requester_email, NEW.requester_name);")
_REQ_DEL = (f"INSERT INTO requests_fts (requests_fts, rowid, {_REQ_COLS}) "
            "VALUES ('delete', OLD.id, OLD.subject, OLD.requester_email, OLD.requester_name);")
TABLES = {
    "messages_fts": "fts5(text, content='messages', content_rowid='id', tokenize='trigram', detail=none)",
    "requests_fts": f"fts5({_REQ_COLS}, content='quote_requests', content_rowid='id', tokenize='trigram', detail=none)",
}
# An external-content table must be told the exact old values on delete, hence OLD.* everywhere.
TRIGGERS = {
    "trg_messages_fts_insert": f"AFTER INSERT ON messages BEGIN {_MSG_ADD} END",
    "trg_messages_fts_delete": f"AFTER DELETE ON messages BEGIN {_MSG_DEL} END",
    "trg_messages_fts_update": (
        "AFTER UPDATE OF id, text ON messages WHEN OLD.id IS NOT NEW.id OR OLD.text IS NOT NEW.text "
        f"BEGIN {_MSG_DEL} {_MSG_ADD} END"
    ),
    "trg_requests_fts_insert": f"AFTER INSERT ON quote_requests BEGIN {_REQ_ADD} END",
    "trg_requests_fts_delete": f"AFTER DELETE ON quote_requests BEGIN {_REQ_DEL} END",
    "trg_requests_fts_update": (
        f"AFTER UPDATE OF id, {_REQ_COLS} ON quote_requests WHEN OLD.id IS NOT NEW.id "
        "OR OLD.subject IS NOT NEW.subject OR OLD.requester_email IS NOT NEW.requester_email "
        f"OR OLD.requester_name IS NOT NEW.requester_name BEGIN {_REQ_DEL} {_REQ_ADD} END"
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, body in TABLES.items():
        op.execute(f"CREATE VIRTUAL TABLE {name} USING {body}")
        op.execute(f"INSERT INTO {name} ({name}) VALUES ('rebuild')")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {name}")
