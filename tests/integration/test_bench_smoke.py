"""The bench harness runs end to end on a tiny N and writes sane JSON (no timing thresholds)."""

from __future__ import annotations

import importlib.util
import json
import statistics
import subprocess
import sys
from typing import Any

import pytest

pytestmark = pytest.mark.slow  # ~30 s: two servers, a store load, a sustained second

N = 40
SIZES = (300, 700)
REPEATS = 2  # quick mode's default


def _daemon_landed() -> bool:
    return importlib.util.find_spec("quotemaild.edges.cli.main") is not None


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "latest.json"
    cmd = [
        sys.executable, "-m", "quotemaild.bench", "--quick", "--n", str(N),
        "--sizes", ",".join(map(str, SIZES)), "--duration", "1", "--query-runs", "5",
        "--max-message-size", str(1024 * 1024), "--web-requests", "300", "--web-runs", "2", "--out", str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Throughput" in proc.stdout
    return json.loads(out.read_text())


def _check_server(target: dict[str, Any]) -> None:
    assert target["status"] == "ok", target
    if "smtp_source_skipped" not in target:
        for sessions in ("1", "32"):
            run = target["smtp_source"][sessions]
            assert run["exit_code"] == 0 and _positive(run["msgs_per_s"]) and _positive(run["wall_s"])
            assert len(run["runs_msgs_per_s"]) == REPEATS and run["msgs_per_s"] in run["runs_msgs_per_s"]
    gen = target["generator"]
    assert gen["accepted"] == N and gen["errors"] == {}
    assert gen["replies"] > 0  # some messages answer earlier ones
    lat = gen["ack_latency"]
    assert _positive(lat["p50_ms"]) and lat["p50_ms"] <= lat["p99_ms"] <= lat["max_ms"]
    assert _positive(target["peak_rss_mb"])
    big = target["big_message"]
    assert big["status"] == "ok" and big["reply"].startswith("250"), big
    assert _positive(big["peak_mb"]) and big["multiplier"] >= 0


def test_json_has_the_expected_stages(result: dict[str, Any]) -> None:
    """Every stage is present; those that cannot run yet say why."""
    for key in ("schema", "mode", "machine", "params", "targets", "ratio", "components", "sustained",
                "paced", "scale", "ack_to_smarthost", "started_at", "finished_at"):  # fmt: skip
        assert key in result, key
    assert result["mode"] == "quick"
    assert set(result["targets"]) == {"baseline", "quotemaild"}
    ack = result["ack_to_smarthost"]
    assert ack["status"] in ("ok", "skipped", "error") and (ack["status"] == "ok" or ack.get("reason") or ack.get("error"))
    if ack["status"] == "ok":
        assert ack["matched"] > 0 and _positive(ack["latency"]["p50_ms"])
    assert _positive(result["machine"]["cpus"])


def test_baseline_numbers_are_positive(result: dict[str, Any]) -> None:
    """The null-sink baseline accepts every message and yields throughput, latency and RSS."""
    _check_server(result["targets"]["baseline"])


def test_quotemaild_runs_or_says_why_not(result: dict[str, Any]) -> None:
    """Once the daemon's CLI exists it must run under the bench; before that, a skip reason."""
    target = result["targets"]["quotemaild"]
    if _daemon_landed():
        _check_server(target)
        for sessions in ("1", "32"):
            base = result["targets"]["baseline"].get("smtp_source", {}).get(sessions)
            if base:
                # the median of the ratios of the runs taken in turn, not of the two medians
                pairs = zip(base["runs_msgs_per_s"], target["smtp_source"][sessions]["runs_msgs_per_s"], strict=True)
                assert result["ratio"][sessions] == round(statistics.median(q / b for b, q in pairs), 3)
    else:
        assert target["status"] == "skipped" and target["reason"]


def test_components_measure_writer_and_processor(result: dict[str, Any]) -> None:
    """Writer and processor are timed on their own, without SMTP."""
    comp = result["components"]
    if not _daemon_landed():
        assert comp["status"] in ("ok", "error")
        return
    assert comp["status"] == "ok", comp
    assert _positive(comp["writer"]["msgs_per_s"]) and _positive(comp["processor"]["msgs_per_s"])
    assert comp["processor"]["failed"] == 0


def test_sustained_run_samples_rss(result: dict[str, Any]) -> None:
    """The sustained stage sampled RSS over time and judged its flatness."""
    sus = result["sustained"]
    assert sus["status"] == "ok", sus
    assert sus["messages"] > 0 and _positive(sus["msgs_per_s"])
    assert sus["rss"]["samples"] >= 2 and _positive(sus["rss"].get("peak_mb", 1))


def test_paced_stage_times_arrival_to_request(result: dict[str, Any]) -> None:
    """The paced load offered a rate derived from the baseline, and every threaded message of it
    has an arrival -> request time read from the store."""
    paced = result["paced"]
    assert paced["status"] == "ok", paced
    base = result["targets"]["baseline"]["smtp_source"]["32"]["msgs_per_s"]
    assert paced["target_msgs_per_s"] == round(0.4 * base, 1)
    lat = paced["arrival_to_request"]
    assert 0 < lat["count"] <= paced["sent"], paced
    assert 0 <= lat["p50_s"] <= lat["p95_s"] <= lat["max_s"]
    assert paced["drain"]["pending_left"] == 0


def test_scale_levels_measure_queries_with_index_plans(result: dict[str, Any]) -> None:
    """Each store size is loaded, its queries timed, and their plans use indexes."""
    scale = result["scale"]
    assert scale["status"] == "ok", scale
    assert [lv["messages"] for lv in scale["levels"]] == list(SIZES)
    for level in scale["levels"]:
        q = level["queries"]
        assert q["tenant_requests"] > 0
        for name in ("request_list", "request_list_all_statuses", "thread_lookup"):
            assert _positive(q[name]["p95_ms"]) and q[name]["runs"] > 0
        assert q["plans_ok"], q["plans"]
        assert _positive(level["db_mb"]) and _positive(level["load"]["load_msgs_per_s"] or 1)
        if _daemon_landed():
            assert level["ingest"]["status"] == "ok", level["ingest"]
            assert _positive(level["ingest"]["msgs_per_s"]) and len(level["ingest"]["runs_msgs_per_s"]) == REPEATS


def test_queue_to_smarthost_from_daemon_and_cli(result: dict[str, Any]) -> None:
    """Mail queued inside the daemon and by the CLI is matched at the smarthost, with percentiles."""
    stage = result["queue_to_smarthost"]
    assert stage["status"] == "ok", stage
    for key in ("daemon", "cli"):
        part = stage[key]
        assert part["queued"] > 0 and part["matched"] == part["queued"], part
        lat = part["latency"]
        assert _positive(lat["p50_ms"]) and lat["p50_ms"] <= lat["p99_ms"] <= lat["max_ms"]


def test_web_stage_times_every_page_through_the_daemon(result: dict[str, Any]) -> None:
    """Each page and JSON twin answered 200 to a logged-in seller / a token, with percentiles."""
    stage = result["web"]
    if not _daemon_landed():
        assert stage["status"] == "skipped"
        return
    assert stage["status"] == "ok", stage
    assert stage["load"]["tenant_requests"] >= 300
    for name in ("inbox", "inbox_status_assignee", "inbox_unread", "inbox_search_rare", "request_page", "contacts",
                 "api_requests", "api_requests_filtered", "api_requests_cursor", "api_request"):
        page = stage["pages"][name]
        assert page["ok"] and page["runs"] == 2 and page["bytes"] > 0, (name, page)
        assert _positive(page["p50_ms"]) and page["p50_ms"] <= page["p95_ms"] <= page["max_ms"]
    assert stage["plans"]["list"]["plan"] and not stage["plans"]["list"]["full_scans"]
    live = stage["live_inbox"]  # each new request sent by SMTP was announced on an open event stream
    assert live["sent"] == 5 and live["announced"] == 5 and live["missed"] == 0, live
    assert 0 < live["p50_s"] <= live["p95_s"] <= live["max_s"]
