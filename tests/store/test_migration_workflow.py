"""Upgrading from revision 0001 with data in place keeps the data and adds the workflow columns."""

from sqlalchemy import inspect, text

from quotemaild.store import db
from tests.support.raws import sqlite_foreign_keys

NOW = "2026-01-05 09:00:00.000000"


def test_upgrade_from_0001_keeps_tenants_requests_and_messages(config):
    """A tenant, a request and its messages written at 0001 survive the upgrade to head."""
    engine = db.make_engine(config.store)
    db.migrate(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO tenants (id, slug, name, language, auto_reply, sender_mode, own_addresses,"
            " own_domains, created_at) VALUES (1, 'acme', 'Acme', 'fr', true, 'tenant', '[]', '[]', :now)"
        ), {"now": NOW})
        conn.execute(text(
            "INSERT INTO quote_requests (id, tenant_id, status, subject, requester_email, requester_name,"
            " message_count, created_at, updated_at) VALUES (7, 1, 'answered', 'Ramen', 'k@example.org',"
            " 'Klant', 2, :now, :now)"
        ), {"now": NOW})
        for mid in (1, 2):
            conn.execute(text(
                "INSERT INTO messages (id, tenant_id, request_id, direction, message_id, \"references\","
                " subject, \"to\", cc, reply_to, text, provenance, kind, defects, created_at)"
                " VALUES (:id, 1, 7, 'in', :mid, '[]', 'Ramen', '[]', '[]', '[]', 'hallo', 'direct',"
                " 'human', '[]', :now)"
            ), {"id": mid, "mid": f"<m{mid}@example.org>", "now": NOW})

    db.migrate(engine)
    assert db.schema_is_current(engine)
    with engine.connect() as conn:
        tenant = conn.execute(text("SELECT slug, language, customer_number_format FROM tenants")).one()
        request = conn.execute(text(
            "SELECT id, status, subject, message_count, assignee_user_id, contact_id, previous_status,"
            " needs_attention FROM quote_requests"
        )).one()
        messages = conn.execute(text("SELECT id, request_id, text FROM messages ORDER BY id")).all()
        dangling, foreign_keys_on = sqlite_foreign_keys(conn)
    engine.dispose()
    assert tuple(tenant) == ("acme", "fr", "C{year}{seq:04}")
    assert tuple(request) == (7, "answered", "Ramen", 2, None, None, None, 0)
    assert [tuple(m) for m in messages] == [(1, 7, "hallo"), (2, 7, "hallo")]
    assert dangling == [] and foreign_keys_on == 1


def test_workflow_revision_goes_down_and_up(config):
    """0005 reverts to 0001 (dropping its tables) and applies again."""
    engine = db.make_engine(config.store)
    db.migrate(engine)
    db.downgrade(engine, "0001")
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert "contacts" not in tables and "quote_requests" in tables
    db.migrate(engine)
    assert db.schema_is_current(engine)
    engine.dispose()
