"""Build a quote on a request, send it via the request, the customer answers and accepts."""

from __future__ import annotations

import datetime as dt
import email
import json
import re
from email import policy

from babel.dates import format_date
from playwright.sync_api import expect

from tests.conftest import make_mail


def test_build_send_answer_accept(page, live, shot):
    """Lines with live totals per VAT rate, the PDF, sending (the smarthost gets the mail with the
    PDF), the customer's answer loops back into the conversation, accepting via the link."""
    live.add_user("quinten@acme.test", "Quinten Quote")
    live.send_mail(subject="Prijs dakwerken", sender="els@klant.test", message_id="<quote-1@klant.test>")
    live.login(page, "quinten@acme.test")
    page.locator("#requests li", has_text="Prijs dakwerken").locator("a").click()
    page.get_by_role("link", name="Create quote").click()

    page.locator("#lines-0-description").fill("Dakpannen leggen")
    page.locator("#lines-0-quantity").fill("40")
    page.locator("#lines-0-unit").fill("m²")
    page.locator("#lines-0-unit_price").fill("25")
    page.locator("#lines-1-description").fill("Renovatiepremie-attest")
    page.locator("#lines-1-quantity").fill("1")
    page.locator("#lines-1-unit_price").fill("100")
    page.locator("#lines-1-vat_rate").select_option("6")
    totals = page.locator("[data-totals]")
    expect(totals.locator("[data-net]")).to_have_text(re.compile(r"1,100\.00"))
    expect(totals.locator("[data-rates]")).to_contain_text("21")
    expect(totals.locator("[data-gross]")).to_have_text(re.compile(r"1,316\.00"))  # 1000*1.21 + 100*1.06
    shot(page, "quote-editor")
    page.get_by_role("button", name="Create quote").click()

    expect(page.get_by_role("status")).to_contain_text("Quote created")
    expect(page.locator("main")).to_contain_text("1,316.00")

    # A draft's lines can be changed: the editor comes back filled in.
    page.get_by_role("link", name="Edit lines").click()
    expect(page.locator("#lines-0-quantity")).to_have_value("40")
    page.locator("#lines-0-quantity").fill("44")
    page.get_by_label("Notes printed under the lines").fill("Plaatsing in week 12.")
    valid = dt.date.today() + dt.timedelta(days=60)
    page.get_by_label("Valid until").fill(valid.isoformat())
    expect(page.locator("[data-gross]")).to_have_text(re.compile(r"1,437\.00"))  # 1100*1.21 + 106
    page.get_by_role("button", name="Save lines").click()
    expect(page.get_by_role("status")).to_contain_text("Quote saved")
    expect(page.locator("main")).to_contain_text("1,437.00")
    expect(page.locator("main")).to_contain_text("Plaatsing in week 12.")
    expect(page.locator(".req-head")).to_contain_text(f"Valid until {format_date(valid, 'medium', locale='en_GB')}")
    number = page.locator("h1").inner_text().split()[-1]
    shot(page, "quote")

    # The standard text is pre-filled and can be changed for this sending.
    text_box = page.get_by_label("E-mail text")
    expect(text_box).to_have_value(re.compile(number))
    text_box.fill(text_box.input_value() + "\nPS: de planning volgt morgen.\n")
    before = len(live.smarthost.messages)
    page.get_by_role("button", name="Send quote").click()
    expect(page.get_by_role("status")).to_contain_text("Quote sent")
    sent = [m for m in live.smarthost.wait_for(before + 1, timeout=20)[before:] if number.encode() in m.data]
    mail = email.message_from_bytes(sent[0].data, policy=policy.default)
    assert [p.get_filename() for p in mail.iter_attachments()] == [f"{number}.pdf"]
    text = mail.get_body(("plain",)).get_content()
    assert "PS: de planning volgt morgen." in text
    accept = re.search(r"https?://\S+/q/\S+/accept/\S+", text).group(0)

    # The customer answers the quote mail: it joins the same request.
    reply_to = mail["Reply-To"].addresses[0].addr_spec
    live.send(make_mail(subject=f"Re: {mail['Subject']}", sender="els@klant.test", to=reply_to,
                        message_id="<quote-answer@klant.test>", body="Ziet er goed uit, nog een vraag over de planning.\n",
                        extra=f"In-Reply-To: {mail['Message-ID']}"),
              sender="els@klant.test", to=reply_to)
    page.get_by_role("link", name=re.compile("Back to the request")).click()
    answer = page.locator("article.msg.in", has_text="vraag over de planning")
    for _ in range(20):  # the page shows what was processed when it loaded: reload until it is there
        if answer.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator("article.msg.in").last).to_contain_text("vraag over de planning")
    expect(page.locator(".timeline")).to_contain_text(f"Quote {number} sent")

    # Accepting through the link in the mail (on this daemon's address).
    page.goto(live.base_url + "/q/" + accept.split("/q/", 1)[1])
    page.locator("input[name=name]").fill("Els Klant")
    page.get_by_role("button").click()
    expect(page.locator("body")).to_contain_text(number)
    page.goto(live.base_url + "/")
    row = page.locator("#requests li", has_text="Prijs dakwerken")
    expect(row.locator(".badge").last).to_have_text("Quote accepted")


def _sent_quote(page, live, subject: str, sender: str, message_id: str) -> tuple[int, int]:  # noqa: D103
    """A request by SMTP and a quote on it sent through the CLI; the browser is on the request page."""
    live.send_mail(subject=subject, sender=sender, message_id=message_id)
    page.goto(live.base_url + "/?q=" + subject.split()[0])
    row = page.locator("#requests li", has_text=subject)
    expect(row).to_be_visible(timeout=20000)
    row.locator("a").click()
    request_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    created = json.loads(live.cli("quote", "create", "--request", str(request_id), "--line", "Ramen;2;500;21",
                                  "--json").stdout)
    live.cli("quote", "send", str(created["id"]), "--json")
    return request_id, created["id"]


def test_the_customers_answer_by_phone_is_recorded_in_the_browser(page, live, shot):
    """A seller records "accepted" from the quote page (no CLI): quote and request follow."""
    live.add_user("telefoon@acme.test", "Tom Telefoon")
    live.login(page, "telefoon@acme.test")
    request_id, quote_id = _sent_quote(page, live, "Ramen per telefoon", "bel@klant.test", "<phone-quote@klant.test>")
    page.goto(f"{live.base_url}/quotes/{quote_id}")
    page.get_by_role("button", name="Customer accepted").click()
    expect(page.get_by_role("status")).to_contain_text("the customer accepted")
    expect(page.locator(".req-head .badge")).to_have_text("Accepted")
    expect(page.get_by_role("button", name="Customer accepted")).to_have_count(0)
    shot(page, "quote-accepted")
    page.goto(f"{live.base_url}/requests/{request_id}")
    expect(page.locator(".req-head .badge").first).to_have_text("Quote accepted")

    # The quotes list filters by state (the API's list service): accepted shows it, draft does not.
    page.goto(live.base_url + "/quotes")
    page.locator(".counts").get_by_text("Accepted", exact=True).click()
    expect(page.locator("tbody")).to_contain_text(f"#{request_id}")
    page.locator(".counts").get_by_text("Draft", exact=True).click()
    expect(page.locator("tbody")).not_to_contain_text(f"#{request_id}")


def test_rejected_quote_gets_a_new_version_and_a_draft_can_be_deleted(page, live):
    """Rejected by the customer -> new version (a draft in the editor) -> the draft deleted with its
    confirmation box; the old quote speaks for the request again."""
    live.add_user("versie@acme.test", "Vera Versie")
    live.login(page, "versie@acme.test")
    request_id, quote_id = _sent_quote(page, live, "Te duur?", "duur@klant.test", "<reject-quote@klant.test>")
    page.goto(f"{live.base_url}/quotes/{quote_id}")
    page.get_by_role("button", name="Customer rejected").click()
    expect(page.locator(".req-head .badge")).to_have_text("Rejected")
    page.get_by_role("button", name="Make a new version").click()
    expect(page.get_by_role("status")).to_contain_text("A new draft was made")
    expect(page.locator("h1")).to_contain_text("-2")
    new_number = page.locator("h1").inner_text().split()[-1]
    expect(page.locator("#lines-0-description")).to_have_value("Ramen")
    page.locator("a[data-back]").click()
    expect(page.locator(".req-head .badge")).to_have_text("Draft")
    page.get_by_role("button", name="Delete draft").click()  # the required box is not ticked: nothing happens
    expect(page.locator(".req-head .badge")).to_have_text("Draft")
    page.get_by_label("I understand that deleting the draft cannot be undone").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete draft").click()
    expect(page.get_by_role("status")).to_contain_text("The draft quote was deleted")
    assert page.url.startswith(f"{live.base_url}/requests/{request_id}")
    expect(page.locator(".actions")).not_to_contain_text(new_number)
    expect(page.locator(".actions")).to_contain_text("Rejected")
