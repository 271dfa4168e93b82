"""A seller works one request end to end in the browser, as the seed manuals describe it."""

from __future__ import annotations

import email
import re
from email import policy

from playwright.sync_api import expect

from tests.conftest import make_mail


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


def test_a_request_typed_in_after_a_phone_call(page, live, shot, console_allow):
    """Seed method 2 in the browser: "+ New quote request", a customer name, subject and text; a
    refused form keeps what was typed and says why in the page's language."""
    console_allow.append("status of 422")  # the refused form's answer
    live.add_user("bel@acme.test", "Bert Bel")
    live.login(page, "bel@acme.test")
    page.get_by_role("link", name="New quote request").click()
    page.get_by_label("Subject").fill("Telefoon: keuken op maat")
    page.get_by_label("What the customer asks").fill("Belde om 10u: keuken van 4 meter, eik.")
    page.get_by_role("button", name="Create request").click()  # neither a contact nor a name
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed")
    expect(page.get_by_label("Subject")).to_have_value("Telefoon: keuken op maat")
    shot(page, "request-new")
    page.get_by_label("Or the name of a new customer").fill("Bakkerij Peeters")
    page.get_by_role("button", name="Create request").click()
    expect(page.get_by_role("status")).to_contain_text("Request created")
    expect(page.locator("h1")).to_have_text("Telefoon: keuken op maat")
    expect(page.locator("article.msg.in")).to_contain_text("keuken van 4 meter")
    expect(page.locator("aside")).to_contain_text("Bakkerij Peeters")
    page.get_by_role("link", name="← Quote requests").click()
    expect(page.locator("#requests li", has_text="Telefoon: keuken op maat")).to_be_visible()


def test_next_and_previous_request_from_the_keyboard(page, live):
    """On a request, j and k go to the next and previous request of the list the seller came from;
    ? shows the list of shortcuts."""
    live.add_user("toets@acme.test", "Toon Toets")
    for letter in "ABC":
        live.send_mail(subject=f"Stapje {letter}", message_id=f"<step-{letter}@example.org>")
    live.login(page, "toets@acme.test")
    for _ in range(40):  # until the three are processed (newest first: C, B, A)
        page.goto(live.base_url + "/?q=Stapje")
        if page.locator("#requests li[data-id]").count() == 3:
            break
        page.wait_for_timeout(500)
    expect(page.locator("#requests li[data-id]")).to_have_count(3)
    page.locator("#requests li", has_text="Stapje B").locator("a").click()
    expect(page.locator("h1")).to_have_text("Stapje B")
    page.keyboard.press("j")
    expect(page.locator("h1")).to_have_text("Stapje A")
    page.keyboard.press("k")
    expect(page.locator("h1")).to_have_text("Stapje B")
    page.keyboard.press("k")
    expect(page.locator("h1")).to_have_text("Stapje C")
    expect(page.locator("a[rel=prev]")).to_be_hidden()  # the top of the list
    page.keyboard.press("r")
    expect(page.locator("#reply-body")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    expect(page.locator("#shortcuts")).to_contain_text("Assign a seller")


def test_an_answer_taken_for_an_automatic_one_is_corrected(page, live):
    """An out-of-office answer is marked as automatic in the conversation; when it was really the
    customer, one click says so and the timeline records it (no `message verdict` needed)."""
    live.add_user("robot@acme.test", "Rob Robot")
    live.send_mail(subject="Prijs tuinhuis", sender="tuin@klant.test", message_id="<garden-1@klant.test>")
    live.send(make_mail(subject="Automatisch antwoord: Prijs tuinhuis", sender="tuin@klant.test",
                        message_id="<garden-ooo@klant.test>",
                        body="Ik ben afwezig tot 12 januari en heb beperkt toegang tot mijn e-mail.\n",
                        extra="In-Reply-To: <garden-1@klant.test>\r\nAuto-Submitted: auto-replied"),
              sender="tuin@klant.test")
    live.login(page, "robot@acme.test")
    open_request(page, live, "Prijs tuinhuis")
    answer = page.locator("article.msg.in", has_text="afwezig tot 12 januari")
    for _ in range(20):  # until the answer is processed and threaded
        if answer.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(answer).to_contain_text("Automatic answer")
    answer.get_by_role("button", name="Not automatic: a person wrote this").click()
    expect(page.get_by_role("status")).to_contain_text("marked as you said")
    answer = page.locator("article.msg.in", has_text="afwezig tot 12 januari")
    expect(answer).not_to_contain_text("Automatic answer")
    expect(answer.get_by_role("button", name="This is an automatic answer")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("A mail was marked as written by a person")
