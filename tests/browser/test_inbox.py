"""The inbox as a seller sees it: log in, requests listed with status and unread marker, filters."""

from __future__ import annotations

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
