"""Contacts, quotes, settings, templates, users and tokens over a real socket, with the CLI's rules."""

from __future__ import annotations

import pytest

from tests.integration.api_support import PASSWORD, api_daemon

PROBLEM = "application/problem+json"


@pytest.fixture
async def api(tmp_path):
    async for a in api_daemon(tmp_path, outbound={"public_url": "https://quotes.example.test"}):
        yield a


async def test_contacts_create_update_invoice_merge_export_import(api):
    """Create with a VAT warning, update, invoiced (idempotent per number, converts), merge preview
    then admin merge, CSV export, CSV import dry run and commit."""
    c, admin = api.client("acme"), api.client("acme-admin")
    r = await c.post("/api/v1/contacts", json={"name": "Bakkerij Peeters", "emails": ["info@peeters.example"],
                                              "vat_number": "BE0123456789"})
    assert r.status_code == 201, r.text
    card = r.json()
    assert card["kind"] == "prospect" and card["warnings"]  # an invalid Belgian check digit warns
    r = await c.post("/api/v1/contacts", json={"emails": ["x@example.org"]})
    assert r.status_code == 422 and r.json()["field"] == "name"
    r = await c.patch(f"/api/v1/contacts/{card['id']}", json={"phone": "+32 9 123 45 67"})
    assert r.json()["phone"] == "+32 9 123 45 67" and r.json()["name"] == "Bakkerij Peeters"
    assert [x["id"] for x in (await c.get("/api/v1/contacts", params={"q": "peeters"})).json()] == [card["id"]]
    first = await c.post(f"/api/v1/contacts/{card['id']}/invoiced", json={"invoice_number": "F1", "amount": "100.00"})
    again = await c.post(f"/api/v1/contacts/{card['id']}/invoiced", json={"invoice_number": "F1", "amount": "100.00"})
    assert (first.json()["recorded"], first.json()["converted"], first.json()["kind"]) == (True, True, "customer")
    assert (again.json()["recorded"], again.json()["revenue"]) == (False, "100.00")
    r = await c.post(f"/api/v1/contacts/{card['id']}/invoiced", json={"invoice_number": "F1", "amount": "5"})
    assert r.status_code == 422 and r.json()["field"] == "amount"
    other = (await c.post("/api/v1/contacts", json={"name": "Peeters BV"})).json()
    plan = await c.post(f"/api/v1/contacts/{other['id']}/merge", json={"target_id": card["id"]})
    assert plan.status_code == 200 and plan.json()["merged"] is False
    r = await c.post(f"/api/v1/contacts/{other['id']}/merge", json={"target_id": card["id"], "confirm": True})
    assert r.status_code == 403
    r = await admin.post(f"/api/v1/contacts/{other['id']}/merge", json={"target_id": card["id"], "confirm": True})
    assert r.status_code == 200 and r.json()["merged"] is True
    assert (await c.get(f"/api/v1/contacts/{other['id']}")).status_code == 404
    export = await c.get("/api/v1/contacts/export")
    assert export.status_code == 200 and "Bakkerij Peeters" in export.content.decode("utf-8-sig")
    csv = "name;email\nNieuwe Klant;nk@example.org\n".encode()
    dry = await c.post("/api/v1/contacts/import", files={"file": ("c.csv", csv, "text/csv")})
    assert dry.status_code == 200 and dry.json()["committed"] is False and dry.json()["rows"] == 1
    done = await c.post("/api/v1/contacts/import", params={"commit": "true"}, files={"file": ("c.csv", csv, "text/csv")})
    assert done.json()["committed"] is True and len(done.json()["created_ids"]) == 1
    bad = await c.post("/api/v1/contacts/import", files={"file": ("c.csv", b"email\nnoname@example.org\n", "text/csv")})
    assert bad.status_code == 422 and bad.json()["report"]["errors"]


async def test_quotes_create_pdf_send_accept(api):
    """A quote on a request: created (request moves), PDF, sent (queued, not sent: no smarthost),
    accepted (request accepted); listed per request and per contact."""
    c = api.client("acme")
    contact = (await c.post("/api/v1/contacts", json={"name": "Piet", "emails": ["piet@example.org"]})).json()
    req = (await c.post("/api/v1/requests", json={"subject": "Ramen", "body": "12 ramen",
                                                  "contact_id": contact["id"]})).json()
    r = await c.post("/api/v1/quotes", json={"request_id": req["id"], "lines": ["PVC raam;12;245.50;21"]})
    assert r.status_code == 201, r.text
    quote = r.json()
    assert quote["status"] == "draft" and quote["totals"]["incl"] == "3564.66"
    assert (await c.get(f"/api/v1/requests/{req['id']}")).json()["status"] == "quote_created"
    r = await c.post("/api/v1/quotes", json={"request_id": req["id"], "lines": ["no price"]})
    assert r.status_code == 422
    pdf = await c.get(f"/api/v1/quotes/{quote['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    sent = await c.post(f"/api/v1/quotes/{quote['id']}/send")
    assert sent.status_code == 200, sent.text
    assert sent.json()["delivery"] == {"state": "queued", "sent": False, "reason": sent.json()["delivery"]["reason"]}
    assert "smarthost" in sent.json()["delivery"]["reason"]
    accepted = await c.post(f"/api/v1/quotes/{quote['id']}/accept")
    assert accepted.json()["status"] == "accepted"
    assert (await c.get(f"/api/v1/requests/{req['id']}")).json()["status"] == "accepted"
    assert (await c.post(f"/api/v1/quotes/{quote['id']}/reject")).status_code == 422  # decided the other way
    assert [q["id"] for q in (await c.get("/api/v1/quotes", params={"request_id": req["id"]})).json()] == [quote["id"]]
    assert (await c.get("/api/v1/quotes", params={"state": "nonsense"})).status_code == 422
    assert [q["id"] for q in (await c.get(f"/api/v1/contacts/{contact['id']}/quotes")).json()] == [quote["id"]]
    r = await api.client("other").post("/api/v1/quotes", json={"request_id": req["id"], "lines": ["x;1;1;21"]})
    assert r.status_code == 404


async def test_settings_templates_users_tokens_are_admin_only_to_change(api):
    """Sellers read settings and templates but get 403 changing them; admins change them; a user
    made by an admin logs in; a token made over the API works and, revoked, stops."""
    seller, admin = api.client("acme"), api.client("acme-admin")
    assert (await seller.get("/api/v1/settings")).json()["slug"] == "acme"
    assert (await seller.patch("/api/v1/settings", json={"language": "fr"})).status_code == 403
    r = await admin.patch("/api/v1/settings", json={"language": "fr", "auto_reply": False})
    assert (r.json()["language"], r.json()["auto_reply"]) == ("fr", False)
    r = await admin.patch("/api/v1/settings", json={"sender_mode": "own"})
    assert r.status_code == 422 and r.json()["field"] == "sender_mode"
    text = "Subject: Bedankt {{ subject }}\n\nWe komen erop terug.\n"
    assert (await seller.put("/api/v1/templates/ack/nl", json={"text": text})).status_code == 403
    r = await admin.put("/api/v1/templates/ack/nl", json={"text": text})
    assert r.status_code == 200, r.text
    assert (await seller.get("/api/v1/templates/ack/nl")).json()["custom"] is True
    assert (await admin.put("/api/v1/templates/ack/nl", json={"text": "no subject"})).status_code == 422
    r = await admin.post("/api/v1/users", json={"name": "Nina", "email": "nina@acme.test", "password": PASSWORD})
    assert r.status_code == 201 and r.json()["can_log_in"] is True
    login = await api.client().post("/api/v1/auth/login", json={"email": "nina@acme.test", "password": PASSWORD})
    assert login.status_code == 200
    made = (await admin.post("/api/v1/tokens", json={"name": "website"})).json()
    fresh = api.client()
    fresh.headers["Authorization"] = f"Bearer {made['token']}"
    assert (await fresh.get("/api/v1/requests")).status_code == 200
    assert (await admin.delete(f"/api/v1/tokens/{made['id']}")).json()["revoked_at"]
    assert (await fresh.get("/api/v1/requests")).status_code == 401
    assert all("token" not in t for t in (await admin.get("/api/v1/tokens")).json())
    assert (await seller.get("/api/v1/tokens")).status_code == 403


async def test_draft_lines_notes_versions_copies(api):
    """A draft's lines are edited (add, change, move, remove, replace all) with totals recomputed;
    notes and validity change; a sent quote is not editable (its new version is); copies and
    deleting a draft — all by the quote services the CLI calls."""
    c = api.client("acme")
    contact = (await c.post("/api/v1/contacts", json={"name": "Piet", "emails": ["piet@example.org"]})).json()
    req = (await c.post("/api/v1/requests", json={"subject": "Ramen", "body": "12 ramen",
                                                  "contact_id": contact["id"]})).json()
    q = (await c.post("/api/v1/quotes", json={"request_id": req["id"], "lines": ["A;1;100;21"]})).json()
    url = f"/api/v1/quotes/{q['id']}"
    r = await c.post(f"{url}/lines", json={"spec": "B;2;50;21"})
    assert [line["description"] for line in r.json()["lines"]] == ["A", "B"] and r.json()["totals"]["incl"] == "242.00"
    r = await c.put(f"{url}/lines/1", json={"spec": "A2;1;200;21"})
    assert r.json()["lines"][0]["description"] == "A2"
    r = await c.post(f"{url}/lines/2/move", json={"to": 1})
    assert [line["description"] for line in r.json()["lines"]] == ["B", "A2"]
    r = await c.delete(f"{url}/lines/2")
    assert [line["description"] for line in r.json()["lines"]] == ["B"]
    assert (await c.delete(f"{url}/lines/9")).status_code == 422
    r = await c.put(f"{url}/lines", json={"lines": ["X;3;10;6", "Y;1;1;21"]})
    assert [line["description"] for line in r.json()["lines"]] == ["X", "Y"]
    r = await c.patch(url, json={"notes": "Prijzen excl. plaatsing", "validity_days": 14})
    assert r.status_code == 200, r.text
    assert (await c.patch(url, json={})).status_code == 422
    copy = await c.post(f"{url}/duplicate")
    assert copy.status_code == 201 and copy.json()["number"] != q["number"]
    assert (await c.delete(f"/api/v1/quotes/{copy.json()['id']}")).json()["deleted"] is True
    assert (await c.post(f"{url}/send")).status_code == 200
    assert (await c.post(f"{url}/lines", json={"spec": "Z;1;1;21"})).status_code == 422  # not a draft
    assert (await c.post(f"{url}/versions")).status_code == 422  # queued (no smarthost): not yet
    assert (await c.post(f"{url}/reject")).json()["status"] == "rejected"
    v2 = await c.post(f"{url}/versions")
    assert v2.status_code == 201 and v2.json()["status"] == "draft", v2.text
