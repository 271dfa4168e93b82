"""Change events deferred to one INSERT: the same rows, in the same order, as written one by one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from quotemaild.clock import SystemClock
from quotemaild.services.conversation import new_request
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.services.timeline import event, record
from quotemaild.store import changes
from quotemaild.store.models import ChangeEvent, QuoteRequest

CLOCK = SystemClock()
AT = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)


def write(session, requests: list[int]) -> None:
    """A mix: a request's own event, timeline entries on known and on earlier requests, one on a
    request that does not exist, and an entry added through the ORM (its event at flush)."""
    first, second = requests
    third = new_request(session, session.get_one(QuoteRequest, first).tenant_id, "Derde", None, AT)
    event(session, first, AT, "note", "x@example.org", body="een")
    changes.timeline_written(session, 999_999, 1, "timeline", AT, {})  # no such request: no event
    event(session, second, AT, "status_changed", "x@example.org", **{"from": "received", "to": "quoted"})
    record(session, session.get_one(QuoteRequest, third), "assigned", "x@example.org", AT)
    session.flush()
    event(session, third, AT, "note", "x@example.org", body="twee")


def feed(sessions) -> list[tuple[int, int, str, int, dict]]:
    with sessions() as s:
        return [(e.id, e.tenant_id, e.kind, e.request_id, e.data) for e in s.scalars(select(ChangeEvent).order_by(ChangeEvent.id))]


def setup(sessions) -> list[int]:
    with sessions.begin() as s:
        a = add_tenant(s, NewTenant("Acme", "acme"), CLOCK).id
        b = add_tenant(s, NewTenant("Bolt", "bolt"), CLOCK).id
        return [new_request(s, a, "Eerste", None, AT), new_request(s, b, "Tweede", None, AT)]


def test_deferred_change_events_equal_the_ones_written_one_by_one(sessions, tmp_path):
    from quotemaild.config import config_from_dict
    from quotemaild.store import db
    from tests.conftest import config_dict

    requests = setup(sessions)
    with sessions.begin() as s:
        write(s, requests)
    one_by_one = feed(sessions)

    other = config_from_dict(config_dict(tmp_path / "deferred"))
    engine = db.make_engine(other.store)
    db.migrate(engine)
    try:
        deferred_sessions = db.make_sessionmaker(engine)
        assert setup(deferred_sessions) == requests
        with deferred_sessions.begin() as s, changes.deferred(s):
            write(s, requests)
        assert feed(deferred_sessions) == one_by_one
    finally:
        engine.dispose()
    kinds = [kind for _, _, kind, _, _ in one_by_one]
    assert kinds == ["request", "timeline", "request", "timeline", "request", "timeline",
                     "note", "status", "timeline", "note"]  # fmt: skip
    assert one_by_one[7][1] != one_by_one[6][1]  # the second request's tenant, read from the store


def test_deferred_change_events_are_dropped_when_the_block_raises(sessions):
    requests = setup(sessions)
    before = feed(sessions)
    with sessions() as s:
        try:
            with changes.deferred(s):
                event(s, requests[0], AT, "note", "x@example.org", body="weg")
                raise RuntimeError("rolled back")
        except RuntimeError:
            s.rollback()
        assert changes._DEFERRED not in s.info
    assert feed(sessions) == before
