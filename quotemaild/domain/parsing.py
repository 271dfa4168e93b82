"""Small value parsers shared by the domain rules: amounts, dates, times, e-mail addresses.

Each takes the raw value and the field name, and raises InvalidInput naming that field.
Belgian users type `12,50` and `1.234,50` and `23/11/2026`; scripts send `12.50` and ISO dates.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

from quotemaild.errors import InvalidInput
from quotemaild.mail.addresses import AddressError, split_email

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def parse_decimal(value: object, field: str) -> Decimal:
    """A finite Decimal from a number or text; `,` as decimal separator and `.` for thousands work."""
    if isinstance(value, bool):
        raise InvalidInput(field, "is not a number", code="not_a_number")
    if isinstance(value, Decimal | int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(str(value))
    elif isinstance(value, str):
        text = value.strip().replace(" ", "").replace("\u00a0", "").replace("%", "").replace("€", "")
        if "," in text and "." in text:
            decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
            thousands = "." if decimal_mark == "," else ","
            text = text.replace(thousands, "").replace(decimal_mark, ".")
        elif text.count(",") == 1:
            text = text.replace(",", ".")
        if not _NUMBER.fullmatch(text):
            raise InvalidInput(field, f"{value!r} is not a number", code="not_a_number")
        result = Decimal(text)
    else:
        raise InvalidInput(field, "is not a number", code="not_a_number")
    if not result.is_finite():
        raise InvalidInput(field, "is not a finite number", code="not_a_number")
    return result


def parse_int(value: object, field: str) -> int:
    number = parse_decimal(value, field)
    if number != number.to_integral_value():
        raise InvalidInput(field, "must be a whole number", code="not_whole")
    return int(number)


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def parse_date(value: object, field: str) -> dt.date:
    """A date from a date, ISO `2026-11-23` or Belgian `23/11/2026` (also `-` and `.`)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise InvalidInput(field, f"{value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)", code="not_a_date")


def parse_time(value: object, field: str) -> dt.time:
    """A time from a time or `14:30` / `14u30` / `14h30`."""
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"(\d{1,2})[:uh.](\d{2})", value.strip().lower())
        if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
            return dt.time(int(match.group(1)), int(match.group(2)))
    raise InvalidInput(field, f"{value!r} is not a time (HH:MM)", code="not_a_time")


def parse_email(value: object, field: str) -> str:
    """A plain address (`local@domain.tld`) in its stored form (mail/addresses.py: NFC, IDN domain
    as U-labels, local part as given); UTF-8 local parts and IDN domains welcome. No names."""
    if not isinstance(value, str):
        raise InvalidInput(field, "is not an e-mail address", code="not_an_email")
    try:
        parts = split_email(value)
    except AddressError as exc:
        raise InvalidInput(field, f"{value!r} is not an e-mail address", code="not_an_email") from exc
    if "." not in parts.domain_ascii:  # a bare host name is fine in a header, not as a contact
        raise InvalidInput(field, f"{value!r} is not an e-mail address", code="not_an_email")
    return parts.stored


def clean_text(value: object, field: str, max_length: int, *, multiline: bool = False) -> str:
    """Stripped text; control characters refused (newlines only where `multiline`)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(field, "must be text", code="not_text")
    text = value.strip()
    allowed = "\n\r\t" if multiline else ""
    if any((ord(ch) < 32 and ch not in allowed) or ord(ch) == 127 for ch in text):
        raise InvalidInput(field, "contains control characters", code="control_characters")
    if len(text) > max_length:
        raise InvalidInput(field, f"is longer than {max_length} characters", code="too_long",
                           params={"max": max_length})
    return text


def cents(amount: Decimal) -> Decimal:
    """Rounded to cents, half up (the Belgian and accounting convention)."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

