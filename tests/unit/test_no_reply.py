"""The one no-reply rule (mail/no_reply.py): robot addresses by local part, people left alone."""

from __future__ import annotations

import pytest

from quotemaild.mail.no_reply import RobotSender, robot_sender

NO_REPLY, SYSTEM, LIST, AUTO, FORM = (
    RobotSender.NO_REPLY,
    RobotSender.MAIL_SYSTEM,
    RobotSender.LIST_SERVER,
    RobotSender.AUTORESPONDER,
    RobotSender.WEB_FORM,
)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("noreply@shop.example", NO_REPLY),
        ("no-reply@shop.example", NO_REPLY),
        ("no_reply@shop.example", NO_REPLY),
        ("no.reply@shop.example", NO_REPLY),
        ("NoReply@Shop.Example", NO_REPLY),
        ("donotreply@bank.example", NO_REPLY),
        ("do-not-reply@bank.example", NO_REPLY),
        ("do_not_reply@bank.example", NO_REPLY),
        ("dont-reply@bank.example", NO_REPLY),
        ("noreply-orders@shop.example", NO_REPLY),
        ("no-reply+tag@shop.example", NO_REPLY),
        ("forwarding-noreply@google.com", NO_REPLY),
        ("account-security-noreply@accountprotection.microsoft.com", NO_REPLY),
        ("geen-antwoord@gemeente.example", NO_REPLY),
        ("geenantwoord@gemeente.example", NO_REPLY),
        ("niet-beantwoorden@bank.example", NO_REPLY),
        ("niet-antwoorden@bank.example", NO_REPLY),
        ("ne-pas-repondre@banque.example", NO_REPLY),
        ("nepasrepondre@banque.example", NO_REPLY),
        ("ne_pas_repondre@banque.example", NO_REPLY),
        ("ne-pas-répondre@banque.example", NO_REPLY),
        ("pas-de-reponse@banque.example", NO_REPLY),
        ("keine-antwort@bank.example", NO_REPLY),
        ("mailer-daemon@mx.example", SYSTEM),
        ("MAILER-DAEMON@mx.example", SYSTEM),
        ("mail-daemon@mx.example", SYSTEM),
        ("postmaster@mx.example", SYSTEM),
        ("bounce@lists.example", SYSTEM),
        ("bounces@lists.example", SYSTEM),
        ("bounce+r12.ab3f@proposals.example", SYSTEM),
        ("bounces-123-abc@mailer.example", SYSTEM),
        ("listserv@lists.example", LIST),
        ("majordomo@lists.example", LIST),
        ("mailman-owner@lists.example", LIST),
        ("autoreply@host.example", AUTO),
        ("auto-reply@host.example", AUTO),
        ("autoresponder@host.example", AUTO),
        ("wordpress@site.example", FORM),
        ("webform@site.example", FORM),
        ("website@site.example", FORM),
        ("forms@site.example", FORM),
        ("contact-form@site.example", FORM),
        ("mailer@site.example", FORM),
        ("noreply", NO_REPLY),  # a bare local part
        ('"no-reply"@shop.example', NO_REPLY),
        # people
        ("noreen@klant.example", None),
        ("replyteam@klant.example", None),
        ("reply@klant.example", None),
        ("norepl@klant.example", None),
        ("noreplyhere@klant.example", None),
        ("jan.bouncer@klant.example", None),
        ("postmasters-guild@klant.example", None),
        ("geert@klant.example", None),
        ("antwoord@klant.example", None),
        ("info@klant.example", None),
        ("website-team@klant.example", None),
        ("mailerlite-fan@klant.example", None),
        ("autoreplies-are-annoying@klant.example", None),
        ("", None),
    ],
)
def test_robot_sender(address: str, kind: RobotSender | None) -> None:
    """Each address gets the kind of robot it is, or None for a person."""
    assert robot_sender(address) is kind


@pytest.mark.parametrize("kind", list(RobotSender))
def test_only_web_forms_take_replies_through_their_person(kind: RobotSender) -> None:
    """Every robot refuses replies but a web form's, which relays a person (in Reply-To)."""
    assert kind.refuses_replies is (kind is not RobotSender.WEB_FORM)
