"""Message and contact files, the raw copy, verdict corrections, the outbox filter and the pages'
optional actor, over a real socket; each compared with what the CLI gives for the same ids."""

from __future__ import annotations

import json
from email.message import EmailMessage

import aiosmtplib
import pytest
from fastapi import FastAPI

from quotemaild.edges.http.deps import OptionalActor
from quotemaild.services.web_sessions import COOKIE_NAME
from tests.integration.api_support import api_daemon, login

PROBLEM = "application/problem+json"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4


@pytest.fixture
async def api(tmp_path):
    async for a in api_daemon(tmp_path, mail={"max_message_size": 200_000}):
        yield a


async def mail_with_files(api) -> bytes:
    """A customer's mail with two attachments (one with a non-ASCII name); returns its bytes."""
    msg = EmailMessage()
    msg["From"], msg["To"] = "Klant <klant@example.org>", api.running.address("acme")
    msg["Subject"], msg["Message-ID"] = "Offerte ramen met plan", "<files@example.org>"
    msg["Date"] = "Mon, 05 Jan 2026 10:00:00 +0100"
    msg.set_content("Graag een prijs, plan in bijlage.\n")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="plan.pdf")
    msg.add_attachment("maten: 120x100\n", filename="maten é.txt")
    raw = bytes(msg)
    async with aiosmtplib.SMTP(hostname=api.running.host, port=api.running.port) as smtp:
        await smtp.sendmail("klant@example.org", [api.running.address("acme")], raw)
    await api.running.wait_processed(1)
    return raw


async def inbound(api) -> tuple[int, int]:
    c = api.client("acme")
    rid = (await c.get("/api/v1/requests")).json()["items"][0]["id"]
    detail = (await c.get(f"/api/v1/requests/{rid}")).json()
    return rid, next(m["id"] for m in detail["messages"] if m["direction"] == "in")


async def test_message_raw_and_attachments_are_the_clis_bytes(api, run_cli):
    """`/raw` is `message raw ID` byte for byte (message/rfc822); the attachment list and each
    numbered download match `message attachments` / `message attachment`; bad numbers are 404."""
    await mail_with_files(api)
    _, mid = await inbound(api)
    c = api.client("acme")
    raw = await c.get(f"/api/v1/messages/{mid}/raw")
    assert raw.status_code == 200 and raw.headers["content-type"] == "message/rfc822"
    assert raw.headers["content-disposition"].startswith("attachment;")
    assert raw.content == run_cli("message", "raw", str(mid)).stdout_bytes
    assert b"Subject: Offerte ramen met plan" in raw.content

    listed = (await c.get(f"/api/v1/messages/{mid}/attachments")).json()
    assert listed == json.loads(run_cli("message", "attachments", str(mid), "--json").stdout)
    assert [(f["number"], f["filename"], f["content_type"]) for f in listed] == [
        (1, "plan.pdf", "application/pdf"), (2, "maten é.txt", "text/plain")]
    assert listed[0]["size"] == len(PDF)
    pdf = await c.get(f"/api/v1/messages/{mid}/attachments/1")
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf" and pdf.headers["x-content-type-options"] == "nosniff"
    assert "plan.pdf" in pdf.headers["content-disposition"]
    txt = await c.get(f"/api/v1/messages/{mid}/attachments/2")
    assert txt.content == run_cli("message", "attachment", str(mid), "2").stdout_bytes
    assert "filename*=UTF-8''maten%20%C3%A9.txt" in txt.headers["content-disposition"]

    for bad, status in (("3", 404), ("0", 422), ("x", 422)):
        r = await c.get(f"/api/v1/messages/{mid}/attachments/{bad}")
        assert r.status_code == status and r.headers["content-type"] == PROBLEM, (bad, r.text)
    assert (await c.get("/api/v1/messages/999999/raw")).status_code == 404
    assert (await api.client("other").get(f"/api/v1/messages/{mid}/attachments/1")).status_code == 404


async def test_outbound_message_has_no_raw_copy_but_lists_its_files(api):
    """Our own reply has files but no received bytes: /raw is a 404 problem saying so, not a 500."""
    await api.mail()
    await api.running.wait_processed(1)
    c = api.client("acme")
    rid = (await c.get("/api/v1/requests")).json()["items"][0]["id"]
    out = (await c.post(f"/api/v1/requests/{rid}/replies", data={"body": "Prijs"},
                        files=[("files", ("prijs.txt", b"1200 EUR", "text/plain"))])).json()
    files = (await c.get(f"/api/v1/messages/{out['message_id']}/attachments")).json()
    assert [(f["number"], f["filename"], f["size"]) for f in files] == [(1, "prijs.txt", 8)]
    assert (await c.get(f"/api/v1/messages/{out['message_id']}/attachments/1")).content == b"1200 EUR"
    r = await c.get(f"/api/v1/messages/{out['message_id']}/raw")
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM and "raw copy" in r.json()["detail"]


async def test_contact_files_upload_list_download_as_the_cli(api, run_cli, tmp_path):
    """Upload (multipart) stores the file as `contact attach` does (type from the name); list and
    download match the CLI; over the upload limit is 413 and stores nothing; a cookie upload
    without the CSRF token is refused."""
    c = api.client("acme")
    contact = (await c.post("/api/v1/contacts", json={"name": "Bouw BV"})).json()
    cid = contact["id"]
    r = await c.post(f"/api/v1/contacts/{cid}/attachments",
                     files={"file": ("contract.pdf", PDF, "application/octet-stream")})
    assert r.status_code == 201, r.text
    up = r.json()
    assert (up["contact_id"], up["filename"], up["content_type"], up["size"]) == (cid, "contract.pdf",
                                                                                 "application/pdf", len(PDF))
    cli_file = tmp_path / "foto.png"
    cli_file.write_bytes(b"\x89PNG\r\n")
    cli_row = json.loads(run_cli("contact", "attach", str(cid), str(cli_file), "--json").stdout)
    assert cli_row["content_type"] == "image/png"

    listed = (await c.get(f"/api/v1/contacts/{cid}/attachments")).json()
    assert listed == json.loads(run_cli("contact", "attachments", str(cid), "--json").stdout)
    assert [(f["number"], f["filename"]) for f in listed] == [(1, "contract.pdf"), (2, "foto.png")]
    assert listed[0]["sha256"] == up["sha256"]
    got = await c.get(f"/api/v1/contacts/{cid}/attachments/1")
    assert got.content == PDF == run_cli("contact", "attachment", str(cid), "1").stdout_bytes
    assert got.headers["content-type"] == "application/pdf"
    assert (await c.get(f"/api/v1/contacts/{cid}/attachments/3")).status_code == 404

    r = await c.post(f"/api/v1/contacts/{cid}/attachments",
                     files={"file": ("big.bin", b"x" * 300_000, "application/octet-stream")})  # over max_message_size
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM and r.json()["field"] == "file"
    r = await c.post(f"/api/v1/contacts/{cid}/attachments", files={"file": ("", b"x", "text/plain")})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    r = await c.post(f"/api/v1/contacts/{cid}/attachments")
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    cookie, csrf = await login(api)
    r = await cookie.post(f"/api/v1/contacts/{cid}/attachments", files={"file": ("a.txt", b"a", "text/plain")})
    assert r.status_code == 403 and r.json()["type"].endswith("csrf")
    r = await cookie.post(f"/api/v1/contacts/{cid}/attachments", files={"file": ("a.txt", b"a", "text/plain")},
                          headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    assert len((await c.get(f"/api/v1/contacts/{cid}/attachments")).json()) == 3
    other = api.client("other")
    r = await other.post(f"/api/v1/contacts/{cid}/attachments", files={"file": ("x.txt", b"x", "text/plain")})
    assert r.status_code == 404 and len((await c.get(f"/api/v1/contacts/{cid}/attachments")).json()) == 3


async def test_verdict_correction_is_on_the_timeline_as_from_the_cli(api, run_cli):
    """POST /verdict turns a customer's mail into a robot's and back, with the CLI's answer and the
    same `verdict_corrected` timeline entries (actor: the caller); our own mail is refused (422)."""
    await api.mail()
    await api.running.wait_processed(1)
    rid, mid = await inbound(api)
    c = api.client("acme")
    r = await c.post(f"/api/v1/messages/{mid}/verdict", json={"verdict": "robot"})
    assert r.status_code == 200, r.text
    assert r.json() == {"message": mid, "request_id": rid, "before": "human", "after": "auto_reply", "changed": True}
    again = (await c.post(f"/api/v1/messages/{mid}/verdict", json={"verdict": "robot"})).json()
    assert again["changed"] is False
    back = json.loads(run_cli("message", "verdict", str(mid), "human", "--json").stdout)
    assert (back["before"], back["after"], back["changed"]) == ("auto_reply", "human", True)

    detail = (await c.get(f"/api/v1/requests/{rid}")).json()
    corrections = [e for e in detail["timeline"] if e["kind"] == "verdict_corrected"]
    assert [(e["detail"]["message"], e["detail"]["before"], e["detail"]["after"]) for e in corrections] == [
        (mid, "human", "auto_reply"), (mid, "auto_reply", "human")]
    assert corrections[0]["actor"].startswith("token:") and corrections[1]["actor"] == "cli"
    assert next(m for m in detail["messages"] if m["id"] == mid)["kind"] == "human"

    r = await c.post(f"/api/v1/messages/{mid}/verdict", json={"verdict": "spam"})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    out = (await c.post(f"/api/v1/requests/{rid}/replies", data={"body": "Prijs"})).json()
    r = await c.post(f"/api/v1/messages/{out['message_id']}/verdict", json={"verdict": "robot"})
    assert r.status_code == 422 and r.json()["field"] == "message"


async def test_outbox_filters_by_state_and_says_why_not_sent(api):
    """`?state=queued` lists the reply with its reason; `?state=sent` does not; a bad state is 422."""
    await api.mail()
    await api.running.wait_processed(1)
    c = api.client("acme")
    rid = (await c.get("/api/v1/requests")).json()["items"][0]["id"]
    out = (await c.post(f"/api/v1/requests/{rid}/replies", data={"body": "Prijs"})).json()
    queued = (await c.get("/api/v1/outbox", params={"state": "queued"})).json()
    row = next(o for o in queued if o["id"] == out["outbox_id"])
    assert row["state"] == "queued" and row["request_id"] == rid and row["kind"] == "reply"
    assert row["delivery"] == {"state": "queued", "sent": False, "reason": out["not_sent"]}
    assert out["outbox_id"] not in [o["id"] for o in (await c.get("/api/v1/outbox", params={"state": "sent"})).json()]
    r = await c.get("/api/v1/outbox", params={"state": "lost"})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM


async def test_optional_actor_is_none_without_a_good_login(api):
    """The pages' dependency: nobody or a bad cookie/token -> None (no 401); a good cookie or
    token -> the actor. Mounted on the running daemon's app, asked over its socket."""
    app: FastAPI = api.running.daemon.http.app

    @app.get("/_optional_actor_probe")
    async def probe(actor: OptionalActor) -> dict[str, object]:
        return {"actor": None if actor is None else {"label": actor.label, "tenant": actor.tenant_slug}}

    plain = api.client()
    assert (await plain.get("/_optional_actor_probe")).json() == {"actor": None}
    forged = api.client(cookies={COOKIE_NAME: "forged.value"})
    assert (await forged.get("/_optional_actor_probe")).json() == {"actor": None}
    bad = await plain.get("/_optional_actor_probe", headers={"Authorization": "Bearer not-a-token"})
    assert bad.json() == {"actor": None}
    cookie, _ = await login(api)
    assert (await cookie.get("/_optional_actor_probe")).json()["actor"]["tenant"] == "acme"
    token = (await api.client("other").get("/_optional_actor_probe")).json()["actor"]
    assert token["tenant"] == "other" and token["label"].startswith("token:")
    await login_out(cookie)
    assert (await cookie.get("/_optional_actor_probe")).json() == {"actor": None}


async def login_out(client) -> None:
    csrf = (await client.get("/api/v1/auth/me")).json().get("csrf", "")
    await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
