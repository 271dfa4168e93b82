"""The seller's company on the quote PDF, through the real CLI: every profile field, the logo,
payment terms, terms text, the signature block and "page x of y", in nl, fr and en; the contact
person's address and name override the company's."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from PIL import Image

from tests.conftest import make_mail
from tests.integration.test_cli import store_raw

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdfimages") is None,
                                reason="pdftotext/pdfimages (poppler-utils) are not installed")

PROFILE = {
    "--legal-name": "Acme Châssis BV", "--street": "Kerkstraat 1", "--postal-code": "9000", "--city": "Gent",
    "--vat-number": "BE0417497106", "--company-number": "0417.497.106", "--iban": "BE71096123456769",
    "--bic": "GEBABEBB", "--phone": "+32 9 123 45 67", "--website": "www.acme-chassis.be",
    "--email": "offertes@acme-chassis.be", "--payment-days": "30",
}
PRINTED = ["Acme Châssis BV", "Kerkstraat 1", "9000 Gent", "BE 0417.497.106", "0417.497.106",
           "BE71 0961 2345 6769", "GEBABEBB", "+32 9 123 45 67", "www.acme-chassis.be", "offertes@acme-chassis.be"]
BY_LANGUAGE = {
    "nl": ["Betalingsvoorwaarden", "Betaling binnen 30 dagen", "Voorwaarden NL: eigendom blijft",
           "Voor akkoord", "Naam, datum en handtekening", "Pagina 1 van 1", "Ondernemingsnr."],
    "fr": ["Conditions de paiement", "Paiement à 30 jours", "Conditions FR : la propriété reste",
           "Bon pour accord", "Nom, date et signature", "Page 1 sur 1", "N° d'entreprise"],
    "en": ["Payment terms", "Payment within 30 days", "Terms EN: ownership stays",
           "For agreement", "Name, date and signature", "Page 1 of 1", "Company no."],
}


def j(run_cli, *args: str, expect: int = 0):
    return json.loads(run_cli(*args, "--json", expect=expect).stdout)


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (120, 40), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def pdf_text(run_cli, quote_id, tmp_path) -> tuple[str, str]:
    path = tmp_path / f"q{quote_id}.pdf"
    run_cli("quote", "pdf", str(quote_id), "-o", str(path))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, check=True, text=True).stdout
    return text, images


@pytest.fixture
def profiled(run_cli, tmp_path):
    tenant = j(run_cli, "tenant", "add", "Acme", "--slug", "acme", "--language", "nl")
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    args = [arg for pair in PROFILE.items() for arg in pair]
    terms = tmp_path / "terms-fr.txt"
    terms.write_text("Conditions FR : la propriété reste au vendeur jusqu'au paiement.\n", encoding="utf-8")
    j(run_cli, "tenant", "update", "acme", *args, "--logo", str(logo),
      "--terms", "nl=Voorwaarden NL: eigendom blijft bij de verkoper tot betaling.",
      "--terms-file", f"fr={terms}", "--terms", "en=Terms EN: ownership stays with the seller until paid.",
      "--signature", "nl=Els Janssens\nAcme Châssis")
    return tenant


def quote_for(run_cli, tenant, language, lines=("A;1;100;21",), sender="klant@example.org"):
    store_raw(run_cli.config_path, tenant["id"], make_mail(subject=f"Offerte {language}", sender=sender))
    request_id = j(run_cli, "request", "list", "--limit", "1")[0]["id"]
    contact = j(run_cli, "contact", "add", "--tenant", "acme", "--name", f"Klant {language}", "--email", sender,
                "--language", language)
    j(run_cli, "request", "link", str(request_id), "--contact", str(contact["id"]))
    specs = [arg for line in lines for arg in ("--line", line)]
    return j(run_cli, "quote", "create", "--request", str(request_id), *specs)


def test_profile_is_stored_and_shown(run_cli, profiled):
    """`tenant profile` shows what was set: normalised numbers, texts per language, the logo's type."""
    view = j(run_cli, "tenant", "profile", "acme")
    assert (view["vat_number"], view["iban"], view["payment_days"]) == ("BE 0417.497.106", "BE71 0961 2345 6769", 30)
    assert set(view["terms"]) == {"nl", "fr", "en"} and view["signature"] == {"nl": "Els Janssens\nAcme Châssis"}
    assert view["logo"]["type"] == "image/png"
    bad = run_cli("tenant", "update", "acme", "--iban", "BE00 0000 0000 0000", expect=4)
    assert "profile.iban" in bad.stderr
    assert "profile.vat_number" in run_cli("tenant", "update", "acme", "--vat-number", "BE0417497107",
                                           expect=4).stderr
    assert j(run_cli, "tenant", "profile", "acme")["iban"] == "BE71 0961 2345 6769"  # nothing changed
    j(run_cli, "tenant", "update", "acme", "--website", "", "--name", "Acme Ramen")
    view = j(run_cli, "tenant", "profile", "acme")
    assert "website" not in view and view["name"] == "Acme Ramen"


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_every_profile_field_is_on_the_pdf(run_cli, profiled, tmp_path, language):
    """Seller block, logo, payment terms, terms text, signature block and page numbers in the contact's language."""
    quote = quote_for(run_cli, profiled, language)
    text, images = pdf_text(run_cli, quote["id"], tmp_path)
    for snippet in PRINTED + BY_LANGUAGE[language]:
        assert snippet in text, snippet
    assert len([line for line in images.splitlines()[2:] if line.strip()]) == 1  # the logo
    others = [s for lang, snippets in BY_LANGUAGE.items() if lang != language for s in snippets[:4]]
    assert not any(s in text for s in others)


@pytest.mark.parametrize(("language", "label"), [("nl", "Pagina {} van {}"), ("fr", "Page {} sur {}"),
                                                 ("en", "Page {} of {}")])
def test_a_forty_line_quote_spans_pages_numbered_x_of_y(run_cli, profiled, tmp_path, language, label):
    """40 lines break over pages; each page says "page x of y" and the last one holds totals and signature."""
    lines = [f"Artikel {i:02d} met een langere omschrijving over twee regels misschien;1;10;21" for i in range(40)]
    quote = quote_for(run_cli, profiled, language, lines)
    text, _ = pdf_text(run_cli, quote["id"], tmp_path)
    pages = text.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        assert label.format(n, len(pages)) in page
    assert "Artikel 00" in pages[0] and "Artikel 39" in text
    assert BY_LANGUAGE[language][3] in pages[-1]  # the signature block, whole, at the end


def test_the_contact_persons_address_and_quote_address(run_cli, profiled, tmp_path):
    """A request from a contact person: the quote shows the person (attn.) and their own address; the
    card's alternative e-mail for quotes is where the quote goes."""
    card = tmp_path / "card.json"
    card.write_text(json.dumps({
        "name": "Bouw NV", "emails": ["info@bouw.example"], "language": "nl", "type": "company",
        "street": "Industrieweg 9", "postal_code": "2000", "city": "Antwerpen",
        "quote_email": "offertes@bouw.example",
        "persons": [{"name": "Piet Peeters", "emails": ["piet@bouw.example"], "street": "Werfstraat 3",
                     "postal_code": "3000", "city": "Leuven"}],
    }), encoding="utf-8")
    contact = j(run_cli, "contact", "add", "--tenant", "acme", "--data", str(card))
    store_raw(run_cli.config_path, profiled["id"], make_mail(subject="Werf Leuven", sender="piet@bouw.example"))
    request_id = j(run_cli, "request", "list", "--limit", "1")[0]["id"]
    j(run_cli, "request", "link", str(request_id), "--contact", str(contact["id"]))
    quote = j(run_cli, "quote", "create", "--request", str(request_id), "--line", "A;1;100;21")
    assert quote["contact"]["address"] == ["Werfstraat 3", "3000 Leuven"]
    assert quote["contact_person"] == "Piet Peeters"
    assert quote["contact"]["email"] == "offertes@bouw.example"
    text, _ = pdf_text(run_cli, quote["id"], tmp_path)
    assert "T.a.v. Piet Peeters" in text and "Werfstraat 3" in text and "Industrieweg 9" not in text
