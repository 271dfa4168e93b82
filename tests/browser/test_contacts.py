"""Contacts in French (the browser asks for fr-BE): CSV import with its dry run, merge, convert."""

from __future__ import annotations

from playwright.sync_api import expect

CSV = (
    "Naam;E-mail;Soort;Gemeente\n"
    "Menuiserie Dubois;info@dubois.test;prospect;Namur\n"
    "Dubois Menuiserie SRL;contact@dubois.test;prospect;Namur\n"
)


def test_import_then_merge_then_convert_in_french(open_page, live, shot, tmp_path):
    page = open_page(locale="fr-BE", extra_http_headers={"Accept-Language": "fr-BE,fr;q=0.9"})
    live.add_user("admin-fr@acme.test", "Anne Admin", role="admin")
    live.login(page, "admin-fr@acme.test")
    expect(page.locator("nav").first).to_contain_text("Demandes d'offre")
    page.get_by_role("link", name="Contacts").click()
    shot(page, "contacts-fr")

    path = tmp_path / "contacts.csv"
    path.write_text(CSV, encoding="utf-8")
    page.locator("#csv").set_input_files(str(path))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.locator("main")).to_contain_text("Lignes prêtes à importer: 2")
    shot(page, "contacts-import-fr")
    page.get_by_role("button", name="Importer 2 contacts").click()
    expect(page.get_by_role("status")).to_contain_text("Contacts importés")
    expect(page.locator("table")).to_contain_text("Menuiserie Dubois")

    page.get_by_role("link", name="Menuiserie Dubois", exact=True).click()
    page.locator("#merge-with").select_option(label="Dubois Menuiserie SRL")
    page.get_by_role("button", name="Montrer ce qui va se passer").click()
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("irréversible")
    expect(warning).to_contain_text("restent inchangées")
    shot(page, "contact-merge-fr")
    page.get_by_label("Je comprends que la fusion est irréversible").check()
    page.get_by_role("button", name="Fusionner définitivement").click()
    expect(page.get_by_role("status")).to_contain_text("Contacts fusionnés")

    page.get_by_role("button", name="Convertir en client").click()
    expect(page.get_by_role("status")).to_contain_text("maintenant client")
    expect(page.locator(".req-head")).to_contain_text("Numéro de client")
    shot(page, "contact-fr")

    page.get_by_role("link", name="Contacts", exact=True).click()
    expect(page.locator("table")).not_to_contain_text("Dubois Menuiserie SRL")
