"""The inbox as a seller sees it: log in, requests listed with status and unread marker, filters."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect


def test_login_then_inbox_lists_a_request_sent_by_smtp(page, live, shot):
    """Mail sent to the tenant's address shows in the inbox, unread, with its status badge."""
    live.add_user("sara@acme.test", "Sara Seller")
    live.send_mail(subject="Prijs voor 12 ramen", message_id="<inbox-1@example.org>")
    page.goto(live.base_url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=/"))
    shot(page, "login")
    live.login(page, "sara@acme.test")
    row = page.locator("#requests li", has_text="Prijs voor 12 ramen")
    expect(row).to_be_visible()
    expect(row).to_have_class(re.compile("unread"))
    shot(page, "inbox")


def test_wrong_password_says_so_and_sets_no_session(page, live, console_allow):
    """A wrong password: 401 with the form again and a message; no session cookie."""
    console_allow.append("status of 401")
    live.add_user("wrong@acme.test", "Wim Wrong")
    page.goto(live.base_url + "/login")
    page.locator("#email").fill("wrong@acme.test")
    page.locator("#password").fill("not the password")
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "quotemaild_session"]


def test_new_request_appears_without_reload_and_rows_stay_put(page, live, shot):
    """With the inbox open, mail sent by SMTP shows up at the top through the event stream; the
    row the seller is on keeps its place and its focus."""
    live.add_user("lena@acme.test", "Lena Live")
    live.send_mail(subject="Eerste aanvraag", message_id="<live-1@example.org>")
    live.login(page, "lena@acme.test")
    first = page.locator("#requests li", has_text="Eerste aanvraag")
    expect(first).to_be_visible()
    page.evaluate("window.__marker = 1")  # gone if the page reloads
    page.keyboard.press("j")
    focused_id = page.evaluate("document.activeElement.closest('li').dataset.id")

    live.send_mail(subject="Nieuwe aanvraag live", message_id="<live-2@example.org>")
    fresh = page.locator("#requests li", has_text="Nieuwe aanvraag live")
    expect(fresh).to_be_visible(timeout=5000)
    expect(page.locator("#live-note")).to_be_visible()
    assert page.evaluate("window.__marker") == 1
    assert page.evaluate("document.activeElement.closest('li').dataset.id") == focused_id
    assert page.locator("#requests li").first.get_attribute("data-id") == fresh.get_attribute("data-id")
    shot(page, "inbox-live")


def test_question_mark_lists_the_shortcuts(page, live):
    """The inbox's "?" shows every shortcut, those of the request page included."""
    live.add_user("vraag@acme.test", "Vic Vraag")
    live.login(page, "vraag@acme.test")
    expect(page.locator("#shortcuts")).to_be_hidden()
    page.keyboard.press("?")
    shortcuts = page.locator("#shortcuts")
    expect(shortcuts).to_be_visible()
    for text in ("Next / previous request", "Reply to the customer", "Add an internal note", "Assign a seller"):
        expect(shortcuts).to_contain_text(text)
    page.keyboard.press("?")
    expect(shortcuts).to_be_hidden()


def test_a_request_processed_before_the_stream_opened_still_appears(page, live, console_allow):
    """Mail processed between the page's render and the event stream's start (a slow or a broken
    connection) is not lost to the live inbox: opening the stream brings the list up to date."""
    console_allow.append("net::ERR_FAILED")  # the refused stream connections below
    live.add_user("race@acme.test", "Rik Race")
    live.login(page, "race@acme.test")
    stream_allowed: list[bool] = []

    def hold_stream(route: object) -> None:
        if stream_allowed:
            route.continue_()
        else:
            route.abort()

    page.route("**/api/v1/events", hold_stream)
    page.reload()  # the inbox again, its stream now held back
    live.send_mail(subject="Tussen twee verbindingen", message_id="<race-1@example.org>")
    for _ in range(200):  # until the daemon made a request of it
        listed = json.loads(live.cli("request", "list", "--tenant", "acme", "--json").stdout)
        if any(r.get("subject") == "Tussen twee verbindingen" for r in listed):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the mail was not processed")
    stream_allowed.append(True)  # the browser's next reconnect gets through
    expect(page.locator("#requests li", has_text="Tussen twee verbindingen")).to_be_visible(timeout=15_000)
