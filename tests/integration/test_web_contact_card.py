"""The contact card's own forms over a real socket: persons, follow-up dates, custom fields, files,
groups and custom field definitions. What a form stores is read back through the JSON API (the
same services), a refused form names the field and loses nothing, other tenants get 404."""

from __future__ import annotations

import re

import pytest

from tests.integration.api_support import PASSWORD, api_daemon
from tests.integration.test_cli_vies import FakeVies, vies  # noqa: F401 (the fake VIES fixture)


@pytest.fixture
async def api(tmp_path):
    async for a in api_daemon(tmp_path):
        yield a


async def form_login(api, email: str):
    c = api.client(follow_redirects=False)
    r = await c.post("/login", data={"email": email, "password": PASSWORD, "next": "/"})
    assert r.status_code == 303, r.text
    page = await c.get("/contacts")
    return c, re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


PERSON = {"name": "Els Claes", "role": "aankoop", "emails": "els@claes.example", "phone": "+32 9 123 45 67",
          "street": "", "postal_code": "", "city": "", "country": "BE"}


async def test_persons_are_added_edited_and_removed_on_the_card(api):
    rest = api.client("acme")
    cid = (await rest.post("/api/v1/contacts", json={"name": "Claes BV", "type": "company"})).json()["id"]
    page, csrf = await form_login(api, "jan@acme.test")

    r = await page.post(f"/contacts/{cid}/persons", data={**PERSON, "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == f"/contacts/{cid}?flash=person_added"
    persons = (await rest.get(f"/api/v1/contacts/{cid}")).json()["persons"]
    assert [(p["name"], p["role"], p["emails"]) for p in persons] == [("Els Claes", "aankoop", ["els@claes.example"])]

    # a bad address: 422, the field named and marked, what was typed shown again, nothing stored
    r = await page.post(f"/contacts/{cid}/persons", data={**PERSON, "name": "Tom Tweede", "emails": "tom@",
                                                          "csrf": csrf})
    assert r.status_code == 422 and "Contact person 2 – E-mail addresses: is not an e-mail address" in r.text
    assert "Tom Tweede" in r.text
    assert re.search(r'id="pn-emails" name="emails"[^>]*aria-invalid="true"', r.text)
    assert len((await rest.get(f"/api/v1/contacts/{cid}")).json()["persons"]) == 1

    pid = persons[0]["id"]
    r = await page.post(f"/contacts/{cid}/persons/{pid}", data={**PERSON, "role": "zaakvoerder",
                                                                 "city": "Gent", "postal_code": "9000",
                                                                 "csrf": csrf})
    assert r.status_code == 303, r.text
    person = (await rest.get(f"/api/v1/contacts/{cid}")).json()["persons"][0]
    assert person["role"] == "zaakvoerder" and person["address"]["city"] == "Gent"

    # a person no longer on the card (a form left open while someone else saved) is refused
    r = await page.post(f"/contacts/{cid}/persons/999999/remove", data={"csrf": csrf})
    assert r.status_code == 422 and "no longer on the card" in r.text
    r = await page.post(f"/contacts/{cid}/persons/{person['id']}/remove", data={"csrf": csrf})
    assert r.status_code == 303
    assert (await rest.get(f"/api/v1/contacts/{cid}")).json()["persons"] == []

    other, other_csrf = await form_login(api, "olaf@other.test")
    r = await other.post(f"/contacts/{cid}/persons", data={**PERSON, "csrf": other_csrf})
    assert r.status_code == 404
    r = await page.post(f"/contacts/{cid}/persons", data=PERSON)  # no CSRF token
    assert r.status_code == 403


async def test_follow_up_dates_and_custom_fields(api):
    admin = api.client("acme-admin")
    r = await admin.post("/api/v1/contact-fields", json={"key": "colour", "label": "Kleur ramen"})
    assert r.status_code == 201, r.text
    page, csrf = await form_login(api, "an@acme.test")
    r = await page.post("/contacts/fields", data={"key": "m2", "label": "Oppervlakte", "kind": "number",
                                                  "csrf": csrf})
    assert r.status_code == 303
    r = await page.post("/contacts/fields", data={"key": "m2", "label": "Nog eens", "kind": "number", "csrf": csrf})
    assert r.status_code == 422 and "exists already" in r.text and 'aria-invalid="true"' in r.text
    assert [f["key"] for f in (await admin.get("/api/v1/contact-fields")).json()] == ["colour", "m2"]

    cid = (await admin.post("/api/v1/contacts", json={"name": "Familie Wouters"})).json()["id"]
    seller, seller_csrf = await form_login(api, "jan@acme.test")
    assert (await seller.post("/contacts/fields", data={"key": "x", "label": "X", "csrf": seller_csrf})).status_code == 403

    moments = {f"{k}_{p}": "" for k in ("first_contact", "appointment", "call_back", "sold")
               for p in ("date", "time", "note")}
    r = await seller.post(f"/contacts/{cid}/follow-up", data={**moments, "appointment_time": "14:30",
                                                              "appointment_note": "showroom", "csrf": seller_csrf},
                          headers={"accept-language": "nl-BE"})
    # said in the seller's language, the field named as the form names it
    assert r.status_code == 422 and "Afspraak – Datum: is geen datum (DD/MM/JJJJ)" in r.text and "showroom" in r.text
    r = await seller.post(f"/contacts/{cid}/follow-up", data={
        **moments, "appointment_date": "2027-01-12", "appointment_time": "14:30", "appointment_note": "showroom",
        "first_contact_date": "2026-12-01", "csrf": seller_csrf})
    assert r.status_code == 303
    card = (await admin.get(f"/api/v1/contacts/{cid}")).json()
    assert card["moments"] == {"appointment": {"date": "2027-01-12", "time": "14:30", "note": "showroom"},
                               "first_contact": {"date": "2026-12-01", "time": "", "note": ""}}

    r = await seller.post(f"/contacts/{cid}/custom", data={"custom_colour": "antraciet", "custom_m2": "veel",
                                                           "csrf": seller_csrf})
    assert r.status_code == 422 and "Oppervlakte: is not a number" in r.text
    r = await seller.post(f"/contacts/{cid}/custom", data={"custom_colour": "antraciet", "custom_m2": "42.5",
                                                           "csrf": seller_csrf})
    assert r.status_code == 303
    assert (await admin.get(f"/api/v1/contacts/{cid}")).json()["custom"] == {"colour": "antraciet", "m2": "42.5"}
    shown = (await seller.get(f"/contacts/{cid}")).text
    assert "Kleur ramen" in shown and "antraciet" in shown
    # dates in the page's language, the ISO value kept for machines
    assert '<time datetime="2027-01-12T14:30">12 Jan 2027 14:30</time>' in shown
    shown_fr = (await seller.get(f"/contacts/{cid}", headers={"accept-language": "fr"})).text
    assert '<time datetime="2027-01-12T14:30">12 janv. 2027 14:30</time>' in shown_fr
    shown_nl = (await seller.get(f"/contacts/{cid}", headers={"accept-language": "nl"})).text
    assert '<time datetime="2026-12-01">1 dec 2026</time>' in shown_nl
    # clearing: empty fields remove the value and the moment, the rest stays
    r = await seller.post(f"/contacts/{cid}/custom", data={"custom_colour": "", "custom_m2": "42.5",
                                                           "csrf": seller_csrf})
    r = await seller.post(f"/contacts/{cid}/follow-up", data={**moments, "first_contact_date": "2026-12-01",
                                                              "csrf": seller_csrf})
    card = (await admin.get(f"/api/v1/contacts/{cid}")).json()
    assert card["custom"] == {"m2": "42.5"} and list(card["moments"]) == ["first_contact"]


async def test_files_are_uploaded_downloaded_and_removed(api):
    rest = api.client("acme")
    cid = (await rest.post("/api/v1/contacts", json={"name": "Peeters"})).json()["id"]
    page, csrf = await form_login(api, "jan@acme.test")
    blob = bytes(range(256)) * 40
    r = await page.post(f"/contacts/{cid}/attachments", data={"csrf": csrf},
                        files={"file": ("getekend contract.pdf", blob, "application/pdf")})
    assert r.status_code == 303 and r.headers["location"].endswith("flash=file_added")
    r = await page.post(f"/contacts/{cid}/attachments", data={"csrf": csrf},
                        files={"file": ("", b"", "application/octet-stream")})
    assert r.status_code == 422 and "File: choose a file to upload" in r.text
    assert (await page.get(f"/contacts/{cid}/attachments/1")).content == blob
    assert [f["filename"] for f in (await rest.get(f"/api/v1/contacts/{cid}/attachments")).json()] == \
        ["getekend contract.pdf"]
    r = await page.post(f"/contacts/{cid}/attachments/1/remove", data={"csrf": csrf})
    assert r.status_code == 303
    assert (await rest.get(f"/api/v1/contacts/{cid}/attachments")).json() == []
    assert (await page.post(f"/contacts/{cid}/attachments/1/remove", data={"csrf": csrf})).status_code == 404
    # the JSON twin removes the same way
    await rest.post(f"/api/v1/contacts/{cid}/attachments", files={"file": ("foto.jpg", b"jpg", "image/jpeg")})
    assert (await api.client("other").delete(f"/api/v1/contacts/{cid}/attachments/1")).status_code == 404
    assert (await rest.delete(f"/api/v1/contacts/{cid}/attachments/1")).status_code == 204


async def test_groups_filter_the_list_and_a_bad_vat_number_warns_on_the_card(api):
    rest = api.client("acme")
    await rest.post("/api/v1/contacts", json={"name": "Hout Janssens", "groups": ["Hout"]})
    await rest.post("/api/v1/contacts", json={"name": "PVC Peeters", "groups": ["PVC", "beurs Brussel"]})
    cid = (await rest.post("/api/v1/contacts", json={"name": "Fout BTW", "vat_number": "BE0403019262"})).json()["id"]
    page, _ = await form_login(api, "jan@acme.test")
    r = await page.get("/contacts?group=hout")
    assert "Hout Janssens" in r.text and "PVC Peeters" not in r.text
    assert '<option value="beurs Brussel"' in r.text
    assert [c["name"] for c in (await rest.get("/api/v1/contacts?group=PVC")).json()] == ["PVC Peeters"]
    assert "check digits of the VAT number do not match" in (await page.get(f"/contacts/{cid}")).text


async def test_a_contact_is_created_by_hand(api):
    page, csrf = await form_login(api, "jan@acme.test")
    form = (await page.get("/contacts/new?kind=prospect")).text
    assert 'action="/contacts/new"' in form and '<label for="c-kind">' in form
    typed = {"csrf": csrf, "kind": "prospect", "name": "Familie Maes", "type": "person", "emails": "maes@",
             "city": "Brugge", "country": "BE", "language": "nl", "currency": "EUR", "vat_regime": "standard",
             "lead_source": "beurs Brussel"}
    r = await page.post("/contacts/new", data=typed)
    assert r.status_code == 422 and "emails" in r.text and "Familie Maes" in r.text
    r = await page.post("/contacts/new", data={**typed, "emails": "maes@example.org"})
    assert r.status_code == 303 and r.headers["location"].endswith("?flash=contact_added")
    cid = int(r.headers["location"].split("/")[2].split("?")[0])
    card = (await api.client("acme").get(f"/api/v1/contacts/{cid}")).json()
    assert (card["kind"], card["lead_source"], card["emails"]) == ("prospect", "beurs Brussel", ["maes@example.org"])


async def test_search_by_address_document_emails_and_excel_export(api):
    rest = api.client("acme")
    cid = (await rest.post("/api/v1/contacts", json={"name": "Bouw Vermeulen", "emails": ["info@vermeulen.example"],
                                                     "address": {"city": "Kortrijk", "postal_code": "8500"}})).json()["id"]
    await rest.post("/api/v1/contacts", json={"name": "Andere BV", "emails": ["x@andere.example"]})
    page, csrf = await form_login(api, "jan@acme.test")
    for q in ("vermeulen.example", "kortrijk"):
        listed = (await page.get(f"/contacts?q={q}")).text
        assert "Bouw Vermeulen" in listed and "Andere BV" not in listed, q
    form = (await page.get(f"/contacts/{cid}/edit")).text
    assert '<label for="c-quote-email">' in form and "Standaard" not in form  # English page: English names
    assert "Standard (21 %)" in form
    r = await page.post(f"/contacts/{cid}/edit", data={
        "csrf": csrf, "name": "Bouw Vermeulen", "type": "company", "emails": "info@vermeulen.example",
        "quote_email": "offertes@vermeulen.example", "invoice_email": "boekhouding@vermeulen.example",
        "city": "Kortrijk", "postal_code": "8500", "country": "BE", "language": "nl", "currency": "EUR",
        "vat_regime": "renovation_6"})
    assert r.status_code == 303, r.text
    card = (await rest.get(f"/api/v1/contacts/{cid}")).json()
    assert card["document_emails"] == {"quote": "offertes@vermeulen.example", "invoice": "boekhouding@vermeulen.example"}
    assert 'value="offertes@vermeulen.example"' in (await page.get(f"/contacts/{cid}/edit")).text
    r = await page.get("/contacts/export.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"


@pytest.fixture
async def api_vies(tmp_path, vies):  # noqa: F811
    async for a in api_daemon(tmp_path, vies={"url": vies, "timeout": 5}):
        yield a


async def test_vies_fills_the_empty_fields_of_the_form_and_saves_nothing(api_vies):
    api = api_vies
    page, csrf = await form_login(api, "jan@acme.test")
    typed = {"csrf": csrf, "kind": "prospect", "name": "", "type": "company", "vat_number": "be 0477.472.701",
             "street": "", "city": "", "postal_code": "", "country": "BE", "language": "nl", "currency": "EUR",
             "vat_regime": "standard", "action": "vies"}
    r = await page.post("/contacts/new", data=typed)
    assert r.status_code == 200 and "valid in VIES" in r.text
    assert 'value="ACME BV"' in r.text and 'value="Kerkstraat 1"' in r.text and 'value="9000"' in r.text
    assert 'value="BE 0477.472.701"' in r.text
    assert (await api.client("acme").get("/api/v1/contacts")).json() == []  # nothing saved
    # a name already typed is kept
    r = await page.post("/contacts/new", data={**typed, "name": "Mijn naam"})
    assert 'value="Mijn naam"' in r.text and 'value="ACME BV"' not in r.text
    FakeVies.mode = "http_500"
    r = await page.post("/contacts/new", data=typed)
    assert r.status_code == 503 and 'role="alert"' in r.text
    FakeVies.mode = "ok"
    r = await api.client("acme").get("/api/v1/vat-lookup", params={"number": "BE0477472701"})
    assert r.status_code == 200 and r.json()["fields"]["city"] == "Gent" and r.json()["valid"] is True
    r = await api.client("acme").get("/api/v1/vat-lookup", params={"number": "12"})
    assert r.status_code == 422 and r.json()["field"] == "vat_number"


async def test_the_cards_seller_and_its_reminders(api):
    rest = api.client("acme")
    cid = (await rest.post("/api/v1/contacts", json={"name": "Familie Goossens"})).json()["id"]
    page, csrf = await form_login(api, "jan@acme.test")
    r = await page.post(f"/contacts/{cid}/seller", data={"seller_email": "an@acme.test", "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"].endswith("flash=seller_saved")
    assert (await rest.get(f"/api/v1/contacts/{cid}")).json()["seller_user_id"] == api.users["an@acme.test"]
    r = await page.post(f"/contacts/{cid}/seller", data={"seller_email": "olaf@other.test", "csrf": csrf})
    assert r.status_code == 404 and 'role="alert"' in r.text  # another tenant's user is no seller here
    moments = {f"{k}_{p}": "" for k in ("first_contact", "appointment", "call_back", "sold")
               for p in ("date", "time", "note")}
    await page.post(f"/contacts/{cid}/follow-up", data={**moments, "appointment_date": "2027-05-04",
                                                        "appointment_time": "10:00", "csrf": csrf})
    shown = (await page.get(f"/contacts/{cid}")).text
    assert "Reminders" in shown and "planned" in shown
    assert re.search(r'<option value="an@acme.test" selected>', shown)
    r = await rest.put(f"/api/v1/contacts/{cid}/seller", json={"email": None})
    assert r.status_code == 200 and r.json()["seller_user_id"] is None


async def test_a_quote_is_made_from_the_card_and_by_the_api(api):
    """The card's "New quote": the editor, a refused line said in Dutch with nothing stored, then
    the quote on a request made by hand; `POST /api/v1/contacts/{id}/quotes` is its twin."""
    rest = api.client("acme")
    cid = (await rest.post("/api/v1/contacts", json={"name": "Bouw NV", "email": "info@bouw.example"})).json()["id"]
    page, csrf = await form_login(api, "jan@acme.test")
    card = (await page.get(f"/contacts/{cid}")).text
    assert f'href="/contacts/{cid}/quotes/new"' in card
    editor = (await page.get(f"/contacts/{cid}/quotes/new", headers={"accept-language": "nl"})).text
    assert f'action="/contacts/{cid}/quotes"' in editor and "Bouw NV" in editor

    line = {"lines-0-description": "Voordeur", "lines-0-quantity": "0", "lines-0-unit": "",
            "lines-0-unit_price": "1250", "lines-0-vat_rate": "21", "lines-0-discount": ""}
    r = await page.post(f"/contacts/{cid}/quotes", data={**line, "subject": "Voordeur", "csrf": csrf},
                        headers={"accept-language": "nl"})
    assert r.status_code == 422 and "Regel 1 – Aantal: mag niet nul zijn" in r.text and 'value="Voordeur"' in r.text
    assert (await rest.get("/api/v1/quotes", params={"contact_id": cid})).json() == []

    r = await page.post(f"/contacts/{cid}/quotes", data={**line, "lines-0-quantity": "1", "subject": "Voordeur",
                                                         "note": "belde vanmorgen", "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"].endswith("?flash=quote_created")
    (made,) = (await rest.get("/api/v1/quotes", params={"contact_id": cid})).json()
    assert made["contact_name"] == "Bouw NV" and made["request_id"]
    request = (await rest.get(f"/api/v1/requests/{made['request_id']}")).json()
    assert request["subject"] == "Voordeur" and request["status"] == "quote_created"

    r = await rest.post(f"/api/v1/contacts/{cid}/quotes", json={"lines": ["Plaatsing;1;350;6"]})
    assert r.status_code == 201 and r.json()["status"] == "draft" and r.json()["request_id"] != made["request_id"]
    r = await rest.post(f"/api/v1/contacts/{cid}/quotes", json={"lines": ["Plaatsing;x;350;6"]})
    assert r.status_code == 422 and r.json()["code"] == "not_a_number" and r.json()["field"] == "line[1].quantity"
    r = await api.client("other").post(f"/api/v1/contacts/{cid}/quotes", json={"lines": ["A;1;1;21"]})
    assert r.status_code == 404


async def test_a_refusal_outside_a_form_page_is_said_too(api):
    """A CSV over the limit ends on the error page, which says why in the seller's language."""
    page, csrf = await form_login(api, "jan@acme.test")
    big = b"Naam\n" + b"x" * (5 * 1024 * 1024)
    r = await page.post("/contacts/import", data={"csrf": csrf}, files={"file": ("groot.csv", big, "text/csv")},
                        headers={"accept-language": "fr"})
    assert r.status_code == 422 and "Fichier : le fichier dépasse 5" in r.text
