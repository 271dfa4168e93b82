"""Tenant isolation over every route of the OpenAPI document: tenant B's admin token on tenant A's
ids answers 404, exactly as for ids that do not exist (never 403, never A's data)."""

from __future__ import annotations

import re

import pytest

from quotemaild.store.models import OutboxMessage
from tests.integration.api_support import api_daemon

PUBLIC = {("/api/v1/auth/login", "post")}
NOT_ID_PARAMS = {"kind": "ack", "language": "nl", "position": 1, "number": 1}


@pytest.fixture
async def api(tmp_path):
    async for a in api_daemon(tmp_path, outbound={"public_url": "https://quotes.example.test"}):
        yield a


async def seed_tenant_a(api) -> dict[str, int]:
    """One of everything in tenant acme, made through the API."""
    await api.mail()
    await api.running.wait_processed(1)
    a = api.client("acme-admin")
    rid = (await a.get("/api/v1/requests")).json()["items"][0]["id"]
    reply = (await a.post(f"/api/v1/requests/{rid}/replies", data={"body": "Prijs"},
                          files=[("files", ("p.txt", b"x", "text/plain"))])).json()
    detail = (await a.get(f"/api/v1/requests/{rid}")).json()
    contact = (await a.post("/api/v1/contacts", json={"name": "Piet", "emails": ["piet@example.org"]})).json()
    await a.post(f"/api/v1/requests/{rid}/contact", json={"contact_id": contact["id"]})
    quote = (await a.post("/api/v1/quotes", json={"request_id": rid, "lines": ["Raam;1;100;21"]})).json()
    token = (await a.post("/api/v1/tokens", json={"name": "victim"})).json()
    return {"request_id": rid, "message_id": reply["message_id"], "attachment_id": detail["attachments"][0]["id"],
            "contact_id": contact["id"], "quote_id": quote["id"], "token_id": token["id"],
            "user_id": api.users["jan@acme.test"], "outbox_id": reply["outbox_id"]}


async def test_every_route_answers_404_to_another_tenants_ids(api):
    """B's admin token on each of A's ids, on every method of every path with an id: 404 problem+json;
    A's data is unchanged afterwards. A new route with an unknown id parameter fails this test."""
    ids = await seed_tenant_a(api)
    outbox_before = await _outbox_row(api, ids["outbox_id"])
    doc = (await api.client().get("/api/v1/openapi.json")).json()
    b = api.client("other")
    tried = 0
    for path, methods in doc["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        if not params or set(params) <= set(NOT_ID_PARAMS):
            continue
        assert set(params) <= set(ids) | set(NOT_ID_PARAMS), f"{path}: add its id to the matrix"
        url = path.format(**{**ids, **NOT_ID_PARAMS})
        for method in methods:
            r = await b.request(method.upper(), url, json={} if method in ("post", "put", "patch") else None)
            assert r.status_code == 404, f"{method.upper()} {url}: {r.status_code} {r.text[:200]}"
            assert r.headers["content-type"] == "application/problem+json"
            tried += 1
    assert tried >= 25
    a = api.client("acme-admin")
    detail = (await a.get(f"/api/v1/requests/{ids['request_id']}")).json()
    assert detail["status"] == "quote_created" and not [e for e in detail["timeline"] if "token:intruder" in e["actor"]]
    assert (await a.get(f"/api/v1/contacts/{ids['contact_id']}")).status_code == 200
    tokens = (await a.get("/api/v1/tokens")).json()
    assert next(t for t in tokens if t["id"] == ids["token_id"])["revoked_at"] is None
    assert await _outbox_row(api, ids["outbox_id"]) == outbox_before  # B's retry did not move it


async def _outbox_row(api, outbox_id: int) -> tuple:
    """What a retry would move: its state and when it is due (the API does not show the latter)."""
    with api.running.sessions() as s:
        row = s.get_one(OutboxMessage, outbox_id)
        return row.state, row.next_attempt_at, row.first_attempt_at


async def test_ids_inside_bodies_and_filters_stay_in_the_tenant(api):
    """Ids given in a body (link, quote, merge) are 404 across tenants; filters and lists show nothing of A."""
    ids = await seed_tenant_a(api)
    b = api.client("other")
    own = (await b.post("/api/v1/requests", json={"subject": "B", "body": "b", "customer_name": "Bob"})).json()
    own_contact = (await b.post("/api/v1/contacts", json={"name": "Bob"})).json()
    r = await b.post(f"/api/v1/requests/{own['id']}/contact", json={"contact_id": ids["contact_id"]})
    assert r.status_code == 404
    assert (await b.post("/api/v1/quotes", json={"request_id": ids["request_id"], "lines": ["x;1;1;21"]})).status_code == 404
    r = await b.post(f"/api/v1/contacts/{own_contact['id']}/merge", json={"target_id": ids["contact_id"]})
    assert r.status_code == 404
    assert (await b.get("/api/v1/quotes", params={"request_id": ids["request_id"]})).json() == []
    assert [i["id"] for i in (await b.get("/api/v1/requests")).json()["items"]] == [own["id"]]
    assert [c["id"] for c in (await b.get("/api/v1/contacts")).json()] == [own_contact["id"]]
    assert (await b.get("/api/v1/outbox")).json() == []
    assert all(u["email"].endswith("@other.test") for u in (await b.get("/api/v1/users")).json())
    assert all(t["tenant"] == "other" for t in (await b.get("/api/v1/tokens")).json())
    missing = await b.get("/api/v1/requests/999999")
    foreign = await b.get(f"/api/v1/requests/{ids['request_id']}")
    assert missing.status_code == foreign.status_code == 404
    assert missing.json()["type"] == foreign.json()["type"]
