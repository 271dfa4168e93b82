"""Without a smarthost the CLI says the mail cannot leave, and the request does not claim it did."""

from __future__ import annotations

from tests.integration.test_cli_workflow import acme, j, kinds  # noqa: F401 - fixture


def test_reply_without_smarthost_says_queued_not_sent_and_stays_received(run_cli, acme, tmp_path):  # noqa: F811
    rid = str(acme["request"])
    body = tmp_path / "reply.txt"
    body.write_text("De prijs volgt morgen.\n")
    out = run_cli("request", "reply", rid, "--body-file", str(body))
    assert out.stdout.startswith("queued, not sent: no smarthost configured (outbox ")
    shown = j(run_cli, "request", "show", rid)
    assert shown["status"] == "received"
    (queued,) = [e for e in shown["timeline"] if e["kind"] == "reply_queued"]
    assert queued["detail"]["not_sent"] == "no smarthost configured"
    as_json = j(run_cli, "request", "reply", rid, "--body-file", str(body))
    assert as_json["not_sent"] == "no smarthost configured"
    assert "status_changed" not in kinds(run_cli, acme["request"])
