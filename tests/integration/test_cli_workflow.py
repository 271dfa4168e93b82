"""Request workflow through the real CLI on a real SQLite store: users, assignment, statuses,
notes, manual requests, contacts on requests, delete and cancel."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from quotemaild.config import load_config
from quotemaild.store import db
from quotemaild.store.models import AuditRecord, Message, RawMessage
from tests.conftest import make_mail
from tests.integration.test_cli import store_raw


def j(run_cli, *args: str, expect: int = 0):
    return json.loads(run_cli(*args, "--json", expect=expect).stdout)


@pytest.fixture
def acme(run_cli):
    """Tenant acme (language fr) with one mailed-in request and two users."""
    tenant = j(run_cli, "tenant", "add", "Acme", "--slug", "acme", "--language", "fr")
    store_raw(run_cli.config_path, tenant["id"], make_mail(subject="Offerte ramen", sender="klant@example.org"))
    j(run_cli, "user", "add", "--tenant", "acme", "--name", "Jan", "--email", "Jan@Acme.be")
    j(run_cli, "user", "add", "--tenant", "acme", "--name", "An", "--email", "an@acme.be", "--role", "admin")
    request_id = j(run_cli, "request", "list")[0]["id"]
    return {"tenant": tenant, "request": request_id}


def kinds(run_cli, request_id: int) -> list[str]:
    return [e["kind"] for e in j(run_cli, "request", "show", str(request_id))["timeline"]]


def test_users_are_added_and_listed_per_tenant(run_cli, acme):
    """`user add` lower-cases the e-mail; `user list` shows the tenant's users; duplicates exit 4."""
    users = j(run_cli, "user", "list", "--tenant", "acme")
    assert [(u["email"], u["role"]) for u in users] == [("an@acme.be", "admin"), ("jan@acme.be", "seller")]
    dup = run_cli("user", "add", "--tenant", "acme", "--name", "J", "--email", "jan@acme.be", expect=4)
    assert "email" in dup.stderr
    run_cli("user", "list", "--tenant", "nope", expect=3)


def test_assign_and_filter_by_assignee(run_cli, acme):
    """Assigning a seller is on the timeline with the actor; list filters by assignee."""
    rid = str(acme["request"])
    shown = j(run_cli, "--actor", "an@acme.be", "request", "assign", rid, "JAN@acme.be")
    assert shown["assignee"] == "jan@acme.be"
    event = shown["timeline"][-1]
    assert (event["kind"], event["actor"], event["detail"]["email"]) == ("assigned", "an@acme.be", "jan@acme.be")
    assert [r["id"] for r in j(run_cli, "request", "list", "--assignee", "jan@acme.be")] == [acme["request"]]
    assert j(run_cli, "request", "list", "--assignee", "an@acme.be") == []
    run_cli("request", "assign", rid, "stranger@example.org", expect=3)
    cleared = j(run_cli, "request", "assign", rid, "--none")
    assert cleared["assignee"] is None and cleared["timeline"][-1]["kind"] == "unassigned"


def test_status_changes_follow_the_workflow_with_localised_labels(run_cli, acme):
    """Explicit status changes use the workflow's events; labels are in the tenant's language."""
    rid = str(acme["request"])
    listed = j(run_cli, "request", "list")[0]
    assert (listed["status"], listed["status_label"]) == ("received", "Reçu")
    bad = run_cli("request", "status", rid, "accepted", expect=4)
    assert "cannot" in bad.stderr and "received" in bad.stderr and bad.stdout == ""
    shown = j(run_cli, "request", "status", rid, "quote_created")
    assert (shown["status"], shown["status_label"]) == ("quote_created", "Offre créée")
    shown = j(run_cli, "request", "status", rid, "cancelled")
    assert shown["timeline"][-1]["detail"] == {"from": "quote_created", "to": "cancelled", "event": "cancel"}
    shown = j(run_cli, "request", "status", rid, "quote_created")  # reopen: back to where it was
    assert shown["timeline"][-1]["detail"]["event"] == "reopen"
    j(run_cli, "request", "status", rid, "accepted")
    assert [r["id"] for r in j(run_cli, "request", "list", "--status", "accepted")] == [acme["request"]]
    run_cli("request", "status", rid, "accepted", expect=4)  # already accepted
    run_cli("tenant", "update", "acme", "--language", "en")
    assert j(run_cli, "request", "show", rid)["status_label"] == "Quote accepted"


def test_actor_comes_from_the_environment_or_defaults_to_cli(run_cli, acme, monkeypatch):
    """Without --actor the actor is $QUOTEMAILD_ACTOR, else "cli"."""
    rid = str(acme["request"])
    assert j(run_cli, "request", "note", rid, "--body", "eerste")["timeline"][-1]["actor"] == "cli"
    monkeypatch.setenv("QUOTEMAILD_ACTOR", "jan@acme.be")
    assert j(run_cli, "request", "note", rid, "--body", "tweede")["timeline"][-1]["actor"] == "jan@acme.be"


def test_internal_note_is_on_the_timeline_only(run_cli, acme):
    """A note is a timeline entry with its body; it adds no message; an empty note exits 4."""
    rid = str(acme["request"])
    shown = j(run_cli, "request", "note", rid, "--body", "Klant belt morgen\nterug")
    assert shown["timeline"][-1]["kind"] == "note"
    assert shown["timeline"][-1]["detail"]["body"] == "Klant belt morgen\nterug"
    assert len(shown["messages"]) == 1
    run_cli("request", "note", rid, "--body", "   ", expect=4)
    run_cli("request", "note", "999", "--body", "x", expect=3)


def test_search_by_subject_and_requester(run_cli, acme):
    """--search matches the subject and the requester's address."""
    assert len(j(run_cli, "request", "list", "--search", "ramen")) == 1
    assert len(j(run_cli, "request", "list", "--search", "klant@example")) == 1
    assert j(run_cli, "request", "list", "--search", "dakgoot") == []


def test_manual_request_with_a_customer_name_or_a_contact(run_cli, acme):
    """`request create` after a phone call: a new name, or an existing contact linked at once."""
    made = j(run_cli, "request", "create", "--tenant", "acme", "--customer-name", "Mevr. Peeters",
             "--subject", "Nieuwe deur", "--body", "Belde om 10u voor een voordeur")
    assert (made["requester_name"], made["requester_email"], made["contact"]) == ("Mevr. Peeters", None, None)
    assert made["messages"][0]["text"] == "Belde om 10u voor een voordeur"
    assert made["messages"][0]["provenance"] == "manual"
    assert made["timeline"][0]["detail"]["channel"] == "manual"

    contact = j(run_cli, "contact", "add", "--tenant", "acme", "--name", "Bouw BV", "--email", "info@bouw.be")
    made = j(run_cli, "request", "create", "--tenant", "acme", "--contact", str(contact["id"]),
             "--subject", "Ramen", "--body", "12 ramen")
    assert made["contact"]["id"] == contact["id"] and made["requester_email"] == "info@bouw.be"
    assert [e["kind"] for e in made["timeline"]] == ["request_created", "contact_linked"]

    neither = run_cli("request", "create", "--tenant", "acme", "--subject", "x", "--body", "y", expect=4)
    assert "contact" in neither.stderr
    run_cli("request", "create", "--tenant", "acme", "--contact", "999", "--subject", "x", "--body", "y", expect=3)


def test_create_prospect_from_the_requester_and_link(run_cli, acme):
    """create-prospect prefills name and e-mail from the requester and links it; link is shown."""
    rid = str(acme["request"])
    prospect = j(run_cli, "request", "create-prospect", rid)
    assert (prospect["kind"], prospect["name"], prospect["emails"]) == ("prospect", "Klant", ["klant@example.org"])
    shown = j(run_cli, "request", "show", rid)
    assert shown["contact"]["id"] == prospect["id"] and shown["timeline"][-1]["kind"] == "prospect_created"
    again = run_cli("request", "create-prospect", rid, expect=4)
    assert "already linked" in again.stderr

    other = j(run_cli, "contact", "add", "--tenant", "acme", "--name", "Bouw BV", "--kind", "customer")
    shown = j(run_cli, "request", "link", rid, "--contact", str(other["id"]))
    assert shown["contact"] == {"id": other["id"], "name": "Bouw BV", "kind": "customer",
                                "number": other["number"], "emails": []}
    assert shown["timeline"][-1]["detail"]["previous"] == prospect["id"]
    assert "Bouw BV" in run_cli("request", "show", rid).stdout


def test_link_refuses_a_contact_of_another_tenant(run_cli, acme):
    """A contact of another tenant is not found from this tenant's request."""
    j(run_cli, "tenant", "add", "Other", "--slug", "other")
    foreign = j(run_cli, "contact", "add", "--tenant", "other", "--name", "Vreemd")
    run_cli("request", "link", str(acme["request"]), "--contact", str(foreign["id"]), expect=3)


def test_delete_needs_yes_and_removes_messages_and_raw_copies(run_cli, acme):
    """Delete without --yes is refused; with it the request, messages and raw copy go; audit stays."""
    rid = str(acme["request"])
    refused = run_cli("request", "delete", rid, expect=4)
    assert "--yes" in refused.stderr and "cancel" in refused.stderr
    out = j(run_cli, "--actor", "an@acme.be", "request", "delete", rid, "--yes")
    assert out["deleted"] is True and out["messages"] == 1
    run_cli("request", "show", rid, expect=3)
    engine = db.make_engine(load_config(run_cli.config_path).store)
    with db.make_sessionmaker(engine)() as s:
        assert s.scalars(select(Message)).all() == []
        assert s.scalars(select(RawMessage)).all() == []
        audit = s.scalars(select(AuditRecord)).one()
    engine.dispose()
    assert (audit.action, audit.actor, audit.detail["request_id"]) == ("request.delete", "an@acme.be", int(rid))
    assert audit.detail["subject"] == "Offerte ramen"


def test_cancel_keeps_the_request(run_cli, acme):
    """`request status ID cancelled` keeps the request and its messages."""
    shown = j(run_cli, "request", "status", str(acme["request"]), "cancelled")
    assert shown["status"] == "cancelled" and len(shown["messages"]) == 1


def test_tenant_update_customer_number_format(run_cli, acme):
    """tenant update sets the customer number format; an unsafe format exits 4."""
    view = j(run_cli, "tenant", "update", "acme", "--customer-number-format", "K{year}-{seq:03}")
    assert view["customer_number_format"] == "K{year}-{seq:03}"
    bad = run_cli("tenant", "update", "acme", "--customer-number-format", "{seq.__class__}", expect=4)
    assert "customer_number_format" in bad.stderr
    run_cli("tenant", "update", "nope", "--language", "nl", expect=3)
