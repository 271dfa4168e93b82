"""Reminders of a card's appointment and call-back: when they are due, how they follow the card,
and the mail the seller gets (pure).

- A moment's date and time are the tenant's local time (its profile's `timezone`, default
  Europe/Brussels); a moment without a time is due at 09:00 that day.
- `plan` compares what the card wants with the stored reminders: a new moment creates one, a
  changed date or time makes it pending again (a new appointment deserves a new reminder), an
  unchanged one keeps its state (a reminder is sent once, however often the card is saved), and a
  removed moment drops its reminder. A changed note alone only updates the note.
- A reminder is due once its time has come and it was neither sent nor skipped. One that fell due
  while the daemon was stopped is sent when it starts again, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from quotemaild.errors import InvalidInput

REMINDED = ("appointment", "call_back")
DEFAULT_TIME = dt.time(9, 0)
DEFAULT_TIMEZONE = "Europe/Brussels"
PENDING, SENT, SKIPPED = "pending", "sent", "skipped"


@dataclass(frozen=True)
class Wanted:
    due_at: dt.datetime  # UTC
    note: str


@dataclass(frozen=True)
class Stored:
    due_at: dt.datetime
    note: str
    state: str


@dataclass(frozen=True)
class Step:
    kind: str
    action: str  # "create", "reset" (new time: pending again), "note" (note only), "delete"
    wanted: Wanted | None = None


def zone(name: str | None) -> ZoneInfo:
    """The tenant's time zone; InvalidInput naming `profile.timezone` for an unknown one."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("profile.timezone", f"unknown time zone {name!r} (e.g. Europe/Brussels)") from None


def due_at(date: dt.date, time: dt.time | None, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of a local date and time (09:00 without a time)."""
    local = dt.datetime.combine(date, time or DEFAULT_TIME, tzinfo=tz)
    return local.astimezone(dt.UTC)


def wanted(moments: Mapping[str, Mapping[str, str]], tz: ZoneInfo) -> dict[str, Wanted]:
    """The reminders a card's stored moments ask for ({"appointment": {"date", "time", "note"}})."""
    out: dict[str, Wanted] = {}
    for kind in REMINDED:
        moment = moments.get(kind)
        if not moment or not moment.get("date"):
            continue
        time = dt.time.fromisoformat(moment["time"]) if moment.get("time") else None
        out[kind] = Wanted(due_at(dt.date.fromisoformat(moment["date"]), time, tz), moment.get("note", ""))
    return out


def plan(stored: Mapping[str, Stored], want: Mapping[str, Wanted]) -> list[Step]:
    """What to do to the stored reminders so they match what the card wants."""
    steps = []
    for kind in REMINDED:
        have, new = stored.get(kind), want.get(kind)
        if new is None:
            if have is not None:
                steps.append(Step(kind, "delete"))
        elif have is None:
            steps.append(Step(kind, "create", new))
        elif have.due_at != new.due_at:
            steps.append(Step(kind, "reset", new))
        elif have.note != new.note:
            steps.append(Step(kind, "note", new))
    return steps


def is_due(state: str, at: dt.datetime, now: dt.datetime) -> bool:
    return state == PENDING and at <= now


_WORDS = {
    "nl": {"appointment": "Afspraak", "call_back": "Terugbellen", "with": "met", "on": "op",
           "contact": "Contact", "note": "Notitie", "card": "Fiche", "intro": "Herinnering van quotemaild."},
    "fr": {"appointment": "Rendez-vous", "call_back": "Rappeler", "with": "avec", "on": "le",
           "contact": "Contact", "note": "Note", "card": "Fiche", "intro": "Rappel de quotemaild."},
    "en": {"appointment": "Appointment", "call_back": "Call back", "with": "with", "on": "on",
           "contact": "Contact", "note": "Note", "card": "Card", "intro": "Reminder from quotemaild."},
}


def reminder_mail(kind: str, language: str, contact_name: str, contact_id: int, local: dt.datetime,
                  note: str, reach: list[str]) -> tuple[str, str]:
    """(subject, text) of the mail to the seller, in `language` (en when unknown)."""
    w = _WORDS.get(language, _WORDS["en"])
    when = local.strftime("%d/%m/%Y %H:%M") if language != "en" else local.strftime("%Y-%m-%d %H:%M")
    subject = f"{w[kind]} {w['with']} {contact_name} {w['on']} {when}"
    lines = [w["intro"], "", subject]
    if reach:
        lines.append(f"{w['contact']}: {', '.join(reach)}")
    if note:
        lines += ["", f"{w['note']}:", note]
    lines += ["", f"{w['card']}: quotemaild contact show {contact_id}"]
    return subject, "\n".join(lines) + "\n"
