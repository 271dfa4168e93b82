"""The web pages over a real socket: login redirect, form login, CSRF on every post, 404 across
tenants, role checks, post/redirect/get — answers as pages, never as problem+json."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from quotemaild.store.models import ImapSource, OutboxMessage

from tests.integration.api_support import PASSWORD, api_daemon


@pytest.fixture
async def api(tmp_path):
    async for a in api_daemon(tmp_path):
        yield a


@pytest.fixture
async def api_links(tmp_path):
    """With a public URL (plain http, so the session cookie still rides on the loopback socket)."""
    async for a in api_daemon(tmp_path, outbound={"public_url": "http://quotes.example.test"}):
        yield a


async def form_login(api, email: str, next_url: str = "/") -> tuple[httpx.AsyncClient, str]:
    c = api.client(follow_redirects=False)
    r = await c.post("/login", data={"email": email, "password": PASSWORD, "next": next_url})
    assert r.status_code == 303, r.text
    page = await c.get("/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return c, csrf


async def first_request_id(api, c) -> int:
    r = await c.get("/")
    return int(re.search(r'href="/requests/(\d+)"', r.text).group(1))


async def test_pages_need_a_login_and_come_back_after_it(api):
    c = api.client(follow_redirects=False)
    r = await c.get("/contacts?kind=prospect")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/contacts%3Fkind%3Dprospect"
    r = await c.post("/login", data={"email": "jan@acme.test", "password": PASSWORD, "next": "/contacts"})
    assert r.status_code == 303 and r.headers["location"] == "/contacts"
    r = await c.get("/contacts")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]


async def test_login_never_redirects_off_site(api):
    c = api.client(follow_redirects=False)
    r = await c.post("/login", data={"email": "jan@acme.test", "password": PASSWORD, "next": "//evil.test/x"})
    assert r.headers["location"] == "/"


async def test_wrong_password_is_a_page_with_401(api):
    c = api.client()
    r = await c.post("/login", data={"email": "jan@acme.test", "password": "nope nope nope"})
    assert r.status_code == 401 and 'role="alert"' in r.text and "quotemaild_session" not in r.cookies


async def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(api):
    await api.mail(subject="CSRF proef")
    await api.running.wait_processed(1)
    c, csrf = await form_login(api, "jan@acme.test")
    rid = await first_request_id(api, c)
    r = await c.post(f"/requests/{rid}/notes", data={"body": "sneaky"})
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    r = await c.post(f"/requests/{rid}/notes", data={"body": "sneaky", "csrf": csrf},
                     headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    assert "sneaky" not in (await c.get(f"/requests/{rid}")).text
    r = await c.post(f"/requests/{rid}/notes", data={"body": "legit note", "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == f"/requests/{rid}?flash=note_added"
    assert "legit note" in (await c.get(f"/requests/{rid}")).text


async def test_another_tenant_gets_404_pages_for_our_ids(api):
    await api.mail(subject="Alleen voor acme")
    await api.running.wait_processed(1)
    acme, _ = await form_login(api, "jan@acme.test")
    rid = await first_request_id(api, acme)
    other, csrf = await form_login(api, "olaf@other.test")
    for path in (f"/requests/{rid}", f"/requests/{rid}/quotes/new"):
        r = await other.get(path)
        assert r.status_code == 404 and "text/html" in r.headers["content-type"] and "Alleen voor acme" not in r.text
    r = await other.post(f"/requests/{rid}/notes", data={"body": "x", "csrf": csrf})
    assert r.status_code == 404
    assert "Alleen voor acme" not in (await other.get("/")).text


async def test_a_seller_may_not_delete_or_open_settings(api):
    await api.mail(subject="Niet wissen")
    await api.running.wait_processed(1)
    c, csrf = await form_login(api, "jan@acme.test")
    rid = await first_request_id(api, c)
    r = await c.post(f"/requests/{rid}/delete", data={"csrf": csrf, "confirm": "yes"})
    assert r.status_code == 403
    assert (await c.get("/settings")).status_code == 403
    admin, admin_csrf = await form_login(api, "an@acme.test")
    r = await admin.post(f"/requests/{rid}/delete", data={"csrf": admin_csrf})
    assert r.status_code == 422 and "cannot be undone" in r.text  # the box was not ticked
    r = await admin.post(f"/requests/{rid}/delete", data={"csrf": admin_csrf, "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == "/?flash=deleted"
    assert (await admin.get(f"/requests/{rid}")).status_code == 404


async def test_a_move_the_workflow_forbids_is_409_with_the_page(api):
    await api.mail(subject="Verboden stap")
    await api.running.wait_processed(1)
    c, csrf = await form_login(api, "jan@acme.test")
    rid = await first_request_id(api, c)
    r = await c.post(f"/requests/{rid}/status", data={"csrf": csrf, "status": "accepted"})
    assert r.status_code == 409 and "Verboden stap" in r.text and 'role="alert"' in r.text


async def test_inbox_filters_are_addresses(api):
    await api.mail(subject="Eerste", message_id="<f1@example.org>")
    await api.mail(subject="Tweede over ramen", message_id="<f2@example.org>", body="Wij willen dakramen.\n")
    await api.running.wait_processed(2)
    c, _ = await form_login(api, "jan@acme.test")
    assert "Tweede over ramen" in (await c.get("/?q=dakramen")).text  # the mail text is searched
    assert "Eerste" not in (await c.get("/?q=dakramen")).text
    assert "Eerste" in (await c.get("/?status=received")).text
    assert "Eerste" not in (await c.get("/?status=answered")).text
    assert (await c.get("/?status=bogus")).status_code == 422
    rows = await c.get("/", headers={"X-Partial": "rows"})
    assert rows.text.lstrip().startswith("<li") and "<html" not in rows.text


async def test_without_a_smarthost_a_reply_says_it_is_queued_and_why(api):
    await api.mail(subject="Geen smarthost")
    await api.running.wait_processed(1)
    c, csrf = await form_login(api, "jan@acme.test")
    rid = await first_request_id(api, c)
    r = await c.post(f"/requests/{rid}/reply", data={"csrf": csrf, "body": "Beste, hier is onze prijs."},
                     files={"files": ("prijs.txt", b"100 EUR", "text/plain")})
    assert r.status_code == 303 and r.headers["location"].endswith("flash=reply_queued")
    page = (await c.get(r.headers["location"])).text
    assert "has not been sent yet" in page and "Queued, not sent yet" in page and "smarthost" in page
    assert "prijs.txt" in page


async def draft_quote(api) -> tuple[int, int]:
    """A request from a contact with an address and a draft quote on it (request id, quote id)."""
    c = api.client("acme")
    contact = (await c.post("/api/v1/contacts", json={"name": "Piet", "emails": ["piet@example.org"]})).json()
    req = (await c.post("/api/v1/requests", json={"subject": "Ramen", "body": "12 ramen",
                                                  "contact_id": contact["id"]})).json()
    quote = (await c.post("/api/v1/quotes", json={"request_id": req["id"], "lines": ["PVC raam;12;245.50;21"]})).json()
    return req["id"], quote["id"]


def queued_mail(api, request_id: int) -> EmailMessage:
    """The quote mail as it waits in the outbox (no smarthost in these tests)."""
    with api.running.sessions() as s:
        data = s.scalars(select(OutboxMessage.data).where(OutboxMessage.request_id == request_id,
                                                          OutboxMessage.kind == "quote")).one()
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


async def test_a_quote_is_sent_with_the_standard_text_edited_for_this_sending(api_links):
    api = api_links
    rid, qid = await draft_quote(api)
    c, csrf = await form_login(api, "jan@acme.test")
    page = (await c.get(f"/quotes/{qid}")).text
    standard = re.search(r'<textarea id="send-body" name="body"[^>]*>([^<]+)</textarea>', page).group(1)
    assert '<label for="send-subject">' in page and '<label for="send-body">' in page and "accept" in standard
    r = await c.post(f"/quotes/{qid}/send", data={"csrf": csrf, "subject": "a\r\nBcc: x@evil.test",
                                                  "body": "Beste Piet, speciaal voor u."})
    assert r.status_code == 422 and "Beste Piet, speciaal voor u." in r.text  # what was typed stays
    r = await c.post(f"/quotes/{qid}/send", data={"csrf": csrf, "subject": "Uw offerte ramen",
                                                  "body": "Beste Piet, speciaal voor u."})
    assert r.status_code == 303 and r.headers["location"] == f"/quotes/{qid}?flash=quote_sent"
    mail = queued_mail(api, rid)
    assert mail["Subject"] == "Uw offerte ramen" and "Bcc" not in mail
    assert "Beste Piet, speciaal voor u." in mail.get_body(("plain",)).get_content()
    assert [p.get_filename() for p in mail.iter_attachments()] == ["OF-2026-0001.pdf"]
    # the standard text itself is unchanged: the next quote starts from it again
    _, qid2 = await draft_quote(api)
    assert "speciaal voor u" not in (await c.get(f"/quotes/{qid2}")).text


async def test_the_api_quote_send_takes_an_edited_text(api_links):
    api = api_links
    rid, qid = await draft_quote(api)
    c = api.client("acme")
    r = await c.post(f"/api/v1/quotes/{qid}/send", json={"body": "Alleen via de API."})
    assert r.status_code == 200, r.text
    mail = queued_mail(api, rid)
    assert "Alleen via de API." in mail.get_body(("plain",)).get_content()
    assert mail["Subject"] and "Alleen" not in mail["Subject"]  # no subject given: the standard one


async def test_a_contact_card_is_edited_in_the_browser_and_its_files_download(api):
    from quotemaild.clock import SystemClock
    from quotemaild.services.contacts import attach_file

    c = api.client("acme")
    cid = (await c.post("/api/v1/contacts", json={"name": "Piet", "emails": ["piet@example.org"]})).json()["id"]
    with api.running.sessions.begin() as s:
        attach_file(s, cid, "contract é.html", b"<script>alert(1)</script>", "an@acme.test", SystemClock())
    page, csrf = await form_login(api, "jan@acme.test")
    form = (await page.get(f"/contacts/{cid}/edit")).text
    for name in ("name", "emails", "phone", "street", "city", "vat_number", "payment_term_days", "internal_note"):
        field_id = re.search(rf'id="([^"]+)" name="{name}"', form).group(1)
        assert f'<label for="{field_id}">' in form
    assert "piet@example.org" in form
    typed = {"csrf": csrf, "name": "Piet Peeters", "type": "person", "emails": "piet@example.org\npp@example.org",
             "city": "Gent", "country": "BE", "language": "nl", "currency": "EUR", "vat_regime": "standard",
             "payment_term_days": "999", "internal_note": "belt graag na 17u"}
    r = await page.post(f"/contacts/{cid}/edit", data=typed)
    assert r.status_code == 422 and "payment_term_days" in r.text and "belt graag na 17u" in r.text
    r = await page.post(f"/contacts/{cid}/edit", data={**typed, "payment_term_days": "30"})
    assert r.status_code == 303 and r.headers["location"] == f"/contacts/{cid}?flash=saved"
    card = (await c.get(f"/api/v1/contacts/{cid}")).json()
    assert card["name"] == "Piet Peeters" and card["emails"] == ["piet@example.org", "pp@example.org"]
    assert card["address"]["city"] == "Gent" and card["payment_term_days"] == 30
    assert card["internal_note"] == "belt graag na 17u"
    shown = (await page.get(f"/contacts/{cid}")).text
    assert f'href="/contacts/{cid}/attachments/1"' in shown
    r = await page.get(f"/contacts/{cid}/attachments/1")
    assert r.status_code == 200 and r.content == b"<script>alert(1)</script>"
    assert r.headers["content-disposition"].startswith("attachment;") and "filename*=UTF-8''contract%20%C3%A9.html" in r.headers["content-disposition"]
    assert (await page.get(f"/contacts/{cid}/attachments/2")).status_code == 404
    other, other_csrf = await form_login(api, "olaf@other.test")
    assert (await other.get(f"/contacts/{cid}/attachments/1")).status_code == 404
    assert (await other.post(f"/contacts/{cid}/edit", data={**typed, "csrf": other_csrf})).status_code == 404


def stored_profile(api) -> dict:
    """What `tenant profile show` prints (the same service)."""
    from quotemaild.services.tenant_profile import profile_view
    from quotemaild.services.tenants import get_tenant

    with api.running.sessions() as s:
        return profile_view(get_tenant(s, "acme"))


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_the_company_profile_is_set_in_settings_and_printed_by_the_same_service(api):
    admin, csrf = await form_login(api, "an@acme.test")
    seller, _ = await form_login(api, "jan@acme.test")
    assert (await seller.get("/settings/company")).status_code == 403
    form = (await admin.get("/settings/company")).text
    for name in ("legal_name", "vat_number", "iban", "bic", "terms_fr", "signature_nl", "logo", "quote_validity_days"):
        field_id = re.search(rf'id="([^"]+)" name="{name}"', form).group(1)
        assert f'<label for="{field_id}">' in form
    typed = {"csrf": csrf, "legal_name": "Acme Ramen BV", "street": "Kerkstraat 1", "postal_code": "9000",
             "city": "Gent", "country": "BE", "vat_number": "BE0403019261", "company_number": "0403.019.261",
             "iban": "BE71096123456769", "bic": "GKCCBEBB", "phone": "+32 9 123 45 67",
             "website": "https://acme.example", "payment_days": "30", "quote_validity_days": "45",
             "terms_nl": "Betaling binnen 30 dagen.", "terms_fr": "Paiement à 30 jours.",
             "signature_nl": "Met vriendelijke groeten,\nAcme"}
    r = await admin.post("/settings/company", data={**typed, "iban": "BE00 not an iban"})
    assert r.status_code == 422 and "iban" in r.text and "Paiement à 30 jours." in r.text
    r = await admin.post("/settings/company", data=typed, files={"logo": ("logo.png", PNG, "image/png")})
    assert r.status_code == 303 and r.headers["location"] == "/settings/company?flash=saved", re.findall(r"role=.alert.>([^<]+)", r.text)
    profile = stored_profile(api)
    assert profile["legal_name"] == "Acme Ramen BV" and profile["iban"] == "BE71 0961 2345 6769"
    assert profile["terms"] == {"nl": "Betaling binnen 30 dagen.", "fr": "Paiement à 30 jours."}
    assert profile["quote_validity_days"] == 45 and profile["logo"]["type"] == "image/png"
    r = await admin.post("/settings/company", data={**typed, "legal_name": "", "remove_logo": "yes"})
    assert r.status_code == 303
    profile = stored_profile(api)
    assert "legal_name" not in profile and profile["logo"] is None and profile["iban"] == "BE71 0961 2345 6769"
    r = await admin.post("/settings/company", data=typed, files={"logo": ("logo.gif", b"GIF89a", "image/gif")})
    assert r.status_code == 422


async def test_an_imap_mailbox_is_added_and_removed_in_settings(api, tmp_path):
    admin, csrf = await form_login(api, "an@acme.test")
    r = await admin.post("/settings/sources", data={"csrf": csrf, "host": "imap.example.org", "port": "993",
                                                    "tls": "bogus", "username": "info", "password": "geheim!"})
    assert r.status_code == 422 and "tls" in r.text
    secrets_dir = api.running.daemon.config.state_dir / "imap-passwords"
    assert not any(secrets_dir.glob("*")) if secrets_dir.exists() else True  # nothing left behind
    r = await admin.post("/settings/sources", data={"csrf": csrf, "host": "imap.example.org", "port": "993",
                                                    "tls": "ssl", "username": "info", "password": "geheim!"})
    assert r.status_code == 303 and r.headers["location"] == "/settings/company?flash=saved#mailboxes"
    with api.running.sessions() as s:
        source = s.scalars(select(ImapSource)).one()
        source_id, secret = source.id, Path(source.password_file)
    assert source.token_command is None and secret.read_text() == "geheim!" and secret.stat().st_mode & 0o077 == 0
    assert "info @ imap.example.org" in (await admin.get("/settings")).text
    other, other_csrf = await form_login(api, "olaf@other.test")
    r = await other.post(f"/settings/sources/{source_id}/remove", data={"csrf": other_csrf})
    assert r.status_code in (403, 404)
    r = await admin.post(f"/settings/sources/{source_id}/remove", data={"csrf": csrf})
    assert r.status_code == 303
    with api.running.sessions() as s:
        assert s.scalars(select(ImapSource)).all() == []
    assert not secret.exists()
