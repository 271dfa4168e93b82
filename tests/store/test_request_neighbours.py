"""Previous/next on the request page: the tenant's next newer and next older request by number,
never another tenant's, and one index probe each way however many requests the tenant has."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from quotemaild.clock import SystemClock
from quotemaild.services.conversation import new_request
from quotemaild.services.request_neighbours import Neighbours, neighbours
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import QuoteRequest

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)

# Requests are created in this order (ids 1..8); "a" and "b" are two tenants interleaved.
OWNERS = ["a", "b", "a", "a", "b", "b", "a", "b"]


@pytest.mark.parametrize(
    ("index", "newer", "older"),
    [
        (0, 2, None),  # a's first request: nothing older; the next newer skips b's request 2
        (2, 3, 0),
        (3, 6, 2),  # b's 4 and 5 in between are skipped
        (6, None, 3),  # a's newest
        (1, 4, None),  # b's first
        (5, 7, 4),
        (7, None, 5),
    ],
)
def test_neighbours_stay_within_the_tenant(sessions, index, newer, older):
    with sessions.begin() as s:
        tenants = {key: add_tenant(s, NewTenant(name=f"T {key}", slug=f"t-{key}"), SystemClock()).id for key in "ab"}
        ids = [new_request(s, tenants[owner], f"request {i}", None, NOW) for i, owner in enumerate(OWNERS)]
        got = neighbours(s, tenants[OWNERS[index]], ids[index])
    expected = Neighbours(newer=ids[newer] if newer is not None else None, older=ids[older] if older is not None else None)
    assert got == expected


def test_a_request_of_another_tenant_has_no_neighbours_here(sessions):
    with sessions.begin() as s:
        a = add_tenant(s, NewTenant(name="A", slug="a"), SystemClock()).id
        b = add_tenant(s, NewTenant(name="B", slug="b"), SystemClock()).id
        mine = new_request(s, a, "mine", None, NOW)
        theirs = new_request(s, b, "theirs", None, NOW)
        assert neighbours(s, b, mine) == Neighbours(newer=theirs, older=None)
        assert neighbours(s, a, theirs) == Neighbours(newer=None, older=mine)


@pytest.mark.sqlite_only  # EXPLAIN QUERY PLAN is SQLite's
def test_each_way_is_one_probe_of_the_tenant_and_id_index(sessions):
    """Without (tenant_id, id) SQLite answers from (tenant_id, updated_at, id) and walks every
    request of the tenant: 150-200 ms a page for a tenant with 500,000 requests."""
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant(name="A", slug="a"), SystemClock()).id
        for query in (
            select(func.min(QuoteRequest.id)).where(QuoteRequest.tenant_id == tenant_id, QuoteRequest.id > 1),
            select(func.max(QuoteRequest.id)).where(QuoteRequest.tenant_id == tenant_id, QuoteRequest.id < 1),
        ):
            compiled = query.compile(s.bind, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(r[-1]) for r in s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "ix_quote_requests_tenant_id (tenant_id=? AND id" in plan, plan
