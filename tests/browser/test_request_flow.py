"""A seller works one request end to end in the browser, as the seed manuals describe it."""

from __future__ import annotations

import email
import re
from email import policy

from playwright.sync_api import expect


def open_request(page, live, subject: str) -> None:
    page.goto(live.base_url + "/")
    page.locator("#requests li", has_text=subject).locator("a").click()
    expect(page.locator("h1")).to_have_text(subject)


def test_reply_with_attachment_note_assign_prospect(page, live, shot, tmp_path):
    """Open, reply with a file (the smarthost receives it), note, assign, create a prospect."""
    live.add_user("rita@acme.test", "Rita Verkoper")
    live.send_mail(subject="Offerte veranda", sender="jan@klant.test", message_id="<flow-1@klant.test>",
                   body="Goedendag,\n\nGraag een offerte voor een veranda van 4 op 3 meter.\n\nJan\n")
    live.login(page, "rita@acme.test")
    open_request(page, live, "Offerte veranda")
    expect(page.locator("article.msg.in")).to_contain_text("veranda van 4 op 3 meter")
    shot(page, "request")

    before = len(live.smarthost.messages)
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(b"%PDF-1.4\n% a drawing\n")
    page.keyboard.press("r")  # the shortcut opens the reply form
    body = page.locator("#reply-body")
    expect(body).to_be_focused()
    expect(body).to_have_value(re.compile("^Beste Klant,"))
    body.fill("Beste Jan,\n\nHierbij onze eerste schets.\n")
    page.locator("#reply-files").set_input_files(str(plan))
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("on its way")
    expect(page.locator("article.msg.out").last).to_contain_text("Hierbij onze eerste schets")
    expect(page.locator(".req-head .badge").first).to_have_text("Answered")

    sent = [m for m in live.smarthost.wait_for(before + 1, timeout=20)[before:] if b"eerste schets" in m.data]
    assert sent and sent[0].rcpt_tos == ("jan@klant.test",)
    parsed = email.message_from_bytes(sent[0].data, policy=policy.default)
    names = [part.get_filename() for part in parsed.iter_attachments()]
    assert "plan.pdf" in names

    page.keyboard.press("n")
    page.locator("#note-body").fill("Klant belt terug na het weekend.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("article.msg.note")).to_contain_text("Klant belt terug")

    page.locator("#assignee").select_option(label="Rita Verkoper")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator(".req-head")).to_contain_text("Rita Verkoper")

    page.get_by_role("button", name="Create prospect").click()
    expect(page.get_by_role("status")).to_contain_text("Prospect created")
    expect(page.locator("aside")).to_contain_text("Prospect")
    expect(page.locator(".timeline")).to_contain_text("Assigned to Rita Verkoper")
    shot(page, "request-worked")


def test_a_second_seller_sees_who_has_it_open_and_who_is_typing(open_page, live):
    """Two sellers on one request: the second sees the first, and sees them typing a reply."""
    live.add_user("piet@acme.test", "Piet Eerst")
    live.add_user("mia@acme.test", "Mia Tweede")
    live.send_mail(subject="Wie antwoordt er?", message_id="<presence-1@example.org>")
    first, second = open_page(), open_page()
    live.login(first, "piet@acme.test")
    first.locator("#requests li", has_text="Wie antwoordt er?").locator("a").click()
    live.login(second, "mia@acme.test")
    second.locator("#requests li", has_text="Wie antwoordt er?").locator("a").click()
    expect(second.locator("#presence")).to_have_text("Also open by Piet Eerst.")
    first.keyboard.press("r")
    first.locator("#reply-body").press_sequentially("Dag")
    second.evaluate("() => null")
    second.wait_for_function(
        "() => { const p = document.querySelector('#presence'); return p.textContent.includes('typing'); }",
        polling=500, timeout=20000)
    expect(second.locator("#presence")).to_have_text("Piet Eerst is typing a reply.")
