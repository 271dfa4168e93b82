"""What kind of mail is this: human, bounce, auto_reply, out_of_office, bulk or system.

Returns a `Verdict` with the reasons that decided it (STYLE.md example 13), never a bare bool.
Order, first hit wins: system (provider set-up mail) > bounce > out-of-office / auto-reply
(report formats here; RFC 3834 and vendor headers, nl/fr/en/de subjects and body wordings are
scored by `robot.score_answer`) > bulk (list headers, Precedence) > human. `auto_reply_allowed` answers DESIGN.md's "never auto-reply when" for the
header-level rules; rate limits and hard-bounce history are the caller's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from quotemaild.mail import robot_cues
from quotemaild.mail.body import display_body
from quotemaild.mail.bounce import BounceInfo, probable_bounce
from quotemaild.mail.no_reply import robot_sender
from quotemaild.mail.parse import ParsedMessage
from quotemaild.mail.robot import AnswerContext, RobotScore, score_answer
from quotemaild.mail.system_mail import SystemInfo, detect_system_mail


class Kind(StrEnum):
    """What a message is (`messages.kind`); the values are what the store holds."""

    HUMAN = "human"
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    OUT_OF_OFFICE = "out_of_office"
    BULK = "bulk"
    SYSTEM = "system"


HUMAN, BOUNCE, AUTO_REPLY, OUT_OF_OFFICE, BULK, SYSTEM = Kind
KINDS = tuple(Kind)

_OOO_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)?(?:"
    r"afwezig|niet aanwezig|afwezigheid|afwezigheidsbericht|met vakantie|"
    r"absente?|absent\(e\)|absence|message d['’]absence|en congés?|"
    r"out of (?:the )?office|ooo\b|away from (?:the )?office|on vacation|on holiday|"
    r"abwesen(?:d|heit|heitsnotiz)|nicht im büro|im urlaub|außer haus"
    r")(?=\s*(?:auto ?reply\s*)?(?:[:：]|$))",
    re.IGNORECASE,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:"
    r"automatisch antwoord|automatisch bericht|"
    r"réponse automatique|reponse automatique|"
    r"automatic reply|auto(?:matic)?[- ]?reply|autoreply|auto[- ]?response|"
    r"automatische antwort"
    r")(?=\s*(?:[:：]|$))",
    re.IGNORECASE,
)
_OOO_BODY = re.compile(
    r"afwezig|met vakantie|niet op kantoor|absente?\b|en congé|hors du bureau|out of (?:the )?office|"
    r"on vacation|on leave|away until|abwesend|im urlaub|nicht im büro",
    re.IGNORECASE,
)
_ARF = re.compile(r"feedback-report", re.IGNORECASE)
_JMRP_SUBJECT = re.compile(r"^\s*complaint about message from \S+", re.IGNORECASE)
_RECEIPT = re.compile(r"disposition-notification", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    kind: str
    reasons: tuple[str, ...]
    bounce: BounceInfo | None = None
    system: SystemInfo | None = None
    robot: RobotScore | None = None  # the robot-answer score, when it was computed

    @property
    def is_human(self) -> bool:
        return self.kind == HUMAN


def classify(
    msg: ParsedMessage,
    envelope_from: str | None = None,
    text: str | None = None,
    context: AnswerContext | None = None,
) -> Verdict:
    """Classify one message. `envelope_from` is MAIL FROM ("" for the null sender), if known;
    `text` its new text (computed here when not given); `context` what the store knows."""
    system = detect_system_mail(msg)
    bounce = probable_bounce(msg, envelope_from)  # the report is read only for a bounce
    if system is not None:
        return Verdict(SYSTEM, system.reasons, bounce, system)
    if bounce is not None:
        return Verdict(BOUNCE, bounce.reasons, bounce)

    report_reasons = _report_reasons(msg)
    if report_reasons:
        return Verdict(AUTO_REPLY, tuple(report_reasons))
    robot = score_answer(msg, display_body(msg).text if text is None else text, context)
    if robot.robot:
        return robot_verdict(msg, robot)

    bulk_reasons = _bulk_reasons(msg)
    if bulk_reasons:
        return Verdict(BULK, tuple(bulk_reasons))
    reasons = ["no machine-mail signal"]
    if msg.header("List-Id") and (msg.header("X-Original-From") or msg.header("X-Original-Sender")):
        reasons.append("mailing-list relay of a person's message (X-Original-From)")
    if robot.score > 0:
        reasons.append(f"robot score {robot.score:.2f} < 1.0: " + "; ".join(robot.reasons))
    return Verdict(HUMAN, tuple(reasons), robot=robot)


def robot_verdict(msg: ParsedMessage, robot: RobotScore) -> Verdict:
    """The out-of-office / auto-reply verdict for a robot score (also after context rescoring)."""
    reasons = list(robot.reasons)
    if robot.decided_by_header and (
        msg.header("X-MS-Exchange-Generated-Message-Source") or msg.header("X-MS-Exchange-Inbox-Rules-Loop")
    ):
        reasons.append("Exchange-generated automatic reply")
    ooo = robot.topic == robot_cues.ABSENCE or (
        robot.decided_by_header and bool(_OOO_SUBJECT.search(msg.subject) or _OOO_BODY.search(msg.text[:3000]))
        and robot.topic in ("", robot_cues.GENERIC)
    )
    if _OOO_SUBJECT.search(msg.subject):
        reasons.append("out-of-office subject")
    elif _AUTO_SUBJECT.search(msg.subject):
        reasons.append("automatic-reply subject")
    return Verdict(OUT_OF_OFFICE if ooo else AUTO_REPLY, tuple(dict.fromkeys(reasons)), robot=robot)


def auto_reply_allowed(msg: ParsedMessage, verdict: Verdict, envelope_from: str | None) -> tuple[bool, str]:
    """Header-level RFC 3834 checks: (allowed, why). Loops and rate limits are the caller's."""
    if verdict.kind != HUMAN:
        return False, f"kind {verdict.kind}"
    if envelope_from is not None and envelope_from.strip("<> ") == "":
        return False, "null envelope sender"
    sender = msg.sender
    if sender is None:
        return False, "no usable From"
    robot = robot_sender(sender.local)
    if robot is not None and robot.refuses_replies:
        return False, f"sender {sender.local}@ does not take replies"
    return True, "human mail"


def _report_reasons(msg: ParsedMessage) -> list[str]:
    """Report formats that are machine answers whatever they say: ARF, JMRP, read receipts."""
    reasons: list[str] = []
    ctype = msg.email.get_content_type() if msg.email is not None else ""
    # Read only where it counts: on a multipart/report.
    report_type = (
        str(msg.email.get_param("report-type") or "") if msg.email is not None and ctype == "multipart/report" else ""
    )
    if ctype == "multipart/report" and _ARF.search(report_type):
        reasons.append("multipart/report; report-type=feedback-report (ARF)")
    if _JMRP_SUBJECT.search(msg.subject) and any(a.content_type == "message/rfc822" for a in msg.attachments):
        reasons.append("feedback-loop complaint (Microsoft JMRP) with the reported message")
    if ctype == "multipart/report" and _RECEIPT.search(report_type):
        reasons.append("read receipt (disposition-notification)")
    return reasons


def _bulk_reasons(msg: ParsedMessage) -> list[str]:
    reasons: list[str] = []
    precedence = (msg.header("Precedence") or "").strip().lower()
    if precedence in ("bulk", "list", "junk"):
        reasons.append(f"Precedence: {precedence}")
    relayed_person = bool(msg.header("X-Original-From") or msg.header("X-Original-Sender"))
    if relayed_person and precedence != "bulk":
        # Google Groups used as a shared inbox: list headers, but a person wrote it.
        return reasons if precedence == "junk" else []
    if msg.header("List-Id"):
        reasons.append("List-Id header")
    if msg.header("List-Unsubscribe"):
        reasons.append("List-Unsubscribe header")
    return reasons
