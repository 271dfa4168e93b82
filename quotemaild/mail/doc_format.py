"""Numbers, money, dates and text as documents print them in nl, fr and en (pure).

`to_cp1252` keeps text inside what the PDF core fonts can show (see mail/quote_pdf.py).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

ENCODING = "windows-1252"
_EXTRA = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ı": "i",
                        "ħ": "h", "Ħ": "H", "ŀ": "l", "Ŀ": "L", "\u2212": "-", "\u2009": " ",
                        "\u202f": " ", "\u00a0": " "})

_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
_CURRENCY = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def format_money(value: Decimal, language: str, currency: str = "EUR") -> str:
    """nl `€ 1.234,50`, fr `1 234,50 €`, en `€1,234.50`."""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    symbol = _CURRENCY.get(currency, currency)
    sign = "-" if amount < 0 else ""
    body = _group(abs(amount), language, decimals=2)
    if language == "fr":
        return f"{sign}{body} {symbol}"
    if language == "nl":
        return f"{symbol} {sign}{body}"
    return f"{sign}{symbol}{body}"


def format_number(value: Decimal, language: str) -> str:
    """A quantity without trailing zeros: 2, 1,5 (nl/fr) or 1.5 (en)."""
    d = Decimal(value).normalize()
    decimals = max(0, -d.as_tuple().exponent)  # type: ignore[operator]
    sign = "-" if d < 0 else ""
    return sign + _group(abs(d), language, decimals=int(decimals))


def format_percent(value: Decimal, language: str) -> str:
    return f"{format_number(value, language)}{'' if language == 'en' else ' '}%"


def format_date(value: dt.date, language: str) -> str:
    if language == "en":
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    sep = "/" if language == "fr" else "-"
    return f"{value.day:02d}{sep}{value.month:02d}{sep}{value.year}"


def to_cp1252(text: str) -> str:
    """Text the core fonts can show: cp1252 kept, others transliterated or `?`."""
    out: list[str] = []
    for ch in text.translate(_EXTRA):
        if _encodable(ch):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(_encodable(c) for c in base) else "?")
    return "".join(out)


def _encodable(ch: str) -> bool:
    if ch in "\n\t" or (ch.isprintable() and ch != "\x7f"):
        try:
            ch.encode(ENCODING)
            return True
        except UnicodeEncodeError:
            return False
    return False


def _group(amount: Decimal, language: str, decimals: int) -> str:
    text = f"{amount:,.{decimals}f}"  # 1,234.50
    if language == "en":
        return text
    thousands = " " if language == "fr" else "."
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", thousands)

