"""Pure edits of a draft's lines, version numbers and expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from quotemaild.domain.quote_edit import (
    insert_line,
    is_expired,
    move_line,
    remove_line,
    replace_line,
    version_number,
)
from quotemaild.errors import InvalidInput

L = ("a", "b", "c")


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda: insert_line(L, "x"), ("a", "b", "c", "x")),
    (lambda: insert_line(L, "x", 1), ("x", "a", "b", "c")),
    (lambda: insert_line(L, "x", 4), ("a", "b", "c", "x")),
    (lambda: replace_line(L, 2, "x"), ("a", "x", "c")),
    (lambda: remove_line(L, 1), ("b", "c")),
    (lambda: remove_line(L, 3), ("a", "b")),
    (lambda: move_line(L, 1, 3), ("b", "c", "a")),
    (lambda: move_line(L, 3, 1), ("c", "a", "b")),
    (lambda: move_line(L, 2, 2), ("a", "b", "c")),
])
def test_edits(edit, expected):
    """Each edit gives the documented order and leaves the input as it was."""
    assert edit() == expected
    assert L == ("a", "b", "c")


@pytest.mark.parametrize(("edit", "field"), [
    (lambda: insert_line(L, "x", 0), "position"),
    (lambda: insert_line(L, "x", 5), "position"),
    (lambda: replace_line(L, 4, "x"), "position"),
    (lambda: remove_line(L, 0), "position"),
    (lambda: remove_line(("a",), 1), "position"),  # the last line stays
    (lambda: move_line(L, 4, 1), "position"),
    (lambda: move_line(L, 1, 4), "to"),
])
def test_bad_positions(edit, field):
    with pytest.raises(InvalidInput) as info:
        edit()
    assert info.value.field == field


@pytest.mark.parametrize(("number", "version", "new", "expected"), [
    ("OF-2026-0007", 1, 2, "OF-2026-0007-2"),
    ("OF-2026-0007-2", 2, 3, "OF-2026-0007-3"),
    ("Q2026/001", 1, 2, "Q2026/001-2"),
    ("OF-2026-0007-9", 9, 10, "OF-2026-0007-10"),
])
def test_version_numbers(number, version, new, expected):
    assert version_number(number, version, new) == expected


@pytest.mark.parametrize(("number", "version", "new"), [("OF-2026-0007", 2, 3), ("X-3", 2, 3), ("X", 1, 1),
                                                        ("X", 1, 100)])
def test_bad_version_numbers(number, version, new):
    with pytest.raises(InvalidInput):
        version_number(number, version, new)


D = dt.date(2026, 1, 31)


@pytest.mark.parametrize(("state", "today", "expected"), [
    ("sent", D, False),                          # the last valid day
    ("sent", D + dt.timedelta(days=1), True),
    ("draft", D + dt.timedelta(days=9), False),  # a draft is not out: it never expires
    ("accepted", D + dt.timedelta(days=9), False),
    ("expired", D + dt.timedelta(days=9), False),
])
def test_expiry(state, today, expected):
    assert is_expired(state, D, today) is expected
