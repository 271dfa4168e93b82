"""Shared value parsers: amounts, dates, times, e-mail addresses, text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from quotemaild.domain.parsing import (
    cents,
    clean_text,
    parse_date,
    parse_decimal,
    parse_email,
    parse_int,
    parse_time,
)
from quotemaild.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12.50", "12.50"), ("12,50", "12.50"), ("1.234,50", "1234.50"), ("1,234.50", "1234.50"),
     (" 21 % ", "21"), ("€ 9,99", "9.99"), ("-3", "-3"), (7, "7"), (0.1, "0.1"), (Decimal("2.5"), "2.5"),
     ("1 000,00", "1000.00"), (".5", ".5")],
)
def test_parse_decimal(raw, expected):
    """Belgian and script spellings of numbers give the same Decimal."""
    assert parse_decimal(raw, "amount") == Decimal(expected)


@pytest.mark.parametrize("raw", ["", "abc", "1,2,3", "NaN", "Infinity", True, None, "1e5", [1]])
def test_parse_decimal_rejects(raw):
    """Non-numbers are InvalidInput naming the field."""
    with pytest.raises(InvalidInput) as info:
        parse_decimal(raw, "amount")
    assert info.value.field == "amount"


@pytest.mark.parametrize(("raw", "ok"), [("30", 30), ("30,0", 30), (14, 14), ("1.5", None)])
def test_parse_int(raw, ok):
    """Whole numbers only."""
    if ok is None:
        with pytest.raises(InvalidInput):
            parse_int(raw, "days")
    else:
        assert parse_int(raw, "days") == ok


@pytest.mark.parametrize(
    "raw", ["2026-11-23", "23/11/2026", "23-11-2026", "23.11.2026", dt.date(2026, 11, 23),
            dt.datetime(2026, 11, 23, 10, 0)],
)
def test_parse_date(raw):
    """ISO and Belgian day-first dates are accepted."""
    assert parse_date(raw, "date") == dt.date(2026, 11, 23)


@pytest.mark.parametrize("raw", ["11/23/2026", "2026-13-01", "", None, 20261123])
def test_parse_date_rejects(raw):
    """Month-first and impossible dates are refused."""
    with pytest.raises(InvalidInput):
        parse_date(raw, "date")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("14:30", dt.time(14, 30)), ("9u05", dt.time(9, 5)), ("14h30", dt.time(14, 30)),
     (dt.time(8, 0), dt.time(8, 0))],
)
def test_parse_time(raw, expected):
    """Times in nl (14u30), fr (14h30) and plain (14:30) spellings."""
    assert parse_time(raw, "time") == expected


@pytest.mark.parametrize("raw", ["24:00", "12:60", "noon", ""])
def test_parse_time_rejects(raw):
    """Impossible times are refused."""
    with pytest.raises(InvalidInput):
        parse_time(raw, "time")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Info@Jansen.BE", "Info@jansen.be"), (" a.b+c@x-y.example ", "a.b+c@x-y.example")],
)
def test_parse_email(raw, expected):
    """Plain addresses are kept, domain lower-cased."""
    assert parse_email(raw, "email") == expected


@pytest.mark.parametrize(
    "raw",
    ["nope", "a@b", "Jan <jan@x.be>", "a@@x.be", "a..b@x.be", ".a@x.be", "a@x.be\r\nBcc: y@z.be",
     "a b@x.be", "a@-x.be", None, "x" * 65 + "@x.be"],
)
def test_parse_email_rejects(raw):
    """Names, header injection and malformed addresses are refused."""
    with pytest.raises(InvalidInput):
        parse_email(raw, "email")


@pytest.mark.parametrize(
    ("raw", "multiline", "expected"),
    [(" hi ", False, "hi"), (None, False, ""), ("a\nb", True, "a\nb")],
)
def test_clean_text(raw, multiline, expected):
    """Text is stripped; newlines only where allowed."""
    assert clean_text(raw, "f", 10, multiline=multiline) == expected


@pytest.mark.parametrize(("raw", "multiline"), [("a\nb", False), ("a\x00", True), ("x" * 11, False), (5, False)])
def test_clean_text_rejects(raw, multiline):
    """Control characters, over-long values and non-text are refused."""
    with pytest.raises(InvalidInput):
        clean_text(raw, "f", 10, multiline=multiline)


@pytest.mark.parametrize(
    ("raw", "expected"), [("0.005", "0.01"), ("0.015", "0.02"), ("2.675", "2.68"), ("-0.005", "-0.01"), ("1", "1.00")],
)
def test_cents_half_up(raw, expected):
    """Amounts round to cents half up (away from zero on .5)."""
    assert cents(Decimal(raw)) == Decimal(expected)
