"""The CLI contract: --json gives exactly one JSON document on stdout; errors exit non-zero."""

from __future__ import annotations

import json

from quotemaild.config import load_config
from quotemaild.services.ingest import IngestSettings
from quotemaild.edges.pipeline import process_one
from quotemaild.clock import SystemClock
from quotemaild.store import db
from quotemaild.store.models import RawMessage
from tests.conftest import DOMAIN, make_mail


def store_raw(config_path, tenant_id: int, raw: bytes, rcpt_to: str = "acme@" + DOMAIN) -> int:
    """Put a raw message in the store as the SMTP edge would, and process it."""
    import datetime as dt
    import hashlib

    cfg = load_config(config_path)
    engine = db.make_engine(cfg.store)
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as s:
        row = RawMessage(
            tenant_id=tenant_id, received_at=dt.datetime.now(dt.UTC), channel="smtp", mail_from="k@example.org",
            rcpt_to=[rcpt_to], peer="127.0.0.1:1", helo="x", size=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(), data=raw, state="pending", attempts=0,
        )
        s.add(row)
        s.flush()
        raw_id = row.id
    process_one(sessions, raw_id, IngestSettings(domain=DOMAIN), SystemClock())
    engine.dispose()
    return raw_id


def test_reprocess_threads_a_reply_by_our_signed_reply_to(run_cli, monkeypatch):
    """Re-processing uses the daemon's signer: a reply that names its request only by the signed
    Reply-To address (no In-Reply-To, no References) joins that request, as it would have at first."""
    import quotemaild.services.ingest as ingest
    from quotemaild.wiring import signer

    tenant = json.loads(run_cli("tenant", "add", "Acme", "--slug", "acme", "--json").stdout)
    store_raw(run_cli.config_path, tenant["id"], make_mail(subject="Offerte dakwerken"))
    (request,) = json.loads(run_cli("request", "list", "--json").stdout)
    reply_to = signer(load_config(run_cli.config_path)).reply_address(tenant["id"], "acme", request["id"])

    def broken(*a, **k):
        raise RuntimeError("parser exploded")

    with monkeypatch.context() as patched:  # the reply's first processing fails
        patched.setattr(ingest, "parse_message", broken)
        raw_id = store_raw(run_cli.config_path, tenant["id"], make_mail(subject="Akkoord", message_id="<r1@example.org>"),
                           rcpt_to=reply_to)  # fmt: skip

    result = json.loads(run_cli("reprocess", str(raw_id), "--json").stdout)
    assert result == [{"raw_id": raw_id, "ok": True, "request_id": request["id"], "verdict": "join"}]


def test_tenant_add_prints_the_address(run_cli):
    """`tenant add NAME --json` prints the tenant with a readable slug plus a short number."""
    out = json.loads(run_cli("tenant", "add", "Star Comm BV", "--json").stdout)
    assert out["name"] == "Star Comm BV"
    assert out["slug"].startswith("star-comm-bv-") and out["slug"].rsplit("-", 1)[1].isdigit()
    assert out["address"] == f"{out['slug']}@{DOMAIN}"
    assert isinstance(out["id"], int)


def test_tenant_add_with_slug_and_duplicate_is_refused(run_cli):
    """An explicit slug is used as is; taking it twice exits 4 naming the field."""
    out = json.loads(run_cli("tenant", "add", "Acme", "--slug", "acme", "--language", "fr", "--json").stdout)
    assert (out["slug"], out["language"]) == ("acme", "fr")
    again = run_cli("tenant", "add", "Acme 2", "--slug", "acme", expect=4)
    assert "slug" in again.stderr and again.stdout == ""


def test_bad_slug_is_refused_with_the_field_named(run_cli):
    """A slug that cannot be an address local part is refused."""
    result = run_cli("tenant", "add", "X", "--slug", "bad+slug", expect=4)
    assert "slug" in result.stderr


def test_tenant_list_json_is_one_document(run_cli):
    """`tenant list --json` is a JSON array and nothing else on stdout."""
    run_cli("tenant", "add", "A", "--slug", "a1")
    run_cli("tenant", "add", "B", "--slug", "b1")
    data = json.loads(run_cli("tenant", "list", "--json").stdout)
    assert [t["slug"] for t in data] == ["a1", "b1"]


def test_request_list_and_show(run_cli):
    """A stored mail shows up in `request list` and `request show` with messages and timeline."""
    tenant = json.loads(run_cli("tenant", "add", "Acme", "--slug", "acme", "--json").stdout)
    raw = make_mail(extra="Content-Type: text/plain; charset=utf-8")
    raw_id = store_raw(run_cli.config_path, tenant["id"], raw)
    listing = json.loads(run_cli("request", "list", "--tenant", "acme", "--json").stdout)
    assert len(listing) == 1
    item = listing[0]
    for key in ("id", "tenant", "status", "subject", "requester_email", "requester_name", "message_count", "created_at", "updated_at"):
        assert key in item
    assert (item["tenant"], item["status"], item["message_count"]) == ("acme", "received", 1)
    assert json.loads(run_cli("request", "list", "--status", "answered", "--json").stdout) == []

    shown = json.loads(run_cli("request", "show", str(item["id"]), "--json").stdout)
    msg = shown["messages"][0]
    for key in ("id", "direction", "message_id", "from", "to", "subject", "date", "text", "provenance", "attachments"):
        assert key in msg
    assert msg["from"]["email"] == "klant@example.org"
    assert msg["text"].startswith("Graag een prijs")
    assert msg["raw_id"] == raw_id
    assert [e["kind"] for e in shown["timeline"]] == ["request_created", "message_received"]
    assert all({"at", "kind", "actor", "detail"} <= set(e) for e in shown["timeline"])

    raw_out = run_cli("message", "raw", str(msg["id"]))
    assert raw_out.stdout_bytes == raw


def test_show_unknown_request_exits_3(run_cli):
    """An unknown id is an error on stderr with exit code 3, nothing on stdout."""
    result = run_cli("request", "show", "999", "--json", expect=3)
    assert result.stdout == "" and "not found" in result.stderr


def test_missing_config_names_the_option(tmp_path):
    """Without --config or QUOTEMAILD_CONFIG the CLI says how to give one."""
    from click.testing import CliRunner

    from quotemaild.edges.cli.main import cli

    result = CliRunner(env={"QUOTEMAILD_CONFIG": None}).invoke(cli, ["tenant", "list"])
    assert result.exit_code == 5
    assert "--config" in result.stderr


def test_check_config_masks_the_secret(run_cli):
    """check-config prints the effective config with the secret masked."""
    out = json.loads(run_cli("check-config", "--json").stdout)
    assert out["security"]["secret"] == "***"
    assert out["mail"]["domain"] == DOMAIN


def test_reprocess_a_failed_message(run_cli, monkeypatch):
    """A message whose processing failed is kept as a visible request and can be re-processed."""
    import quotemaild.services.ingest as ingest

    tenant = json.loads(run_cli("tenant", "add", "Acme", "--slug", "acme", "--json").stdout)
    real = ingest.parse_message

    def broken(*a, **k):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(ingest, "parse_message", broken)
    raw_id = store_raw(run_cli.config_path, tenant["id"], make_mail(subject="Kapot"))
    listing = json.loads(run_cli("request", "list", "--json").stdout)
    assert len(listing) == 1
    shown = json.loads(run_cli("request", "show", str(listing[0]["id"]), "--json").stdout)
    assert shown["timeline"][-1]["kind"] == "processing_failed"
    assert "parser exploded" in shown["timeline"][-1]["detail"]["error"]
    assert shown["messages"][0]["attachments"][0]["content_type"] == "message/rfc822"

    monkeypatch.setattr(ingest, "parse_message", real)
    result = json.loads(run_cli("reprocess", "--failed", "--json").stdout)
    assert result == [{"raw_id": raw_id, "ok": True, "request_id": result[0]["request_id"], "verdict": "new"}]
    listing = json.loads(run_cli("request", "list", "--json").stdout)
    assert [r["subject"] for r in listing] == ["Kapot"]
