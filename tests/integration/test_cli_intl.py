"""CLI input with international addresses: stored in one form, found in any spelling, bad ones
refused with exit 4 and the field named."""

from __future__ import annotations

import json

import pytest


def test_tenant_own_addresses_and_domains(run_cli):
    """Own addresses and IDN domains in Unicode or punycode are stored as U-labels, deduplicated by key."""
    run_cli("tenant", "add", "Müller", "--slug", "mueller")
    out = json.loads(run_cli("tenant", "update", "mueller", "--own-address", "Verkauf@Müller.de",
                             "--own-address", "verkauf@XN--MLLER-KVA.DE", "--own-domain", "XN--FIRM-OOA.BE",
                             "--json").stdout)
    assert (out["own_addresses"], out["own_domains"]) == (["Verkauf@müller.de"], ["firmä.be"])
    bad = run_cli("tenant", "update", "mueller", "--own-domain", "xn--zz.de", expect=4)
    assert "own_domain" in bad.stderr


def test_users_contacts_and_requester(run_cli):
    """A user, a contact and a requester with UTF-8 / IDN addresses; the user is found in another spelling."""
    run_cli("tenant", "add", "Acme", "--slug", "acme")
    user = json.loads(run_cli("user", "add", "--tenant", "acme", "--name", "Jürgen", "--email", "Jürgen@Exämple.de",
                              "--json").stdout)
    assert user["email"] == "jürgen@exämple.de"
    contact = json.loads(run_cli("contact", "add", "--tenant", "acme", "--name", "ООО Пример",
                                 "--email", "Иван@Пример.РФ", "--email", "иван@xn--e1afmkfd.xn--p1ai",
                                 "--json").stdout)
    assert contact["emails"] == ["Иван@пример.рф"]
    created = json.loads(run_cli("request", "create", "--tenant", "acme", "--customer-name", "Ivan",
                                 "--subject", "Окна", "--body", "По телефону", "--json").stdout)
    shown = json.loads(run_cli("request", "set-requester", str(created["id"]), "用户@例子.广告", "--json").stdout)
    assert shown["requester_email"] == "用户@例子.广告"
    run_cli("request", "assign", str(created["id"]), "JÜRGEN@xn--exmple-cua.de")


@pytest.mark.parametrize("value", ["ev\u202eil@example.org", "a b@example.org", "x@exa_mple.org", "j@xn--zz.de"])
def test_bad_addresses_name_the_field(run_cli, value):
    """Spaces, bidi controls and invalid domain labels are refused with exit 4 naming the field."""
    run_cli("tenant", "add", "Acme", "--slug", "acme")
    result = run_cli("contact", "add", "--tenant", "acme", "--name", "X", "--email", value, expect=4)
    assert "email" in result.stderr


def test_contact_list_by_address_in_any_spelling(run_cli):
    """`contact list --email` finds card, person and document addresses whatever the spelling."""
    run_cli("tenant", "add", "Acme", "--slug", "acme")
    card = json.loads(run_cli("contact", "add", "--tenant", "acme", "--name", "Müller GmbH",
                              "--email", "Jürgen@exämple.de", "--json").stdout)
    person = json.loads(run_cli("contact", "add", "--tenant", "acme", "--name", "Société Dupré",
                                "--person", "François;françois@société.fr;;achats", "--json").stdout)
    run_cli("contact", "add", "--tenant", "acme", "--name", "Other", "--email", "other@example.org")
    found = json.loads(run_cli("contact", "list", "--tenant", "acme", "--email", "JÜRGEN@xn--exmple-cua.de",
                               "--json").stdout)
    assert [c["id"] for c in found] == [card["id"]]
    found = json.loads(run_cli("contact", "list", "--tenant", "acme", "--email", "FRANÇOIS@xn--socit-esab.fr",
                               "--json").stdout)
    assert [c["id"] for c in found] == [person["id"]]
    assert json.loads(run_cli("contact", "list", "--tenant", "acme", "--email", "nobody@exämple.de",
                              "--json").stdout) == []
    run_cli("contact", "list", "--tenant", "acme", "--email", "a@b.de", "--search", "x", expect=4)


def test_users_found_in_any_spelling(run_cli):
    """A seller added as `jürgen@exämple.de` is the assignee filter, and logs in, in another spelling."""
    from quotemaild.config import load_config
    from quotemaild.services.identity import authenticate, set_password
    from quotemaild.services.users import find_user
    from quotemaild.store import db

    run_cli("tenant", "add", "Acme", "--slug", "acme")
    run_cli("user", "add", "--tenant", "acme", "--name", "Jürgen", "--email", "jürgen@exämple.de")
    created = json.loads(run_cli("request", "create", "--tenant", "acme", "--customer-name", "K",
                                 "--subject", "Fenster", "--body", "x", "--json").stdout)
    run_cli("request", "assign", str(created["id"]), "Jürgen@EXÄMPLE.de")
    listed = json.loads(run_cli("request", "list", "--assignee", "JÜRGEN@xn--exmple-cua.de", "--json").stdout)
    assert [r["id"] for r in listed] == [created["id"]]

    engine = db.make_engine(load_config(run_cli.config_path).store)
    try:
        with db.make_sessionmaker(engine).begin() as s:
            user = find_user(s, 1, "jürgen@exämple.de")
            set_password(s, user, "correct horse battery staple")
        with db.make_sessionmaker(engine)() as s:
            assert authenticate(s, "JÜRGEN@xn--exmple-cua.de", "correct horse battery staple").id == user.id
    finally:
        engine.dispose()


def test_quote_names_the_requesting_person_in_any_spelling(run_cli):
    """The requester's address on a person of the linked card, spelled otherwise, picks that person."""
    run_cli("tenant", "add", "Acme", "--slug", "acme")
    card = json.loads(run_cli("contact", "add", "--tenant", "acme", "--name", "Müller GmbH",
                              "--person", "Jürgen Müller;Jürgen@xn--exmple-cua.de;;Einkauf", "--json").stdout)
    created = json.loads(run_cli("request", "create", "--tenant", "acme", "--customer-name", "K",
                                 "--subject", "Fenster", "--body", "x", "--json").stdout)
    run_cli("request", "set-requester", str(created["id"]), "jürgen@exämple.de")
    run_cli("request", "link", str(created["id"]), "--contact", str(card["id"]))
    quote = json.loads(run_cli("quote", "create", "--request", str(created["id"]), "--line", "Fenster;2;450;21",
                               "--json").stdout)
    assert quote["contact_person"] == "Jürgen Müller"
