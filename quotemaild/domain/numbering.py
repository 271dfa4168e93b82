"""Per-tenant number formats for customers and quotes: `C{year}{seq:04}`, `OF-{year}-{seq:04}`.

A format is parsed once (`parse_format`) and checked safely: only the fields `year`, `month` and
`seq`, and only a width with optional zero padding (`{seq:04}`, `{month:02}`). No attribute or
index access, no conversions (`!r`), no other format specs. `{{` and `}}` are literal braces.

The sequence restarts in every period the format shows: per year with `{year}`, per month with
`{year}` and `{month}`, never without `{year}` (a month alone repeats every year, so a format with
`{month}` must also have `{year}`). `next_seq` reads the existing numbers so the store can compute
the next one; `start` lets a tenant continue an old series ("my last invoice was 115").
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

from quotemaild.errors import InvalidInput

FIELDS = ("year", "month", "seq")
_SPEC = re.compile(r"(0?)([1-9][0-9]?)?")
MAX_LENGTH = 60


@dataclass(frozen=True)
class Part:
    literal: str
    field: str | None = None  # year, month, seq or None for a trailing literal
    width: int = 0
    zero_pad: bool = False


@dataclass(frozen=True)
class NumberFormat:
    text: str
    parts: tuple[Part, ...]

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(p.field for p in self.parts if p.field)

    def render(self, year: int, seq: int, month: int = 1) -> str:
        """The number for this period and sequence."""
        if seq < 1:
            raise InvalidInput("seq", "must be 1 or more")
        if not 1 <= month <= 12:
            raise InvalidInput("month", "must be 1-12")
        if not 1000 <= year <= 9999:
            raise InvalidInput("year", "must have four digits")
        values = {"year": year, "month": month, "seq": seq}
        out = []
        for part in self.parts:
            out.append(part.literal)
            if part.field:
                value = str(values[part.field])
                out.append(value.rjust(part.width, "0" if part.zero_pad else " "))
        return "".join(out)

    def parse(self, number: str) -> dict[str, int] | None:
        """The fields of a number in this format, or None if it does not match."""
        match = self._regex().fullmatch(number.strip())
        if match is None:
            return None
        return {name: int(value) for name, value in match.groupdict().items()}

    def _regex(self) -> re.Pattern[str]:
        pattern = []
        for part in self.parts:
            pattern.append(re.escape(part.literal))
            if part.field == "year":
                pattern.append(r" *(?P<year>\d{4})")
            elif part.field == "month":
                pattern.append(r" *(?P<month>\d{2})" if part.zero_pad and part.width >= 2
                               else r" *(?P<month>\d{1,2})")
            elif part.field == "seq":
                pattern.append(r" *(?P<seq>\d+)")
        return re.compile("".join(pattern))

    def next_seq(self, existing: Iterable[str], year: int, month: int = 1, start: int = 1) -> int:
        """The next sequence number in the period of (year, month): highest used + 1, at least `start`.

        Numbers that do not match the format (hand-typed, older formats) are ignored.
        """
        highest = 0
        for number in existing:
            fields = self.parse(number)
            if fields is None:
                continue
            if "year" in fields and fields["year"] != year:
                continue
            if "month" in fields and fields["month"] != month:
                continue
            highest = max(highest, fields["seq"])
        return max(highest + 1, start)

    def next_number(self, existing: Iterable[str], year: int, month: int = 1, start: int = 1) -> str:
        return self.render(year, self.next_seq(existing, year, month, start), month)


def parse_format(text: str, field: str = "number_format") -> NumberFormat:
    """Check a number format; InvalidInput naming `field` when it is not safe or not usable."""
    if not text or not text.strip():
        raise InvalidInput(field, "is empty")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(field, f"is longer than {MAX_LENGTH} characters")
    if any(ch in text for ch in "\r\n\t\0"):
        raise InvalidInput(field, "contains control characters")
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise InvalidInput(field, f"unbalanced braces ({exc})") from None
    parts: list[Part] = []
    seen: set[str] = set()
    for literal, name, spec, conversion in pieces:
        if name is None:
            parts.append(Part(literal))
            continue
        if name not in FIELDS:
            raise InvalidInput(field, f"unknown field {{{name}}}: use {{year}}, {{month}} or {{seq}}")
        if conversion is not None:
            raise InvalidInput(field, f"conversion !{conversion} is not allowed in {{{name}}}")
        spec_match = _SPEC.fullmatch(spec or "")
        if spec_match is None:
            raise InvalidInput(field, f"format spec {spec!r} in {{{name}}}: only a width like 04")
        if name in seen:
            raise InvalidInput(field, f"{{{name}}} appears twice")
        seen.add(name)
        width = int(spec_match.group(2) or 0)
        previous = parts[-1] if parts else None
        if previous and previous.field in ("seq", "month") and not literal:
            variable = previous.field == "seq" or not (previous.zero_pad and previous.width >= 2)
            if variable:
                raise InvalidInput(field, f"{{{previous.field}}} cannot be followed directly by {{{name}}}")
        parts.append(Part(literal, name, width, bool(spec_match.group(1)) and width > 0))
    if "seq" not in seen:
        raise InvalidInput(field, "must contain {seq}")
    if "month" in seen and "year" not in seen:
        raise InvalidInput(field, "{month} needs {year} too")
    return NumberFormat(text, tuple(parts))


DEFAULT_CUSTOMER_FORMAT = "C{year}{seq:04}"
DEFAULT_QUOTE_FORMAT = "OF-{year}-{seq:04}"
