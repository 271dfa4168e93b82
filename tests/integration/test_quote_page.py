"""The online quote page over real HTTP (the daemon's FastAPI app, in process) on a real SQLite
store: seller, number, lines, totals per VAT rate and the PDF link in the customer's language; the
name asked and recorded with time and address; expired and superseded quotes refused."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from fastapi import FastAPI

from quotemaild.clock import FixedClock
from quotemaild.edges.quote_links import QuoteLinks, router
from quotemaild.services import contacts, quote_manage, request_contacts
from quotemaild.services.quote_send import send_quote
from quotemaild.services.quotes import create_quote
from quotemaild.services.tenant_profile import set_logo, update_profile
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import Quote, TimelineEvent
from tests.store.test_services_quotes import ACTOR, SETTINGS

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")


@pytest.fixture
def clock():
    return FixedClock(dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC))


@pytest.fixture
def world(sessions, clock):
    """Tenant acme with a profile and logo; a French customer's quote, sent."""
    with sessions.begin() as s:
        tenant = add_tenant(s, NewTenant(name="Acme", slug="acme"), clock)
        update_profile(s, "acme", {"legal_name": "Acme Châssis SRL", "street": "Rue Haute 1", "postal_code": "1000",
                                   "city": "Bruxelles", "vat_number": "BE0417497106"})
        set_logo(s, "acme", PNG)
        contact = contacts.add_contact(s, tenant, {"name": "Hélène Dupré", "emails": ["h@example.org"],
                                                   "language": "fr"}, ACTOR, clock).row
        req = request_contacts.create_manual(s, tenant, subject="Fenêtres", body="12 fenêtres", contact_id=contact.id,
                                             customer_name=None, actor=ACTOR, clock=clock, domain="example.test")
        quote = create_quote(s, req.id, ["Fenêtre PVC <b>blanc</b>;12;450;21;pc", "Pose;8;55,50;6;h"], ACTOR, clock)
        send_quote(s, SETTINGS, quote.id, ACTOR, clock)
        ids = {"tenant": tenant.id, "request": req.id, "quote": quote.id, "number": quote.number}
    app = FastAPI()
    app.include_router(router(QuoteLinks(sessions, SETTINGS.signer, clock, "example.test")))
    ids["links"] = {a: SETTINGS.signer.quote_action_path(ids["tenant"], ids["quote"], a) for a in ("accept", "reject")}
    return app, ids


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 4711)),
                             base_url="http://q.example.test")


async def test_page_shows_the_quote_in_the_customers_language(world):
    """Seller (legal name, address, VAT, logo), number, escaped lines, totals per rate, PDF link, name field."""
    app, ids = world
    async with client(app) as c:
        page = await c.get(ids["links"]["accept"])
        assert page.status_code == 200
        text = page.text
        for snippet in ["Acme Châssis SRL", "Rue Haute 1", "1000 Bruxelles", "BE 0417.497.106", ids["number"],
                        "Fenêtre PVC &lt;b&gt;blanc&lt;/b&gt;", "5 400,00 €", "TVA 21 % sur 5 400,00 €", "1 134,00 €",
                        "TVA 6 % sur 444,00 €", "26,64 €", "7 004,64 €", "Hélène Dupré", "Votre nom",
                        "Oui, j&#x27;accepte l&#x27;offre", 'lang="fr"', "data:image/png;base64,"]:
            assert snippet in text, snippet
        assert "<b>blanc" not in text
        assert "img-src data:" in page.headers["content-security-policy"]
        pdf_link = re.search(r'href="([^"]+/pdf)"', text).group(1)
        pdf = await c.get(pdf_link)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        assert pdf.headers["content-type"] == "application/pdf"
        assert (await c.get(pdf_link.replace(ids["links"]["accept"][-4:], "aaaa"))).status_code == 404


async def test_accepting_records_name_time_and_address(world, sessions, clock):
    """Without a name: 422 and the form again; with one: accepted, the name, time and peer on the timeline."""
    app, ids = world
    async with client(app) as c:
        nameless = await c.post(ids["links"]["accept"], data={"name": "  "})
        assert nameless.status_code == 422 and "Indiquez votre nom" in nameless.text
        done = await c.post(ids["links"]["accept"], data={"name": "Hélène Dupré"})
        assert done.status_code == 200 and "Merci" in done.text
    with sessions() as s:
        quote = s.get(Quote, ids["quote"])
        assert (quote.status, quote.decided_by, quote.decided_from) == ("accepted", "Hélène Dupré", "198.51.100.9")
        event = s.query(TimelineEvent).filter_by(request_id=ids["request"], kind="quote_accepted").one()
        assert event.detail["name"] == "Hélène Dupré" and event.detail["address"] == "198.51.100.9"
        assert event.at == clock.now()


async def test_reject_needs_no_name(world, sessions):
    app, ids = world
    async with client(app) as c:
        assert (await c.post(ids["links"]["reject"], data={})).status_code == 200
        assert (await c.get(ids["links"]["accept"])).status_code == 410


async def test_expired_and_superseded_quotes_are_refused_online(world, sessions, clock):
    """Past its validity the page says so (410) and a POST decides nothing; a superseded quote too."""
    app, ids = world
    clock.advance(days=31)
    async with client(app) as c:
        page = await c.get(ids["links"]["accept"])
        assert page.status_code == 410 and "n&#x27;est plus valable" in page.text
        assert (await c.post(ids["links"]["accept"], data={"name": "X"})).status_code == 410
        with sessions.begin() as s:
            assert s.get(Quote, ids["quote"]).status == "sent"
            quote_manage.new_version(s, ids["quote"], ACTOR, clock)
        page = await c.get(ids["links"]["accept"])
        assert page.status_code == 410 and "remplacée" in page.text
        assert (await c.post(ids["links"]["accept"], data={"name": "X"})).status_code == 410
