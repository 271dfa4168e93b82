"""The soak's HTTP load, as an integration and a seller use the daemon: a user of the soak's
tenant who logs in with the web form, and an API token of the same tenant.

- the token client, about once a second: list requests (a filter, then the next page by cursor),
  open one, add a note, assign or unassign the user, and every sixth round reply through the API;
- an event-stream client: `GET /api/v1/events` opened for a few seconds at a time, events counted;
- a browser-like client: the login form (`GET`, `POST /login`), then `/` and the session's own
  API view (`?assignee=me&unread=true`) with the cookie.

A call that never reached the daemon (connection refused while it restarts) is tried again
later and counted as retried. A write whose answer was cut (the restart came mid-request) may or
may not have happened: it is counted as uncertain, not repeated, and allowed at most once in the
store. Any 5xx, and any answer other than the expected one, is a failure. At the end: each note
answered 201 is on its request's timeline exactly once, each reply answered 201 reached the
smarthost once, and each request's assignee is what the last answered assign call set.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.store.models import QuoteRequest, TimelineEvent, User
from tests.integration.daemon_proc import cli

USER_EMAIL = "verkoper@acme.example"
PASSWORD = "soak-password-0123"
FILTERS: list[dict[str, str]] = [{}, {"status": "received"}, {"q": "Offerte"}, {"assignee": USER_EMAIL},
                                 {"assignee": "none"}, {"needs_attention": "false"}]
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout)


def add_identity(cfg: Path) -> str:
    """The seller (with a password) and an API token of tenant `acme`; returns the token's secret."""
    secret = cfg.parent / "user-password"
    secret.write_text(PASSWORD + "\n")
    added = cli(cfg, "user", "add", "--tenant", "acme", "--name", "Verkoper", "--email", USER_EMAIL,
                "--password-file", str(secret))
    assert added.returncode == 0, added.stderr
    made = cli(cfg, "token", "create", "--tenant", "acme", "--name", "soak", "--json")
    assert made.returncode == 0, made.stderr
    return str(json.loads(made.stdout)["token"])


@dataclass
class ApiLoad:
    """What the HTTP clients did, from their side."""

    calls: Counter[str] = field(default_factory=Counter)  # answered as expected, per kind
    retried: Counter[str] = field(default_factory=Counter)  # never reached the daemon (it was down)
    uncertain: Counter[str] = field(default_factory=Counter)  # the answer was cut: done or not
    failed: Counter[str] = field(default_factory=Counter)  # 5xx or unexpected answers: findings
    notes: set[str] = field(default_factory=set)  # note texts answered 201
    notes_uncertain: set[str] = field(default_factory=set)
    replies: set[str] = field(default_factory=set)  # reply markers answered 201
    replies_uncertain: set[str] = field(default_factory=set)
    assigned: dict[int, str | None] = field(default_factory=dict)  # request -> e-mail of the last answered assign
    sse_events: int = 0


async def _call(client: httpx.AsyncClient, load: ApiLoad, kind: str, method: str, url: str, expect: int = 200,
                write: bool = False, **kw: Any) -> httpx.Response | str:
    """The response when it is the expected one; else "down" (never sent), "cut" (answer lost) or "bad"."""
    try:
        r = await client.request(method, url, **kw)
    except NEVER_SENT:
        load.retried[kind] += 1
        return "down"
    except httpx.TransportError:  # reset, closed or timed out mid-request by a restart
        (load.uncertain if write else load.retried)[kind] += 1
        return "cut"
    if r.status_code != expect:
        load.failed[f"{kind} {r.status_code}"] += 1
        return "bad"
    load.calls[kind] += 1
    return r


async def api_client(base: str, token: str, load: ApiLoad, stop: asyncio.Event, pause: float = 1.0,
                     seed: int = 7) -> None:
    rng = random.Random(seed)
    rounds = 0
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client:
        while not stop.is_set():
            rounds += 1
            await _round(client, load, rng, rounds)
            await asyncio.sleep(rng.uniform(0.5, 1.5) * pause)


async def _round(client: httpx.AsyncClient, load: ApiLoad, rng: random.Random, rounds: int) -> None:
    params = {**rng.choice(FILTERS), "limit": "20"}
    page = await _call(client, load, "list", "GET", "/api/v1/requests", params=params)
    if not isinstance(page, httpx.Response):
        return
    items = page.json()["items"]
    if cursor := page.json()["next_cursor"]:
        older = await _call(client, load, "list next page", "GET", "/api/v1/requests",
                            params={**params, "cursor": cursor})
        if isinstance(older, httpx.Response):
            items += older.json()["items"]
    if not items:
        return
    rid = rng.choice(items)["id"]
    if not isinstance(await _call(client, load, "show", "GET", f"/api/v1/requests/{rid}"), httpx.Response):
        return
    note = f"Soak note {uuid.uuid4().hex}"
    done = await _call(client, load, "note", "POST", f"/api/v1/requests/{rid}/notes", 201, True, json={"body": note})
    if isinstance(done, httpx.Response):
        load.notes.add(note)
    elif done == "cut":
        load.notes_uncertain.add(note)
    who = rng.choice([USER_EMAIL, None])
    done = await _call(client, load, "assign", "POST", f"/api/v1/requests/{rid}/assign", 200, True, json={"email": who})
    if isinstance(done, httpx.Response):
        load.assigned[rid] = who
    elif done == "cut":
        load.assigned[rid] = "?"  # unknown: not checked
    if rounds % 6 == 0:
        marker = f"soak-api-reply-{uuid.uuid4().hex}"
        done = await _call(client, load, "reply", "POST", f"/api/v1/requests/{rid}/replies", 201, True,
                           data={"body": f"Antwoord via de API ({marker}).\n"})
        if isinstance(done, httpx.Response):
            load.replies.add(marker)
        elif done == "cut":
            load.replies_uncertain.add(marker)


async def sse_client(base: str, token: str, load: ApiLoad, stop: asyncio.Event, open_for: float = 3.0,
                     pause: float = 5.0) -> None:
    """Open the event stream for `open_for` seconds, count its events, close it; again after `pause`."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client:
        while not stop.is_set():
            try:
                async with asyncio.timeout(open_for), client.stream("GET", "/api/v1/events") as r:
                    if r.status_code != 200:
                        load.failed[f"events {r.status_code}"] += 1
                    else:
                        load.calls["events"] += 1
                        async for line in r.aiter_lines():
                            load.sse_events += line.startswith("event:")
            except TimeoutError:
                pass  # the stream stays open until we close it: that is the normal end
            except NEVER_SENT:
                load.retried["events"] += 1
            except httpx.TransportError:
                load.retried["events cut"] += 1  # the daemon restarted under the open stream
            await asyncio.sleep(pause)


async def web_client(base: str, load: ApiLoad, stop: asyncio.Event, pause: float = 10.0) -> None:
    """Log in with the form (a fresh cookie jar each time), then the inbox page and the session's API view."""
    while not stop.is_set():
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            form = await _call(client, load, "login form", "GET", "/login")
            if isinstance(form, httpx.Response):
                login = await _call(client, load, "login", "POST", "/login", 303, True,
                                    data={"email": USER_EMAIL, "password": PASSWORD, "next": "/"})
                if isinstance(login, httpx.Response):
                    page = await _call(client, load, "inbox page", "GET", "/")
                    if isinstance(page, httpx.Response) and "text/html" not in page.headers.get("content-type", ""):
                        load.failed["inbox page not html"] += 1
                    await _call(client, load, "list as user", "GET", "/api/v1/requests",
                                params={"assignee": "me", "unread": "true", "limit": "10"})
        await asyncio.sleep(pause)


def _plain_bodies(captured: list[Any]) -> list[str]:
    out = []
    for m in captured:
        msg = email.message_from_bytes(m.data, policy=email.policy.default)
        if msg.get("Auto-Submitted", "no") != "no":
            continue
        part = msg.get_body(("plain",))  # type: ignore[attr-defined]
        out.append(part.get_content() if part is not None else "")
    return out


def api_counts(sessions: sessionmaker[Session], load: ApiLoad, captured: list[Any]) -> dict[str, Any]:
    with sessions() as s:
        notes = Counter(str(d.get("body", "")) for d in s.scalars(select(TimelineEvent.detail)
                                                                  .where(TimelineEvent.kind == "note")))
        user_id = s.scalar(select(User.id).where(User.email == USER_EMAIL))
        assignee = {rid: uid for rid, uid in s.execute(select(QuoteRequest.id, QuoteRequest.assignee_user_id)
                                                       .where(QuoteRequest.id.in_(list(load.assigned))))}
    bodies = _plain_bodies(captured)
    sent = Counter(marker for marker in load.replies | load.replies_uncertain for b in bodies if marker in b)
    want = {rid: (user_id if who == USER_EMAIL else None) for rid, who in load.assigned.items() if who != "?"}
    return {
        "api_calls": dict(load.calls),
        "api_calls_total": sum(load.calls.values()),
        "api_retried": dict(load.retried),
        "api_uncertain": dict(load.uncertain),
        "api_failed": dict(load.failed),
        "sse_events": load.sse_events,
        "notes_added": len(load.notes),
        "notes_missing": [n for n in load.notes if notes[n] == 0],
        "notes_duplicated": [n for n in load.notes | load.notes_uncertain if notes[n] > 1],
        "api_replies": len(load.replies),
        "api_replies_not_sent": [m for m in load.replies if sent[m] == 0],
        "api_replies_extra": sum(max(0, sent[m] - 1) for m in load.replies | load.replies_uncertain),
        "assign_checked": len(want),
        "assign_wrong": [rid for rid, uid in want.items() if assignee.get(rid) != uid],
    }


def api_verdict(r: dict[str, Any]) -> list[str]:
    wrong = []
    if r["api_failed"]:
        wrong.append(f"HTTP answers other than expected: {r['api_failed']}")
    if r["notes_missing"] or r["notes_duplicated"]:
        wrong.append(f"notes not stored once: missing {r['notes_missing'][:3]}, twice {r['notes_duplicated'][:3]}")
    if r["api_replies_not_sent"]:
        wrong.append(f"API replies never sent: {r['api_replies_not_sent'][:3]}")
    if r["assign_wrong"]:
        wrong.append(f"assignee differs from the last answered assign: requests {r['assign_wrong'][:5]}")
    if r["api_calls"].get("events", 0) >= 3 and r["sse_events"] == 0:
        wrong.append("the event stream was opened but never carried an event")
    return wrong
