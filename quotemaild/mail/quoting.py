"""Quote the conversation history below a reply, with a language-aware attribution line.

    Op 5 januari 2026 om 09:00 schreef Jan Peeters:
    Le 5 janvier 2026 à 09:00, Jan Peeters a écrit :
    On 5 January 2026 at 09:00, Jan Peeters wrote:

The signed body marker (tokens.Signer.body_marker) goes on its own line between the new text and
the attribution, so it survives in the customer's quote even when their client drops References
(threading step 4). Month names come from tables here, never from the process locale.
"""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}
_ATTRIBUTION = {
    "nl": "Op {date} om {time} schreef {name}:",
    "fr": "Le {date} à {time}, {name} a écrit :",
    "en": "On {date} at {time}, {name} wrote:",
}
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def attribution(when: dt.datetime, name: str, language: str = "en") -> str:
    """The "On <date>, <name> wrote:" line in nl, fr or en (anything else: en)."""
    lang = language if language in _ATTRIBUTION else "en"
    date = f"{when.day} {_MONTHS[lang][when.month - 1]} {when.year}"
    clean = " ".join(_CTRL.sub(" ", name).split()) or "?"
    return _ATTRIBUTION[lang].format(date=date, time=when.strftime("%H:%M"), name=clean)


def quote_lines(text: str) -> str:
    """Prefix every line with `> ` (`>` alone for empty lines, as mail clients do)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def reply_with_history(
    new_text: str,
    *,
    history: str | None,
    when: dt.datetime | None,
    name: str,
    language: str,
    marker: str,
) -> str:
    """The new text, the signed marker, then (if any) the attributed, quoted history."""
    parts = [new_text.rstrip(), marker]
    if history and history.strip():
        head = attribution(when, name, language) if when else ""
        parts.append(f"{head}\n{quote_lines(history)}" if head else quote_lines(history))
    return "\n\n".join(parts) + "\n"
