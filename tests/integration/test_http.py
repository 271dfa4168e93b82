"""/healthz and /metrics over real HTTP on 127.0.0.1, port 0, served by the daemon's own loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosmtplib
import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from quotemaild import daemon as daemon_mod
from quotemaild.config import config_from_dict
from quotemaild.edges.http import HealthSources, health
from sqlalchemy import create_engine, text
from tests.conftest import DOMAIN, config_dict, is_postgresql, make_mail, start_daemon


@pytest.fixture
async def served(tmp_path):
    config = config_from_dict(config_dict(tmp_path, http={"listen": "127.0.0.1:0"}))
    running = await start_daemon(config)
    assert running.daemon.http is not None
    base = f"http://{running.daemon.http.address}"
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        yield running, client
    await daemon_mod.stop(running.daemon, grace=2)
    running.sessions.kw["bind"].dispose()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_healthz_is_200_with_queue_depths_then_503_while_draining(served):
    """Healthy: 200 JSON with store, workers and queues; once draining it answers 503 (and SMTP 421, counted)."""
    running, client = served
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    # no smarthost in this config: the daemon serves (200) but says what it cannot do
    # the store's backend, and on PostgreSQL its role (a test server is a primary with no standby)
    store = {"ok": True, "backend": "postgresql", "role": "primary", "standbys": []} if is_postgresql() else {
        "ok": True, "backend": "sqlite"}
    assert body == {"status": "degraded", "accepting": True, "store": store,
                    "workers": {"commit_writer": True, "processor": True, "outbox": True},
                    "queues": {"commit": 0, "processing": 0, "outbox": 0},
                    "backpressure": {"active": False, "backlog": 0, "limit": 100_000},
                    "degraded": ["no smarthost configured: outgoing mail stays queued"]}
    running.daemon.handler.accepting = False
    r = await client.get("/healthz")
    assert r.status_code == 503 and r.json()["status"] == "unavailable"
    reader, writer = await asyncio.open_connection(running.host, running.port)
    assert (await reader.readline()).startswith(b"421 4.3.2")
    writer.close()
    got = samples((await client.get("/metrics")).text)
    assert got[("quotemaild_messages_rejected_total", (("code", "421"),))] == 1


async def test_healthz_is_ok_with_a_smarthost_configured(tmp_path):
    """With a smarthost configured there is nothing degraded: status ok and no reasons."""
    config = config_from_dict(config_dict(tmp_path, http={"listen": "127.0.0.1:0"},
                                          outbound={"smarthost": "127.0.0.1:9"}))
    running = await start_daemon(config)
    try:
        async with httpx.AsyncClient(base_url=f"http://{running.daemon.http.address}", timeout=5) as client:
            r = await client.get("/healthz")
        assert r.status_code == 200 and r.json()["status"] == "ok" and "degraded" not in r.json()
    finally:
        await daemon_mod.stop(running.daemon, grace=2)
        running.sessions.kw["bind"].dispose()


async def test_healthz_says_503_when_the_store_does_not_answer(tmp_path):
    """A store that cannot be opened makes the health check 503 with the driver's reason."""
    (tmp_path / "afile").write_text("x")
    broken = create_engine(f"sqlite:///{tmp_path}/afile/q.db")

    def ping() -> None:
        with broken.connect() as conn:
            conn.execute(text("SELECT 1"))

    sources = HealthSources(store_ping=ping, accepting=lambda: True, workers=lambda: {"w": True}, queues=dict)
    code, body = await health(sources)
    broken.dispose()
    assert code == 503 and body["store"]["ok"] is False and "OperationalError" in body["store"]["error"]


async def test_metrics_count_accepted_rejected_and_commit_histograms(served):
    """Accepted and rejected-by-code counters, commit batch size/latency histograms, outbox/IMAP hooks."""
    running, client = served
    async with aiosmtplib.SMTP(hostname=running.host, port=running.port) as smtp:
        await smtp.sendmail("klant@example.org", [running.address("acme")], make_mail())
        await smtp.mail("klant@example.org")
        with pytest.raises(aiosmtplib.SMTPRecipientRefused):
            await smtp.rcpt(f"nobody@{DOMAIN}")
    await running.wait_processed(1)

    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    got = samples(r.text)
    assert got[("quotemaild_messages_accepted_total", ())] == 1
    assert got[("quotemaild_messages_rejected_total", (("code", "550"),))] == 1
    assert got[("quotemaild_messages_processed_total", ())] == 1
    assert got[("quotemaild_processing_failures_total", ())] == 0
    assert got[("quotemaild_commit_batch_size_count", ())] >= 1
    assert got[("quotemaild_commit_batch_size_bucket", (("le", "+Inf"),))] >= 1
    assert got[("quotemaild_commit_seconds_count", ())] >= 1 and got[("quotemaild_commit_seconds_sum", ())] > 0
    assert got[("quotemaild_queue_depth", (("queue", "processing"),))] == 0
    # the acknowledgement of the new request waits in the outbox (no smarthost in tests)
    assert got[("quotemaild_outbox_depth", ())] == 1
    assert got[("quotemaild_outbox_oldest_age_seconds", ())] >= 0
    assert not any(name.startswith("quotemaild_imap") for name, _ in got)

    running.daemon.metrics.set_outbox_probe(lambda: (3, 42.5))
    running.daemon.metrics.set_imap_probe(lambda: {"acme/INBOX": "idle"})
    got = samples((await client.get("/metrics")).text)
    assert got[("quotemaild_outbox_depth", ())] == 3
    assert got[("quotemaild_outbox_oldest_age_seconds", ())] == 42.5
    assert got[("quotemaild_imap_source_state", (("source", "acme/INBOX"), ("state", "idle")))] == 1
    assert got[("quotemaild_imap_source_state", (("source", "acme/INBOX"), ("state", "error")))] == 0

    assert not any(n.startswith("quotemaild") for n in REGISTRY._names_to_collectors)  # not the global registry


async def test_a_failing_probe_does_not_break_the_scrape(served):
    """An outbox probe that raises is logged; /metrics still answers 200 with depth 0 and no age."""
    running, client = served

    def broken() -> tuple[int, float | None]:
        raise RuntimeError("outbox table missing")

    running.daemon.metrics.set_outbox_probe(broken)
    r = await client.get("/metrics")
    assert r.status_code == 200
    got = samples(r.text)
    assert got[("quotemaild_outbox_depth", ())] == 0
    assert not any(name == "quotemaild_outbox_oldest_age_seconds" for name, _ in got)


def test_http_listen_is_off_by_default(config):
    """Without [http] listen there is no HTTP listener."""
    assert config.http.listen is None


async def test_a_crashed_worker_task_turns_health_503_and_does_not_break_stop(tmp_path):
    """The outbox task dying makes /healthz 503 (and withholds the watchdog); stop still completes."""
    config = config_from_dict(config_dict(tmp_path, http={"listen": "127.0.0.1:0"}))
    running = await start_daemon(config)
    d = running.daemon

    async def boom() -> None:
        raise RuntimeError("delivery worker bug")

    outbox = next(t for t in d.tasks if t.get_name() == "outbox")
    d.outbox.stop()
    await outbox
    d.tasks[d.tasks.index(outbox)] = crashed = asyncio.create_task(boom(), name="outbox")
    await asyncio.wait([crashed])
    assert d.workers_alive()["outbox"] is False
    async with httpx.AsyncClient(base_url=f"http://{d.http.address}", timeout=5) as client:
        r = await client.get("/healthz")
    assert r.status_code == 503 and r.json()["workers"]["outbox"] is False
    await daemon_mod.stop(d, grace=1)
    running.sessions.kw["bind"].dispose()


async def test_http_on_a_unix_socket(tmp_path):
    """[http] listen = "unix:/path" serves the same endpoints on an AF_UNIX socket."""
    import shutil
    import tempfile

    short = tempfile.mkdtemp(prefix="qh", dir="/tmp")  # AF_UNIX paths are limited to 108 bytes
    path = f"{short}/http.sock"
    config = config_from_dict(config_dict(tmp_path, http={"listen": f"unix:{path}"}))
    running = await start_daemon(config)
    try:
        assert running.daemon.http.address == f"unix:{path}"
        transport = httpx.AsyncHTTPTransport(uds=path)
        async with httpx.AsyncClient(transport=transport, base_url="http://quotemaild", timeout=5) as client:
            assert (await client.get("/healthz")).status_code == 200
            assert "quotemaild_messages_accepted_total" in (await client.get("/metrics")).text
        await daemon_mod.stop(running.daemon, grace=1)
        assert not Path(path).exists()  # no stale socket file
    finally:
        running.sessions.kw["bind"].dispose()
        shutil.rmtree(short, ignore_errors=True)
