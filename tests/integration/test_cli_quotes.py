"""Quotes through the real CLI on a real SQLite store: create from a request, show, PDF, decisions."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import pytest

from tests.conftest import make_mail
from tests.integration.test_cli import store_raw


def j(run_cli, *args: str, expect: int = 0):
    return json.loads(run_cli(*args, "--json", expect=expect).stdout)


@pytest.fixture
def linked(run_cli):
    """Tenant acme with a mailed-in request linked to a French-speaking company contact."""
    tenant = j(run_cli, "tenant", "add", "Acme Châssis", "--slug", "acme", "--language", "nl")
    store_raw(run_cli.config_path, tenant["id"], make_mail(subject="Offerte ramen", sender="klant@example.org"))
    request_id = j(run_cli, "request", "list")[0]["id"]
    contact = j(run_cli, "contact", "add", "--tenant", "acme", "--name", "Hélène Dupré SRL", "--email",
                "offres@dupre.example", "--street", "Rue de l'Église 5", "--postal-code", "5000",
                "--city", "Namur", "--language", "fr", "--vat", "BE0417497106")
    j(run_cli, "request", "link", str(request_id), "--contact", str(contact["id"]))
    return {"tenant": tenant, "request": request_id, "contact": contact}


LINES = ("--line", "Ramen PVC;12;450;21;st", "--line", "Plaatsing;8;55,50;6;uur;10",
         "--line", "Afvoer oud glas;1;100;21")


def test_create_copies_the_contact_numbers_and_totals_per_rate(run_cli, linked):
    """A quote copies name, address, VAT and language of the contact, gets OF-<year>-0001 and totals per rate."""
    quote = j(run_cli, "quote", "create", "--request", str(linked["request"]), *LINES)
    year = quote["issue_date"][:4]
    assert quote["number"] == f"OF-{year}-0001" and quote["status"] == "draft"
    assert quote["language"] == "fr" and quote["contact_id"] == linked["contact"]["id"]
    assert quote["contact"]["name"] == "Hélène Dupré SRL"
    assert quote["contact"]["address"] == ["Rue de l'Église 5", "5000 Namur"]
    assert quote["contact"]["vat"] == linked["contact"]["vat_number"]
    assert quote["contact"]["email"] == "offres@dupre.example"
    # 12 x 450 = 5400 + 100 at 21 %; 8 x 55.50 = 444 - 10 % = 399.60 at 6 %
    assert quote["totals"]["by_rate"] == [
        {"rate": "21", "base": "5500.00", "vat": "1155.00", "total": "6655.00"},
        {"rate": "6", "base": "399.60", "vat": "23.98", "total": "423.58"},
    ]
    assert quote["totals"] | {} == {"by_rate": quote["totals"]["by_rate"], "excl": "5899.60", "vat": "1178.98",
                                    "incl": "7078.58"}
    assert quote["valid_until"] == (dt.date.fromisoformat(quote["issue_date"]) + dt.timedelta(days=30)).isoformat()
    assert j(run_cli, "quote", "show", str(quote["id"])) == quote

    second = j(run_cli, "quote", "create", "--request", str(linked["request"]), "--line", "Extra;1;10;21")
    assert second["number"] == f"OF-{year}-0002"
    shown = j(run_cli, "request", "show", str(linked["request"]))
    assert shown["status"] == "quote_created"
    kinds = [e["kind"] for e in shown["timeline"]]
    assert kinds.count("quote_created") == 2 and "status_changed" in kinds
    assert [(q["id"], q["number"]) for q in shown["quotes"]] == [(quote["id"], quote["number"]),
                                                                 (second["id"], second["number"])]
    card = j(run_cli, "contact", "show", str(linked["contact"]["id"]))
    assert [(q["number"], q["total_incl"]) for q in card["quotes"]] == [(quote["number"], "7078.58"),
                                                                        (second["number"], "12.10")]


def test_bad_lines_are_refused_with_the_line_and_field(run_cli, linked):
    """A line with a bad quantity exits 4 naming line[2].quantity; nothing is stored."""
    result = run_cli("quote", "create", "--request", str(linked["request"]), "--line", "A;1;10;21",
                     "--line", "B;twee;10;21", expect=4)
    assert "line[2].quantity" in result.stderr
    assert run_cli("quote", "show", "1", expect=3).stderr.startswith("quotemaild: error: quote 1 not found")


def test_pdf_has_the_number_names_and_totals(run_cli, linked, tmp_path):
    """`quote pdf ID > file` writes a PDF whose text has the number, the names with accents and € totals."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    quote = j(run_cli, "quote", "create", "--request", str(linked["request"]), *LINES)
    result = run_cli("quote", "pdf", str(quote["id"]))
    data = result.stdout_bytes
    assert data.startswith(b"%PDF-")
    path = tmp_path / "q.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    assert quote["number"] in text
    assert "Hélène Dupré SRL" in text and "Acme Châssis" in text and "Rue de l'Église 5" in text
    assert "Offre de prix" in text  # the contact's language
    assert "7 078,58 €" in text and "1 155,00 €" in text and "23,98 €" in text


def test_accept_and_reject_from_the_cli(run_cli, linked):
    """`quote accept` moves quote and request to accepted (timeline); again is a no-op; reject then exits 4."""
    quote = j(run_cli, "quote", "create", "--request", str(linked["request"]), *LINES)
    accepted = j(run_cli, "quote", "accept", str(quote["id"]))
    assert accepted["status"] == "accepted" and accepted["decided_at"]
    assert j(run_cli, "quote", "accept", str(quote["id"]))["decided_at"] == accepted["decided_at"]
    assert "already accepted" in run_cli("quote", "reject", str(quote["id"]), expect=4).stderr
    shown = j(run_cli, "request", "show", str(linked["request"]))
    assert shown["status"] == "accepted"
    assert [e["kind"] for e in shown["timeline"]][-2:] == ["status_changed", "quote_accepted"]


def test_reject_from_the_cli(run_cli, linked):
    """`quote reject` moves the request to rejected."""
    quote = j(run_cli, "quote", "create", "--request", str(linked["request"]), *LINES)
    assert j(run_cli, "quote", "reject", str(quote["id"]))["status"] == "rejected"
    assert j(run_cli, "request", "show", str(linked["request"]))["status"] == "rejected"


def test_send_without_public_url_is_refused(run_cli, linked):
    """Without outbound.public_url there are no links to put in the mail: exit 4 naming the key."""
    quote = j(run_cli, "quote", "create", "--request", str(linked["request"]), *LINES)
    assert "outbound.public_url" in run_cli("quote", "send", str(quote["id"]), expect=4).stderr


def test_tenant_quote_settings(run_cli, linked):
    """`tenant update --quote-number-format/--quote-validity-days` are used by the next quote; bad ones exit 4."""
    view = j(run_cli, "tenant", "update", "acme", "--quote-number-format", "Q{year}-{seq:03}",
             "--quote-validity-days", "14")
    assert (view["quote_number_format"], view["quote_validity_days"]) == ("Q{year}-{seq:03}", 14)
    quote = j(run_cli, "quote", "create", "--request", str(linked["request"]), "--line", "A;1;1;21")
    assert quote["number"] == f"Q{quote['issue_date'][:4]}-001"
    assert quote["valid_until"] == (dt.date.fromisoformat(quote["issue_date"]) + dt.timedelta(days=14)).isoformat()
    assert "quote_number_format" in run_cli("tenant", "update", "acme", "--quote-number-format", "{x}", expect=4).stderr
    assert "quote_validity_days" in run_cli("tenant", "update", "acme", "--quote-validity-days", "400", expect=4).stderr


def test_request_status_cannot_contradict_its_quotes(run_cli, linked):
    """`request status` refuses (exit 4) a status its quotes contradict: accepted while the only
    quote is a draft, quote_created once it was accepted; nothing changes."""
    rid = str(linked["request"])
    quote = j(run_cli, "quote", "create", "--request", rid, "--line", "A;1;10;21")
    bad = run_cli("request", "status", rid, "accepted", expect=4)
    assert f"its quote {quote['number']} is draft" in bad.stderr and bad.stdout == ""
    assert j(run_cli, "request", "show", rid)["status"] == "quote_created"
    j(run_cli, "quote", "accept", str(quote["id"]))
    bad = run_cli("request", "status", rid, "quote_created", expect=4)
    assert "cannot be quote_created" in bad.stderr
    run_cli("request", "status", rid, "quote_sent", expect=4)  # a reopen would contradict the accepted quote
    shown = j(run_cli, "request", "show", rid)
    assert shown["status"] == "accepted"
    assert [e["detail"]["to"] for e in shown["timeline"] if e["kind"] == "status_changed"] == [
        "quote_created", "accepted"]


def test_quote_list_edit_duplicate_and_delete(run_cli, linked):
    """`quote list` prints a header and a tenant column across tenants; line commands edit a draft;
    duplicate and delete work; a draft has no new version (exit 4)."""
    rid = str(linked["request"])
    quote = j(run_cli, "quote", "create", "--request", rid, "--line", "A;1;100;21", "--line", "B;1;10;21")
    qid = str(quote["id"])
    j(run_cli, "quote", "line", "add", qid, "C;2;5;6", "--at", "1")
    j(run_cli, "quote", "line", "change", qid, "2", "A2;1;200;21")
    j(run_cli, "quote", "line", "move", qid, "1", "--to", "3")
    shown = j(run_cli, "quote", "line", "remove", qid, "2")
    assert [line["description"] for line in shown["lines"]] == ["A2", "C"]
    assert shown["totals"]["incl"] == "252.60"  # 200 + 21 % = 242; 10 + 6 % = 10.60
    shown = j(run_cli, "quote", "update", qid, "--notes", "Prijs incl. plaatsing", "--validity-days", "10")
    assert shown["notes"] == "Prijs incl. plaatsing"
    assert "notes: Prijs incl. plaatsing" in run_cli("quote", "show", qid).stdout
    assert "position" in run_cli("quote", "line", "remove", qid, "7", expect=4).stderr
    assert "edit a draft" in run_cli("quote", "new-version", qid, expect=4).stderr
    copy = j(run_cli, "quote", "duplicate", qid)
    assert copy["number"].endswith("-0002") and copy["status"] == "draft"

    text = run_cli("quote", "list").stdout.splitlines()
    assert text[0].split() == ["TENANT", "ID", "NUMBER", "STATE", "ISSUED", "VALID", "UNTIL", "REQUEST", "TOTAL",
                               "CONTACT"]
    assert len(text) == 3 and text[1].startswith("acme")
    assert run_cli("quote", "list", "--tenant", "acme").stdout.splitlines()[0].startswith("    ID  NUMBER")
    rows = j(run_cli, "quote", "list", "--number", "0001", "--state", "draft")
    assert [r["id"] for r in rows] == [quote["id"]] and rows[0]["tenant"] == "acme"
    assert j(run_cli, "quote", "list", "--from", "2999-01-01") == []
    assert run_cli("quote", "list", "--from", "2999-01-01").stdout.strip() == "(no quotes)"

    run_cli("quote", "delete", qid, expect=4)  # without --yes
    assert j(run_cli, "quote", "delete", qid, "--yes")["deleted"] is True
    run_cli("quote", "show", qid, expect=3)
    assert j(run_cli, "request", "show", rid)["status"] == "quote_created"  # the copy is still a draft
