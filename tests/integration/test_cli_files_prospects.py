"""Through the real CLI: attachments out of messages and contact cards (original name and type,
bytes unchanged), the contact list's header and prospect filter, and a card's seller."""

from __future__ import annotations

import json
from email.message import EmailMessage

from tests.integration.test_cli import store_raw

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def j(run_cli, *args: str, expect: int = 0):
    return json.loads(run_cli(*args, "--json", expect=expect).stdout)


def mail_with_files() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Klant <klant@example.org>"
    msg["To"] = "acme@proposals.example.test"
    msg["Subject"] = "Plannen"
    msg["Message-ID"] = "<files@example.org>"
    msg.set_content("Zie bijlagen.\n")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="plan gelijkvloers é.pdf")
    msg.add_attachment("kol;aantal\nraam;12\n".encode(), maintype="text", subtype="csv", filename="lijst.csv")
    return msg.as_bytes()


def test_message_attachments_come_out_unchanged(run_cli, tmp_path):
    """`message attachments ID` lists number, type and original name under a header;
    `message attachment ID N` writes the exact bytes to stdout, a file or a directory (original name)."""
    tenant = j(run_cli, "tenant", "add", "Acme", "--slug", "acme")
    store_raw(run_cli.config_path, tenant["id"], mail_with_files())
    request_id = j(run_cli, "request", "list")[0]["id"]
    message_id = j(run_cli, "request", "show", str(request_id))["messages"][0]["id"]
    listed = j(run_cli, "message", "attachments", str(message_id))
    assert [(f["number"], f["filename"], f["content_type"]) for f in listed] == [
        (1, "plan gelijkvloers é.pdf", "application/pdf"), (2, "lijst.csv", "text/csv")]
    text = run_cli("message", "attachments", str(message_id)).stdout.splitlines()
    assert text[0].split() == ["N", "SIZE", "TYPE", "NAME"] and text[1].endswith("plan gelijkvloers é.pdf")
    assert run_cli("message", "attachment", str(message_id), "1").stdout_bytes == PDF
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("message", "attachment", str(message_id), "2", "-o", str(out))
    assert (out / "lijst.csv").read_bytes() == b"kol;aantal\nraam;12\n"
    assert "text/csv" in result.stderr
    assert "attachment of message" in run_cli("message", "attachment", str(message_id), "3", expect=3).stderr
    run_cli("message", "attachments", "999", expect=3)


def test_contact_files_list_filter_and_seller(run_cli, tmp_path):
    """Card files out by number; `contact list --active/--inactive` filters prospects under a header;
    `contact assign` to an unknown user says how to add one (exit 3)."""
    tenant = j(run_cli, "tenant", "add", "Acme", "--slug", "acme")
    contact = j(run_cli, "contact", "add", "--tenant", "acme", "--name", "Bouw NV", "--email", "klant@example.org")
    j(run_cli, "contact", "add", "--tenant", "acme", "--name", "Stil BV")
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(PDF)
    run_cli("contact", "attach", str(contact["id"]), str(contract))
    assert [(f["number"], f["filename"]) for f in j(run_cli, "contact", "attachments", str(contact["id"]))] == [
        (1, "contract.pdf")]
    assert run_cli("contact", "attachment", str(contact["id"]), "1").stdout_bytes == PDF

    store_raw(run_cli.config_path, tenant["id"], mail_with_files())
    request_id = j(run_cli, "request", "list")[0]["id"]
    j(run_cli, "request", "link", str(request_id), "--contact", str(contact["id"]))
    assert [c["name"] for c in j(run_cli, "contact", "list", "--tenant", "acme", "--inactive")] == ["Bouw NV",
                                                                                                   "Stil BV"]
    j(run_cli, "quote", "create", "--request", str(request_id), "--line", "A;1;10;21")
    assert [c["name"] for c in j(run_cli, "contact", "list", "--tenant", "acme", "--active")] == ["Bouw NV"]
    assert [c["name"] for c in j(run_cli, "contact", "list", "--tenant", "acme", "--inactive")] == ["Stil BV"]
    lines = run_cli("contact", "list", "--tenant", "acme").stdout.splitlines()
    assert lines[0].split() == ["ID", "KIND", "NUMBER", "NAME", "VAT"] and "prospect (active)" in lines[1]

    unknown = run_cli("contact", "assign", str(contact["id"]), "nobody@acme.be", expect=3)
    assert "quotemaild user add --tenant SLUG" in unknown.stderr
    run_cli("user", "add", "--tenant", "acme", "--name", "Jan", "--email", "jan@acme.be")
    assigned = j(run_cli, "contact", "assign", str(contact["id"]), "jan@acme.be")
    assert assigned["seller_user_id"] is not None
    assert j(run_cli, "contact", "assign", str(contact["id"]), "--none")["seller_user_id"] is None
