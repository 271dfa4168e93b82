"""Dates as mail clients write them in forward headers: RFC 5322, numeric, nl/fr/en/de words.

Clients localise the Date line of a forward ("maandag 3 maart 2025 09:12", "jeu. 6 avr. 2023 à
16:17", "Donnerstag, 6. April 2023 16:17", "Wednesday, October 27, 2021 3:14 PM"). Times without
a zone are taken as UTC: the result is a best guess for display, never used for ordering mail.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

_MONTHS = {
    # en
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    # nl
    "mrt": 3,
    "maart": 3,
    "mei": 5,
    "juni": 6,
    "juli": 7,
    "okt": 10,
    "januari": 1,
    "februari": 2,
    # fr
    "janv": 1,
    "févr": 2,
    "fevr": 2,
    "mars": 3,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juil": 7,
    "août": 8,
    "aout": 8,
    "sept": 9,
    "déc": 12,
    "janvier": 1,
    "février": 2,
    "avril": 4,
    "juillet": 7,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "décembre": 12,
    # de
    "jän": 1,
    "januar": 1,
    "februar": 2,
    "märz": 3,
    "mrz": 3,
    "april": 4,
    "dez": 12,
    "dezember": 12,
    "oktober": 10,
}
_WORD = r"([a-zéûäè]{3,10})\.?"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})\.?\s+{_WORD}\s+(\d{{4}})", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"\b{_WORD}\s+(\d{{1,2}}),?\s+(\d{{4}})", re.IGNORECASE)
_TIME = re.compile(r"\b(\d{1,2})[:.h](\d{2})(?:[:.]\d{2})?\s*([AaPp]\.?[Mm]\.?)?")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DMY = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")


def parse_loose_date(value: str | None) -> dt.datetime | None:
    """A UTC datetime, or None when the text holds no date we can read."""
    if not value or len(value) > 200:
        return None
    value = " ".join(value.split())
    twelve_hour = re.search(r"\d\s*[AaPp]\.?[Mm]\b", value) is not None
    parsed = (None if twelve_hour else _rfc5322(value)) or _worded(value) or _numeric(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None


def _rfc5322(value: str) -> dt.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _month(word: str) -> int | None:
    word = word.lower().rstrip(".")
    return _MONTHS.get(word) or _MONTHS.get(word[:4]) or _MONTHS.get(word[:3])


def _worded(value: str) -> dt.datetime | None:
    day = month = year = None
    found = _DAY_MONTH_YEAR.search(value)
    if found and _month(found.group(2)):
        day, month, year = int(found.group(1)), _month(found.group(2)), int(found.group(3))
        rest = value[found.end() :]
    else:
        found = _MONTH_DAY_YEAR.search(value)
        if not found or not _month(found.group(1)):
            return None
        month, day, year = _month(found.group(1)), int(found.group(2)), int(found.group(3))
        rest = value[found.end() :]
    return _combine(year, month, day, rest)


def _numeric(value: str) -> dt.datetime | None:
    found = _ISO.search(value)
    if found:
        year, month, day = (int(g) for g in found.groups())
    else:
        found = _DMY.search(value)
        if not found:
            return None
        day, month, year = (int(g) for g in found.groups())
    return _combine(year, month, day, value[found.end() :])


def _combine(year: int, month: int | None, day: int, rest: str) -> dt.datetime | None:
    if month is None:
        return None
    hour = minute = 0
    found = _TIME.search(rest)
    if found:
        hour, minute = int(found.group(1)), int(found.group(2))
        meridiem = (found.group(3) or "").lower().replace(".", "")
        if meridiem == "pm" and hour < 12:
            hour += 12
        elif meridiem == "am" and hour == 12:
            hour = 0
    try:
        return dt.datetime(year, month, day, hour, minute)
    except ValueError:
        return None
