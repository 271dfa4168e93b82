"""From a service's JSON-ready view to what a page shows: presentation only, no rules.

The request page shows one conversation: inbound mail, our outbound mail and internal notes in
the order they happened, each kind drawn apart. Mail bodies are shown as text with the quoted
history folded away, or as sanitised HTML (nh3) when only HTML came; timeline entries become one
translated sentence each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from quotemaild.edges.http.web.render import N_
from quotemaild.mail.body import split_quoted
from quotemaild.mail.tokens import without_body_markers

Gettext = Callable[..., str]

GREETINGS = {"nl": "Beste {name},", "fr": "Bonjour {name},", "en": "Dear {name},"}
GREETINGS_ANON = {"nl": "Beste,", "fr": "Bonjour,", "en": "Hello,"}

TIMELINE = {
    "request_created": N_("Request received"),
    "received": N_("Mail received"),
    "manual": N_("Request created by hand"),
    "note": N_("Internal note"),
    "assigned": N_("Assigned to %(who)s"),
    "unassigned": N_("No seller assigned any more"),
    "status_changed": N_("Status: %(from)s → %(to)s"),
    "requester_changed": N_("Requester changed to %(who)s"),
    "contact_linked": N_("Contact linked"),
    "prospect_created": N_("Prospect created"),
    "contact_merged": N_("Contact merged"),
    "quote_created": N_("Quote %(number)s created"),
    "quote_sent": N_("Quote %(number)s sent to %(who)s"),
    "message_received": N_("Mail received"),
    "ack_queued": N_("Acknowledgement queued for sending"),
    "reply_queued": N_("Reply queued for sending"),
    "quote_queued": N_("Quote mail queued for sending"),
    "acknowledgement_skipped": N_("No acknowledgement sent (automatic mail or loop protection)"),
    "template_error": N_("A mail template could not be used"),
    "processing_failed": N_("A message could not be processed; it is kept"),
    "bounce_received": N_("A mail we sent bounced"),
    "delivery_failed": N_("A mail we sent could not be delivered"),
    "needs_attention": N_("New mail on a closed request: needs attention"),
    "quote_accepted": N_("Quote %(number)s accepted"),
    "quote_rejected": N_("Quote %(number)s rejected"),
    "quote_edited": N_("Quote %(number)s changed"),
    "quote_deleted": N_("Draft quote %(number)s deleted"),
    "quote_expired": N_("Quote %(number)s expired"),
    "quote_superseded": N_("Quote %(number)s replaced by a new version"),
    "quote_restored": N_("Quote %(number)s applies again"),
    "attention_cleared": N_("Seen: no longer needs attention"),
    "prospect_activated": N_("Prospect %(who)s is now active"),
    "verdict_corrected": N_("A mail was marked as written by a person"),
    "verdict_corrected_robot": N_("A mail was marked as an automatic answer"),
}
ROBOT_KINDS = ("out_of_office", "auto_reply")


def reply_text(language: str, name: str | None) -> str:
    """The standard opening of a reply, in the tenant's language (the signature is in the template)."""
    if name:
        return GREETINGS.get(language, GREETINGS["en"]).format(name=name.split()[0]) + "\n\n"
    return GREETINGS_ANON.get(language, GREETINGS_ANON["en"]) + "\n\n"


def timeline_text(entry: Mapping[str, Any], gettext: Gettext, status_name: Callable[[str], str]) -> str:
    kind = entry.get("kind", "")
    detail = entry.get("detail") or {}
    if kind == "verdict_corrected" and detail.get("after") != "human":
        kind = "verdict_corrected_robot"
    template = TIMELINE.get(kind)
    if template is None:
        if kind.endswith("_received"):
            template = TIMELINE["message_received"]
        else:
            return kind.replace("_", " ")
    values = {
        "who": detail.get("name") or detail.get("email") or detail.get("to") or "",
        "from": status_name(detail.get("from", "")),
        "to": status_name(detail.get("to", "")),
        "number": detail.get("number", ""),
    }
    return gettext(template, **values)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _moment(value: str | None) -> dt.datetime:
    """Sort key: ISO strings with different offsets do not sort as text."""
    if not value:
        return EPOCH
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _who(address: Mapping[str, Any] | None) -> str:
    if not address:
        return ""
    name, email = address.get("name"), address.get("email")
    return f"{name} <{email}>" if name and email else (email or name or "")


def conversation(detail: Mapping[str, Any], gettext: Gettext) -> list[dict[str, Any]]:
    """Messages and notes in time order; each entry says its kind (`in`, `out`, `note`)."""
    entries: list[tuple[dt.datetime, int, dict[str, Any]]] = []
    for m in detail.get("messages", []):
        outbound = m.get("direction") == "out"
        text = without_body_markers(m.get("text") or "")
        main, quoted = split_quoted(text)
        html = m.get("html") if not text.strip() else None
        delivery = m.get("delivery") or {}
        entries.append((_moment(m.get("created_at") or m.get("date")), 0, {
            "kind": "out" if outbound else "in",
            "kind_label": gettext("Sent by us") if outbound else gettext("Customer"),
            "who": _who(m.get("from")),
            "to": ", ".join(_who(a) for a in m.get("to") or []) if outbound else "",
            "at": m.get("date") or m.get("created_at"),
            "text": main.rstrip(),
            "quoted": quoted.strip(),
            "html": html,
            "attachments": m.get("attachments") or [],
            "forwarded_by": m.get("forwarded_by"),
            "confidence": m.get("requester_confidence"),
            "provenance": m.get("provenance"),
            "id": m.get("id"),
            "robot": not outbound and m.get("kind") in ROBOT_KINDS,
            "absence": m.get("kind") == "out_of_office",
            "queued": outbound and bool(delivery) and not delivery.get("sent"),
            "queued_reason": delivery.get("reason") or "",
            "failed": outbound and delivery.get("state") == "failed",
            "retry_outbox": delivery.get("outbox_id") if outbound and delivery.get("can_retry") else None,
        }))
    for e in detail.get("timeline", []):
        if e.get("kind") == "note":
            entries.append((_moment(e.get("at")), 1, {
                "kind": "note", "kind_label": gettext("Internal note"), "who": e.get("actor", ""),
                "at": e.get("at"), "text": (e.get("detail") or {}).get("body", ""), "quoted": "", "html": None,
                "attachments": [], "forwarded_by": None, "confidence": None, "queued": False, "failed": False,
                "retry_outbox": None,
            }))
    entries.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in entries]


def first_inbound(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((m for m in items if m["kind"] == "in"), None)
