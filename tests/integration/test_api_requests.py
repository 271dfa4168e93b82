"""Requests over a real socket: list, filters, cursor, counts, read state, attention, workflow, replies."""

from __future__ import annotations

import pytest

from tests.integration.api_support import api_daemon, login

PROBLEM = "application/problem+json"


@pytest.fixture
async def api(tmp_path):
    async for a in api_daemon(tmp_path, mail={"max_message_size": 200_000}):
        yield a


async def one_request(api, subject="Offerte ramen", message_id="<m1@example.org>", count=1) -> int:
    await api.mail(subject=subject, message_id=message_id)
    await api.running.wait_processed(count)
    items = (await api.client("acme").get("/api/v1/requests", params={"q": subject})).json()["items"]
    return items[0]["id"]


async def test_list_show_and_read_state_per_user(api):
    """A new request is unread for each user until that user opens it; tokens have no read state."""
    rid = await one_request(api)
    token = api.client("acme")
    page = (await token.get("/api/v1/requests")).json()
    assert [i["id"] for i in page["items"]] == [rid] and page["items"][0]["unread"] is None
    assert page["counts"]["received"] == 1 and "unread" not in page["counts"] and page["next_cursor"] is None
    jan, _ = await login(api)
    an, _ = await login(api, "an@acme.test")
    assert (await jan.get("/api/v1/requests")).json()["items"][0]["unread"] is True
    assert (await jan.get("/api/v1/requests", params={"unread": "true"})).json()["counts"]["unread"] == 1
    detail = (await jan.get(f"/api/v1/requests/{rid}")).json()
    assert detail["subject"] == "Offerte ramen" and detail["messages"][0]["direction"] == "in"
    assert detail["timeline"][0]["kind"] == "request_created" and detail["unread"] is False
    assert (await jan.get("/api/v1/requests")).json()["items"][0]["unread"] is False
    assert (await jan.get("/api/v1/requests", params={"unread": "true"})).json()["items"] == []
    assert (await an.get("/api/v1/requests")).json()["items"][0]["unread"] is True  # per user
    r = await token.get("/api/v1/requests", params={"unread": "true"})
    assert r.status_code == 422 and r.json()["field"] == "unread"


async def test_new_mail_on_a_cancelled_request_is_unread_and_needs_attention(api):
    """Inbound mail on a closed request: unread again, needs_attention set, a timeline entry says so."""
    rid = await one_request(api)
    jan, csrf = await login(api)
    h = {"X-CSRF-Token": csrf}
    await jan.get(f"/api/v1/requests/{rid}")
    r = await jan.post(f"/api/v1/requests/{rid}/cancel", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    await api.mail(subject="Re: Offerte ramen", message_id="<m2@example.org>", extra="In-Reply-To: <m1@example.org>")
    await api.running.wait_processed(2)
    item = (await jan.get("/api/v1/requests", params={"needs_attention": "true"})).json()["items"]
    assert [(i["id"], i["unread"], i["status"]) for i in item] == [(rid, True, "cancelled")]
    detail = (await jan.get(f"/api/v1/requests/{rid}")).json()
    entry = [e for e in detail["timeline"] if e["kind"] == "needs_attention"]
    assert len(entry) == 1 and entry[0]["detail"]["status"] == "cancelled"
    cleared = (await jan.delete(f"/api/v1/requests/{rid}/attention", headers=h)).json()
    assert cleared["needs_attention"] is False and cleared["timeline"][-1]["kind"] == "attention_cleared"
    assert (await jan.post(f"/api/v1/requests/{rid}/unread", headers=h)).status_code == 204
    assert (await jan.get("/api/v1/requests")).json()["items"][0]["unread"] is True


async def test_workflow_actions_with_the_cli_rules(api):
    """Notes, assign, status (409 on a forbidden move), set requester: the CLI's services and errors."""
    rid = await one_request(api)
    c = api.client("acme")
    r = await c.post(f"/api/v1/requests/{rid}/notes", json={"body": "Called back"})
    assert r.status_code == 201
    note = r.json()["timeline"][-1]
    assert (note["kind"], note["actor"], note["detail"]["body"]) == ("note", "token:crm", "Called back")
    r = await c.post(f"/api/v1/requests/{rid}/notes", json={"body": ""})
    assert r.status_code == 422 and r.json()["field"] == "body"
    r = await c.post(f"/api/v1/requests/{rid}/assign", json={"email": "JAN@acme.test"})
    assert r.json()["assignee"] == "jan@acme.test"
    assert (await c.post(f"/api/v1/requests/{rid}/assign", json={"email": "olaf@other.test"})).status_code == 404
    assert [i["id"] for i in (await c.get("/api/v1/requests", params={"assignee": "jan@acme.test"})).json()["items"]] == [rid]
    assert (await c.get("/api/v1/requests", params={"assignee": "none"})).json()["items"] == []
    r = await c.post(f"/api/v1/requests/{rid}/status", json={"status": "accepted"})
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    assert r.json()["type"].endswith("/invalid-transition") and r.json()["field"] == "status"
    r = await c.post(f"/api/v1/requests/{rid}/status", json={"status": "nonsense"})
    assert r.status_code == 422
    r = await c.post(f"/api/v1/requests/{rid}/requester", json={"email": "real@example.org", "name": "Real"})
    assert (r.json()["requester_email"], r.json()["timeline"][-1]["kind"]) == ("real@example.org", "requester_changed")
    r = await c.post(f"/api/v1/requests/{rid}/requester", json={"email": "not an address"})
    assert r.status_code == 422 and r.json()["field"] == "email"


async def test_reply_with_attachment_is_queued_not_sent_and_says_why(api):
    """A multipart reply is queued; with no smarthost the API says it is not sent and why; the
    attachment downloads with its name and type; over the upload limit is 413."""
    rid = await one_request(api)
    c = api.client("acme")
    r = await c.post(f"/api/v1/requests/{rid}/replies", data={"body": "Here is our price."},
                     files=[("files", ("prijs.txt", b"12 ramen: 1200 EUR", "text/plain"))])
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["delivery"]["state"] == "queued" and out["delivery"]["sent"] is False
    assert "smarthost" in out["delivery"]["reason"] and out["not_sent"] == out["delivery"]["reason"]
    detail = (await c.get(f"/api/v1/requests/{rid}")).json()
    assert detail["status"] == "received"  # held until the mail really leaves
    sent = [m for m in detail["messages"] if m["direction"] == "out"][-1]
    att = sent["attachments"][0]
    assert att["filename"] == "prijs.txt" and att["id"] in [a["id"] for a in detail["attachments"]]
    got = await c.get(f"/api/v1/attachments/{att['id']}")
    assert got.status_code == 200 and got.content == b"12 ramen: 1200 EUR"
    assert got.headers["content-type"].startswith("text/plain")
    assert got.headers["content-disposition"].startswith("attachment;") and "prijs.txt" in got.headers["content-disposition"]
    box = (await c.get("/api/v1/outbox")).json()
    reply_row = next(o for o in box if o["id"] == out["outbox_id"])
    assert reply_row["delivery"]["sent"] is False and "smarthost" in reply_row["delivery"]["reason"]
    r = await c.post(f"/api/v1/requests/{rid}/replies", data={"body": "big"},
                     files=[("files", ("big.bin", b"x" * 1_400_000, "application/octet-stream"))])
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    r = await c.post(f"/api/v1/requests/{rid}/replies", data={"body": "   "})
    assert r.status_code == 422 and r.json()["field"] == "body"


async def test_cursor_pages_newest_first_and_filters(api):
    """limit=1 pages through all requests newest first without repeats; q and status filter."""
    ids = []
    for n in range(3):
        ids.append(await one_request(api, subject=f"Vraag {n}", message_id=f"<p{n}@example.org>", count=n + 1))
    c = api.client("acme")
    seen, cursor = [], None
    while True:
        page = (await c.get("/api/v1/requests", params={"limit": 1, **({"cursor": cursor} if cursor else {})})).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert [i["id"] for i in (await c.get("/api/v1/requests", params={"q": "Vraag 1"})).json()["items"]] == [ids[1]]
    assert (await c.get("/api/v1/requests", params={"status": "answered"})).json()["items"] == []
    r = await c.get("/api/v1/requests", params={"cursor": "garbage!"})
    assert r.status_code == 422 and r.json()["field"] == "cursor"
    r = await c.get("/api/v1/requests", params={"since": "9999-12-31T23:59:59-14:00"})
    assert r.status_code == 422 and r.json()["field"] == "since"


async def test_create_and_delete_need_the_right_role(api):
    """A manual request is created; a seller token may not delete it (403), an admin token may."""
    c = api.client("acme")
    r = await c.post("/api/v1/requests", json={"subject": "Telefoon", "body": "12 ramen", "customer_name": "Piet"})
    assert r.status_code == 201
    rid = r.json()["id"]
    r = await c.delete(f"/api/v1/requests/{rid}")
    assert r.status_code == 403 and r.json()["type"].endswith("/forbidden")
    r = await api.client("acme-admin").delete(f"/api/v1/requests/{rid}")
    assert r.status_code == 200 and r.json()["deleted"] is True
    assert (await c.get(f"/api/v1/requests/{rid}")).status_code == 404


async def test_gmail_forwarding_confirmation_is_shown_as_system_mail(api):
    """A forwarding confirmation sent by SMTP is no request, and /system-mail shows its code and link,
    to the addressed tenant only."""
    import aiosmtplib

    from tests.integration.test_system_mail_log import GMAIL, LINK

    async with aiosmtplib.SMTP(hostname=api.running.host, port=api.running.port) as smtp:
        await smtp.sendmail("forwarding-noreply@google.com", [api.running.address("acme")], GMAIL)
    await api.running.wait_processed(1)
    c = api.client("acme")
    assert (await c.get("/api/v1/requests")).json()["items"] == []
    shown = (await c.get("/api/v1/system-mail")).json()
    assert [(m["info"]["system"]["code"], m["info"]["system"]["link"]) for m in shown] == [("512345678", LINK)]
    assert (await api.client("other").get("/api/v1/system-mail")).json() == []
