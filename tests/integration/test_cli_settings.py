"""`tenant update` sender settings and `request set-requester`, through the real CLI."""

import json

from tests.integration.test_cli import store_raw
from tests.conftest import make_mail


def test_tenant_update_sender_settings(run_cli):
    """Own addresses/domains add up, auto-reply and sender mode switch; own mode warns."""
    run_cli("tenant", "add", "Acme", "--slug", "acme")
    out = json.loads(run_cli("tenant", "update", "acme", "--own-address", "Sales@Acme.be", "--own-domain", "ACME.be",
                             "--auto-reply", "off", "--json").stdout)
    assert (out["own_addresses"], out["own_domains"], out["auto_reply"]) == (["Sales@acme.be"], ["acme.be"], False)
    result = run_cli("tenant", "update", "acme", "--sender-mode", "own", "--own-address", "jan@acme.be", "--json")
    out = json.loads(result.stdout)
    assert out["sender_mode"] == "own" and out["own_addresses"] == ["Sales@acme.be", "jan@acme.be"]
    assert "will not come back" in result.stderr
    out = json.loads(run_cli("tenant", "update", "acme", "--clear-own", "--sender-mode", "tenant", "--json").stdout)
    assert (out["own_addresses"], out["own_domains"]) == ([], [])


def test_tenant_update_refuses_bad_values(run_cli):
    """Bad addresses and own mode without an own address are refused naming the field."""
    run_cli("tenant", "add", "Acme", "--slug", "acme")
    assert "own_address" in run_cli("tenant", "update", "acme", "--own-address", "nope", expect=4).stderr
    assert "own_domain" in run_cli("tenant", "update", "acme", "--own-domain", "a b", expect=4).stderr
    assert "sender_mode" in run_cli("tenant", "update", "acme", "--sender-mode", "own", expect=4).stderr


def test_reserved_slug_is_refused(run_cli):
    """'bounce' is the local part of our VERP return paths: no tenant may take it."""
    assert "reserved" in run_cli("tenant", "add", "B", "--slug", "bounce", expect=4).stderr


def test_set_requester_is_recorded(run_cli):
    """Correcting the requester changes the request and leaves the old value on the timeline."""
    tenant = json.loads(run_cli("tenant", "add", "Acme", "--slug", "acme", "--json").stdout)
    store_raw(run_cli.config_path, tenant["id"], make_mail())
    request_id = json.loads(run_cli("request", "list", "--json").stdout)[0]["id"]
    run_cli("request", "set-requester", str(request_id), "Real@Customer.be", "--name", "Real Customer")
    shown = json.loads(run_cli("request", "show", str(request_id), "--json").stdout)
    assert (shown["requester_email"], shown["requester_name"]) == ("Real@customer.be", "Real Customer")
    event = [e for e in shown["timeline"] if e["kind"] == "requester_changed"][0]
    assert event["detail"]["previous"]["email"] == "klant@example.org"
    assert "email" in run_cli("request", "set-requester", str(request_id), "bad", expect=4).stderr


def test_message_list_json(run_cli):
    """`message list --json` is one JSON array with tenant, kind and request of each message."""
    tenant = json.loads(run_cli("tenant", "add", "Acme", "--slug", "acme", "--json").stdout)
    store_raw(run_cli.config_path, tenant["id"], make_mail())
    rows = json.loads(run_cli("message", "list", "--tenant", "acme", "--json").stdout)
    assert [(r["tenant"], r["kind"], r["direction"]) for r in rows] == [("acme", "human", "in")]
    assert json.loads(run_cli("message", "list", "--unattached", "--json").stdout) == []
