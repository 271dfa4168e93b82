"""The periodic retention task: every `retention.interval` seconds, purge raw copies in batches
(and drop change events older than `store.changes.KEEP`, whatever `raw_days` says).

Off while `retention.raw_days` is 0. Each batch is its own short transaction in a worker thread,
so the SMTP commit writer waits at most one batch for the write lock. The config is read through
a callable on every round, so a SIGHUP that changes `[retention]` takes effect on the next one.
Several instances on one PostgreSQL database: a round runs on one of them at a time
(`store.cluster.cluster_job`); the others skip it, and the next round finds what is left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import Clock
from quotemaild.config import RetentionConfig
from quotemaild.logs import get_logger
from quotemaild.services.retention import purge_closed_raw, purge_cutoff
from quotemaild.store import changes
from quotemaild.store.cluster import cluster_job

log = get_logger(__name__)


class RetentionTask:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, settings: Callable[[], RetentionConfig]) -> None:
        self._sessions = sessions
        self._clock = clock
        self._settings = settings
        self.purged = 0

    async def run(self) -> None:
        while True:
            cfg = self._settings()
            if cfg.raw_days > 0:
                try:
                    await asyncio.to_thread(self.round, cfg)
                except Exception as exc:  # store trouble: try again next round
                    log.warning("retention_failed", error=f"{type(exc).__name__}: {exc}"[:300])
            try:
                await asyncio.to_thread(self.prune_round)
            except Exception as exc:  # store trouble: try again next round
                log.warning("change_events_prune_failed", error=f"{type(exc).__name__}: {exc}"[:300])
            await asyncio.sleep(cfg.interval)

    def round(self, cfg: RetentionConfig) -> int | None:
        """One round, unless another instance is running one (then None)."""
        with cluster_job(self._sessions.kw["bind"], "retention") as mine:
            if not mine:
                log.debug("retention_skipped", reason="another instance is purging")
                return None
            return self.purge_once(cfg)

    def prune_round(self) -> int | None:
        with cluster_job(self._sessions.kw["bind"], "prune-changes") as mine:
            return self.prune_changes() if mine else None

    def prune_changes(self) -> int:
        total = 0
        while True:
            with self._sessions.begin() as session:
                n = changes.prune(session, self._clock.now())
            total += n
            if n < 5000:
                return total

    def purge_once(self, cfg: RetentionConfig) -> int:
        """Purge everything due now, batch by batch; returns how many raw copies were emptied."""
        total = 0
        now = self._clock.now()
        cutoff = purge_cutoff(now, cfg.raw_days)
        while True:
            with self._sessions.begin() as session:
                ids = purge_closed_raw(session, cutoff, now, cfg.batch)
            total += len(ids)
            self.purged += len(ids)
            if len(ids) < cfg.batch:
                break
        if total:
            log.info("raw_copies_purged", count=total, raw_days=cfg.raw_days)
        return total
