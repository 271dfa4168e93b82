"""Processing's fast paths on every corpus mail: each gives what the slow path it skips would give."""

from __future__ import annotations

from pathlib import Path

from quotemaild.mail import robot_cues
from quotemaild.mail.body import display_body
from quotemaild.mail.body import _OWN_MARKERS
from quotemaild.mail.bounce import _BODY as BOUNCE_BODY
from quotemaild.mail.bounce import has_bounce_wording
from quotemaild.mail.forward import _BANNER_FILTER
from quotemaild.mail.parse import parse_message
from quotemaild.mail.prefilter import fold

PATTERNS = [
    *(rx for *_rest, rx in robot_cues.BODY), *(rx for *_rest, rx in robot_cues.HUMAN), BOUNCE_BODY, *_OWN_MARKERS,
    _BANNER_FILTER,
]


def _texts(corpus_dir: Path):
    for line in (corpus_dir / "MANIFEST.tsv").read_text().splitlines()[1:]:
        rel, _source, kind, *_ = line.split("\t")
        data = (corpus_dir / rel).read_bytes()
        if kind == "mail-fragment":
            yield rel, data.decode("utf-8", "replace")
        elif kind == "mail":
            msg = parse_message(data)
            yield rel, display_body(msg).text[:3000]  # what score_answer searches
            yield rel, msg.text  # and the whole text, quoted history and all
            yield rel, msg.subject


def test_filters_never_hide_a_match_on_the_corpus(corpus_dir):
    """Every robot cue family and the bounce wording, every corpus text: the filtered search
    returns the regex's own match."""
    texts = hits = skipped = 0
    for rel, text in _texts(corpus_dir):
        texts += 1
        folded = fold(text)
        found = robot_cues.SCAN.find(folded)  # what the one-pass scan of the cue strings found
        for rx in PATTERNS:
            want = rx.pattern.search(text)
            got = rx.search(text, folded)
            assert (got and got.span()) == (want and want.span()), (rel, rx.pattern.pattern[:80])
            scanned = rx.search(text, folded, found)
            assert (scanned and scanned.span()) == (want and want.span()), (rel, rx.pattern.pattern[:80])
            if rx is BOUNCE_BODY:  # and its two halves, as the bounce score searches them
                assert has_bounce_wording(text) is (want is not None), rel
            hits += want is not None
            skipped += not rx.may_match(folded)
    assert texts > 2500 and hits > 100  # the corpus was really read, and cues really matched
    assert skipped > texts * len(PATTERNS) // 2  # and the filters do skip most searches


def test_quote_header_filter_never_hides_a_header_on_the_corpus(corpus_dir):
    """Where the filter skips mail-parser-reply, its header regex finds nothing in the text."""
    from mailparser_reply.parser import EmailMessage

    from quotemaild.mail.body import LANGUAGES, _LIBRARY_HEADERS, _LIBRARY_SCAN

    assert _LIBRARY_HEADERS is not None and _LIBRARY_HEADERS.literals is not None
    skipped = found = 0
    for rel, text in _texts(corpus_dir):
        normalised = EmailMessage(text=text, languages=list(LANGUAGES)).text
        headers = _LIBRARY_HEADERS.pattern.findall(normalised)
        found += bool(headers)
        folded = fold(normalised)
        assert _LIBRARY_HEADERS.may_match(folded, _LIBRARY_SCAN.find(folded)) == _LIBRARY_HEADERS.may_match(folded)
        if not _LIBRARY_HEADERS.may_match(fold(text)):  # the test on the text before normalising
            assert not _LIBRARY_HEADERS.may_match(folded), rel
        if not _LIBRARY_HEADERS.may_match(folded):
            skipped += 1
            assert headers == [], rel
    assert found > 100 and skipped > 1000


def test_probable_bounce_is_analyze_bounce_when_probable(corpus_dir):
    """Classification's short cut: the same report for every probable bounce, None otherwise."""
    from quotemaild.mail.bounce import analyze_bounce, probable_bounce

    bounces = 0
    for line in (corpus_dir / "MANIFEST.tsv").read_text().splitlines()[1:]:
        rel, _source, kind, *_ = line.split("\t")
        if kind != "mail":
            continue
        msg = parse_message((corpus_dir / rel).read_bytes())
        for envelope in (None, "", "someone@example.com"):
            full = analyze_bounce(msg, envelope)
            short = probable_bounce(msg, envelope)
            assert short == (full if full.probable() else None), rel
            bounces += short is not None
    assert bounces > 100


def test_plain_address_and_id_headers_read_as_the_stdlib_reads_them(corpus_dir):
    """Every address and Message-ID header of the corpus the fast path takes: the stdlib's value."""
    from quotemaild.mail.header_values import PARSE_POLICY, plain_structured
    from quotemaild.mail.parse import _parse_bytes

    taken = 0
    for line in (corpus_dir / "MANIFEST.tsv").read_text().splitlines()[1:]:
        rel, _source, kind, *_ = line.split("\t")
        if kind != "mail":
            continue
        for key, raw_value in _parse_bytes((corpus_dir / rel).read_bytes()).raw_items():
            if isinstance(raw_value, str) and (got := plain_structured(key, raw_value)) is not None:
                taken += 1
                assert got == str(PARSE_POLICY.header_fetch_parse(key, raw_value)), (rel, key, raw_value)
    assert taken > 1000
