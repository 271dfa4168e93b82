"""Personal data through the real CLI: `contact export ID` (access) and `contact forget ID` (erasure)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from email.message import EmailMessage

import pytest
from sqlalchemy import MetaData, select

from quotemaild.config import load_config
from quotemaild.store import db
from quotemaild.store.models import (
    AckLog,
    AuditRecord,
    BouncedAddress,
    ContactInvoice,
    Message,
    OutboxMessage,
    QuoteRequest,
)
from tests.conftest import DOMAIN
from tests.integration.test_cli import store_raw

PDF = b"%PDF-1.4 plan of the kitchen\x00\x01\x02"


def j(run_cli, *args: str, expect: int = 0):
    return json.loads(run_cli(*args, "--json", expect=expect).stdout)


def mail(sender: str, name: str, msgid: str, subject: str = "Offerte ramen", attachment: bytes | None = None) -> bytes:
    m = EmailMessage()
    m["From"] = f"{name} <{sender}>"
    m["To"] = f"acme@{DOMAIN}"
    m["Subject"] = subject
    m["Date"] = "Mon, 05 Jan 2026 10:00:00 +0100"
    m["Message-ID"] = msgid
    m.set_content(f"Graag een prijs voor 12 ramen.\n{name}\n")
    if attachment is not None:
        m.add_attachment(attachment, maintype="application", subtype="pdf", filename="plan.pdf")
    return bytes(m)


@pytest.fixture
def world(run_cli, tmp_path):
    """Tenant acme; contact Jan (jan@klant.be) with a request with an attachment, a card file and an
    invoice; contact Mia (mia@ander.be) with her own request."""
    tenant = j(run_cli, "tenant", "add", "Acme", "--slug", "acme")
    run_cli("contact", "field", "add", "--tenant", "acme", "--key", "x", "--label", "X")
    jan = j(run_cli, "contact", "add", "--tenant", "acme", "--name", "Jan Janssens", "--email", "jan@klant.be",
            "--street", "Dorpstraat 9", "--custom", "x=1", "--person", "Els Janssens;els@klant.be;;partner")
    mia = j(run_cli, "contact", "add", "--tenant", "acme", "--name", "Mia Maes", "--email", "mia@ander.be")
    store_raw(run_cli.config_path, tenant["id"], mail("jan@klant.be", "Jan Janssens", "<j1@klant.be>",
                                                      attachment=PDF))
    store_raw(run_cli.config_path, tenant["id"], mail("mia@ander.be", "Mia Maes", "<m1@ander.be>", "Deur"))
    card_file = tmp_path / "contract.txt"
    card_file.write_bytes(b"signed by Jan")
    run_cli("contact", "attach", str(jan["id"]), str(card_file))
    return {"tenant": tenant, "jan": jan, "mia": mia}


def _sessions(run_cli):
    engine = db.make_engine(load_config(run_cli.config_path).store)
    return engine, db.make_sessionmaker(engine)


def _dump(run_cli) -> dict[str, bytes]:
    """Every row of every table, as bytes, by table name."""
    engine, _ = _sessions(run_cli)
    meta = MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for name, table in meta.tables.items():
            rows = conn.execute(select(table)).all()
            out[name] = b"\n".join(
                b"|".join(v if isinstance(v, bytes) else str(v).encode() for v in r) for r in rows)
    engine.dispose()
    return out


def _add_outgoing(run_cli, tenant_id: int) -> None:
    """What acknowledging and a bounce would have left: ack-log, bounce list, outbox (queued, sent)."""
    now = dt.datetime.now(dt.UTC)
    engine, sessions = _sessions(run_cli)
    with sessions.begin() as s:
        rid = s.scalar(select(QuoteRequest.id).where(QuoteRequest.requester_email == "jan@klant.be"))
        s.add_all([
            AckLog(tenant_id=tenant_id, address="jan@klant.be", at=now),
            AckLog(tenant_id=tenant_id, address="mia@ander.be", at=now),
            BouncedAddress(tenant_id=tenant_id, address="els@klant.be", at=now, detail="550 no such user"),
            *[OutboxMessage(tenant_id=tenant_id, request_id=rid, kind="ack", envelope_from="b@x",
                            rcpt_to=["jan@klant.be"], data=b"To: jan@klant.be\r\n\r\nDank u", state=state,
                            next_attempt_at=now, created_at=now) for state in ("queued", "sent")],
        ])
    engine.dispose()


def test_export_contact_json_and_files(run_cli, world, tmp_path):
    """The JSON holds card, persons, custom fields, attachments and the request with its message and
    timeline; --out writes the attachment bytes and the raw copy, named in the JSON."""
    jan = world["jan"]
    data = json.loads(run_cli("contact", "export", str(jan["id"])).stdout)
    card = data["contact"]
    assert card["name"] == "Jan Janssens" and card["custom"] == {"x": "1"}
    assert card["persons"][0]["emails"] == ["els@klant.be"]
    assert card["attachments"][0]["filename"] == "contract.txt"
    assert data["addresses"] == ["els@klant.be", "jan@klant.be"]
    [req] = data["requests"]
    assert req["requester_email"] == "jan@klant.be" and req["timeline"]
    [msg] = req["messages"]
    assert msg["from_email"] == "jan@klant.be" and "12 ramen" in msg["text"]
    assert msg["attachments"][0]["filename"] == "plan.pdf" and "file" not in msg["attachments"][0]

    out = tmp_path / "dsar"
    data = json.loads(run_cli("contact", "export", str(jan["id"]), "--out", str(out)).stdout)
    [msg] = data["requests"][0]["messages"]
    assert (out / msg["attachments"][0]["file"]).read_bytes() == PDF
    assert b"Message-ID: <j1@klant.be>" in (out / msg["raw_file"]).read_bytes()
    assert (out / data["contact"]["attachments"][0]["file"]).read_bytes() == b"signed by Jan"
    assert json.loads((out / f"contact-{jan['id']}.json").read_text()) == data


def test_export_errors_and_tenant_export_unchanged(run_cli, world):
    """Unknown id exits 3; an id with --tenant exits 4 naming it; the tenant CSV export still works."""
    assert "not found" in run_cli("contact", "export", "999", expect=3).stderr
    assert "--tenant" in run_cli("contact", "export", str(world["jan"]["id"]), "--tenant", "acme", expect=4).stderr
    assert "--tenant" in run_cli("contact", "export", expect=4).stderr
    text = run_cli("contact", "export", "--tenant", "acme").stdout_bytes.decode("utf-8-sig")
    assert "Jan Janssens" in text and "Mia Maes" in text


def test_forget_refuses_without_yes_and_for_unknown_ids(run_cli, world):
    result = run_cli("contact", "forget", str(world["jan"]["id"]), expect=4)
    assert "--yes" in result.stderr and result.stdout == ""
    run_cli("contact", "forget", "999", "--yes", expect=3)
    run_cli("contact", "forget", "999", expect=3)
    assert "Jan Janssens" in run_cli("contact", "show", str(world["jan"]["id"])).stdout


def test_forget_erases_every_trace_and_keeps_others(run_cli, world):
    """After forget no table holds the addresses or the name; Mia's data is untouched; the audit
    record has counts, ids and address digests only."""
    jan, mia = world["jan"], world["mia"]
    _add_outgoing(run_cli, world["tenant"]["id"])
    store_raw(run_cli.config_path, world["tenant"]["id"], mail("jan@klant.be", "Jan Janssens", "<j2@klant.be>",
                                                               "Voordeur"))
    second = max(r["id"] for r in j(run_cli, "request", "list", "--tenant", "acme"))
    run_cli("request", "delete", str(second), "--yes")  # its audit record names jan@klant.be
    before = _dump(run_cli)
    assert any(b"jan@klant.be" in rows for rows in before.values())
    detail = j(run_cli, "contact", "forget", str(jan["id"]), "--yes")
    assert detail["card"] == "deleted" and detail["counts"]["requests"] == 1
    counts = detail["counts"]
    assert (counts["attachments"], counts["ack_log"], counts["bounced_addresses"]) == (1, 1, 1)
    assert (counts["outbox_deleted"], counts["outbox_emptied"], counts["records_redacted"]) == (1, 1, 1)

    after = _dump(run_cli)
    for secret in (b"jan@klant.be", b"els@klant.be", b"Jan Janssens", b"Dorpstraat", b"plan of the kitchen"):
        assert not [t for t, rows in after.items() if secret in rows], secret
    run_cli("contact", "show", str(jan["id"]), expect=3)

    engine, sessions = _sessions(run_cli)
    with sessions() as s:
        assert [r.requester_email for r in s.scalars(select(QuoteRequest))] == ["mia@ander.be"]
        assert [m.from_email for m in s.scalars(select(Message))] == ["mia@ander.be"]
        assert [(o.state, o.rcpt_to, o.data, o.request_id) for o in s.scalars(select(OutboxMessage))] == [
            ("sent", [], b"", None)]
        assert [a.address for a in s.scalars(select(AckLog))] == ["mia@ander.be"]
        [record] = s.scalars(select(AuditRecord).where(AuditRecord.action == "contact.forget"))
        assert hashlib.sha256(b"jan@klant.be").hexdigest() in record.detail["address_sha256"]
        assert record.detail["request_ids"] == detail["request_ids"]
    engine.dispose()
    assert j(run_cli, "contact", "show", str(mia["id"]))["name"] == "Mia Maes"
    assert b"Graag een prijs" in after["raw_message_data"] and b"mia@ander.be" in after["raw_message_data"]


def test_forget_keeps_invoices_on_an_anonymised_card(run_cli, world):
    """A contact with invoices: the invoice number and amount stay (accounting) on a stub card."""
    jan = world["jan"]
    run_cli("contact", "invoiced", str(jan["id"]), "--invoice-number", "F2026-007", "--amount", "1210,50")
    detail = j(run_cli, "contact", "forget", str(jan["id"]), "--yes")
    assert detail["card"] == "anonymised"
    card = j(run_cli, "contact", "show", str(jan["id"]))
    assert card["name"] == "(erased)" and card["emails"] == [] and card["persons"] == []
    assert card["address"]["street"] == "" and card["custom"] == {} and card["attachments"] == []
    assert [(i["invoice_number"], i["amount"]) for i in card["invoices"]] == [("F2026-007", "1210.50")]
    after = _dump(run_cli)
    assert not [t for t, rows in after.items() if b"jan@klant.be" in rows or b"Janssens" in rows]
    engine, sessions = _sessions(run_cli)
    with sessions() as s:
        assert s.scalar(select(ContactInvoice.amount_cents)) == 121050
    engine.dispose()
