"""Composition root: config -> logs -> engine -> writer, processor, listeners -> serve until told.

Everything is built here from the config and handed down; nothing below reads globals.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.engine import make_url

from quotemaild.clock import Clock, SystemClock
from quotemaild.config import Config, Listen
from quotemaild.edges.outbound import OutboxWorker
from quotemaild.edges.processor import Processor
from quotemaild.edges.smtp import IngestHandler, SmtpLimits, TenantDirectory, smtp_factory
from quotemaild.edges.writer import CommitWriter
from quotemaild.logs import get_logger
from quotemaild.mail.tokens import Signer
from quotemaild.services.acknowledge import acknowledge_new_request
from quotemaild.services.ingest import IngestResult, IngestSettings
from quotemaild.services.send import SendSettings
from quotemaild.store import db
from quotemaild.store.models import Tenant

log = get_logger(__name__)


@dataclass
class Daemon:
    config: Config
    handler: IngestHandler
    writer: CommitWriter
    processor: Processor
    outbox: OutboxWorker
    servers: list[asyncio.base_events.Server]
    tasks: list[asyncio.Task[None]]

    def bound(self) -> list[str]:
        out = []
        for server in self.servers:
            for sock in server.sockets:
                name = sock.getsockname()
                out.append(f"{name[0]}:{name[1]}" if isinstance(name, tuple) else str(name))
        return out


async def start(config: Config, clock: Clock | None = None) -> Daemon:
    clock = clock or SystemClock()
    engine = db.make_engine(config.store)
    db.migrate(engine)
    sessions = db.make_sessionmaker(engine)

    signer = Signer(config.security.secret.encode(), config.mail.domain)
    settings = IngestSettings(
        domain=config.mail.domain, max_header_bytes=config.smtp.max_header_bytes, signer=signer
    )
    send_settings = SendSettings(config.mail.domain, signer, config.outbound.public_url)
    outbox = OutboxWorker(sessions, config.outbound, clock, helo=config.smtp.hostname)

    def after_ingest(session: Session, result: IngestResult) -> bool:
        decision = acknowledge_new_request(session, send_settings, result, clock.now())
        return decision is not None and decision.allowed

    processor = Processor(sessions, settings, clock, after=after_ingest, notify=outbox.wake)
    writer = CommitWriter(
        engine,
        on_committed=processor.enqueue,
        batch_max=config.store.commit_batch_max,
        delay=config.store.commit_delay,
    )

    def load_tenants() -> dict[str, int]:
        with sessions() as session:
            return {slug: tid for slug, tid in session.execute(select(Tenant.slug, Tenant.id))}

    tenants = TenantDirectory(load_tenants)
    tenants.reload()
    limits = SmtpLimits(
        max_message_size=config.mail.max_message_size,
        max_recipients=config.smtp.max_recipients,
        min_free_bytes=int(config.mail.max_message_size * 1.5),
        free_space_path=_sqlite_dir(config.store.url),
    )
    handler = IngestHandler(config.mail.domain, tenants, writer, limits, clock)
    writer.start()
    processor.start()

    factory = smtp_factory(handler, config.smtp.hostname, limits, config.smtp.timeout, config.smtp.max_commands)
    server = await _serve(config.smtp.listen, factory)
    tasks = [asyncio.create_task(outbox.run(), name="outbox")]
    daemon = Daemon(config, handler, writer, processor, outbox, [server], tasks)
    log.info("listening", smtp=daemon.bound(), domain=config.mail.domain)
    return daemon


async def stop(daemon: Daemon, grace: float = 30.0) -> None:
    daemon.handler.accepting = False
    for server in daemon.servers:
        server.close()
    for server in daemon.servers:
        try:
            await asyncio.wait_for(server.wait_closed(), grace)
        except TimeoutError:
            log.warning("shutdown_grace_expired")
    await asyncio.to_thread(daemon.writer.stop)
    await asyncio.to_thread(daemon.processor.stop)
    daemon.outbox.stop()
    for task in daemon.tasks:
        try:
            await asyncio.wait_for(task, grace)
        except TimeoutError:
            task.cancel()
    log.info("stopped")


async def run(config: Config) -> None:
    """Serve until SIGTERM or SIGINT."""
    daemon = await start(config)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    await done.wait()
    log.info("shutdown_requested")
    await stop(daemon)


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
