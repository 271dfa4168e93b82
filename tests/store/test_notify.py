"""LISTEN/NOTIFY on PostgreSQL: a commit that queues mail or writes change events wakes every
listener on the database; a rolled-back one wakes nobody."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from quotemaild.clock import FixedClock
from quotemaild.services import outbox, request_contacts
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store import notify
from quotemaild.store.models import Tenant

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


def test_the_session_flags_are_the_ones_the_writers_set():
    """The store reads the flag the outbox service sets (the store may not import services)."""
    assert notify.OUTBOX_QUEUED == outbox.OUTBOX_QUEUED


@pytest.mark.postgresql
def test_commits_wake_listeners_and_rollbacks_do_not(config, sessions):
    heard: dict[str, threading.Event] = {t: threading.Event() for t in notify.TOPICS}
    listener = notify.PgListener(config.store.url)
    for topic in notify.TOPICS:
        listener.on(topic, heard[topic].set)
    listener.start()
    try:
        with sessions.begin() as s:  # a tenant only: neither mail nor change events
            tenant_id = add_tenant(s, NewTenant(name="Acme", slug="acme"), FixedClock(NOW)).id
        with sessions() as s:
            outbox.new_outbox_row(s, tenant_id, None, "ack", ["k@example.org"], NOW)
            s.rollback()
        deadline = threading.Event()
        deadline.wait(1.5)  # a listener that heard something would have by now (it polls each second)
        assert not any(e.is_set() for e in heard.values()) and listener.received == 0
        with sessions.begin() as s:
            outbox.new_outbox_row(s, tenant_id, None, "ack", ["k@example.org"], NOW)
        assert heard[notify.OUTBOX].wait(10) and not heard[notify.CHANGES].is_set()
        with sessions.begin() as s:
            request_contacts.create_manual(s, s.get_one(Tenant, tenant_id),
                                           subject="Ramen", body="12", contact_id=None, customer_name="Klant",
                                           actor="jan@acme.be", clock=FixedClock(NOW), domain="example.test")  # fmt: skip
        assert heard[notify.CHANGES].wait(10)
    finally:
        listener.close()
