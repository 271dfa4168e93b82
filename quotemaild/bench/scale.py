"""Store scale: a fast bulk loader, query latency at each size, and query-plan checks.

The loader writes realistic rows (raw message with its ~2 KB bytes, parsed message, Message-ID
ref, quote request, timeline event) with SQLAlchemy Core executemany inserts on the models of
`quotemaild.store.models`, on an engine from `quotemaild.store.db` migrated by Alembic: the same
schema, indexes and pragmas as the daemon, without going through SMTP. About 30 % of messages
answer an earlier request of the same tenant. The `bench` tenant receives everything until it
holds `BIG_TENANT_REQUESTS` requests, three in four of them assigned to one of its `SELLERS`;
later messages spread over the other tenants.

On PostgreSQL the same rows go in with executemany (psycopg 3 pipelines SQLAlchemy's batched
INSERT ... VALUES), then each table's id sequence is moved past the loaded ids (the loader writes
explicit ids, which a sequence does not see) and the big tables are ANALYZEd, as autovacuum would
do on a live store; plans come from EXPLAIN instead of EXPLAIN QUERY PLAN.

`request list` is timed with the CLI's own query (`store.queries.request_query`) filtered by
status and assignee; the thread lookup mirrors threading's Message-ID -> request step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, insert, select, text

from quotemaild.bench.drivers import percentiles
from quotemaild.bench.procs import BENCH_DOMAIN, BENCH_SLUG
from quotemaild.bench.stores import Store, size_mb, store_url
from quotemaild.config import StoreConfig
from quotemaild.store.db import make_engine, migrate
from quotemaild.store.models import (
    Message,
    MessageRef,
    QuoteRequest,
    RawData,
    RawMessage,
    Tenant,
    TimelineEvent,
    User,
)
from quotemaild.store.queries import request_query

BIG_TENANT_REQUESTS = 100_000
OTHER_TENANTS = 99
BATCH = 5_000
REPLY_RATIO = 0.3
STATUSES = (
    ("received", 30), ("answered", 25), ("quote_created", 10), ("quote_sent", 15),
    ("accepted", 8), ("rejected", 7), ("cancelled", 5),
)  # fmt: skip
BIG_TABLES = {"raw_messages", "messages", "message_refs", "quote_requests", "timeline_events"}
# The bench tenant's sellers; a request is assigned to one of them, or (1 in 4) to nobody yet.
SELLERS = tuple(f"seller{k}@bench.example" for k in range(1, 9))
EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass
class _Counters:
    raw: int = 0
    message: int = 0
    ref: int = 0
    request: int = 0
    event: int = 0
    big_requests: int = 0


class BulkLoader:
    """Grows one store (SQLite or PostgreSQL) to a given number of stored messages, in batches."""

    def __init__(self, db_path: Store, seed: int = 7) -> None:
        self.db_path = db_path
        self.engine: Engine = make_engine(StoreConfig(url=store_url(db_path)))
        migrate(self.engine)
        self.rng = random.Random(seed)
        self.statuses = [s for s, w in STATUSES for _ in range(w)]
        self._ensure_tenants()

    def _ensure_tenants(self) -> None:
        with self.engine.begin() as conn:
            if conn.scalar(select(func.count()).select_from(Tenant)):
                return
            now = dt.datetime.now(dt.UTC)
            rows = [self._tenant_row(1, BENCH_SLUG, "Bench Tenant", now)]
            rows += [self._tenant_row(i + 2, f"t{i:03d}", f"Tenant {i}", now) for i in range(OTHER_TENANTS)]
            conn.execute(insert(Tenant), rows)
            conn.execute(insert(User), [{"id": k, "tenant_id": 1, "name": f"Seller {k}", "email": email, "role": "seller",
                                          "created_at": now} for k, email in enumerate(SELLERS, start=1)])  # fmt: skip
            self._after_load(conn, ("tenants", "users"))

    @staticmethod
    def _tenant_row(tid: int, slug: str, name: str, now: dt.datetime) -> dict[str, Any]:
        return dict(
            id=tid, slug=slug, name=name, language="nl", auto_reply=True, sender_mode="tenant",
            own_addresses=[], own_domains=[f"{slug}.example"], created_at=now,
        )  # fmt: skip

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(RawMessage)) or 0)

    def _counters(self, conn: Connection) -> _Counters:
        def top(col: Any) -> int:
            return int(conn.scalar(select(func.coalesce(func.max(col), 0))) or 0)

        big = conn.scalar(select(func.count()).select_from(QuoteRequest).where(QuoteRequest.tenant_id == 1))
        return _Counters(
            top(RawMessage.id), top(Message.id), top(MessageRef.id), top(QuoteRequest.id),
            top(TimelineEvent.id), int(big or 0),
        )  # fmt: skip

    def grow_to(self, total: int) -> dict[str, Any]:
        """Add messages until the store holds `total`; returns rows/s of the load."""
        start = time.perf_counter()
        have = self.count()
        added = 0
        while have + added < total:
            n = min(BATCH, total - have - added)
            with self.engine.begin() as conn:
                self._load_batch(conn, self._counters(conn), n)
            added += n
        if added:
            with self.engine.begin() as conn:
                self._after_load(conn, BIG_TABLES, analyze=True)
        wall = time.perf_counter() - start
        return {"messages": have + added, "added": added, "load_s": round(wall, 2),
                "load_msgs_per_s": round(added / wall) if wall and added else None}  # fmt: skip

    def _after_load(self, conn: Connection, tables: Any, analyze: bool = False) -> None:
        """PostgreSQL: sequences past the explicit ids just written (or the daemon's next insert
        would collide), and fresh planner statistics. SQLite needs neither."""
        if conn.dialect.name != "postgresql":
            return
        for table in sorted(tables):
            seq = conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})
            if seq:
                conn.execute(text(f"SELECT setval('{seq}', (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"))
            if analyze:
                conn.execute(text(f"ANALYZE {table}"))

    def _load_batch(self, conn: Connection, c: _Counters, n: int) -> None:
        rng = self.rng
        raws: list[dict[str, Any]] = []
        datas: list[bytes] = []
        msgs: list[dict[str, Any]] = []
        refs: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        requests: dict[int, dict[str, Any]] = {}
        by_tenant: dict[int, list[tuple[int, str]]] = {}  # this batch's requests: (id, last msg-id)
        for _ in range(n):
            c.raw += 1
            c.message += 1
            seq = c.raw
            at = EPOCH + dt.timedelta(seconds=60 * seq)
            if c.big_requests < BIG_TENANT_REQUESTS:
                tenant = 1
            else:
                tenant = 2 + seq % OTHER_TENANTS
            open_threads = by_tenant.setdefault(tenant, [])
            reply = open_threads and rng.random() < REPLY_RATIO
            msg_id = f"<m{seq}.{rng.getrandbits(40):x}@customers.example>"
            if reply:
                k = rng.randrange(len(open_threads))
                request_id, parent = open_threads[k]
                open_threads[k] = (request_id, msg_id)
                req = requests[request_id]
                req["message_count"] += 1
                req["updated_at"] = at
                customer = req["requester_email"]
                subject = "Re: " + req["subject"]
            else:
                c.request += 1
                request_id, parent = c.request, None
                if tenant == 1:
                    c.big_requests += 1
                customer = f"customer{seq}@customers.example"
                subject = f"Offerteaanvraag {seq}: {rng.choice(('ramen', 'dakwerken', 'zonnepanelen', 'isolatie'))}"
                requests[request_id] = dict(
                    id=request_id, tenant_id=tenant, status=rng.choice(self.statuses), subject=subject,
                    requester_email=customer, requester_name=f"Customer {seq}", message_count=1,
                    created_at=at, updated_at=at,
                    assignee_user_id=rng.choice((None, *range(1, len(SELLERS) + 1))) if tenant == 1 else None,
                )  # fmt: skip
                open_threads.append((request_id, msg_id))
            rcpt = f"{BENCH_SLUG if tenant == 1 else f't{tenant - 2:03d}'}@{BENCH_DOMAIN}"
            text = (f"Goedendag,\n\nGraag een offerte voor project {seq}. " * 24)[:1500]
            head = (
                f"From: Customer <{customer}>\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\n"
                f"Date: {format_datetime(at)}\r\nMessage-ID: {msg_id}\r\n"
                + (f"In-Reply-To: {parent}\r\nReferences: {parent}\r\n" if parent else "")
                + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            )
            data = (head + text.replace("\n", "\r\n") + "\r\n").encode()
            datas.append(data)
            raws.append(dict(
                id=seq, tenant_id=tenant, received_at=at, channel="smtp", mail_from=customer,
                rcpt_to=[rcpt], peer="127.0.0.1", helo="mx.customers.example", size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), state="processed", error=None,
                attempts=1, processed_at=at,
            ))  # fmt: skip
            msgs.append(dict(
                id=c.message, tenant_id=tenant, request_id=request_id, raw_id=seq, direction="in",
                message_id=msg_id, in_reply_to=parent, references=[parent] if parent else [],
                subject=subject, from_name="Customer", from_email=customer,
                to=[{"name": "", "email": rcpt}], cc=[], reply_to=[], date=at, text=text, html=None,
                provenance="reply" if reply else "direct", forwarded_by=None,
                requester_confidence=1.0, kind="human", defects=[], created_at=at,
            ))  # fmt: skip
            c.ref += 1
            refs.append(dict(id=c.ref, tenant_id=tenant, value=msg_id, message_pk=c.message))
            c.event += 1
            events.append(dict(
                id=c.event, request_id=request_id, at=at, kind="message_received", actor=customer,
                detail={"message": c.message, "thread": "in-reply-to" if reply else "new"},
            ))  # fmt: skip
        conn.execute(insert(RawMessage), raws)
        conn.execute(insert(RawData), [{"raw_id": r["id"], "data": d} for r, d in zip(raws, datas, strict=True)])
        conn.execute(insert(QuoteRequest), list(requests.values()))
        conn.execute(insert(Message), msgs)
        conn.execute(insert(MessageRef), refs)
        conn.execute(insert(TimelineEvent), events)


# --- the queries under test -------------------------------------------------------------------


def request_list_stmt(status: str | None, assignee: str | None = None) -> Select[Any]:
    """What `request list --tenant bench [--status S] [--assignee E]` runs: the CLI's own query
    (`store.queries.request_query`), newest first, one page of 50."""
    return request_query(BENCH_SLUG, status=status, assignee=assignee).limit(50)


def thread_lookup_stmt(tenant_id: int, ids: list[str]) -> Select[Any]:
    """Threading step 1 and 3: which stored message / request is behind these Message-IDs."""
    return (
        select(MessageRef.value, Message.request_id)
        .join(Message, Message.id == MessageRef.message_pk)
        .where(MessageRef.tenant_id == tenant_id, MessageRef.value.in_(ids))
    )


def pending_stmt() -> Select[Any]:
    """The post-ack worker's queue: pending raw messages, oldest first."""
    return select(RawMessage.id).where(RawMessage.state == "pending").order_by(RawMessage.id).limit(100)


def explain(conn: Connection, stmt: Select[Any]) -> dict[str, Any]:
    """The query plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL); `full_scans` lists
    big tables read without an index."""
    if conn.dialect.name == "postgresql":
        return _explain_postgresql(conn, stmt)
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args = tuple(params[k] for k in (compiled.positiontup or []))
    rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", args).all()
    plan = [str(r[-1]) for r in rows]
    full = [p for p in plan if p.startswith("SCAN ") and "USING" not in p and p.split()[1] in BIG_TABLES]
    return {"plan": plan, "full_scans": full, "temp_sort": any("TEMP B-TREE" in p for p in plan),
            "uses_index": not full}  # fmt: skip


def _explain_postgresql(conn: Connection, stmt: Select[Any]) -> dict[str, Any]:
    """EXPLAIN's node lines (costs left out); a `Seq Scan on` a big table is a full scan, a
    `Sort` node the counterpart of SQLite's temp B-tree."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    rows = conn.exec_driver_sql(f"EXPLAIN (COSTS off) {compiled}", compiled.construct_params()).all()
    plan = [str(r[0]).strip() for r in rows]
    nodes = [p.removeprefix("->").strip() for p in plan if not p.startswith(("Filter", "Index Cond", "Sort Key"))]
    full = [p for p in nodes if p.startswith(("Seq Scan on ", "Parallel Seq Scan on "))
            and p.split(" on ", 1)[1].split()[0] in BIG_TABLES]  # fmt: skip
    return {"plan": plan, "full_scans": full, "temp_sort": any(n.startswith(("Sort", "Incremental Sort")) for n in nodes),
            "uses_index": not full}  # fmt: skip


def _time(conn: Connection, stmts: list[Select[Any]]) -> dict[str, Any]:
    times: list[float] = []
    for stmt in stmts:
        t0 = time.perf_counter()
        conn.execute(stmt).all()
        times.append(time.perf_counter() - t0)
    pct = percentiles(times)
    s = sorted(times)
    pct["p95_ms"] = round(s[min(len(s) - 1, int(0.95 * len(s)))] * 1000, 3)
    pct["runs"] = len(times)
    return pct


def measure_queries(engine: Engine, runs: int, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    statuses = [s for s, _ in STATUSES]
    with engine.connect() as conn:
        tenant_requests = conn.scalar(
            select(func.count()).select_from(QuoteRequest).where(QuoteRequest.tenant_id == 1)
        )
        refs = conn.execute(
            select(MessageRef.value).where(MessageRef.tenant_id == 1).order_by(func.random()).limit(runs)
        ).scalars().all()
        lists = [request_list_stmt(statuses[i % len(statuses)], SELLERS[i % len(SELLERS)]) for i in range(runs)]
        unfiltered = [request_list_stmt(None) for _ in range(runs)]
        lookups = [
            thread_lookup_stmt(1, [r, f"<missing{rng.getrandbits(48):x}@nowhere.example>"]) for r in refs
        ] or [thread_lookup_stmt(1, ["<none@nowhere.example>"])]
        result = {
            "tenant_requests": int(tenant_requests or 0),
            "filters": "request_list: status and assignee (8 sellers); request_list_all_statuses: none",
            "request_list": _time(conn, lists),
            "request_list_all_statuses": _time(conn, unfiltered),
            "thread_lookup": _time(conn, lookups),
            "plans": {
                "request_list": explain(conn, lists[0]),
                "request_list_all_statuses": explain(conn, unfiltered[0]),
                "thread_lookup": explain(conn, lookups[0]),
                "pending_queue": explain(conn, pending_stmt()),
            },
        }
    result["plans_ok"] = all(p["uses_index"] for p in result["plans"].values())
    return result


def db_size_mb(db_path: Store) -> float | None:
    return size_mb(db_path)
