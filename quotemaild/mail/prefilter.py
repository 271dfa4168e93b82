"""A literal test in front of a costly regex: "can this pattern match this text at all?"

The robot-answer body cues are a dozen case-insensitive alternations of `\\b...` wordings. Python's
`re` has no fast scan for those (a case-insensitive or `\\b`-led pattern gets no literal prefix,
so every alternative is tried at every position): on a 2 KB human mail they cost ~2.5 ms, more
than all the rest of parsing and understanding together. Almost every match of them contains a
word that plain text search finds in microseconds ("absent", "urgen", "verhuisd"...).

`Prefiltered(pattern)` reads those words out of the pattern itself (`required_literals`: for every
way the pattern can match, one of them is part of the match) and runs the regex only when one of
them is in the text. The answer is always the regex's own: the filter may let through text the
regex then rejects, never the other way round. A pattern the reader cannot vouch for gets no
filter and always runs.

Case: the literals and the text are compared after `fold`, which maps every pair of characters
that `re.IGNORECASE` treats as equal to the same string (str.lower, plus the few characters whose
regex case-equivalents str.lower does not reach: dotless i, dotted capital I, long s). A unit test
checks that promise against `re` itself for every code point and every literal character in use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

import ahocorasick

try:  # the parser behind `re.compile`; private, so a Python that moves it just gets no filter
    from re import _constants as _sre_c
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - Python < 3.11 is not supported anyway
    _sre_parse = None  # type: ignore[assignment]
    _sre_c = None  # type: ignore[assignment]

# Characters `re.IGNORECASE` matches to an ASCII letter that str.lower() leaves apart (or, for
# U+0130, turns into two characters): dotted capital I, dotless i, long s.
_FOLD_EXTRA: Final = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})
# Lower-casing these depends on the neighbours (final sigma): never part of a literal.
_CONTEXT_CASED: Final = frozenset("\u03a3\u03c2\u03c3")
MIN_LITERAL: Final = 3  # shorter required strings do not pay for their test; no filter then


def fold(text: str) -> str:
    """The text as the literals are compared with it (see the module docstring)."""
    if text.isascii():
        return text.lower()
    # translate() walks the text in Python-level steps (~40 us a KB): only when it changes something.
    if "\u0130" in text or "\u0131" in text or "\u017f" in text:
        text = text.translate(_FOLD_EXTRA)
    return text.lower()


# What a match needs, as a formula over folded strings: a string (it is in the text), or
# ("&", parts) / ("|", parts). None: nothing can be required (always run the pattern).
Need = str | tuple[str, tuple[Any, ...]]


def required_literals(pattern: re.Pattern[str], min_literal: int = MIN_LITERAL) -> Need | None:
    """A formula over folded strings that holds for every text `pattern` can match in; None when
    none can be read from it (or not one string of at least MIN_LITERAL characters takes part)."""
    if _sre_parse is None or not isinstance(pattern.pattern, str) or pattern.flags & re.LOCALE:
        return None
    try:
        need = _sequence(list(_sre_parse.parse(pattern.pattern, pattern.flags).data))
    except Exception:  # an opcode shape this reader does not know: no filter, the regex decides
        return None
    if need is None or _strength(need) < min_literal:
        return None
    return need


def holds(need: Need, folded: str) -> bool:
    """Whether the formula holds for the folded text."""
    if type(need) is str:
        return need in folded
    op, parts = need  # type: ignore[misc]
    if op == "&":
        for part in parts:
            if not holds(part, folded):
                return False
        return True
    for part in parts:
        if holds(part, folded):
            return True
    return False


def _sequence(items: Sequence[tuple[Any, Any]]) -> Need | None:
    """What a match of these items in a row needs: all of what each item needs."""
    assert _sre_c is not None
    clauses: list[Need] = []
    run: list[tuple[Any, Any]] = []  # literal items not yet turned into a clause

    def flush() -> None:
        if run:
            clauses.append(fold("".join(chr(av) for _, av in run)))
            run.clear()

    index = 0
    while index < len(items):
        op, av = items[index]
        index += 1
        if _is_literal(op, av):
            run.append((op, av))
            continue
        sub: Need | None = None
        # The parser moves a prefix that alternatives share out in front of them ("ooo|on pto"
        # is "o" + ("oo"|"n pto")): the literals just before a group, and just after it, go
        # into each of its branches ("(?:From|To):" needs "from:" or "to:").
        if op is _sre_c.SUBPATTERN or op is _sre_c.BRANCH:
            after: list[tuple[Any, Any]] = []
            while index < len(items) and _is_literal(*items[index]):
                after.append(items[index])
                index += 1
            if op is _sre_c.SUBPATTERN:
                sub = _sequence([*run, *av[-1].data, *after])
            else:
                parts = [_sequence([*run, *branch.data, *after]) for branch in av[1]]
                if all(p is not None for p in parts):
                    sub = ("|", tuple(sorted(parts, key=_strength)))  # type: ignore[arg-type]
            if sub is None:  # an empty branch: the literals around it still count
                flush()
                run.extend(after)
                continue
            run.clear()  # inside `sub` now
        else:
            flush()
            if op is _sre_c.ATOMIC_GROUP:
                sub = _sequence(list(av.data))
            elif op in _REPEATS and av[0] >= 1:  # a part that must occur at least once
                body = list(av[2].data)
                if len(body) == 1 and _is_literal(*body[0]):  # "-{5,}": five of them
                    sub = fold(chr(body[0][1]) * min(av[0], 16))
                else:
                    sub = _sequence(body)
            # Everything else (classes, \b, ^, lookarounds, back references) needs no literal.
        if sub is not None:
            clauses.append(sub)
    flush()
    if not clauses:
        return None
    if len(clauses) == 1:
        return clauses[0]
    # The most selective test first: an AND stops at the first string that is not there.
    return ("&", tuple(sorted(clauses, key=_strength, reverse=True)))


def _is_literal(op: Any, av: Any) -> bool:
    assert _sre_c is not None
    return op is _sre_c.LITERAL and chr(av) not in _CONTEXT_CASED


def _strength(need: Need) -> int:
    """How rare text that satisfies `need` is, roughly: the length of the shortest string it
    can be satisfied with."""
    if type(need) is str:
        return len(need)
    op, parts = need  # type: ignore[misc]
    values = [_strength(p) for p in parts]
    return max(values) if op == "&" else min(values)


_REPEATS: Final = tuple(
    op for op in (getattr(_sre_c, n, None) for n in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")) if op
)


def _expression(need: Need, scanned: int | None = None) -> str:
    """`holds(need, f)` as one Python expression: `("ab" in f and "cd" in f) or "ef" in f`.

    With `scanned`, strings of at least that length are looked up in `s`, the set of them a
    `LiteralScan` found in the text, instead of searched for in `f`."""
    if type(need) is str:
        if scanned is not None and len(need) >= scanned:
            return f"{need!r} in s"
        return f"{need!r} in f"
    op, parts = need  # type: ignore[misc]
    joiner = " and " if op == "&" else " or "
    return "(" + joiner.join(_expression(p, scanned) for p in parts) + ")"


def need_strings(need: Need) -> set[str]:
    """Every string the formula tests."""
    if type(need) is str:
        return {need}
    return set().union(*(need_strings(part) for part in need[1]))  # type: ignore[misc]


class Prefiltered:
    """A compiled pattern with its literal filter; `search` answers exactly as the pattern does."""

    __slots__ = ("pattern", "literals", "_test", "_test_found", "_scans")

    def __init__(self, pattern: re.Pattern[str], min_literal: int = MIN_LITERAL) -> None:
        self.pattern = pattern
        self.literals = required_literals(pattern, min_literal)
        # The formula compiled to one short-circuit expression of `in` tests: walking it with
        # `holds` costs as much again as the tests themselves. Only string literals (repr) and
        # `in`/and/or go into the source.
        self._test = eval("lambda f: " + _expression(self.literals)) if self.literals is not None else None  # noqa: S307
        # The same formula over what a LiteralScan found (`s`), the short strings still searched.
        self._test_found = (
            eval("lambda f, s: " + _expression(self.literals, SCAN_MIN))  # noqa: S307
            if self.literals is not None
            else None
        )
        self._scans: tuple[LiteralScan, ...] = ()  # the scans that look for all of its strings

    def may_match(self, folded: str, found: Found | None = None) -> bool:
        """False only when the pattern cannot match the text `folded` was made from. `found`: what
        a LiteralScan built with this filter found in `folded` (else the strings are searched)."""
        if self._test is None:
            return True
        if found is not None and found.scan in self._scans:
            return bool(self._test_found(folded, found))  # type: ignore[misc]
        return bool(self._test(folded))

    def search(self, text: str, folded: str | None = None, found: Found | None = None) -> re.Match[str] | None:
        """`pattern.search(text)`; pass `fold(text)` when testing several patterns on one text,
        and `scan.find(folded)` of a LiteralScan that holds this filter to skip the searches."""
        if not self.may_match(fold(text) if folded is None else folded, found):
            return None
        return self.pattern.search(text)


# Strings at least this long are found by a LiteralScan; shorter ones (" ", "on", "@") occur in
# almost every text, so reporting each occurrence would cost more than the `in` test that stops
# at the first.
SCAN_MIN: Final = 3


class Found(frozenset[str]):
    """The strings a `LiteralScan` found in one folded text; knows its scan."""

    __slots__ = ("scan",)
    scan: LiteralScan


class LiteralScan:
    """The strings of many filters looked for in one pass over a text (Aho-Corasick).

    A family of patterns tried on one text tests a few hundred strings between them, each `in`
    test a scan of the whole text (~250 us on a 2 KB mail for the robot cues). The automaton
    reports every occurrence of every string (overlapping ones too) in one pass; the filters then
    evaluate their formulas over that set. Same answers: `s` holds exactly the strings of at
    least SCAN_MIN characters that are in the text.
    """

    def __init__(self, filters: Sequence[Prefiltered]) -> None:
        strings: set[str] = set()
        for flt in filters:
            if flt.literals is not None:
                strings |= {s for s in need_strings(flt.literals) if len(s) >= SCAN_MIN}
        self.strings = frozenset(strings)
        self._automaton: Any = None
        if strings:
            automaton = ahocorasick.Automaton()
            for value in sorted(strings):
                automaton.add_word(value, value)
            automaton.make_automaton()
            self._automaton = automaton
        for flt in filters:
            flt._scans = (*flt._scans, self)

    def find(self, folded: str) -> Found:
        """The scan's strings that occur in `folded` (a `fold`ed text)."""
        found = Found({value for _end, value in self._automaton.iter(folded)} if self._automaton and folded else ())
        found.scan = self
        return found
