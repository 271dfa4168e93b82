"""`quotemaild outbox retry` on a mail a delivery worker is sending right now: refused, exit 4."""

from __future__ import annotations

import datetime as dt

from quotemaild.clock import SystemClock
from quotemaild.domain.retry import RetryPolicy
from quotemaild.services.outbox import claim_due, new_outbox_row, record_failure
from quotemaild.services.tenants import NewTenant, add_tenant

LEASE = dt.timedelta(minutes=5)


def test_retry_of_a_mail_being_sent_is_refused_with_exit_4(run_cli, sessions):
    run_cli("migrate")
    now = dt.datetime.now(dt.UTC)
    with sessions.begin() as s:
        tenant = add_tenant(s, NewTenant(name="Acme", slug="acme"), SystemClock())
        row = new_outbox_row(s, tenant.id, None, "ack", ["klant@example.org"], now)
        row.envelope_from, row.data = "", b"Subject: x\r\n\r\nx\r\n"
        oid = row.id
    with sessions.begin() as s:
        assert [d.id for d in claim_due(s, now, LEASE).deliveries] == [oid]

    refused = run_cli("outbox", "retry", str(oid), expect=4)
    assert f"outbox message {oid} is being sent right now" in refused.stderr
    assert "id:" in refused.stderr  # the field is named

    with sessions.begin() as s:  # the attempt failed and was recorded: retry is fine now
        policy = RetryPolicy(initial=LEASE, maximum=LEASE, give_up_after=dt.timedelta(days=1))
        record_failure(s, oid, True, "421 4.7.0 busy", dt.datetime.now(dt.UTC), policy)
    done = run_cli("outbox", "retry", str(oid), "--json")
    assert f'"id": {oid}' in done.stdout and '"state": "queued"' in done.stdout
