"""prefilter: the literal test in front of a regex never says "no" where the regex would match."""

from __future__ import annotations

import re
import sys

import pytest

from quotemaild.mail import robot_cues
from quotemaild.mail.prefilter import SCAN_MIN, LiteralScan, Prefiltered, fold, holds, required_literals

CUE_PATTERNS = [
    *((name, rx) for name, _topic, _weight, rx in robot_cues.BODY),
    *((f"human: {name}", rx) for name, _weight, rx in robot_cues.HUMAN),
]


def _strings(need: object) -> set[str]:
    if isinstance(need, str):
        return {need}
    assert isinstance(need, tuple)
    return set().union(*(_strings(part) for part in need[1]))


@pytest.mark.parametrize(
    ("pattern", "flags", "need"),
    [
        (r"\bofferte\b", re.I, "offerte"),
        (r"\bofferte|\bdevis\b", re.I, ("|", ("devis", "offerte"))),
        (r"absent(?:e)?", 0, "absent"),
        (r"\bquot(?:e|ation)\b", re.I, ("|", ("quote", "quotation"))),  # the shared prefix goes back in
        (r"ooo|on pto|on leave", re.I, ("|", ("ooo", "on pto", "on leave"))),
        (r"\bwe (?:have )?moved", re.I, ("&", ("moved", "we "))),
        (r"(?:ab)+cde", re.I, ("&", ("cde", "ab"))),
        (r"OUT OF Office", 0, "out of office"),  # folded
        (r"\bfoo(?:bar)?|\bx\b", re.I, None),  # one alternative needs only "x": not worth a test
        (r"[a-z]+ing\b", re.I, None),  # "ing" is all, but 3 characters do count:
        (r"\w+\s+\d{3,}", re.I, None),  # no literal at all
        (r"(?:abc|)def", re.I, ("|", ("def", "abcdef"))),  # the literals after a group go into it
        (r"(?:From|To):", re.I, ("|", ("to:", "from:"))),
        (r"^-{5,} ?Original", re.I, ("&", ("original", "-----"))),
        (r"abc?", re.I, None),  # "ab" only
    ],
)
def test_required_literals_read_from_the_pattern(pattern, flags, need):
    """What every match must contain, as a formula; None when nothing worth testing is certain."""
    got = required_literals(re.compile(pattern, flags))
    if pattern == r"[a-z]+ing\b":
        assert got == "ing"
        return
    assert got == need


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Out Of Office", "out of office"),
        ("\u0130STANBUL", "istanbul"),  # dotted capital I: re.I matches it to "i"
        ("\u0131", "i"),  # dotless i
        ("\u017fo", "so"),  # long s
        ("\u212aelvin", "kelvin"),  # Kelvin sign
        ("ÄUSSER", "äusser"),
        ("Gr\u00f6\u00dfe \u0130M B\u00dcRO", "gr\u00f6\u00dfe im b\u00fcro"),  # other non-ASCII text beside it
    ],
)
def test_fold_maps_what_ignorecase_equates(text, expected):
    """fold() of a text is lower case, with re's extra case pairs brought together."""
    assert fold(text) == expected


def test_fold_agrees_with_re_ignorecase_for_every_code_point():
    """Every character re.IGNORECASE matches to a literal character in use folds to the same
    string as that literal character: the filter can never miss a case-insensitive match."""
    alphabet = set("abcdefghijklmnopqrstuvwxyz")
    for _name, rx in CUE_PATTERNS:
        if rx.literals is not None:
            alphabet |= set("".join(_strings(rx.literals)))
    everything = "".join(chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i < 0xE000)
    for char in sorted(alphabet):
        assert char not in "\u03a3\u03c2\u03c3"  # context-dependent lower case never in a literal
        for match in set(re.findall(re.escape(char), everything, re.IGNORECASE)):
            assert fold(match) == fold(char), (hex(ord(match)), char)


@pytest.mark.parametrize(("name", "rx"), CUE_PATTERNS, ids=[n for n, _ in CUE_PATTERNS])
def test_every_robot_cue_family_has_a_filter(name, rx):
    """The body families all get a filter (one without would cost ~0.2 ms a message again)."""
    if name == "human: asks a question":
        assert rx.literals is None  # "?" alone: the regex itself is cheap
    else:
        assert rx.literals is not None


TRICKY = [
    "I AM OUT OF THE OFFICE UNTIL MONDAY.",
    "\u0130k ben afwezig tot 20 augustus.",  # dotted capital I
    "Je \u017fuis absente jusqu'au 3 mai.",  # long s in "suis"
    "Ich bin bis zum 12.08. nicht im B\u00fcro.",
    "ICH BIN IM URLAUB",
    "Wir sind umgezogen! Unsere neue Adresse: ...",
    "This is an automated message, please do not reply.",
    "Thank you for your e-mail.",
    "Uw bericht werd goed ontvangen.",
    "Votre demande a bien \u00e9t\u00e9 re\u00e7ue.",
    "Nous avons d\u00e9m\u00e9nag\u00e9.",
    "Ticket number: #12345",
    "Our office is closed until 6 January.",
    "Ons kantoor is gesloten wegens bouwverlof.",
    "I have left the company; please write to anne@example.com",
    "Please send us a quote for the roof. Next week? ",
    "Mijn vrouw en ik zijn volgende week met vakantie; kan de offerte nog?",
    "Bonjour, je souhaite un devis pour des travaux de toiture.",
    "",
    "?",
]


@pytest.mark.parametrize("text", TRICKY)
def test_filtered_search_answers_like_the_regex(text):
    """On hand-made texts with every case quirk: the filtered search finds what the regex finds."""
    folded = fold(text)
    for _name, rx in CUE_PATTERNS:
        want = rx.pattern.search(text)
        got = rx.search(text, folded)
        assert (got and got.span()) == (want and want.span())
        scanned = rx.search(text, folded, robot_cues.SCAN.find(folded))
        assert (scanned and scanned.span()) == (want and want.span())
        assert rx.may_match(folded) == (rx.literals is None or holds(rx.literals, folded))  # compiled = walked
        if want is not None:
            assert rx.literals is None or holds(rx.literals, folded)


def test_unreadable_pattern_gets_no_filter_and_still_searches():
    """A pattern without a usable literal is searched every time."""
    rx = Prefiltered(re.compile(r"\d+"))
    assert rx.literals is None
    assert rx.search("no digits") is None
    assert rx.search("room 12").group(0) == "12"


@pytest.mark.parametrize(
    ("strings", "text", "found"),
    [
        (["return", "returning", "turn"], "returning soon", {"return", "returning", "turn"}),  # overlapping
        (["abc", "bcd", "cde"], "xabcdex", {"abc", "bcd", "cde"}),  # each starts inside the last
        (["office", "out of the office"], "i am out of the office", {"office", "out of the office"}),
        (["aaa"], "aaaa", {"aaa"}),  # twice, overlapping: reported once
        (["urgent", "dringend"], "nothing of the sort", set()),
        (["absent"], "", set()),
        (["b\u00fcro", "\u2019ai"], "nicht im b\u00fcro \U0001f600 j\u2019ai", {"b\u00fcro", "\u2019ai"}),
        (["ooo", "on"], "ooo on", {"ooo"}),  # "on" is shorter than SCAN_MIN: not the scan's
    ],
)
def test_literal_scan_finds_exactly_the_strings_in_the_text(strings, text, found):
    """One pass finds every scanned string that occurs, overlapping or not, and nothing else."""
    filters = [Prefiltered(re.compile(re.escape(s)), min_literal=1) for s in strings]
    scan = LiteralScan(filters)
    assert scan.strings == {s for s in strings if len(s) >= SCAN_MIN}
    got = scan.find(text)
    assert set(got) == found
    assert set(got) == {s for s in scan.strings if s in text}
    assert got.scan is scan


@pytest.mark.parametrize("text", TRICKY)
def test_scan_answers_like_the_in_tests_for_every_cue_family(text):
    """may_match over what the cue scan found is may_match over `in` tests, family by family."""
    folded = fold(text)
    found = robot_cues.SCAN.find(folded)
    assert set(found) == {s for s in robot_cues.SCAN.strings if s in folded}
    for _name, rx in CUE_PATTERNS:
        assert rx.may_match(folded, found) == rx.may_match(folded)


def test_a_scan_that_does_not_hold_the_filter_is_not_trusted():
    """Found strings of another scan cannot answer for a filter: its own `in` tests run instead."""
    devis = Prefiltered(re.compile(r"\bdevis\b", re.I))
    other = LiteralScan([Prefiltered(re.compile("offerte", re.I))])
    found = other.find(fold("Un devis svp"))
    assert set(found) == set()
    assert devis.may_match(fold("Un devis svp"), found)
    assert devis.search("Un devis svp", None, found).group(0) == "devis"
