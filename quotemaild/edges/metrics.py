"""Prometheus metrics, in a registry the daemon builds (never the process-global default).

Counters that the edges already keep (`IngestHandler.stats`, `ProcessingWorker.processed/failed`) are
read at scrape time by a collector, so the hot path does not change; commit batch size and latency
are histograms observed by the writer thread after each commit. Outbox and IMAP do not exist yet:
they plug in through `set_outbox_probe` and `set_imap_probe`, until then the outbox depth is 0,
its age absent, and no IMAP source state is exported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from quotemaild.logs import get_logger

log = get_logger(__name__)

# (depth, age in seconds of the oldest undelivered row or None)
OutboxProbe = Callable[[], tuple[int, float | None]]
# {source name: state}, e.g. {"acme/INBOX": "idle"}
ImapProbe = Callable[[], dict[str, str]]
IMAP_STATES = ("connecting", "idle", "fetching", "backoff", "error", "disabled")

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class Sources:
    """What the collector reads at scrape time; the daemon fills it in."""

    accepted: Callable[[], int] = lambda: 0
    rejected: Callable[[], dict[str, int]] = dict
    processed: Callable[[], int] = lambda: 0
    failed: Callable[[], int] = lambda: 0
    commit_failures: Callable[[], int] = lambda: 0
    queues: Callable[[], dict[str, int]] = dict
    purged: Callable[[], int] = lambda: 0
    outbox: OutboxProbe | None = None
    imap: ImapProbe | None = None
    extra: list[Callable[[], Iterator[Metric]]] = field(default_factory=list)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.sources = Sources()
        self.commit_batch_size = Histogram(
            "quotemaild_commit_batch_size",
            "Messages (SMTP transactions) committed together by the group-commit writer",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.commit_seconds = Histogram(
            "quotemaild_commit_seconds",
            "Time one group commit took, fsync included",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_Collector(self.sources))

    def observe_commit(self, batch_size: int, seconds: float) -> None:
        """Called by the writer thread after each commit (prometheus-client is thread-safe)."""
        self.commit_batch_size.observe(batch_size)
        self.commit_seconds.observe(seconds)

    def set_outbox_probe(self, probe: OutboxProbe) -> None:
        self.sources.outbox = probe

    def set_imap_probe(self, probe: ImapProbe) -> None:
        self.sources.imap = probe

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Collector(Collector):
    def __init__(self, sources: Sources) -> None:
        self._s = sources

    def describe(self) -> Iterator[Metric]:
        return iter(())  # collected fresh on every scrape

    def collect(self) -> Iterator[Metric]:
        s = self._s
        accepted = CounterMetricFamily("quotemaild_messages_accepted", "SMTP transactions stored and acknowledged with 250")
        accepted.add_metric([], s.accepted())
        yield accepted
        rejected = CounterMetricFamily("quotemaild_messages_rejected", "SMTP replies refusing a recipient or a message, by reply code", labels=["code"])
        for code, count in sorted(s.rejected().items()):
            rejected.add_metric([code], count)
        yield rejected
        processed = CounterMetricFamily("quotemaild_messages_processed", "Stored messages parsed and threaded")
        processed.add_metric([], s.processed())
        yield processed
        failures = CounterMetricFamily("quotemaild_processing_failures", "Stored messages whose processing failed (kept, shown, re-processable)")
        failures.add_metric([], s.failed())
        yield failures
        commit_failures = CounterMetricFamily("quotemaild_commit_failures", "Group commits that failed (their senders got 451)")
        commit_failures.add_metric([], s.commit_failures())
        yield commit_failures
        purged = CounterMetricFamily("quotemaild_raw_purged", "Raw copies emptied by the retention task")
        purged.add_metric([], s.purged())
        yield purged
        queues = GaugeMetricFamily("quotemaild_queue_depth", "Items waiting in an internal queue", labels=["queue"])
        for name, depth in sorted(s.queues().items()):
            queues.add_metric([name], depth)
        yield queues
        yield from self._outbox()
        yield from self._imap()
        for extra in s.extra:
            yield from extra()

    def _outbox(self) -> Iterator[Metric]:
        depth, age = 0, None
        if self._s.outbox is not None:
            try:
                depth, age = self._s.outbox()
            except Exception as exc:  # a scrape must never take the daemon down
                log.warning("metrics_probe_failed", probe="outbox", error=str(exc)[:200])
        gauge = GaugeMetricFamily("quotemaild_outbox_depth", "Outgoing mails not yet handed to the smarthost")
        gauge.add_metric([], depth)
        yield gauge
        if age is not None:
            oldest = GaugeMetricFamily("quotemaild_outbox_oldest_age_seconds", "Age of the oldest undelivered outgoing mail")
            oldest.add_metric([], age)
            yield oldest

    def _imap(self) -> Iterator[Metric]:
        if self._s.imap is None:
            return
        try:
            states = self._s.imap()
        except Exception as exc:
            log.warning("metrics_probe_failed", probe="imap", error=str(exc)[:200])
            return
        gauge = GaugeMetricFamily("quotemaild_imap_source_state", "1 for the state each IMAP source is in", labels=["source", "state"])
        for source, current in sorted(states.items()):
            for state in sorted(set(IMAP_STATES) | {current}):
                gauge.add_metric([source, state], 1 if state == current else 0)
        yield gauge
