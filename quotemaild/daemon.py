"""Composition root: config -> logs -> engine -> writer, processor, listeners -> serve until told.

Everything is built here from the config and handed down; nothing below reads globals. The life
cycle (signals, reload, drain, systemd notification) is in `edges/lifecycle.py`.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from quotemaild import wiring
from quotemaild.clock import Clock, SystemClock
from quotemaild.config import Config, Listen
from quotemaild.edges import lifecycle
from quotemaild.edges.backpressure import Backpressure
from quotemaild.edges.housekeeping import HousekeepingTask
from quotemaild.edges.http import HealthSources, HttpServer, create_app
from quotemaild.edges.http.wiring import api_context
from quotemaild.edges.quote_links import QuoteLinks
from quotemaild.edges.imap import ImapSupervisor
from quotemaild.edges.lmtp import LmtpHandler, lmtp_factory, prepare_unix_socket
from quotemaild.edges.metrics import Metrics
from quotemaild.edges.notify import Notifier
from quotemaild.edges.outbound import OutboxWorker
from quotemaild.edges.retention import RetentionTask
from quotemaild.edges.smtp import IngestHandler, SmtpLimits, smtp_factory
from quotemaild.edges.tenant_directory import TenantDirectory
from quotemaild.edges.worker_process import CONTEXT, ProcessingWorker
from quotemaild.edges.writer import CommitWriter
from quotemaild.edges import wake
from quotemaild.edges.wake import WakeListener
from quotemaild.logs import get_logger
from quotemaild.mail.tokens import Signer
from quotemaild.services.ingest import record_failure
from quotemaild.services.outbox import queue_depth
from quotemaild.store import db
from quotemaild.store.gate import gate_for
from quotemaild.store.lock import StoreLock, store_lock
from quotemaild.store.models import OutboxMessage, RawMessage, Tenant
from quotemaild.store.notify import CHANGES, PgListener
from quotemaild.store.role import server_role

NO_SMARTHOST_HEALTH = "no smarthost configured: outgoing mail stays queued"

log = get_logger(__name__)


@dataclass
class Daemon:
    config: Config
    handler: IngestHandler
    writer: CommitWriter
    processor: ProcessingWorker
    outbox: OutboxWorker
    servers: list[asyncio.base_events.Server]
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    engine: Engine | None = None
    tenants: TenantDirectory | None = None
    metrics: Metrics = field(default_factory=Metrics)
    http: HttpServer | None = None
    retention: RetentionTask | None = None
    notifier: Notifier = field(default_factory=lambda: Notifier({}))
    lock: StoreLock | None = None
    imap: ImapSupervisor | None = None
    lmtp_handler: LmtpHandler | None = None
    lmtp_server: asyncio.base_events.Server | None = None
    backpressure: Backpressure | None = None
    wake: WakeListener | None = None  # other processes that queue mail wake the outbox through it

    def handlers(self) -> list[IngestHandler]:
        return [self.handler] + ([self.lmtp_handler] if self.lmtp_handler is not None else [])

    def bound(self) -> list[str]:
        out = []
        for server in self.servers:
            for sock in server.sockets:
                name = sock.getsockname()
                out.append(f"{name[0]}:{name[1]}" if isinstance(name, tuple) else str(name))
        return out

    def workers_alive(self) -> dict[str, bool]:
        outbox = [t for t in self.tasks if t.get_name() == "outbox"]
        return {
            "commit_writer": self.writer.is_alive(),
            "processor": self.processor.is_alive(),
            "outbox": bool(outbox) and not outbox[0].done(),
        }

    def queues(self) -> dict[str, int]:
        return {"commit": self.writer.depth(), "processing": self.processor.depth()}

    def reconfigure(self, config: Config) -> None:
        """What a reload changes in the running parts (see `reload.RELOADABLE`)."""
        self.handler.limits = smtp_limits(config)
        if self.backpressure is not None:
            self.backpressure.limit = config.processing.max_backlog


def smtp_limits(config: Config) -> SmtpLimits:
    return SmtpLimits(
        max_message_size=config.mail.max_message_size,
        max_recipients=config.smtp.max_recipients,
        max_unknown_recipients=config.smtp.tarpit_after,
        unknown_delay=config.smtp.tarpit_delay,
        close_after_unknown=config.smtp.close_after_unknown,
        max_connections_per_client=config.smtp.max_connections_per_client,
        min_free_bytes=int(config.mail.max_message_size * 1.5),
        free_space_path=_sqlite_dir(config.store.url),
    )


async def start(config: Config, clock: Clock | None = None, notifier: Notifier | None = None) -> Daemon:
    clock = clock or SystemClock()
    lock = store_lock(config.store.url)
    if lock is not None:
        lock.acquire()  # one daemon per SQLite store; `restore` waits for us to be gone
    try:
        return await _start(config, clock, notifier or Notifier({}), lock)
    except BaseException:
        if lock is not None:
            lock.release()
        raise


async def _start(config: Config, clock: Clock, notifier: Notifier, lock: StoreLock | None) -> Daemon:
    engine = db.make_engine(config.store, checkpoint_pages=db.DAEMON_CHECKPOINT_PAGES)
    notifier.status("migrating the store")
    db.migrate(engine)
    sessions = db.make_sessionmaker(engine)
    metrics = Metrics()

    sign = wiring.signer(config)
    outbox = OutboxWorker(sessions, config.outbound, clock, helo=config.smtp.hostname)
    gate = gate_for(config.store.url, CONTEXT)  # SQLite's write lock: the commit writer first
    processor = ProcessingWorker(config, gate, notify=outbox.wake, on_lost=_record_lost(sessions, clock),
                                 drain_workers=config.processing.drain_workers)
    writer = CommitWriter(
        engine,
        on_committed=processor.enqueue,
        batch_max=config.store.commit_batch_max,
        delay=config.store.commit_delay,
        observe=metrics.observe_commit,
        gate=gate,
        lock_timeout=config.store.busy_timeout,
    )
    readers = db.make_reader(engine)  # read-only sessions never take SQLite's write lock
    tenants = TenantDirectory(_tenant_loader(readers))
    tenants.reload()
    limits = smtp_limits(config)
    bounce_tenant = _bounce_tenant(readers, sign)
    handler = IngestHandler(config.mail.domain, tenants, writer, limits, clock, bounce_tenant)
    backpressure = Backpressure(processor.depth, config.processing.max_backlog)
    handler.refusing = backpressure.refusing
    metrics.sources.extra.append(backpressure.metrics)
    writer.start()
    processor.start()
    servers: list[asyncio.base_events.Server] = []

    try:
        factory = smtp_factory(handler, config.smtp.hostname, limits, config.smtp.timeout, config.smtp.max_commands)
        servers.append(await _serve(config.smtp.listen, factory))
        tasks = [asyncio.create_task(outbox.run(), name="outbox")]
        daemon = Daemon(config, handler, writer, processor, outbox, servers, tasks, engine=engine, tenants=tenants,
                        metrics=metrics, notifier=notifier, lock=lock, backpressure=backpressure)
        wake.wake_on_commit(sessions, outbox.wake)  # mail queued in this process (HTTP, tasks)
        daemon.wake = await wake.listen(config.store.url, outbox.wake)  # ... and in others (CLI)
        if config.lmtp.listen is not None:
            daemon.lmtp_handler = LmtpHandler(config.mail.domain, tenants, writer, limits, clock, bounce_tenant)
            daemon.lmtp_handler.refusing = backpressure.refusing
            lmtp = lmtp_factory(
                daemon.lmtp_handler, config.smtp.hostname, limits, config.smtp.timeout, config.smtp.max_commands
            )
            if config.lmtp.listen.unix_path:
                prepare_unix_socket(config.lmtp.listen.unix_path)
            daemon.lmtp_server = await _serve(config.lmtp.listen, lmtp)
            servers.append(daemon.lmtp_server)
        daemon.imap = ImapSupervisor(sessions, writer, config.imap, config.mail.max_message_size, clock)
        await asyncio.to_thread(daemon.imap.start)
        _wire_metrics(daemon)
        metrics.set_outbox_probe(lambda: _outbox_probe(readers, clock))
        if config.http.listen is not None:
            sources = HealthSources(
                store_ping=lambda: _ping(engine),
                accepting=lambda: handler.accepting,
                workers=daemon.workers_alive,
                queues=lambda: {**daemon.queues(), "outbox": _outbox_probe(readers, clock)[0]},
                backpressure=backpressure.health,
                degraded=lambda: [] if config.outbound.smarthost else [NO_SMARTHOST_HEALTH],
                store_role=lambda: server_role(engine),
            )
            links = QuoteLinks(sessions, sign, clock, config.mail.domain)
            api = api_context(config, sessions, readers, clock)
            if api.feed is not None:
                processor.on_committed = api.feed.wake  # this instance's processing, on any store
                if isinstance(daemon.wake, PgListener):
                    daemon.wake.on(CHANGES, api.feed.wake)  # events committed by any instance
            daemon.http = HttpServer(create_app(sources, metrics, links, api), config.http.listen,
                                     before_stop=api.feed.close if api.feed is not None else None)
            await daemon.http.start()
        daemon.retention = RetentionTask(sessions, clock, lambda: daemon.config.retention)
        daemon.tasks.append(asyncio.create_task(daemon.retention.run(), name="retention"))
        housekeeping = HousekeepingTask(sessions, clock, wiring.send_settings(config), outbox.wake)
        daemon.tasks.append(asyncio.create_task(housekeeping.run(), name="housekeeping"))
        # What start-up built (modules, the app, caches) lives as long as the process: out of the
        # collector's sight, a full collection no longer walks it (~130 ms pauses on a page).
        gc.freeze()
        log.info("listening", listeners=daemon.bound(), http=daemon.http.address if daemon.http else None,
                 domain=config.mail.domain, imap_sources=len(daemon.imap.workers))
    except BaseException:
        # A listener that cannot bind (or any other start-up failure) must not leave the
        # processing child and the writer thread behind.
        for started in servers:
            started.close()
        await asyncio.to_thread(processor.stop, 5.0, False)
        await asyncio.to_thread(writer.stop, 5.0)
        engine.dispose()
        raise
    return daemon


async def stop(daemon: Daemon, grace: float = 30.0) -> None:
    """Drain: refuse new sessions with 421, let DATA in flight finish (up to `grace` seconds),
    flush the commit batch, stop the workers. Every 250 sent was committed before it was sent."""
    handler = daemon.handler
    handlers = daemon.handlers()
    for h in handlers:
        h.accepting = False
        for conn in list(h.connections):
            conn.close_if_idle()
    imap_stopped = (
        asyncio.create_task(asyncio.to_thread(daemon.imap.stop, min(grace, 10.0))) if daemon.imap else None
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while any(h.connections for h in handlers) and loop.time() < deadline:
        await asyncio.sleep(0.02)
    for h in handlers:
        if h.connections:
            log.warning("shutdown_grace_expired", sessions=len(h.connections), channel=h.channel)
            for conn in list(h.connections):
                if conn.transport is not None:
                    conn.transport.close()  # unacknowledged: the sender retries
    for server in daemon.servers:
        server.close()
    if daemon.http is not None:
        await daemon.http.stop()
    if imap_stopped is not None:
        await imap_stopped  # IMAP workers may still hand mail to the writer: stop them before it
    listen = daemon.config.lmtp.listen
    if listen is not None and listen.unix_path:
        Path(listen.unix_path).unlink(missing_ok=True)
    await asyncio.to_thread(daemon.writer.stop)
    await asyncio.to_thread(daemon.processor.stop, 30.0, False)
    if daemon.wake is not None:
        daemon.wake.close()
    daemon.outbox.stop()  # finishes the delivery in hand, then its task ends
    outbox = [t for t in daemon.tasks if t.get_name() == "outbox"]
    if outbox:
        await asyncio.wait(outbox, timeout=grace)
    for task in daemon.tasks:  # last: the watchdog keeps pinging while we drain
        task.cancel()
    for task, result in zip(daemon.tasks, await asyncio.gather(*daemon.tasks, return_exceptions=True), strict=True):
        if isinstance(result, Exception):
            log.error("task_failed", task=task.get_name(), error=f"{type(result).__name__}: {result}"[:300])
    if daemon.engine is not None:
        daemon.engine.dispose()
    if daemon.lock is not None:
        daemon.lock.release()
    log.info("stopped", accepted=handler.stats.accepted, committed=daemon.writer.stats.messages)


async def run(config: Config) -> None:
    """Serve until SIGTERM or SIGINT; SIGHUP reloads (see edges/lifecycle.py)."""
    await lifecycle.serve(config, start, stop)


def _wire_metrics(daemon: Daemon) -> None:
    s = daemon.metrics.sources
    s.accepted = lambda: daemon.handler.stats.accepted
    s.rejected = lambda: dict(daemon.handler.stats.rejected)
    s.processed = lambda: daemon.processor.processed
    s.failed = lambda: daemon.processor.failed
    s.commit_failures = lambda: daemon.writer.stats.failures
    s.queues = daemon.queues
    s.purged = lambda: daemon.retention.purged if daemon.retention else 0


def _tenant_loader(sessions: sessionmaker[Session]) -> Callable[[], dict[str, int]]:
    def load() -> dict[str, int]:
        with sessions() as session:
            return {slug: tid for slug, tid in session.execute(select(Tenant.slug, Tenant.id))}

    return load


def _record_lost(sessions: sessionmaker[Session], clock: Clock) -> Callable[[int, str], None]:
    """The processing child died with this message in hand: keep it visible as failed (unless its
    result was committed just before), so the next child does not die on it again."""

    def record(raw_id: int, why: str) -> None:
        with sessions.begin() as session:
            raw = session.get(RawMessage, raw_id)
            if raw is not None and raw.state == "pending":
                record_failure(session, raw_id, why, clock)

    return record


def _bounce_tenant(sessions: sessionmaker[Session], signer: Signer) -> Callable[[str], int | None]:
    """A valid VERP bounce address -> the tenant of the outbox row it names (else None)."""

    def lookup(address: str) -> int | None:
        outbox_id = signer.verify_bounce_address(address)
        if outbox_id is None:
            return None
        with sessions() as session:
            return session.scalar(select(OutboxMessage.tenant_id).where(OutboxMessage.id == outbox_id))

    return lookup


def _outbox_probe(sessions: sessionmaker[Session], clock: Clock) -> tuple[int, float | None]:
    with sessions() as session:
        depth, age = queue_depth(session, clock.now())
    return depth, (age if depth else None)


def _ping(engine: Engine) -> None:
    # Reads a real table: `SELECT 1` would not touch the SQLite file at all.
    with engine.connect() as conn:
        conn.execute(text("SELECT version_num FROM alembic_version"))


async def _serve(listen: Listen, factory: object) -> asyncio.base_events.Server:
    loop = asyncio.get_running_loop()
    if listen.unix_path:
        return await loop.create_unix_server(factory, listen.unix_path)  # type: ignore[arg-type]
    return await loop.create_server(factory, listen.host, listen.port, reuse_address=True)  # type: ignore[arg-type]


def _sqlite_dir(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database).parent
    return None
