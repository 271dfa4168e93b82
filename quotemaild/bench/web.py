"""Web app and JSON API server time on a store with many requests, through the real daemon.

The store is grown with the scale stage's `BulkLoader` until the `bench` tenant holds the asked
number of requests (100k in full mode), then given what a working inbox has: contacts (1 in 5
requests linked to one), internal notes on 1 in 10 requests, about half of the requests read by
the logged-in seller, some flagged as needing attention, a password for that seller and an API
token. The daemon (`quotemaild serve` with `[http] listen`) serves it; a keep-alive HTTP/1.1
client on 127.0.0.1 logs in through the `/login` form like a browser, and times each request
from sending it to the last byte of the response: the server's time plus one loopback round trip.
Pages and their JSON twins are taken in turn (round robin), so a slow moment of a shared machine
spreads over all of them.

    python -m quotemaild.bench.web --requests 100000 --workdir /tmp/qb-web   # this stage alone
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import random
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from quotemaild.bench import live_inbox, procs
from quotemaild.bench.drivers import percentiles
from quotemaild.bench.procs import BENCH_SLUG
from quotemaild.bench.scale import BATCH, SELLERS, BulkLoader, explain
from quotemaild.clock import SystemClock
from quotemaild.services import inbox
from quotemaild.services.identity import Actor, create_token, set_password
from quotemaild.store import search
from quotemaild.store.models import Contact, QuoteRequest, ReadCount, RequestCount, RequestRead, Tenant, TimelineEvent, User
from quotemaild.store.queries import request_query

PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway store on loopback
SELLER = SELLERS[1]
TARGET_P95_MS = 100.0


def grow_requests(loader: BulkLoader, requests: int) -> dict[str, Any]:
    """Add messages until the bench tenant holds `requests` requests (~1.4 messages each)."""
    t0 = time.perf_counter()
    while True:
        with loader.engine.connect() as conn:
            have = int(conn.scalar(select(func.count()).select_from(QuoteRequest)
                                   .where(QuoteRequest.tenant_id == 1)) or 0)  # fmt: skip
        if have >= requests:
            break
        missing = requests - have
        loader.grow_to(loader.count() + min(BATCH, max(missing + missing // 2, 50)))
    return {"tenant_requests": have, "messages": loader.count(), "load_s": round(time.perf_counter() - t0, 1)}


def furnish(engine: Engine, seed: int = 5) -> dict[str, Any]:
    """Contacts, notes, read state and attention flags, a seller's password, a token (once per store)."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as s, s.begin():
        tenant = s.scalars(select(Tenant).where(Tenant.slug == BENCH_SLUG)).one()
        user = s.scalars(select(User).where(User.tenant_id == tenant.id, User.email == SELLER)).one()
        if not s.scalar(select(func.count()).select_from(Contact).where(Contact.tenant_id == tenant.id)):
            ids = list(s.scalars(select(QuoteRequest.id).where(QuoteRequest.tenant_id == tenant.id)
                                 .order_by(QuoteRequest.id)))  # fmt: skip
            n_contacts = max(len(ids) // 20, 10)
            s.execute(insert(Contact), [dict(
                tenant_id=tenant.id, kind="prospect" if k % 3 else "customer", type="person",
                number=None if k % 3 else f"K{k:06d}", name=f"Contact {k:06d}", emails=[f"contact{k}@customers.example"],
                created_at=now, updated_at=now) for k in range(n_contacts)])  # fmt: skip
            first = int(s.scalar(select(func.min(Contact.id)).where(Contact.tenant_id == tenant.id)) or 0)
            s.execute(text("UPDATE quote_requests SET contact_id = :first + (id % :n) "
                           "WHERE tenant_id = :t AND id % 5 = 0"), {"first": first, "n": n_contacts, "t": tenant.id})
            s.execute(text("UPDATE quote_requests SET needs_attention = 1 WHERE tenant_id = :t AND id % 50 = 7"),
                      {"t": tenant.id})  # fmt: skip
            s.execute(insert(TimelineEvent), [dict(
                request_id=rid, at=now, kind="note", actor=SELLER, detail={"body": f"Called back, visit {rid}."})
                for rid in ids if rid % 10 == 3])  # fmt: skip
            s.execute(insert(RequestRead), [dict(user_id=user.id, request_id=rid, read_at=now)
                                            for rid in ids if rng.random() < 0.5])  # fmt: skip
        set_password(s, user, PASSWORD)
        _, secret = create_token(s, tenant, "bench-web", "seller", "bench", SystemClock())
        tenant_id, user_id = tenant.id, user.id
        ids = list(s.scalars(select(QuoteRequest.id).where(QuoteRequest.tenant_id == tenant_id)
                             .order_by(func.random()).limit(500)))  # fmt: skip
    return {"token": secret, "tenant_id": tenant_id, "user_id": user_id, "request_ids": ids}


class Client:
    """One keep-alive HTTP/1.1 connection; `get` returns (status, body, seconds to the last byte)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, float, http.client.HTTPResponse]:  # fmt: skip
        for attempt in (1, 2):
            t0 = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers={**self.headers, **(headers or {})})
                resp = self.conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closes a connection idle past its keep-alive timeout (the other
                # client's slow pages); reconnect and time the request again, connect included.
                self.conn.close()
                if attempt == 2:
                    raise
                continue
            return resp.status, data, time.perf_counter() - t0, resp
        raise AssertionError("unreachable")

    def login(self, email: str, password: str) -> None:
        form = urlencode({"email": email, "password": password, "next": "/"})
        status, _, _, resp = self.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        cookie = resp.getheader("set-cookie") or ""
        if status != 303 or not cookie:
            raise RuntimeError(f"login failed: HTTP {status}")
        self.headers["Cookie"] = cookie.split(";", 1)[0]


def _wait_http(port: int, server: procs.Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"quotemaild exited with {server.proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            c.getresponse().read()
            c.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the HTTP listener did not come up")


def targets(ids: list[int], cursor: str | None) -> dict[str, tuple[str, list[str]]]:
    """name -> (client, paths); request pages take a different request each time."""
    assignee = SELLERS[2]
    filt = urlencode({"status": "received", "assignee": assignee})
    req_pages = [f"/requests/{rid}" for rid in ids]
    return {
        "healthz": ("api", ["/healthz"]),  # the floor: HTTP, routing and one store read, no page
        "inbox": ("web", ["/"]),
        "inbox_status_assignee": ("web", [f"/?{filt}"]),
        "inbox_mine": ("web", ["/?mine=1"]),
        "inbox_unread": ("web", ["/?unread=1"]),
        "inbox_search_common": ("web", ["/?q=zonnepanelen"]),
        "inbox_search_requester": ("web", ["/?q=customer1%40"]),  # one old request matches
        "inbox_search_rare": ("web", ["/?q=nowhere-to-be-found"]),
        "request_page": ("web", req_pages),
        "contacts": ("web", ["/contacts"]),
        "contacts_search": ("web", ["/contacts?q=Contact+0001"]),
        "api_requests": ("api", ["/api/v1/requests"]),
        "api_requests_filtered": ("api", [f"/api/v1/requests?{filt}"]),
        "api_requests_cursor": ("api", [f"/api/v1/requests?{urlencode({'cursor': cursor})}" if cursor else "/api/v1/requests"]),
        "api_request": ("api", [f"/api/v1/requests/{rid}" for rid in ids]),
    }  # fmt: skip


def time_http(port: int, furnished: dict[str, Any], runs: int) -> dict[str, Any]:
    web, api = Client(port), Client(port)
    web.login(SELLER, PASSWORD)
    api.headers["Authorization"] = f"Bearer {furnished['token']}"
    status, body, _, _ = api.request("GET", "/api/v1/requests")
    if status != 200:
        raise RuntimeError(f"GET /api/v1/requests: HTTP {status}")
    cursor = json.loads(body).get("next_cursor")
    plan = targets(furnished["request_ids"], cursor)
    clients = {"web": web, "api": api}
    times: dict[str, list[float]] = {name: [] for name in plan}
    statuses: dict[str, dict[int, int]] = {name: {} for name in plan}
    sizes: dict[str, int] = {}
    for name, (who, paths) in plan.items():  # one warm-up each (templates compiled, caches filled)
        clients[who].request("GET", paths[0])
    for i in range(runs):
        for name, (who, paths) in plan.items():
            status, body, took, _ = clients[who].request("GET", paths[i % len(paths)])
            times[name].append(took)
            statuses[name][status] = statuses[name].get(status, 0) + 1
            sizes[name] = len(body)
    out: dict[str, Any] = {}
    for name, values in times.items():
        pct = percentiles(values)
        s = sorted(values)
        pct["p95_ms"] = round(s[min(len(s) - 1, int(0.95 * len(s)))] * 1000, 3)
        out[name] = {"path": plan[name][1][0], **pct, "runs": len(values), "statuses": statuses[name],
                     "bytes": sizes[name], "ok": set(statuses[name]) == {200}}  # fmt: skip
    return out


def plans(engine: Engine, tenant_id: int, user_id: int) -> dict[str, Any]:
    """EXPLAIN QUERY PLAN of the inbox's list and count queries, as the service builds them."""
    actor = Actor(tenant_id, BENCH_SLUG, "seller", user_id=user_id, label=SELLER, email=SELLER)
    params = {"phrase": search.fts_query("customer1@"), "tenant": tenant_id, "limit": search.DEFAULT_CAP + 1}
    with Session(engine) as s:
        candidates = search.candidate_ids(s, tenant_id, "customer1@") or {0}

    def listing(**kw: Any) -> Any:
        q = request_query(BENCH_SLUG, kw.get("status"), kw.get("q"), kw.get("assignee"))
        q = q.where(QuoteRequest.tenant_id == tenant_id)
        if kw.get("candidates") is not None:  # as the service narrows a search (store/search.py)
            q = q.where(QuoteRequest.id.in_(sorted(kw["candidates"])))
        if kw.get("unread"):
            q = q.where(~inbox._read_clause(actor))
        return q.limit(51)

    stmts = {
        "list": listing(),
        "list_status_assignee": listing(status="received", assignee=SELLERS[2]),
        "list_unread": listing(unread=True),
        "list_search_like": listing(q="nowhere-to-be-found"),  # without the index: every message
        "list_search": listing(q="customer1@", candidates=candidates),
        "search_candidates_text": search.BY_TEXT.bindparams(**params),
        "search_candidates_fields": search.BY_FIELDS.bindparams(**params),
        "counts": select(RequestCount).where(RequestCount.tenant_id == tenant_id),  # what SQLite reads
        "count_unread_read": select(ReadCount.n).where(ReadCount.user_id == user_id),
        **{f"count_{k}_other_engines": v for k, v in inbox.count_statements(actor).items()},
    }
    with engine.connect() as conn:
        return {name: explain(conn, stmt) for name, stmt in stmts.items()}


def measure(workdir: Path, requests: int, runs: int, max_message_size: int, log_level: str) -> dict[str, Any]:
    db = workdir / "store.db"
    workdir.mkdir(parents=True, exist_ok=True)
    loader = BulkLoader(db)
    try:
        load = grow_requests(loader, requests)
        furnished = furnish(loader.engine)
        query_plans = plans(loader.engine, furnished["tenant_id"], furnished["user_id"])
    finally:
        loader.engine.dispose()
    http_port = procs.free_port()
    with procs.start_quotemaild(workdir / "daemon", max_message_size=max_message_size, db_path=db, preloaded=True,
                                log_level=log_level, http_port=http_port) as server:  # fmt: skip
        _wait_http(http_port, server)
        timed = time_http(http_port, furnished, runs)
        live = live_inbox.measure(http_port, server.port, furnished["token"], count=min(20, max(5, runs)))
    worst = max((t["p95_ms"] or 0) for t in timed.values())
    return {"load": load, "runs": runs, "pages": timed, "live_inbox": live, "plans": query_plans,
            "plans_ok": all(p["uses_index"] for k, p in query_plans.items() if k != "list_search_like"),
            "worst_p95_ms": worst, "target_p95_ms": TARGET_P95_MS,
            "all_ok": all(t["ok"] for t in timed.values())}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m quotemaild.bench.web", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--requests", type=int, default=100_000, help="requests of the bench tenant (default 100000)")
    p.add_argument("--runs", type=int, default=100, help="timed requests per page (default 100)")
    p.add_argument("--workdir", type=Path, required=True, help="the store and the daemon's log go here (kept)")
    p.add_argument("--out", type=Path, help="also write the JSON here")
    args = p.parse_args(argv)
    result = measure(args.workdir.resolve(), args.requests, args.runs, 4 * 1024 * 1024, "warning")
    from quotemaild.bench.report import web_lines

    print("\n".join(web_lines({"status": "ok", **result})))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
