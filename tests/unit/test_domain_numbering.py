"""Number formats: safe validation, rendering, parsing back and the next sequence number."""

from __future__ import annotations

import pytest

from quotemaild.domain.numbering import (
    DEFAULT_CUSTOMER_FORMAT,
    DEFAULT_QUOTE_FORMAT,
    parse_format,
)
from quotemaild.errors import InvalidInput


@pytest.mark.parametrize(
    ("fmt", "year", "seq", "month", "expected"),
    [
        ("C{year}{seq:04}", 2026, 7, 1, "C20260007"),
        ("OF-{year}-{seq:04}", 2026, 123, 1, "OF-2026-0123"),
        ("OF-{year}-{seq:04}", 2026, 12345, 1, "OF-2026-12345"),
        ("K{seq}", 2026, 5, 1, "K5"),
        ("{year}/{month:02}/{seq:03}", 2026, 9, 3, "2026/03/009"),
        ("{year}{month:02}{seq:03}", 2026, 9, 11, "202611009"),
        ("{{Q}}-{seq:02}", 2026, 1, 1, "{Q}-01"),
        ("{seq:03}-{year}", 2026, 4, 1, "004-2026"),
    ],
)
def test_render(fmt, year, seq, month, expected):
    """Formats render year, month and a zero-padded sequence."""
    assert parse_format(fmt).render(year, seq, month) == expected


@pytest.mark.parametrize(
    ("fmt", "problem"),
    [
        ("", "is empty"),
        ("C{year}", "must contain {seq}"),
        ("C{seq.real}", "unknown field"),
        ("C{seq[0]}", "unknown field"),
        ("C{0}", "unknown field"),
        ("C{}", "unknown field"),
        ("C{day}{seq}", "unknown field"),
        ("C{seq!r}", "conversion"),
        ("C{seq:x}", "format spec"),
        ("C{seq:>4}", "format spec"),
        ("C{seq:,}", "format spec"),
        ("C{seq:{year}}", "format spec"),
        ("C{seq:0100}", "format spec"),
        ("C{seq}{seq}", "twice"),
        ("C{seq", "unbalanced"),
        ("C}{seq}", "unbalanced"),
        ("{month:02}-{seq}", "needs {year}"),
        ("{seq}{year}", "cannot be followed directly"),
        ("{year}{month}{seq}", "cannot be followed directly"),
        ("C\n{seq}", "control characters"),
        ("C" * 61 + "{seq}", "longer than"),
    ],
)
def test_rejected_formats(fmt, problem):
    """Unsafe or ambiguous formats are InvalidInput naming the setting."""
    with pytest.raises(InvalidInput) as info:
        parse_format(fmt, field="quote_number_format")
    assert info.value.field == "quote_number_format"
    assert problem in info.value.problem


@pytest.mark.parametrize(
    ("fmt", "number", "expected"),
    [
        ("C{year}{seq:04}", "C20260007", {"year": 2026, "seq": 7}),
        ("OF-{year}-{seq:04}", "OF-2025-12345", {"year": 2025, "seq": 12345}),
        ("OF-{year}-{seq:04}", "OF-2025-x", None),
        ("OF-{year}-{seq:04}", "C20260007", None),
        ("{year}/{month:02}/{seq:03}", "2026/03/009", {"year": 2026, "month": 3, "seq": 9}),
        ("K{seq}", "K115", {"seq": 115}),
    ],
)
def test_parse_back(fmt, number, expected):
    """Rendered numbers parse back into their fields; foreign numbers do not match."""
    assert parse_format(fmt).parse(number) == expected


@pytest.mark.parametrize(
    ("fmt", "existing", "year", "month", "start", "expected"),
    [
        ("C{year}{seq:04}", [], 2026, 1, 1, 1),
        ("C{year}{seq:04}", ["C20260001", "C20260009", "C20250044"], 2026, 1, 1, 10),
        ("C{year}{seq:04}", ["C20250044"], 2026, 1, 1, 1),
        ("C{year}{seq:04}", ["C20260003", "hand typed", "OF-2026-0100"], 2026, 1, 1, 4),
        ("K{seq}", ["K115", "K7"], 2026, 1, 1, 116),
        ("K{seq}", [], 2026, 1, 116, 116),
        ("K{seq}", ["K200"], 2026, 1, 116, 201),
        ("{year}/{month:02}/{seq:03}", ["2026/03/009", "2026/04/001"], 2026, 3, 1, 10),
        ("{year}/{month:02}/{seq:03}", ["2026/03/009"], 2026, 5, 1, 1),
    ],
)
def test_next_seq(fmt, existing, year, month, start, expected):
    """The sequence restarts per period shown in the format and continues from `start`."""
    assert parse_format(fmt).next_seq(existing, year, month, start) == expected


def test_next_number_defaults():
    """The default customer and quote formats give the documented shapes."""
    assert parse_format(DEFAULT_CUSTOMER_FORMAT).next_number(["C20260001"], 2026) == "C20260002"
    assert parse_format(DEFAULT_QUOTE_FORMAT).next_number([], 2026) == "OF-2026-0001"


@pytest.mark.parametrize(
    ("year", "seq", "month", "field"),
    [(2026, 0, 1, "seq"), (2026, 1, 13, "month"), (26, 1, 1, "year")],
)
def test_render_rejects_bad_values(year, seq, month, field):
    """Render refuses values outside their range, naming the value."""
    with pytest.raises(InvalidInput) as info:
        parse_format("{year}-{month:02}-{seq}").render(year, seq, month)
    assert info.value.field == field
