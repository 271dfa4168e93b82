"""The one no-reply rule: does an address belong to a robot rather than a person who reads answers?

`robot_sender(address)` looks at the local part only (the domain says nothing about it) and
returns what kind of robot, or None for what may be a person:

- NO_REPLY       noreply@, no-reply@, no_reply@, donotreply@, do-not-reply@, in nl (geen-antwoord@,
                 niet-beantwoorden@), fr (ne-pas-repondre@, nepasrepondre@) and de (keine-antwort@);
                 also with a prefix or suffix after a separator (forwarding-noreply@, noreply-shop@)
- MAIL_SYSTEM    mailer-daemon@, postmaster@, bounce(s)@ and VERP forms such as bounce+tag@
- LIST_SERVER    listserv@, majordomo@, mailman@ (with a suffix: mailman-owner@)
- AUTORESPONDER  autoreply@, auto-reply@, autoresponder@
- WEB_FORM       wordpress@, webform@, website@, forms@, contact-form@, mailer@ (exactly): a site's
                 robot relaying a person, who is then in Reply-To

Every kind but WEB_FORM `refuses_replies`: nobody reads mail sent there, so we never send an
automatic answer to it, and a tenant address may not look like one. A web form's robot is not
where the person is, but the mail it carries is a person's: it does not stop an acknowledgement.
Whole words only: noreen@ and replyteam@ are people.
"""

from __future__ import annotations

import enum
import re


class RobotSender(enum.StrEnum):
    NO_REPLY = "no-reply"
    MAIL_SYSTEM = "mail-system"
    LIST_SERVER = "list-server"
    AUTORESPONDER = "autoresponder"
    WEB_FORM = "web-form"

    @property
    def refuses_replies(self) -> bool:
        """Nobody reads what is sent there (see the module docstring for WEB_FORM)."""
        return self is not RobotSender.WEB_FORM


_SEP = r"[-_.+]"
_NO_REPLY_WORDS = (
    rf"no{_SEP}?reply|do{_SEP}?not{_SEP}?reply|dont{_SEP}?reply|"  # en
    rf"geen{_SEP}?antwoord|niet{_SEP}?(?:be)?antwoorden|"  # nl
    rf"ne{_SEP}?pas{_SEP}?r[eé]pondre|pas{_SEP}?de{_SEP}?r[eé]ponse|"  # fr
    rf"keine{_SEP}?antwort|nicht{_SEP}?antworten"  # de
)
# (pattern, kind): the first that matches the whole local part wins.
_RULES: tuple[tuple[re.Pattern[str], RobotSender], ...] = (
    (re.compile(rf"(?:.*{_SEP})?(?:{_NO_REPLY_WORDS})(?:{_SEP}.*)?", re.I), RobotSender.NO_REPLY),
    (re.compile(rf"(?:mailer{_SEP}?daemon|mail{_SEP}daemon|postmaster|bounces?)(?:{_SEP}.*)?", re.I),
     RobotSender.MAIL_SYSTEM),  # fmt: skip
    (re.compile(rf"(?:listserv|majordomo|mailman)(?:{_SEP}.*)?", re.I), RobotSender.LIST_SERVER),
    (re.compile(rf"(?:auto{_SEP}?reply|auto{_SEP}?responder)(?:{_SEP}.*)?", re.I), RobotSender.AUTORESPONDER),
    (re.compile(rf"wordpress|web{_SEP}?form|website|forms?|contact{_SEP}?form|mailer", re.I), RobotSender.WEB_FORM),
)


def robot_sender(address: str) -> RobotSender | None:
    """The kind of robot `address` (or a bare local part) belongs to; None when it may be a person."""
    local = address.rpartition("@")[0] if "@" in address else address
    local = local.strip().strip('"')
    for pattern, kind in _RULES:
        if pattern.fullmatch(local):
            return kind
    return None
