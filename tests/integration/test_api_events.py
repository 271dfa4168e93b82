"""GET /api/v1/events: a message sent by SMTP arrives on an open stream; Last-Event-ID resumes; tenants apart."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.integration.api_support import api_daemon

ARRIVAL = 10.0  # generous: the target (2 s) is measured by the bench, not asserted here


@pytest.fixture
async def api(tmp_path):
    async for a in api_daemon(tmp_path):
        yield a


async def next_events(lines, count: int) -> list[dict]:
    """Read `count` SSE events (id, event, data) from an aiter_lines() iterator."""
    out, current = [], {}
    async for line in lines:
        if not line:
            if "event" in current:
                out.append(current)
                if len(out) == count:
                    return out
            current = {}
            continue
        key, _, value = line.partition(":")
        if key in ("id", "event"):
            current[key] = value.strip()
        elif key == "data":
            current["data"] = json.loads(value.strip())
    return out


async def test_mail_sent_by_smtp_shows_up_on_an_open_stream_and_resumes(api):
    """The new request and its message arrive on acme's stream; a reconnect with Last-Event-ID gets
    what came after that id; the other tenant's stream sees none of it."""
    c = api.client("acme")
    async with c.stream("GET", "/api/v1/events") as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        lines = resp.aiter_lines()
        await api.mail(subject="Live vraag")
        got = await asyncio.wait_for(next_events(lines, 2), ARRIVAL)
    kinds = {e["event"] for e in got}
    assert kinds == {"request", "message"}
    request_id = got[0]["data"]["request_id"]
    assert all(e["data"]["request_id"] == request_id for e in got)
    detail = (await c.get(f"/api/v1/requests/{request_id}")).json()
    assert detail["subject"] == "Live vraag"

    first = min(int(e["id"]) for e in got)
    async with c.stream("GET", "/api/v1/events", headers={"Last-Event-ID": str(first)}) as resp:
        again = await asyncio.wait_for(next_events(resp.aiter_lines(), 1), ARRIVAL)
    assert int(again[0]["id"]) > first

    async with api.client("other").stream("GET", "/api/v1/events", headers={"Last-Event-ID": "0"}) as resp:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(next_events(resp.aiter_lines(), 1), 1.5)


async def test_processing_wakes_the_stream_without_waiting_for_its_poll(api):
    """A batch the processing worker finished wakes open streams at once: with the stream's poll
    stretched to a minute, the new request still arrives within seconds."""
    wake = api.running.daemon.processor.on_committed
    assert wake is not None
    feed = wake.__self__  # the API's event feed
    feed._poll = 60.0
    c = api.client("acme")
    async with c.stream("GET", "/api/v1/events") as resp:
        lines = resp.aiter_lines()
        await api.mail(subject="Zonder wachten")
        got = await asyncio.wait_for(next_events(lines, 2), ARRIVAL)
    assert {e["event"] for e in got} == {"request", "message"}


async def test_a_note_and_a_status_change_are_streamed(api):
    """Changes made through the API itself reach the stream (status with from/to, note)."""
    created = (await api.client("acme").post("/api/v1/requests", json={
        "subject": "Telefoon", "body": "ramen", "customer_name": "Piet"})).json()
    c = api.client("acme")
    async with c.stream("GET", "/api/v1/events") as resp:
        lines = resp.aiter_lines()
        writer = api.client("acme")
        await writer.post(f"/api/v1/requests/{created['id']}/notes", json={"body": "Teruggebeld"})
        await writer.post(f"/api/v1/requests/{created['id']}/cancel")
        got = await asyncio.wait_for(next_events(lines, 2), ARRIVAL)
    assert [e["event"] for e in got] == ["note", "status"]
    assert (got[1]["data"]["from"], got[1]["data"]["to"]) == ("received", "cancelled")


async def test_a_stream_ends_when_its_client_leaves(api):
    """Closing the connection ends the server's subscription (no poller left behind)."""
    feed = api.running.daemon.http.app.state.api.feed
    async with api.client("acme").stream("GET", "/api/v1/events") as resp:
        assert resp.status_code == 200
        for _ in range(100):
            if feed.streams == 1:
                break
            await asyncio.sleep(0.1)
        assert feed.streams == 1
    for _ in range(300):  # the disconnect is seen at once, or at the next keepalive write
        if feed.streams == 0:
            break
        await asyncio.sleep(0.1)
    assert feed.streams == 0


async def test_the_stream_needs_credentials(api):
    r = await api.client().get("/api/v1/events")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"




async def test_shutdown_ends_an_open_stream_cleanly(api):
    """Stopping the HTTP listener ends every open event stream as a complete response (the
    client sees the end of the body, and reconnects elsewhere), instead of leaving it for the
    graceful-shutdown timeout to cut."""
    c = api.client("acme")
    async with c.stream("GET", "/api/v1/events") as resp:
        assert resp.status_code == 200
        lines = resp.aiter_lines()
        stopping = asyncio.create_task(api.running.daemon.http.stop())
        rest = [line async for line in lines]  # raises RemoteProtocolError if the body is cut
        await stopping
    assert not any(line.startswith("data:") for line in rest)
