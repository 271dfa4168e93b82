"""Several instances on one database: leases and claims on both engines, and on PostgreSQL the
races themselves, each instance played by its own engine (its own connections) in a thread."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import FixedClock
from quotemaild.config import Config
from quotemaild.services import contacts, request_contacts
from quotemaild.services import source_leases as leases
from quotemaild.services.outbox import claim_due, confirm_claim, new_outbox_row
from quotemaild.services.quotes import create_quote
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store import db
from quotemaild.store.cluster import NumberTaken, claim_pending, cluster_job
from quotemaild.store.models import ImapSource, OutboxMessage, Quote, RawMessage, Tenant
from tests.support.raws import add_pending_raw

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)
ACTOR = "jan@acme.be"


def queued(sessions: sessionmaker[Session], count: int) -> tuple[int, list[int]]:
    with sessions.begin() as s:
        tenant = add_tenant(s, NewTenant(name="Acme", slug="acme"), FixedClock(NOW))
        ids = []
        for n in range(count):
            row = new_outbox_row(s, tenant.id, None, "ack", [f"k{n}@example.org"], NOW)
            row.envelope_from, row.data = "", b"Subject: x\r\n\r\nx\r\n"
            ids.append(row.id)
    return tenant.id, ids


def test_an_outbox_claim_hides_its_rows_until_the_lease_ends(sessions):
    """Claimed rows are not due for anyone else; when the lease ends (holder died) they are again,
    and the old holder's confirmation then fails, so it does not send what another took."""
    _, ids = queued(sessions, 3)
    with sessions.begin() as s:
        first = claim_due(s, NOW, LEASE)
    with sessions.begin() as s:
        assert claim_due(s, NOW + dt.timedelta(seconds=29), LEASE).deliveries == []
    later = NOW + dt.timedelta(seconds=31)
    with sessions.begin() as s:
        second = claim_due(s, later, LEASE)
    assert [d.id for d in first.deliveries] == [d.id for d in second.deliveries] == ids
    with sessions.begin() as s:
        assert not confirm_claim(s, ids[0], first.until, later, LEASE)
        assert confirm_claim(s, ids[0], second.until, later, LEASE)


def test_an_imap_lease_has_one_holder_until_it_runs_out(sessions):
    """A takes the source; B cannot while A renews; B takes over once A stops renewing; A's renewal
    then fails (it must stop polling); a released lease is free at once."""
    with sessions.begin() as s:
        tenant = add_tenant(s, NewTenant(name="Acme", slug="acme"), FixedClock(NOW))
        source = ImapSource(tenant_id=tenant.id, host="h", port=143, tls="none", username="u", created_at=NOW)
        s.add(source)
        s.flush()
        sid = source.id
    steps = [("A", 0, True), ("B", 1, False), ("A", 20, True), ("B", 45, False), ("B", 51, True), ("A", 52, False)]
    with sessions.begin() as s:
        got = [leases.take_or_renew(s, sid, who, NOW + dt.timedelta(seconds=t), LEASE) for who, t, _ in steps]
    assert got == [want for *_, want in steps]
    with sessions.begin() as s:
        leases.release(s, "B")
        assert leases.take_or_renew(s, sid, "A", NOW + dt.timedelta(seconds=53), LEASE)


# --- PostgreSQL: the races themselves ---------------------------------------------------------


@pytest.fixture
def instances(config: Config, sessions: sessionmaker[Session]) -> Callable[[int], list[sessionmaker[Session]]]:
    """`instances(n)`: n engines on the test's database, as n daemons would have."""
    engines: list[Engine] = []

    def make(n: int) -> list[sessionmaker[Session]]:
        made = [db.make_engine(config.store) for _ in range(n)]
        engines.extend(made)
        return [db.make_sessionmaker(e) for e in made]

    yield make
    for engine in engines:
        engine.dispose()


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - returned for the test to look at
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.postgresql
def test_migrations_started_together_run_once(config, instances):
    """Four instances migrate an empty database at the same moment: all succeed, schema current."""
    results = at_once([lambda m=m: db.migrate(m.kw["bind"]) for m in instances(4)])
    assert results == [None] * 4
    assert db.schema_is_current(instances(1)[0].kw["bind"])


@pytest.mark.postgresql
def test_outbox_claims_of_several_instances_never_overlap(sessions, instances):
    """Six instances claim at the same moment: every row goes to exactly one of them."""
    _, ids = queued(sessions, 60)

    def claim(made: sessionmaker[Session]) -> list[int]:
        with made.begin() as s:
            return [d.id for d in claim_due(s, NOW, LEASE, limit=15).deliveries]

    claims = at_once([lambda m=m: claim(m) for m in instances(6)])
    every = [i for c in claims for i in c]
    assert sorted(every) == ids and len(every) == len(set(every))  # 4 of 6 got 15 each, 2 none
    assert sum(1 for c in claims if c) == 4


@pytest.mark.postgresql
def test_pending_claims_of_several_workers_never_overlap(sessions, instances):
    """`claim_pending` in concurrent transactions hands each pending message to one worker."""
    with sessions.begin() as s:
        tenant = add_tenant(s, NewTenant(name="Acme", slug="acme"), FixedClock(NOW))
        ids = [add_pending_raw(s, tenant.id, f"Subject: {n}\r\n\r\nx\r\n".encode()) for n in range(30)]
    hold = threading.Barrier(3)

    def claim(made: sessionmaker[Session]) -> list[int]:
        with made.begin() as s:
            got = claim_pending(s, 10)
            hold.wait()  # every claim is made while the others still hold theirs
            return got

    claims = at_once([lambda m=m: claim(m) for m in instances(3)])
    assert sorted(i for c in claims for i in c) == ids


@pytest.mark.postgresql
def test_quote_and_customer_numbers_under_concurrency_are_unique_and_gapless(sessions, instances):
    """Eight instances number quotes (and customers) of one tenant at the same moment."""
    clock = FixedClock(NOW)
    with sessions.begin() as s:
        tenant = add_tenant(s, NewTenant(name="Acme", slug="acme"), clock)
        request = request_contacts.create_manual(s, tenant, subject="Ramen", body="12", contact_id=None,
                                                 customer_name="Klant", actor=ACTOR, clock=clock,
                                                 domain="example.test")  # fmt: skip
        tenant_id, request_id = tenant.id, request.id

    def quote(made: sessionmaker[Session]) -> str:
        with made.begin() as s:
            return create_quote(s, request_id, ["A;1;10;21"], ACTOR, clock).number

    def customer(made: sessionmaker[Session], n: int) -> str:
        with made.begin() as s:
            row = contacts.add_contact(s, s.get_one(Tenant, tenant_id), {"name": f"K{n}", "kind": "customer"}, ACTOR, clock).row
            return row.number

    quotes = at_once([lambda m=m: quote(m) for m in instances(8)])
    customers = at_once([lambda m=m, n=n: customer(m, n) for n, m in enumerate(instances(8))])
    assert sorted(quotes) == [f"OF-2026-{n:04}" for n in range(1, 9)]
    assert sorted(customers) == [f"C2026{n:04}" for n in range(1, 9)]


def lock_waits(sessions: sessionmaker[Session]) -> int:
    """Sessions waiting for a lock (asked in a fresh transaction: pg_stat_activity is a snapshot)."""
    with sessions() as s:
        return int(s.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )) or 0)


@pytest.mark.postgresql
def test_a_number_taken_behind_our_back_is_a_clear_error(sessions, instances):
    """A writer outside quotemaild (no tenant lock) inserts the number we are about to use and
    commits while our insert waits on it: NumberTaken naming the number, not an IntegrityError."""
    clock = FixedClock(NOW)
    with sessions.begin() as s:
        tenant = add_tenant(s, NewTenant(name="Acme", slug="acme"), clock)
        request = request_contacts.create_manual(s, tenant, subject="Ramen", body="12", contact_id=None,
                                                 customer_name="Klant", actor=ACTOR, clock=clock,
                                                 domain="example.test")  # fmt: skip
        first = create_quote(s, request.id, ["A;1;10;21"], ACTOR, clock)
        request_id = request.id
    outsider, ours = instances(2)
    with outsider() as other:
        other.execute(text(
            "INSERT INTO quotes (tenant_id, request_id, number, status, language, currency, issue_date, valid_until,"
            " contact_name, contact_address, contact_vat, contact_email, total_excl, total_vat, total_incl,"
            " created_by, created_at) SELECT tenant_id, request_id, 'OF-2026-0002', status, language, currency,"
            " issue_date, valid_until, contact_name, contact_address, contact_vat, contact_email, total_excl,"
            " total_vat, total_incl, created_by, created_at FROM quotes WHERE id = :id"
        ), {"id": first.id})

        def create() -> Any:
            with ours.begin() as s:
                return create_quote(s, request_id, ["A;1;10;21"], ACTOR, clock)

        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(create)
            while not lock_waits(sessions):
                threading.Event().wait(0.05)
            other.commit()
            with pytest.raises(NumberTaken, match="OF-2026-0002"):
                pending.result(timeout=30)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Quote)) == 2


@pytest.mark.postgresql
def test_a_periodic_job_runs_on_one_instance_at_a_time(config, instances):
    """While one instance holds the retention job, the others are told to skip their round."""
    a, b = (m.kw["bind"] for m in instances(2))
    with cluster_job(a, "retention") as mine:
        with cluster_job(b, "retention") as theirs, cluster_job(b, "other-job") as unrelated:
            assert (mine, theirs, unrelated) == (True, False, True)
    with cluster_job(b, "retention") as theirs:
        assert theirs


@pytest.mark.postgresql
def test_the_same_message_processed_by_two_instances_is_stored_once(config, sessions, instances):
    """Two instances' workers take the same pending message at the same moment: one processes it,
    the other waits for its row lock, then finds it processed and skips it."""
    from quotemaild.edges.pipeline import Outcome, process_one
    from quotemaild.wiring import processing_side

    clock = FixedClock(NOW)
    with sessions.begin() as s:
        tenant = add_tenant(s, NewTenant(name="Acme", slug="acme"), clock)
        raw_id = add_pending_raw(s, tenant.id, b"From: k@example.org\r\nTo: acme@proposals.example.test\r\n"
                                 b"Subject: Ramen\r\nMessage-ID: <once@example.org>\r\n\r\n12 ramen\r\n")  # fmt: skip
    settings, after = processing_side(config, clock)
    results = at_once([lambda m=m: process_one(m, raw_id, settings, clock, after) for m in instances(2)])
    assert sorted(r == Outcome.SKIPPED for r in results) == [False, True], results
    with sessions() as s:
        assert s.get_one(RawMessage, raw_id).state == "processed"
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
