"""May we send an automatic acknowledgement? A verdict with reasons, from values only.

RFC 3834 and the lessons in DESIGN.md ("Never auto-reply when", loops): every rule that says no
adds a reason; `allowed` is true only when none did. Nothing here looks at a clock or a database:
the caller passes `now`, the acknowledgements already sent to this sender by this tenant, and the
number of inbound mails from this sender to this tenant in the last 120 minutes.

Headers are read from a `ParsedMessage`. parse.py drops inbound `X-Quotemaild-*` headers (they
cannot vouch for anything) and records `dropped inbound header X-Quotemaild-Loop` in `defects`;
for loop detection that record counts as seeing our loop header.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from quotemaild.mail.addresses import Address, domain_key
from quotemaild.mail.compose import LOOP_HEADER
from quotemaild.mail.no_reply import robot_sender
from quotemaild.mail.parse import ParsedMessage
from quotemaild.mail.robot import parse_auto_submitted

ACK_WINDOW = dt.timedelta(hours=24)
LOOP_WINDOW = dt.timedelta(minutes=120)
LOOP_LIMIT = 20  # more inbound mails than this from one sender in LOOP_WINDOW trips the breaker
LOOP_NOTE_REASON = "loop-breaker"
LOOP_NOTE = (
    f"Automatic mail stopped for this sender: more than {LOOP_LIMIT} messages from them to this tenant"
    f" in {int(LOOP_WINDOW.total_seconds() // 60)} minutes (possible mail loop)."
)

_PRECEDENCE_NO = frozenset({"bulk", "list", "junk", "auto_reply"})
_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-response-suppress")
_LIST_HEADERS = ("list-id", "list-unsubscribe")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[str, ...]  # short codes; empty when allowed

    @property
    def needs_note(self) -> bool:
        """The loop breaker tripped: the caller should add an internal note (LOOP_NOTE) to the request."""
        return LOOP_NOTE_REASON in self.reasons


def may_acknowledge(
    *,
    envelope_sender: str | None,
    message: ParsedMessage,
    kind: str,
    auto_reply_enabled: bool,
    is_new_request: bool,
    hard_bounced: bool,
    acks_sent_to_sender: Iterable[dt.datetime],
    inbound_from_sender_recent: int,
    our_domains: Iterable[str],
    now: dt.datetime,
) -> Decision:
    """Decide on one acknowledgement.

    envelope_sender: MAIL FROM as received ("" or "<>" or None = null reverse path).
    kind: the classifier's verdict (human, bounce, auto_reply, out_of_office, bulk, system).
    acks_sent_to_sender: when this tenant acknowledged this sender before (any age; only the last
        24 h count). inbound_from_sender_recent: inbound mails from this sender to this tenant in the
        last 120 min, this one included. our_domains: the proposals domain (and any alias).
    """
    reasons: list[str] = []
    if not auto_reply_enabled:
        reasons.append("auto-reply-off")
    if not is_new_request:
        reasons.append("not-a-new-request")
    if kind != "human":
        reasons.append(f"kind-{kind}")

    envelope = (envelope_sender or "").strip().strip("<>").strip()
    if not envelope:
        reasons.append("null-return-path")
    sender = message.sender
    if sender is None:
        reasons.append("no-usable-from")
    for addr in _candidates(envelope, sender):
        robot = robot_sender(addr.local)
        if robot is not None and robot.refuses_replies:
            reasons.append(f"system-sender:{addr.local.lower()}")
            break
    ours = {domain_key(d) for d in our_domains}
    if any(_in_domains(addr.domain, ours) for addr in _candidates(envelope, sender)):
        reasons.append("our-own-domain")
    if hard_bounced:
        reasons.append("address-hard-bounced")

    reasons.extend(_header_reasons(message))

    window_start = now - ACK_WINDOW
    if any(window_start < sent <= now for sent in acks_sent_to_sender):
        reasons.append("rate-limit-24h")
    if inbound_from_sender_recent > LOOP_LIMIT:
        reasons.append(LOOP_NOTE_REASON)

    unique = tuple(dict.fromkeys(reasons))
    return Decision(allowed=not unique, reasons=unique)


def _header_reasons(message: ParsedMessage) -> list[str]:
    reasons: list[str] = []
    keyword = parse_auto_submitted(message.header("auto-submitted"))  # RFC 3834: comments are no keyword
    if keyword is not None and keyword != "no":
        reasons.append("auto-submitted")
    for name in _AUTO_HEADERS:
        if message.header(name) is not None:
            reasons.append(f"header-{name}")
    precedence = (message.header("precedence") or "").strip().lower()
    if precedence in _PRECEDENCE_NO:
        reasons.append(f"precedence-{precedence}")
    for name in _LIST_HEADERS:
        if message.header(name) is not None:
            reasons.append("mailing-list")
            break
    dropped_loop = f"dropped inbound header {LOOP_HEADER}".lower()
    if message.header(LOOP_HEADER) is not None or any(d.lower() == dropped_loop for d in message.defects):
        reasons.append("our-loop-header")
    return reasons


def _candidates(envelope: str, sender: Address | None) -> list[Address]:
    out: list[Address] = []
    if envelope and "@" in envelope:
        out.append(Address(envelope))
    if sender is not None:
        out.append(sender)
    return out


def _in_domains(domain: str, ours: set[str]) -> bool:
    domain = domain_key(domain)  # an IDN in Unicode or punycode compares the same
    return any(domain == d or domain.endswith("." + d) for d in ours)
