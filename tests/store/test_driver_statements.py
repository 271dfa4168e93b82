"""Processing's hot statements on SQLite's cursor write and read exactly what the ordinary path
(`Connection.execute`) does: the same rows, the same returned values, the same errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, event, exc, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.services import acknowledge, conversation
from quotemaild.store import db
from quotemaild.store.driver_statements import DriverStatement
from quotemaild.store.models import AckLog, Tenant
from tests.conftest import config_dict, config_from_dict

NOW = dt.datetime(2026, 12, 7, 20, 15, 30, 123456, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=5)


def request_row(**over: Any) -> dict[str, Any]:
    return dict(tenant_id=1, status="received", subject="Offerte 12 ramen", requester_email="an@example.org",
                requester_name=None, message_count=1, created_at=NOW, updated_at=NOW) | over  # fmt: skip


def message_row(request_id: int, **over: Any) -> dict[str, Any]:
    return dict(
        tenant_id=1, request_id=request_id, raw_id=None, direction="in", message_id="<m1@example.org>",
        in_reply_to=None, references=["<a@example.org>", "<b@example.org>"], subject="Offerte", from_name="Ann",
        from_email="an@example.org", to=[{"name": "", "email": "acme@proposals.example"}], cc=[], reply_to=[],
        date=NOW - dt.timedelta(hours=1), text="Graag een offerte — 12 ramen.", html=None, provenance="direct",
        forwarded_by=None, requester_confidence=0.75, kind="human", defects=[], info={"kind_reasons": ["a"]},
        created_at=NOW,
    ) | over  # fmt: skip


def steps(conn: Connection) -> list[Any]:
    """A request opened and answered, as processing writes them; what each statement returned."""
    got: list[Any] = []
    first = conversation._INSERT_REQUEST.insert(conn, request_row())
    second = conversation._INSERT_REQUEST.insert(conn, request_row(requester_email=None, subject="x" * 998))
    got += [first, second]
    got.append(conversation._INSERT_MESSAGE.insert(conn, message_row(first)))
    got.append(conversation._INSERT_MESSAGE.insert(conn, message_row(first, message_id="<m2@example.org>",
               requester_confidence=None, references=[], info={}, date=None, created_at=LATER)))  # fmt: skip
    got.append(tuple(conversation._COUNT_MESSAGE.one(conn, dict(request_id=first, now=LATER))))
    conn.execute(insert(AckLog), [dict(tenant_id=1, address="an@example.org", at=NOW - dt.timedelta(hours=2))])
    facts = dict(tenant_id=1, address="an@example.org", now=LATER, ack_since=LATER - acknowledge.ACK_LOOKBACK,
                 inbound_since=LATER - acknowledge.LOOP_WINDOW)  # fmt: skip
    row = acknowledge._SENDER_FACTS.one(conn, facts)
    got.append((row.hard_bounced, row.last_ack, row.recent_inbound))
    row = acknowledge._SENDER_FACTS.one(conn, facts | {"address": "nobody@example.org"})
    got.append((row.hard_bounced, row.last_ack, row.recent_inbound))
    return got


@pytest.fixture
def two_stores(tmp_path) -> Iterator[tuple[sessionmaker[Session], sessionmaker[Session]]]:
    made = []
    for name in ("driver", "ordinary"):
        (tmp_path / name).mkdir()
        engine = db.make_engine(config_from_dict(config_dict(tmp_path / name)).store)
        db.migrate(engine)
        sessions = db.make_sessionmaker(engine)
        with sessions.begin() as s:
            s.add(Tenant(id=1, slug="acme", name="Acme", language="nl", auto_reply=True, sender_mode="tenant",
                         own_addresses=[], own_domains=[], created_at=NOW))  # fmt: skip
        made.append((engine, sessions))
    yield made[0][1], made[1][1]
    for engine, _ in made:
        engine.dispose()


def observed(sessions: sessionmaker[Session]) -> Callable[[], None]:
    """A listener on the engine's statements: DriverStatement then takes the ordinary path."""
    engine = sessions.kw["bind"]
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    return lambda: event.remove(engine, "before_cursor_execute", listen)


def dump(sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    with sessions() as s:
        return {table: [tuple(r) for r in s.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
                for table in ("quote_requests", "messages", "ack_log")}  # fmt: skip


def test_the_driver_path_writes_and_returns_what_the_ordinary_path_does(two_stores):
    driver, ordinary = two_stores
    with driver.begin() as s:
        fast = steps(s.connection())
    stop = observed(ordinary)
    try:
        with ordinary.begin() as s:
            slow = steps(s.connection())
    finally:
        stop()
    assert fast == slow
    assert fast[4] == ("received", False, 2)  # status, needs_attention, the count with this message
    assert fast[5][1] == NOW - dt.timedelta(hours=2) and fast[5][1].tzinfo is not None  # read back as UTC
    assert fast[6] == (False, None, 0)
    assert dump(driver) == dump(ordinary)  # column by column, as stored: JSON text, dates, defaults


@pytest.mark.sqlite_only
def test_on_sqlite_the_statements_run_on_the_driver_unless_observed(two_stores):
    driver, _ = two_stores
    with driver.begin() as s:
        conn = s.connection()
        assert conversation._INSERT_MESSAGE._driver(conn) is not None
        assert acknowledge._SENDER_FACTS._driver(conn) is not None
        stop = observed(driver)
    try:
        with driver.begin() as s:
            assert conversation._INSERT_MESSAGE._driver(s.connection()) is None
    finally:
        stop()


def test_errors_come_as_sqlalchemys_and_a_savepoint_takes_them_back(two_stores):
    driver, _ = two_stores
    with driver.begin() as s:
        with pytest.raises(exc.IntegrityError), s.begin_nested():
            conversation._INSERT_REQUEST.insert(s.connection(), request_row(status=None))  # NOT NULL
        conn = s.connection()
        kept = conversation._INSERT_REQUEST.insert(conn, request_row())
        with pytest.raises(exc.NoResultFound):
            conversation._COUNT_MESSAGE.one(conn, dict(request_id=kept + 100, now=NOW))
    with driver() as s:
        assert s.execute(select(text("count(*)")).select_from(text("quote_requests"))).scalar() == 1


@pytest.mark.sqlite_only
def test_a_value_the_compiled_insert_would_drop_is_refused(two_stores):
    driver, _ = two_stores
    statement = DriverStatement(insert(AckLog.__table__), keys=("tenant_id", "address", "at"))
    with driver.begin() as s:
        with pytest.raises(exc.ArgumentError, match="id"):
            statement.insert(s.connection(), dict(tenant_id=1, address="a@example.org", at=NOW, id=7))


def test_on_a_connection_without_a_transaction_the_statement_begins_one(two_stores):
    """As `Connection.execute` does: what it wrote goes with the connection's rollback."""
    driver, _ = two_stores
    engine = driver.kw["bind"]
    with engine.connect() as conn:
        assert not conn.in_transaction()
        conversation._INSERT_REQUEST.insert(conn, request_row())
        assert conn.in_transaction()
        conn.rollback()
    with driver() as s:
        assert s.execute(text("SELECT count(*) FROM quote_requests")).scalar() == 0
