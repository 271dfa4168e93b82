"""analyze_bounce(): DSN structure, X-Failed-Recipients, flufl.bounce formats, weak signals capped."""

from __future__ import annotations

import pytest

from quotemaild.mail.bounce import analyze_bounce
from quotemaild.mail.parse import parse_message

DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.firma.be>
To: firma-524@proposals.example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.firma.be

Final-Recipient: rfc822; piet@Klant.BE
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <piet@klant.be>: Recipient address rejected

--B
Content-Type: text/rfc822-headers

From: firma-524@proposals.example.com
To: piet@klant.be
Subject: Uw offerte
Message-ID: <q.12.34.abcd@proposals.example.com>

--B--
"""

EXIM = b"""From: Mail Delivery System <Mailer-Daemon@mail.klant.be>
To: firma-524@proposals.example.com
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: piet@klant.be
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  piet@klant.be
    SMTP error from remote mail server after RCPT TO:<piet@klant.be>:
    550 5.1.1 User unknown

------ This is a copy of the message, including all the headers. ------

Message-ID: <q.1.2.x@proposals.example.com>
From: firma-524@proposals.example.com
Subject: Uw offerte
"""


def test_rfc3464_dsn_gives_recipient_status_and_original_id():
    """A multipart/report DSN: failed recipient, status, reply code and original Message-ID."""
    info = analyze_bounce(parse_message(DSN))
    assert info.probable()
    assert info.recipients == ("piet@klant.be",)
    assert (info.status, info.reply_code, info.permanent) == ("5.1.1", "550", True)
    assert info.original_message_id == "<q.12.34.abcd@proposals.example.com>"
    assert "multipart/report; report-type=delivery-status" in info.reasons


def test_exim_text_bounce():
    """Exim's plain-text bounce: X-Failed-Recipients and the id from the returned copy."""
    info = analyze_bounce(parse_message(EXIM), envelope_from="")
    assert info.probable()
    assert info.recipients[0] == "piet@klant.be"
    assert info.status == "5.1.1"
    assert info.original_message_id == "<q.1.2.x@proposals.example.com>"
    assert "null envelope sender" in info.reasons


@pytest.mark.parametrize(
    "raw",
    [
        b"From: piet@klant.be\nSubject: Offerte\n\nKunt u een offerte maken? Fout 5.1.1 niet gevonden.\n",
        b"From: postmaster@klant.be\nReturn-Path: <>\nSubject: Bericht\n\nYour message was rejected.\n",
        b"",
    ],
)
def test_human_or_weak_signals_are_not_bounces(raw):
    """Body wording or a postmaster sender alone never make a bounce (capped below the threshold)."""
    assert not analyze_bounce(parse_message(raw)).probable()


def test_temporary_status_is_not_permanent():
    """A 4.x.x DSN status is a delay, not a permanent failure."""
    info = analyze_bounce(parse_message(DSN.replace(b"Status: 5.1.1", b"Status: 4.4.7")))
    assert info.status == "4.4.7" and info.permanent is False


@pytest.mark.parametrize(
    "text",
    [
        "Status: 5.1.1", "5.7.1 relay denied", "x5.1.1", "15.03.2024", "_5.1.1", "\u00e95.1.1",  # \w before: no \b
        "5.1234.1", "5.1.1a", "5.1.12", "(5.2.2)", "item 5. Please", "5.", "",
        "Delivery to the following recipient failed permanently", "USER UNKNOWN", "Mailbox is full",
        "This is the mail system at host x", "Nothing of the sort, 5 items.",
    ],
)
def test_bounce_wording_halves_answer_like_the_whole_pattern(text):
    """The score's two searches (wordings, then the status with its literal first) say "found"
    exactly where the whole wording regex finds a match; the status half at the same place."""
    import re

    from quotemaild.mail.bounce import _BODY, _BODY_STATUS, has_bounce_wording

    assert has_bounce_wording(text) is (_BODY.pattern.search(text) is not None)
    whole_status = re.search(r"\b5\.\d{1,3}\.\d{1,3}\b", text, re.IGNORECASE)
    got = _BODY_STATUS.search(text)
    assert (got and got.span()) == (whole_status and whole_status.span())
