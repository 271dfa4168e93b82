"""Reminders with the real daemon and a capturing smarthost: one that fell due while the daemon was
stopped is mailed to the seller once after it starts, and not again after two more restarts."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json

from click.testing import CliRunner

from quotemaild import daemon as daemon_mod
from quotemaild.config import config_from_dict
from quotemaild.edges.cli.main import cli
from tests.conftest import config_dict, write_config
from tests.support.smtp_capture import CaptureServer


def cli_json(cfg_path, *args: str) -> dict:
    result = CliRunner().invoke(cli, ["--config", str(cfg_path), *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def add_prospect(cfg_path, name: str, when: str, seller: str) -> int:
    contact = cli_json(cfg_path, "contact", "add", "--tenant", "acme", "--name", name, "--phone", "09 123 45 67",
                       "--appointment", f"{when} toonzaal bezoek")
    cli_json(cfg_path, "contact", "assign", str(contact["id"]), seller)
    return contact["id"]


async def test_a_reminder_due_while_stopped_is_sent_once_across_restarts(tmp_path):
    with CaptureServer() as smarthost:
        data = config_dict(tmp_path, outbound={"smarthost": f"{smarthost.host}:{smarthost.port}",
                                               "poll_interval": 0.2})
        cfg_path = write_config(tmp_path / "config.toml", data)
        config = config_from_dict(data)
        cli_json(cfg_path, "tenant", "add", "Acme", "--slug", "acme", "--language", "nl")
        cli_json(cfg_path, "user", "add", "--tenant", "acme", "--name", "Jan Peeters", "--email", "jan@acme.be")
        first = add_prospect(cfg_path, "Bouw NV", "2020-03-02 14:30", "jan@acme.be")  # long past: due now

        subjects: list[str] = []
        for round_ in range(3):
            if round_:
                # A new reminder due now: when its mail arrives, the round that would have re-sent the
                # first one (it handles every due reminder at once) has run.
                add_prospect(cfg_path, f"Klant {round_}", "2021-01-04 10:00", "jan@acme.be")
            running = await daemon_mod.start(config)
            try:
                captured = await asyncio.to_thread(smarthost.wait_for, round_ + 1, 20.0)
            finally:
                await daemon_mod.stop(running, grace=2)
            mails = [email.message_from_bytes(m.data, policy=email.policy.default) for m in captured]
            subjects = [str(m["Subject"]) for m in mails]
            assert len(subjects) == round_ + 1, subjects

        assert subjects[0] == "Afspraak met Bouw NV op 02/03/2020 14:30"
        assert sum("Bouw NV" in s for s in subjects) == 1
        mail = email.message_from_bytes(smarthost.wait_for(3, 1.0)[0].data, policy=email.policy.default)
        assert mail["To"].addresses[0].addr_spec == "jan@acme.be"
        assert mail["Auto-Submitted"] == "auto-generated"
        text = mail.get_body(("plain",)).get_content()
        assert "toonzaal bezoek" in text and "09 123 45 67" in text and f"contact show {first}" in text
        # Nothing else waits in the outbox either: three reminder mails were ever queued.
        assert [row["kind"] for row in cli_json(cfg_path, "outbox", "list")] == ["reminder"] * 3
        listed = cli_json(cfg_path, "contact", "reminders", "--tenant", "acme")
        assert [(r["state"], r["recipient"]) for r in listed] == [("sent", "jan@acme.be")] * 3
