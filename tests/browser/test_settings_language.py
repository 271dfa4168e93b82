"""Settings for an admin (address, Gmail code, texts with preview, tokens); a seller's language;
and the daily work with JavaScript switched off."""

from __future__ import annotations

import re

from playwright.sync_api import expect

GMAIL = ("(#512345678) Gmail Forwarding Confirmation - Receive Mail from jan@gmail.com",
         "jan@gmail.com has requested to automatically forward mail.\nConfirmation code: 512345678\n\n"
         "https://mail-settings.google.com/mail/vf-%5BANGjdJ8%5D-abc123\n")


def test_admin_settings_show_the_gmail_code_and_edit_the_auto_reply(page, live, shot):
    live.add_user("boss@acme.test", "Bram Baas", role="admin")
    live.send_mail(subject=GMAIL[0], body=GMAIL[1], sender="forwarding-noreply@google.com",
                   message_id="<gmail-confirm@google.com>")
    live.login(page, "boss@acme.test")
    page.get_by_role("link", name="Settings").click()
    expect(page.locator(".address")).to_have_text(live.address())
    expect(page.locator(".code")).to_have_text("512345678", timeout=10000)
    page.get_by_text("Gmail", exact=True).click()
    expect(page.locator("#address")).to_contain_text("Add a forwarding address")

    page.get_by_role("link", name="Acknowledgement · NL").click()
    text = page.locator("#template-text")
    text.fill("Subject: Goed ontvangen: {{ subject }}\n\nBedankt, we antwoorden binnen de dag.\n")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#texts .msg")).to_contain_text("we antwoorden binnen de dag")
    page.get_by_role("button", name="Save text").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.locator("#template-text")).to_have_value(re.compile("binnen de dag"))

    page.locator("#token-name").fill("Boekhouding")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#tokens code")).to_have_text(re.compile(r"^qmd_"))
    shot(page, "settings")

    page.locator("#user-name").fill("Vera Verkoper")
    page.locator("#user-email").fill("vera@acme.test")
    page.locator("#user-password").fill("een lang wachtwoord")
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("#users")).to_contain_text("vera@acme.test")
    page.get_by_role("button", name="Log out").click()
    live.login(page, "vera@acme.test", "een lang wachtwoord")
    expect(page.locator(".me")).to_contain_text("Vera Verkoper")


def test_a_seller_switches_to_dutch_and_it_sticks(page, live, shot):
    live.add_user("nina@acme.test", "Nina Nederlands")
    live.login(page, "nina@acme.test")
    page.locator("#lang-pick").select_option("nl")
    expect(page.locator("h1")).to_have_text("Offerteaanvragen")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.goto(live.base_url + "/contacts")
    expect(page.get_by_role("link", name="Prospecten")).to_be_visible()
    shot(page, "contacts-nl")
    page.goto(live.base_url + "/")
    expect(page.get_by_role("link", name="Offerteaanvraag toevoegen")).to_be_visible()
    shot(page, "inbox-nl")


def test_an_admin_sees_roles_and_validity_in_french(open_page, live):
    """Settings name the roles in the page's language (not `admin`/`seller`), and a quote's
    validity is a French date."""
    page = open_page(locale="fr-BE", extra_http_headers={"Accept-Language": "fr-BE,fr;q=0.9"})
    live.add_user("gerant@acme.test", "Gaston Gérant", role="admin")
    live.login(page, "gerant@acme.test")
    page.goto(live.base_url + "/settings")
    expect(page.locator("#users")).to_contain_text("gerant@acme.test · Administrateur")
    expect(page.locator("#token-role option").first).to_have_text("Vendeur")
    page.goto(live.base_url + "/requests/new")
    page.get_by_label("Ou le nom d'un nouveau client").fill("Atelier Lambert")
    page.get_by_label("Objet").fill("Devis par téléphone")
    page.get_by_role("button", name="Créer la demande").click()
    expect(page.get_by_role("status")).to_contain_text("Demande créée")
    page.get_by_role("link", name="Créer une offre").click()
    page.get_by_label("Description 1").fill("Châssis")
    page.get_by_label("Prix unitaire 1").fill("300")
    page.get_by_role("button", name="Créer une offre").click()
    expect(page.locator(".req-head")).to_contain_text(re.compile(r"Valable jusqu.au \d{1,2} \w+\.? 20\d\d"))


def test_the_daily_work_without_javascript(open_page, live, shot):
    """Log in, open a request, note and status change: plain forms, 303 back to the page."""
    page = open_page(java_script_enabled=False)
    live.add_user("noscript@acme.test", "Otto Zonder")
    live.send_mail(subject="Zonder script graag", message_id="<nojs@example.org>")
    live.login(page, "noscript@acme.test")
    page.locator("#requests li", has_text="Zonder script graag").locator("a").click()
    page.locator("#note summary").click()
    page.locator("#note-body").fill("Genoteerd zonder JavaScript.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("article.msg.note")).to_contain_text("zonder JavaScript")
    page.locator("#move").select_option("answered")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(".req-head .badge").first).to_have_text("Answered")
    page.get_by_role("button", name="Mark as unread").click()
    expect(page.locator("#requests li", has_text="Zonder script graag")).to_have_class(re.compile("unread"))
    shot(page, "request-nojs")


def test_passwords_without_the_cli(open_page, live, console_allow):
    """A seller changes their own password (the current one is asked first); an admin sets a new
    one for a seller who forgot theirs. Both end that user's sessions."""
    console_allow.append("status of 422")  # the wrong current password, on purpose
    live.add_user("pw-admin@acme.test", "Paula Admin", role="admin")
    live.add_user("pw-seller@acme.test", "Pieter Seller")
    seller, admin = open_page(), open_page()
    live.login(seller, "pw-seller@acme.test")
    seller.get_by_role("link", name="Pieter Seller").click()
    seller.get_by_label("Current password").fill("not my password")
    seller.get_by_label("New password (at least 10 characters)").fill("a new long password")
    seller.get_by_label("New password again").fill("a new long password")
    seller.get_by_role("button", name="Change password").click()
    expect(seller.get_by_role("alert")).to_contain_text("current")
    seller.get_by_label("Current password").fill("correct horse battery")
    seller.get_by_label("New password (at least 10 characters)").fill("a new long password")
    seller.get_by_label("New password again").fill("a new long password")
    seller.get_by_role("button", name="Change password").click()
    expect(seller.get_by_role("status")).to_contain_text("Log in with the new one")
    live.login(seller, "pw-seller@acme.test", "a new long password")

    live.login(admin, "pw-admin@acme.test")
    admin.goto(live.base_url + "/settings")
    admin.locator("#users li", has_text="pw-seller@acme.test").get_by_text("New password", exact=True).click()
    admin.get_by_label("New password for Pieter Seller (at least 10 characters)").fill("reset by the admin")
    admin.locator("#users li", has_text="pw-seller@acme.test").get_by_role("button", name="Set password").click()
    expect(admin.get_by_role("status")).to_contain_text("Password set")
    seller.goto(live.base_url + "/")
    expect(seller).to_have_url(re.compile(r"/login"))  # the seller's session ended
    live.login(seller, "pw-seller@acme.test", "reset by the admin")
