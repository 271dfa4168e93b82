"""Sending our mail again from the web app and the API (the CLI's `outbox retry`): only what
failed or waits after a failed attempt, never while a sender holds it, never another tenant's."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import update

from quotemaild.store.models import OutboxMessage
from tests.integration.api_support import api_daemon
from tests.integration.test_api_requests import one_request
from tests.integration.test_web_pages import form_login


@pytest.fixture
async def api(tmp_path):
    async for a in api_daemon(tmp_path):
        yield a


async def failed_reply(api) -> tuple[int, int]:
    """A request and our reply to it whose delivery gave up (as after a permanent 5xx)."""
    rid = await one_request(api)
    r = await api.client("acme").post(f"/api/v1/requests/{rid}/replies", data={"body": "Onze prijs."})
    assert r.status_code == 201, r.text
    outbox_id = r.json()["outbox_id"]
    set_row(api, outbox_id, state="failed", last_error="550 5.1.1 mailbox unknown", attempts=1)
    return rid, outbox_id


def set_row(api, outbox_id: int, **values: object) -> None:
    with api.running.sessions.begin() as s:
        s.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(**values))


def row(api, outbox_id: int) -> OutboxMessage:
    with api.running.sessions() as s:
        found = s.get_one(OutboxMessage, outbox_id)
        s.expunge(found)
        return found


async def test_the_request_page_sends_a_failed_mail_again(api):
    rid, outbox_id = await failed_reply(api)
    c, csrf = await form_login(api, "jan@acme.test")
    page = (await c.get(f"/requests/{rid}")).text
    assert "Not delivered" in page and "550 5.1.1 mailbox unknown" in page
    action = f"/requests/{rid}/outbox/{outbox_id}/retry"
    assert f'action="{action}"' in page
    assert (await c.post(action, data={})).status_code == 403  # no CSRF token
    r = await c.post(action, data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"].endswith("flash=sent_again")
    again = row(api, outbox_id)
    assert again.state == "queued" and again.next_attempt_at is not None
    page = (await c.get(f"/requests/{rid}")).text
    assert "Not delivered" not in page


async def test_a_mail_of_another_request_or_tenant_is_not_found(api):
    rid, outbox_id = await failed_reply(api)
    other = await one_request(api, subject="Andere vraag", message_id="<m2@example.org>", count=2)
    c, csrf = await form_login(api, "jan@acme.test")
    r = await c.post(f"/requests/{other}/outbox/{outbox_id}/retry", data={"csrf": csrf})
    assert r.status_code == 404 and row(api, outbox_id).state == "failed"
    r = await api.client("other").post(f"/api/v1/outbox/{outbox_id}/retry")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert row(api, outbox_id).state == "failed"


async def test_the_api_retries_refuses_while_a_sender_holds_it_and_after_it_left(api):
    _, outbox_id = await failed_reply(api)
    c = api.client("acme")
    r = await c.post(f"/api/v1/outbox/{outbox_id}/retry")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "queued" and r.json()["delivery"]["sent"] is False
    held = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    set_row(api, outbox_id, state="queued", claimed_until=held)
    r = await c.post(f"/api/v1/outbox/{outbox_id}/retry")
    assert r.status_code == 409 and r.json()["type"].endswith("/outbox-busy") and r.json()["code"] == "outbox_busy"
    set_row(api, outbox_id, state="sent", claimed_until=None)
    r = await c.post(f"/api/v1/outbox/{outbox_id}/retry")
    assert r.status_code == 422 and r.json()["code"] == "outbox_sent"


async def test_the_refusal_is_said_in_the_sellers_language(api):
    rid, outbox_id = await failed_reply(api)
    set_row(api, outbox_id, state="sent")
    c, csrf = await form_login(api, "jan@acme.test")
    assert (await c.post("/me/language", data={"csrf": csrf, "language": "nl"})).status_code == 303
    r = await c.post(f"/requests/{rid}/outbox/{outbox_id}/retry", data={"csrf": csrf})
    assert r.status_code == 422
    assert re.search(r"deze e-mail is al verstuurd", r.text), r.text[-2000:]
