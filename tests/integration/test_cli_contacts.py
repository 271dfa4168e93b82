"""Contacts through the real CLI: cards, VAT warnings, numbering, invoices, attachments, custom
fields, merge, CSV import and export."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import select

from quotemaild.config import load_config
from quotemaild.store import db
from quotemaild.store.models import AuditRecord
from tests.conftest import make_mail
from tests.integration.test_cli import store_raw

YEAR = dt.datetime.now(dt.UTC).year
VALID_VAT = "0477.472.701"
BAD_VAT = "BE 0477.472.702"


def j(run_cli, *args: str, expect: int = 0):
    return json.loads(run_cli(*args, "--json", expect=expect).stdout)


@pytest.fixture
def acme(run_cli):
    return j(run_cli, "tenant", "add", "Acme", "--slug", "acme")


def add(run_cli, *args: str, expect: int = 0):
    return j(run_cli, "contact", "add", "--tenant", "acme", *args, expect=expect)


def test_add_company_with_every_kind_of_field(run_cli, acme):
    """A company card with persons, address, moments, groups and document e-mails round-trips."""
    run_cli("contact", "field", "add", "--tenant", "acme", "--key", "colour", "--label", "Kleur", "--on-documents")
    card = add(run_cli, "--name", "Bouw BV", "--vat", VALID_VAT, "--email", "info@bouw.be", "--phone", "09 123 45 67",
               "--street", "Kerkstraat 1", "--postal-code", "9000", "--city", "Gent", "--language", "fr",
               "--vat-regime", "renovation_6", "--payment-term", "30", "--discount", "2,5",
               "--quote-email", "offertes@bouw.be", "--group", "PVC", "--group", "beurs Brussel",
               "--lead-source", "beurs", "--appointment", "2026-02-01 14:30 stalen meebrengen",
               "--custom", "colour=antraciet", "--note", "Betaalt laat",
               "--person", "Piet Peeters;piet@bouw.be;0475 12 34 56;aankoop")
    assert card["warnings"] == []
    assert (card["type"], card["kind"], card["number"]) == ("company", "prospect", None)
    assert card["vat_number"] == "BE 0477.472.701"
    assert card["address"] == {"street": "Kerkstraat 1", "postal_code": "9000", "city": "Gent", "country": "BE"}
    assert card["document_emails"] == {"quote": "offertes@bouw.be"}
    assert card["groups"] == ["PVC", "beurs Brussel"]
    assert card["moments"]["appointment"] == {"date": "2026-02-01", "time": "14:30", "note": "stalen meebrengen"}
    assert card["custom"] == {"colour": "antraciet"}
    assert card["discount_percent"] == "2.5" and card["payment_term_days"] == 30
    assert card["persons"][0]["name"] == "Piet Peeters" and card["persons"][0]["emails"] == ["piet@bouw.be"]
    assert j(run_cli, "contact", "show", str(card["id"]))["internal_note"] == "Betaalt laat"
    assert "Piet Peeters" in run_cli("contact", "show", str(card["id"])).stdout


def test_add_from_a_json_card_with_options_winning(run_cli, acme, tmp_path):
    """--data gives any field as JSON (moments with notes, persons with addresses); options win."""
    card = tmp_path / "card.json"
    card.write_text(json.dumps({
        "name": "Uit JSON", "type": "company", "call_back": {"date": "05/02/2026", "time": "9u30", "note": "na 9u"},
        "persons": [{"name": "Els", "email": "els@example.org", "address": {"city": "Leuven", "postal_code": "3000"}}],
        "lead_source": "website",
    }))
    made = add(run_cli, "--data", str(card), "--lead-source", "beurs")
    assert (made["name"], made["type"], made["lead_source"]) == ("Uit JSON", "company", "beurs")
    assert made["moments"]["call_back"] == {"date": "2026-02-05", "time": "09:30", "note": "na 9u"}
    assert made["persons"][0]["address"]["city"] == "Leuven"
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert "--data" in run_cli("contact", "add", "--tenant", "acme", "--data", str(bad), expect=4).stderr


def test_invalid_input_names_the_field(run_cli, acme):
    """Bad input exits 4 naming the field; an unknown custom field is refused."""
    assert "postal_code" in run_cli("contact", "add", "--tenant", "acme", "--name", "X", "--postal-code", "12",
                                    expect=4).stderr
    assert "custom.nope" in run_cli("contact", "add", "--tenant", "acme", "--name", "X", "--custom", "nope=1",
                                    expect=4).stderr
    assert "name" in run_cli("contact", "add", "--tenant", "acme", expect=4).stderr


def test_vat_problems_are_warnings_on_stderr_and_in_json(run_cli, acme):
    """A bad checksum or a number already used warns (stderr and "warnings") but is stored."""
    first = run_cli("contact", "add", "--tenant", "acme", "--name", "A", "--vat", BAD_VAT, "--json")
    data = json.loads(first.stdout)
    assert [w["code"] for w in data["warnings"]] == ["invalid_checksum"]
    assert "warning" in first.stderr and "mod 97" in first.stderr
    add(run_cli, "--name", "B", "--vat", VALID_VAT)
    dup = run_cli("contact", "add", "--tenant", "acme", "--name", "C", "--vat", "BE0477472701", "--json")
    warnings = json.loads(dup.stdout)["warnings"]
    assert [w["code"] for w in warnings] == ["already_used"] and "(B)" in warnings[0]["message"]
    assert "already used" in dup.stderr
    assert len(j(run_cli, "contact", "list", "--tenant", "acme")) == 3
    # editing a contact does not warn about its own number
    assert j(run_cli, "contact", "update", str(data["id"]), "--city", "Gent")["warnings"][0]["code"] == "invalid_checksum"


def test_update_keeps_what_is_not_given(run_cli, acme):
    """`contact update` changes only the given fields; the kind changes only by conversion."""
    card = add(run_cli, "--name", "P", "--street", "Markt 1", "--city", "Brugge", "--email", "p@example.org")
    updated = j(run_cli, "contact", "update", str(card["id"]), "--city", "Gent", "--note", "VIP")
    assert updated["address"]["street"] == "Markt 1" and updated["address"]["city"] == "Gent"
    assert updated["emails"] == ["p@example.org"] and updated["internal_note"] == "VIP"


def test_convert_assigns_the_next_customer_number_in_the_tenant_format(run_cli, acme):
    """Conversion numbers customers from the tenant's format; converting twice exits 4."""
    run_cli("tenant", "update", "acme", "--customer-number-format", "K{year}-{seq:03}")
    a = add(run_cli, "--name", "A")
    b = add(run_cli, "--name", "B")
    assert j(run_cli, "contact", "convert", str(a["id"]))["number"] == f"K{YEAR}-001"
    converted = j(run_cli, "contact", "convert", str(b["id"]))
    assert (converted["kind"], converted["number"]) == ("customer", f"K{YEAR}-002")
    assert converted["converted_on"] is not None
    assert "already a customer" in run_cli("contact", "convert", str(b["id"]), expect=4).stderr
    direct = add(run_cli, "--name", "C", "--kind", "customer")
    assert direct["number"] == f"K{YEAR}-003"
    taken = run_cli("contact", "add", "--tenant", "acme", "--name", "D", "--number", f"K{YEAR}-001", expect=4)
    assert "number" in taken.stderr


def test_invoiced_converts_a_prospect_and_counts_each_invoice_once(run_cli, acme):
    """The first invoice makes a prospect a customer; revenue sums invoices; a repeat is a no-op."""
    p = add(run_cli, "--name", "P")
    out = j(run_cli, "contact", "invoiced", str(p["id"]), "--invoice-number", "F2026-1", "--amount", "1.210,50")
    assert out == {"id": p["id"], "kind": "customer", "number": f"C{YEAR}0001", "invoice_number": "F2026-1",
                   "amount": "1210.50", "recorded": True, "converted": True, "revenue": "1210.50"}
    again = j(run_cli, "contact", "invoiced", str(p["id"]), "--invoice-number", "F2026-1", "--amount", "1210.50")
    assert (again["recorded"], again["revenue"]) == (False, "1210.50")
    credit = j(run_cli, "contact", "invoiced", str(p["id"]), "--invoice-number", "CN-1", "--amount", "-210.50")
    assert (credit["converted"], credit["revenue"], credit["number"]) == (False, "1000.00", f"C{YEAR}0001")
    run_cli("contact", "invoiced", str(p["id"]), "--invoice-number", "F2026-1", "--amount", "5", expect=4)
    other = add(run_cli, "--name", "O")
    clash = run_cli("contact", "invoiced", str(other["id"]), "--invoice-number", "F2026-1", "--amount", "1", expect=4)
    assert "already recorded" in clash.stderr
    shown = j(run_cli, "contact", "show", str(p["id"]))
    assert shown["revenue"] == "1000.00" and [i["invoice_number"] for i in shown["invoices"]] == ["F2026-1", "CN-1"]
    listed = {c["name"]: c["revenue"] for c in j(run_cli, "contact", "list", "--tenant", "acme")}
    assert listed == {"P": "1000.00", "O": "0.00"}


def test_attach_a_file_to_a_contact(run_cli, acme, tmp_path):
    """`contact attach` stores the file; it is listed on the card."""
    card = add(run_cli, "--name", "P")
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(b"%PDF-1.4 signed")
    out = j(run_cli, "contact", "attach", str(card["id"]), str(contract))
    assert (out["filename"], out["content_type"], out["size"]) == ("contract.pdf", "application/pdf", 15)
    assert j(run_cli, "contact", "show", str(card["id"]))["attachments"][0]["filename"] == "contract.pdf"
    run_cli("contact", "attach", "999", str(contract), expect=3)


def test_custom_fields_are_defined_per_tenant(run_cli, acme):
    """Custom fields are typed; a number field refuses text."""
    j(run_cli, "contact", "field", "add", "--tenant", "acme", "--key", "ramen", "--label", "Aantal ramen",
      "--kind", "number")
    assert [f["key"] for f in j(run_cli, "contact", "field", "list", "--tenant", "acme")] == ["ramen"]
    run_cli("contact", "field", "add", "--tenant", "acme", "--key", "ramen", "--label", "x", expect=4)
    assert add(run_cli, "--name", "P", "--custom", "ramen=12")["custom"] == {"ramen": "12"}
    run_cli("contact", "add", "--tenant", "acme", "--name", "Q", "--custom", "ramen=veel", expect=4)


def test_merge_moves_documents_and_never_fills_the_target(run_cli, acme, tmp_path):
    """Merge needs --yes; requests, attachments and invoices move; target fields stay; audit remains."""
    source = add(run_cli, "--name", "Bron", "--email", "bron@example.org", "--phone", "0475 11 22 33")
    target = add(run_cli, "--name", "Doel")
    store_raw(run_cli.config_path, acme["id"], make_mail())
    rid = str(j(run_cli, "request", "list")[0]["id"])
    run_cli("request", "link", rid, "--contact", str(source["id"]))
    run_cli("request", "note", rid, "--body", "note stays with the request")
    (tmp_path / "foto.jpg").write_bytes(b"jpg")
    run_cli("contact", "attach", str(source["id"]), str(tmp_path / "foto.jpg"))
    run_cli("contact", "invoiced", str(source["id"]), "--invoice-number", "F1", "--amount", "100")

    refused = run_cli("contact", "merge", str(source["id"]), str(target["id"]), expect=4)
    assert "--yes" in refused.stderr and "cannot be undone" in refused.stderr
    out = j(run_cli, "--actor", "an@acme.be", "contact", "merge", str(source["id"]), str(target["id"]), "--yes")
    assert sorted(out["moved"]) == ["attachment", "invoice", "request"]
    assert set(out["not_copied"]) >= {"emails", "phone"}
    run_cli("contact", "show", str(source["id"]), expect=3)
    merged = j(run_cli, "contact", "show", str(target["id"]))
    assert (merged["emails"], merged["phone"]) == ([], "")
    assert merged["revenue"] == "100.00" and merged["kind"] == "prospect"
    assert [r["id"] for r in merged["requests"]] == [int(rid)] and len(merged["attachments"]) == 1
    shown = j(run_cli, "request", "show", rid)
    assert shown["contact"]["id"] == target["id"]
    assert "note" in [e["kind"] for e in shown["timeline"]] and shown["timeline"][-1]["kind"] == "contact_merged"
    engine = db.make_engine(load_config(run_cli.config_path).store)
    with db.make_sessionmaker(engine)() as s:
        audit = s.scalars(select(AuditRecord).where(AuditRecord.action == "contact.merge")).one()
    engine.dispose()
    assert audit.actor == "an@acme.be" and audit.detail["source"]["emails"] == ["bron@example.org"]
    run_cli("contact", "merge", str(target["id"]), str(target["id"]), "--yes", expect=4)


CSV = (
    "Naam;E-mail;BTW-nummer;Soort;Gemeente;Postcode\n"
    "Bouw BV;info@bouw.be;0477.472.701;klant;Gent;9000\n"
    "Jan Janssens;jan@example.org;;prospect;Brugge;8000\n"
)


def test_import_is_a_dry_run_until_commit(run_cli, acme, tmp_path):
    """Import checks every row and stores nothing; --commit stores; customers get numbers."""
    path = tmp_path / "klanten.csv"
    path.write_text(CSV, encoding="utf-8")
    dry = j(run_cli, "contact", "import", "--tenant", "acme", str(path))
    assert (dry["ok"], dry["committed"], dry["rows"]) == (True, False, 2)
    assert j(run_cli, "contact", "list", "--tenant", "acme") == []
    done = j(run_cli, "contact", "import", "--tenant", "acme", str(path), "--commit")
    assert done["committed"] is True and len(done["created_ids"]) == 2
    listed = {c["name"]: c for c in j(run_cli, "contact", "list", "--tenant", "acme")}
    assert listed["Bouw BV"]["number"] == f"C{YEAR}0001" and listed["Jan Janssens"]["kind"] == "prospect"
    again = run_cli("contact", "import", "--tenant", "acme", str(path), "--json", expect=0)
    assert "already used" in again.stderr  # the VAT number is now on a stored contact: a warning


def test_import_with_row_errors_stores_nothing(run_cli, acme, tmp_path):
    """A file with a bad row exits 4 with the row, field and column; --commit stores nothing."""
    path = tmp_path / "bad.csv"
    path.write_text(CSV + "Kapot;geen-adres;;;Gent;12\n", encoding="utf-8")
    result = run_cli("contact", "import", "--tenant", "acme", str(path), "--commit", "--json", expect=4)
    report = json.loads(result.stdout)
    assert report["committed"] is False
    assert {(e["row"], e["field"]) for e in report["errors"]} == {(4, "emails"), (4, "address.postal_code")}
    assert j(run_cli, "contact", "list", "--tenant", "acme") == []
    assert "row 4" in run_cli("contact", "import", "--tenant", "acme", str(path), expect=4).stdout


def test_export_csv_and_xlsx(run_cli, acme, tmp_path):
    """Export writes the tenant's contacts as `;` CSV with headers in its language, or XLSX."""
    add(run_cli, "--name", "Bouw BV", "--vat", VALID_VAT, "--kind", "customer")
    text = run_cli("contact", "export", "--tenant", "acme").stdout_bytes.decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.startswith("Klantnummer;Soort;Type;Naam")
    assert f"C{YEAR}0001;customer;company;Bouw BV" in row
    out = tmp_path / "contacts.xlsx"
    run_cli("contact", "export", "--tenant", "acme", "--format", "xlsx", "-o", str(out))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(out.read_bytes())).active
    assert sheet.cell(2, 4).value == "Bouw BV"
