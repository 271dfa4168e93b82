"""Robot answers to our mail sit on the request as robot events; a seller can correct the verdict."""

from __future__ import annotations

import json

from tests.conftest import make_mail
from tests.integration.test_cli import store_raw

OOO_NL = (
    "Bedankt voor uw bericht.\n\nIk ben momenteel met vakantie en vanaf maandag 18 augustus weer op kantoor.\n"
    "In dringende gevallen kunt u bellen naar 03 123 45 67.\n"
)
HUMAN_NL = "Bedankt! Ik ben volgende week met vakantie, dus graag de offerte voor vrijdag.\n"


def _setup(run_cli):
    tenant = json.loads(run_cli("tenant", "add", "Acme", "--slug", "acme", "--json").stdout)
    store_raw(run_cli.config_path, tenant["id"], make_mail(subject="Offerte dakwerken"))
    (request,) = json.loads(run_cli("request", "list", "--json").stdout)
    return tenant, request


def _answer(run_cli, tenant, body: str, message_id: str) -> None:
    raw = make_mail(
        subject="Re: Ontvangen: Offerte dakwerken", message_id=message_id, body=body,
        extra="In-Reply-To: <m1@example.org>\r\nReferences: <m1@example.org>",
    )
    store_raw(run_cli.config_path, tenant["id"], raw)


def test_robot_answer_is_a_robot_event_and_a_seller_can_correct_it(run_cli):
    """A Dutch out-of-office without RFC 3834 headers and with a plain Re: subject joins its request as
    an out_of_office event (never the customer's message); `message verdict` turns it around both ways,
    each time on the timeline."""
    tenant, request = _setup(run_cli)
    _answer(run_cli, tenant, OOO_NL, "<ooo1@example.org>")

    detail = json.loads(run_cli("request", "show", str(request["id"]), "--json").stdout)
    robot = [m for m in detail["messages"] if m["kind"] == "out_of_office"]
    assert len(robot) == 1, [m["kind"] for m in detail["messages"]]
    events = [e for e in detail["timeline"] if e["kind"] == "out_of_office_received"]
    assert events and events[0]["detail"]["robot"] is True and events[0]["detail"]["message"] == robot[0]["id"]
    assert not any(e["kind"] == "message_received" and e["detail"].get("message") == robot[0]["id"] for e in detail["timeline"])
    assert detail["status"] == request["status"]

    out = json.loads(run_cli("message", "verdict", str(robot[0]["id"]), "human", "--json").stdout)
    assert (out["before"], out["after"], out["changed"]) == ("out_of_office", "human", True)
    again = json.loads(run_cli("message", "verdict", str(robot[0]["id"]), "robot", "--json").stdout)
    assert (again["before"], again["after"]) == ("human", "out_of_office")

    detail = json.loads(run_cli("request", "show", str(request["id"]), "--json").stdout)
    corrections = [e for e in detail["timeline"] if e["kind"] == "verdict_corrected"]
    assert [(e["detail"]["before"], e["detail"]["after"]) for e in corrections] == [
        ("out_of_office", "human"), ("human", "out_of_office")
    ]
    assert all(e["actor"] == "cli" for e in corrections)


def test_human_answer_mentioning_a_holiday_stays_the_customers(run_cli):
    """"I am on holiday next week, please send the quote before Friday" is the customer's message."""
    tenant, request = _setup(run_cli)
    _answer(run_cli, tenant, HUMAN_NL, "<h1@example.org>")
    detail = json.loads(run_cli("request", "show", str(request["id"]), "--json").stdout)
    assert [m["kind"] for m in detail["messages"]] == ["human", "human"]
    assert any(e["kind"] == "message_received" for e in detail["timeline"][1:])


def test_verdict_refuses_unknown_messages_and_outbound_ones(run_cli):
    """An unknown id exits 3; a bad verdict is a usage error (2)."""
    _setup(run_cli)
    assert "not found" in run_cli("message", "verdict", "999", "robot", expect=3).stderr
    run_cli("message", "verdict", "1", "maybe", expect=2)


def test_body_only_robot_cues_on_mail_that_answers_nothing_of_ours_keep_the_request(run_cli):
    """A new mail whose body merely reads like an out-of-office opens a request (never lost as robot
    mail); with a strong subject it is robot mail, kept unattached."""
    tenant = json.loads(run_cli("tenant", "add", "Acme", "--slug", "acme", "--json").stdout)
    body = "Ik ben afwezig tot 14 augustus. Voor dringende zaken kunt u bellen naar 03 123 45 67.\n"
    store_raw(run_cli.config_path, tenant["id"], make_mail(subject="Vraag", message_id="<n1@example.org>", body=body))
    (request,) = json.loads(run_cli("request", "list", "--json").stdout)
    detail = json.loads(run_cli("request", "show", str(request["id"]), "--json").stdout)
    assert [m["kind"] for m in detail["messages"]] == ["human"]

    store_raw(run_cli.config_path, tenant["id"], make_mail(subject="Niet op kantoor", message_id="<n2@example.org>", body=body))
    assert len(json.loads(run_cli("request", "list", "--json").stdout)) == 1
    unattached = json.loads(run_cli("message", "list", "--unattached", "--json").stdout)
    assert [m["kind"] for m in unattached] == ["out_of_office"]


def test_a_sender_that_answered_the_same_way_before_is_recognised(run_cli):
    """A one-line absence note is not enough alone; the same text from a sender whose earlier answer
    was a robot's (here marked by its header) makes it a robot answer, with that reason kept."""
    tenant, request = _setup(run_cli)
    first = make_mail(
        subject="Re: Ontvangen: Offerte dakwerken", message_id="<a1@example.org>",
        body="Ik ben tot en met vrijdag 16 augustus niet op kantoor.\n",
        extra="In-Reply-To: <m1@example.org>\r\nAuto-Submitted: auto-replied",
    )
    store_raw(run_cli.config_path, tenant["id"], first)
    _answer(run_cli, tenant, "Ik ben tot en met vrijdag 23 augustus niet op kantoor.\n", "<a2@example.org>")
    detail = json.loads(run_cli("request", "show", str(request["id"]), "--json").stdout)
    kinds = [m["kind"] for m in detail["messages"]]
    assert kinds == ["human", "out_of_office", "out_of_office"], kinds
    events = [e for e in detail["timeline"] if e["kind"] == "out_of_office_received"]
    assert any("same text before" in r for r in events[-1]["detail"]["reasons"])


def test_unattached_robot_mail_marked_human_opens_its_request(run_cli):
    """Robot mail answers nothing and is kept unattached; marked human it becomes a request, on the timeline."""
    tenant = json.loads(run_cli("tenant", "add", "Acme", "--slug", "acme", "--json").stdout)
    store_raw(run_cli.config_path, tenant["id"], make_mail(subject="Afwezig", message_id="<u1@example.org>",
                                                            body="Graag een offerte voor 12 ramen.\n"))
    assert json.loads(run_cli("request", "list", "--json").stdout) == []
    (robot,) = json.loads(run_cli("message", "list", "--unattached", "--json").stdout)
    out = json.loads(run_cli("message", "verdict", str(robot["id"]), "human", "--json").stdout)
    assert out["changed"] and out["request_id"] is not None
    detail = json.loads(run_cli("request", "show", str(out["request_id"]), "--json").stdout)
    assert detail["requester_email"] == "klant@example.org" and detail["message_count"] == 1
    assert [e["kind"] for e in detail["timeline"]] == ["request_created", "message_received", "verdict_corrected"]


def test_robot_answer_without_threading_headers_joins_the_request_we_wrote_to(run_cli, tmp_path):
    """A ticket desk's receipt with no In-Reply-To/References attaches, as a robot event, to the request
    whose reply went to that address; it opens nothing."""
    tenant, request = _setup(run_cli)
    body = tmp_path / "reply.txt"
    body.write_text("Hierbij onze vragen over het dak.\n", encoding="utf-8")
    run_cli("request", "reply", str(request["id"]), "--body-file", str(body))
    detail = json.loads(run_cli("request", "show", str(request["id"]), "--json").stdout)
    assert any(m["direction"] == "out" for m in detail["messages"]), "our reply is stored"
    receipt = make_mail(
        subject="Ontvangstbevestiging [#4711]", message_id="<t1@example.org>",
        body="Wij hebben uw e-mail goed ontvangen en antwoorden binnen 2 werkdagen.\n",
    )
    store_raw(run_cli.config_path, tenant["id"], receipt)
    assert len(json.loads(run_cli("request", "list", "--json").stdout)) == 1
    detail = json.loads(run_cli("request", "show", str(request["id"]), "--json").stdout)
    assert [m["kind"] for m in detail["messages"] if m["direction"] == "in"] == ["human", "auto_reply"]
    assert any(e["kind"] == "auto_reply_received" for e in detail["timeline"])


def test_message_list_shows_why_an_answer_was_taken_for_a_robot(run_cli):
    tenant, _ = _setup(run_cli)
    _answer(run_cli, tenant, OOO_NL, "<ooo2@example.org>")
    out = run_cli("message", "list", "--kind", "out_of_office").stdout
    assert "robot " in out and "first-person absence" in out
