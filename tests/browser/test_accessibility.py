"""axe-core (from the axe-playwright-python package) on the main pages: no critical or serious
violations; a page at 375 px wide does not scroll sideways."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
BLOCKING = ("critical", "serious")


def check(page, what: str) -> None:
    results = axe_module.Axe().run(page)
    bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
           for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert not bad, f"{what}: " + "\n".join(bad)


def test_main_pages_pass_axe(page, live, shot):
    live.add_user("axe@acme.test", "Alex Axe", role="admin")
    live.send_mail(subject="Toegankelijk?", message_id="<axe-1@example.org>")
    page.goto(live.base_url + "/login")
    check(page, "login")
    live.login(page, "axe@acme.test")
    check(page, "inbox")
    page.locator("#requests li", has_text="Toegankelijk?").locator("a").click()
    check(page, "request")
    page.get_by_role("link", name="Create quote").click()
    check(page, "quote editor")
    for path in ("/quotes", "/contacts", "/settings", "/settings/company", "/requests/new", "/me"):
        page.goto(live.base_url + path)
        check(page, path)
        shot(page, "page-" + path.strip("/"))


def fits(page, what: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, what


def test_works_at_375_px(open_page, live, shot):
    """Inbox, request, quote editor and quote at phone width: no sideways scroll, and a long subject
    in the inbox is shown whole (it wraps instead of being cut off)."""
    page = open_page(viewport={"width": 375, "height": 740})
    live.add_user("phone@acme.test", "Phoebe Phone")
    live.send_mail(subject="Vanaf de gsm", message_id="<phone-1@example.org>")
    live.send_mail(subject="Een lange vraag over ramen, deuren en een veranda", message_id="<phone-2@example.org>")
    live.login(page, "phone@acme.test")
    for name, path in (("inbox-375", "/"),):
        page.goto(live.base_url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, name
        shot(page, name)
    subject = page.locator("#requests li", has_text="Een lange vraag").locator(".subject")
    expect(subject).to_be_visible(timeout=10000)
    assert subject.evaluate("el => el.scrollWidth <= el.clientWidth"), "the subject is cut off"
    page.locator("#requests li", has_text="Vanaf de gsm").locator("a").click()
    expect(page.locator("h1")).to_have_text("Vanaf de gsm")
    fits(page, "request")
    shot(page, "request-375")
    page.get_by_role("link", name="Create quote").click()
    fits(page, "quote editor")
    page.get_by_label("Description 1").fill("Ramen")
    page.get_by_label("Unit price 1").fill("450")
    shot(page, "quote-editor-375")
    page.get_by_role("button", name="Create quote").click()
    expect(page.get_by_role("status")).to_contain_text("Quote created")
    fits(page, "quote")
    shot(page, "quote-375")


def test_contact_card_with_its_forms_passes_axe(page, live, shot, tmp_path, console_allow):
    """The card with persons, follow-up, custom fields and a file, every fold open, also with a
    refused form marked; the new-contact and custom-field pages."""
    console_allow.append("status of 422")  # the refused form below, on purpose
    live.add_user("axe-card@acme.test", "Cas Card", role="admin")
    live.cli("contact", "field", "add", "--tenant", "acme", "--key", "axe_colour", "--label", "Colour",
             "--kind", "text")
    live.cli("contact", "field", "add", "--tenant", "acme", "--key", "axe_ok", "--label", "Checked",
             "--kind", "boolean")
    created = live.cli("contact", "add", "--tenant", "acme", "--name", "Axe Joinery", "--json",
                       "--person", "Eva Axe;eva@axe.example;0470 12 34 56;buyer")
    contact_id = json.loads(created.stdout)["id"]
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(b"%PDF-1.4 signed")
    live.cli("contact", "attach", str(contact_id), str(contract))
    live.login(page, "axe-card@acme.test")
    for path in ("/contacts/new", "/contacts/fields", f"/contacts/{contact_id}/quotes/new"):
        page.goto(live.base_url + path)
        check(page, path)
    page.goto(f"{live.base_url}/contacts/{contact_id}")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    check(page, "contact card")
    shot(page, "page-contact-card")
    page.locator("#follow-up fieldset", has_text="Appointment").get_by_label("Time").fill("09:15")
    page.get_by_role("button", name="Save follow-up").click()
    expect(page.get_by_role("alert")).to_contain_text("Appointment – Date: is not a date")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    check(page, "contact card with a refused form")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live.base_url}/contacts/{contact_id}")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "contact-card-375")
