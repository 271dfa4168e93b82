"""Body text for display: decoded text, new text separated from the quoted history.

- Text part when there is one; otherwise the HTML made into text (nh3 strips every tag and the
  content of script/style/head; block tags become line breaks first). HTML that is kept for
  display is always `nh3.clean`ed (`safe_html`).
- Charset problems are repaired, never raised: `parse.py` already decodes by detection when a
  declared charset lies; here UTF-8 read as Latin-1/cp1252 ("CafÃ©") is undone when that is
  clearly what happened, and control characters are dropped.
- Quoted history: mail-parser-reply (nl/fr/en/de headers "On ... wrote:", "Van:/Verzonden:",
  "De :/Envoyé :", "Von:/Gesendet:") and our own markers for what it misses (Gmail/Apple Mail nl
  "Op ... schreef ...:" / "het volgende geschreven:", Outlook "-----Original Message-----" forms,
  a trailing block of "> " lines).
"""

from __future__ import annotations

import html as html_lib
import re
import warnings
from dataclasses import dataclass

import nh3
from mailparser_reply import EmailReplyParser
from mailparser_reply.parser import EmailMessage

from quotemaild.mail.parse import ParsedMessage
from quotemaild.mail.prefilter import LiteralScan, Prefiltered, fold, need_strings

LANGUAGES = ("nl", "fr", "en", "de")
_MAX_SPLIT_CHARS = 200_000  # quoted-history search on very long bodies only looks at the start

_BLOCK_TAGS = re.compile(
    r"<\s*(?:br|/p|/div|/tr|/li|/h[1-6]|/table|/blockquote|p|div|tr|li|h[1-6]|hr)\b[^>]*>",
    re.IGNORECASE,
)
_CELL_TAGS = re.compile(r"<\s*/t[dh]\s*>", re.IGNORECASE)
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]|â€[\u0080-\u00bf™œ\u009d˜“”]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Each is searched in every message; the literal filter (prefilter.py) skips the ones whose
# words ("schreef", " wrote", "original message"...) are not in the text.
_OWN_MARKERS = [Prefiltered(rx) for rx in (
    re.compile(
        r"(?m)^[ \t]*(?:> ?)*Op .{4,120}?(?:schreef|heeft .{1,120}? het volgende geschreven)[^\n]{0,120}:[ \t]*$"
    ),
    re.compile(r"(?m)^[ \t]*(?:> ?)*Le .{4,160}? a (?:é|e)crit ?:[ \t]*$"),
    re.compile(r"(?m)^[ \t]*(?:> ?)*Am .{4,160}? schrieb[^\n]{0,160}:[ \t]*$"),
    re.compile(r"(?m)^[ \t]*(?:> ?)*On .{4,160}? wrote ?:[ \t]*$"),
    re.compile(
        r"(?mi)^[ \t]*-{3,}[ \t]*(?:original message|oorspronkelijk bericht|origineel bericht|"
        r"message d['’]origine|ursprüngliche nachricht)[ \t]*-{3,}[ \t]*$"
    ),
)]


def _trailing_quote_start(text: str) -> int | None:
    """Where a trailing block of two or more `>` lines starts, scanning back from the end.

    A linear scan: the equivalent regex backtracks exponentially on lines full of `>`.
    """
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    count = 0
    while count < len(lines) and lines[len(lines) - 1 - count].startswith(">"):
        count += 1
    if count < 2:
        return None
    return sum(len(line) + 1 for line in lines[: len(lines) - count])


@dataclass(frozen=True)
class BodyText:
    text: str  # the new text, for display
    quoted: str  # the quoted history below it ("" when none)
    source: str  # "text" | "html" | "none"
    safe_html: str | None  # sanitised HTML, when the message had HTML


def display_body(msg: ParsedMessage) -> BodyText:
    """The display text of a message. Never raises."""
    safe_html = sanitize_html(msg.html) if msg.html else None
    if msg.text.strip():
        full, source = repair_text(msg.text), "text"
    elif msg.html:
        full, source = html_to_text(msg.html), "html"
    else:
        full, source = "", "none"
    new, quoted = split_quoted(full)
    return BodyText(text=new, quoted=quoted, source=source, safe_html=safe_html)


def sanitize_html(html: str) -> str:
    try:
        return nh3.clean(html)
    except Exception:  # nh3 rejects nothing in practice; be safe on odd input
        return html_lib.escape(html)


def html_to_text(html: str) -> str:
    marked = re.sub(r"\s+", " ", html)  # source line breaks are spaces in HTML (<pre> aside)
    marked = _BLOCK_TAGS.sub("\n", marked)
    marked = _CELL_TAGS.sub("\t", marked)
    try:
        stripped = nh3.clean(marked, tags=set(), clean_content_tags={"script", "style", "head", "title"})
    except Exception:
        stripped = re.sub(r"<[^>]*>", "", marked)
    text = html_lib.unescape(stripped).replace("\xa0", " ")
    lines = [re.sub(r" {2,}", " ", line).strip(" \t") for line in text.split("\n")]
    return repair_text(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())


def repair_text(text: str) -> str:
    """Undo UTF-8-read-as-cp1252 mojibake when that is clearly it; drop control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Every mojibake match starts with a non-ASCII character: ASCII text (isascii is O(1)) has none.
    if not text.isascii() and (len(_MOJIBAKE.findall(text)) >= 2 or (_MOJIBAKE.search(text) and len(text) < 200)):
        for codec in ("cp1252", "latin-1"):
            try:
                text = text.encode(codec).decode("utf-8")
                break
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
    return _CONTROL.sub("", text).replace("\ufffd\ufffd", "\ufffd")


def split_quoted(text: str) -> tuple[str, str]:
    """(new text, quoted history). With no history found, the quoted part is ""."""
    if not text.strip():
        return "", ""
    head, tail = text[:_MAX_SPLIT_CHARS], text[_MAX_SPLIT_CHARS:]
    new, quoted = _split_with_library(head)
    own = _split_with_markers(new if quoted else head)
    if own is not None:
        new, extra = own
        quoted = f"{extra}\n\n{quoted}".strip() if quoted else extra
    if not new.strip() and quoted:
        # A body that is only a quote (e.g. a bare forward): show it rather than nothing.
        return text.strip(), ""
    return new.strip(), (quoted + tail).strip()


def _library_headers() -> Prefiltered | None:
    """mail-parser-reply's quote-header regex, with a literal filter (prefilter.py)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            languages = EmailReplyParser(languages=list(LANGUAGES)).languages
            return Prefiltered(EmailMessage(text="", languages=languages).HEADER_REGEX)
    except Exception:  # a library version shaped otherwise: it always runs
        return None


# Most mail quotes nothing: when the library's header regex cannot match (none of the words its
# quote headers need is there: "wrote:", "Van:", "-----Original"...), it finds one reply and the
# text stays whole, which is answered here without its regex and signature scans (~1 ms a mail).
_LIBRARY_HEADERS = _library_headers()
# Its formula is ~30 strings of the four languages' quote headers: one pass finds them all
# (~11 us on a 2 KB mail instead of ~27 us of `in` tests).
_LIBRARY_SCAN = LiteralScan([_LIBRARY_HEADERS]) if _LIBRARY_HEADERS is not None else None
# The same test on the text before the library normalises it, which costs ~30 us a 2 KB mail.
# Sound because normalising only removes characters next to a line break (each line stripped,
# "\r" before "\n", Outlook's underscore separator lines): every piece of the normalised text
# without a line break is a piece of the text. So a string without one that is in the
# normalised text is in the text too, and the formula (only "and" and "or" of such strings)
# cannot hold there and not here. Off if a library version brings a string with a line break.
_RAW_TEST_SOUND = (
    _LIBRARY_HEADERS is not None
    and _LIBRARY_HEADERS.literals is not None
    and not any("\n" in s or "\r" in s for s in need_strings(_LIBRARY_HEADERS.literals))
)


def _split_with_library(text: str) -> tuple[str, str]:
    if _RAW_TEST_SOUND and _LIBRARY_HEADERS is not None and _LIBRARY_SCAN is not None:
        folded = fold(text)
        if not _LIBRARY_HEADERS.may_match(folded, _LIBRARY_SCAN.find(folded)):
            return text, ""  # what the test on the normalised text below would answer
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parser = EmailReplyParser(languages=list(LANGUAGES))
            # What EmailReplyParser.read does, with the filter between its two steps: the
            # header regex runs on the text as EmailMessage normalised it.
            message = EmailMessage(text=text, languages=parser.languages)
            if _LIBRARY_HEADERS is not None and _LIBRARY_SCAN is not None:
                folded = fold(message.text)
                if not _LIBRARY_HEADERS.may_match(folded, _LIBRARY_SCAN.find(folded)):
                    return text, ""
            message = message.read()
    except Exception:
        return text, ""
    replies = message.replies
    if len(replies) < 2:
        return text, ""
    # Cut the original text where the first quote header starts (the library strips lines).
    header = (replies[1].headers or "").strip()
    first_line = header.split("\n", 1)[0].strip() if header else ""
    lines = text.split("\n")
    offset = 0
    for line in lines:
        if first_line and line.strip() == first_line:
            return text[:offset], text[offset:]
        offset += len(line) + 1
    index = text.find(first_line) if first_line else -1
    if index > 0:
        return text[:index], text[index:]
    return replies[0].content, "\n\n".join(r.content for r in replies[1:] if r.content)


def _split_with_markers(text: str) -> tuple[str, str] | None:
    folded = fold(text)
    starts = [m.start() for rx in _OWN_MARKERS for m in [rx.search(text, folded)] if m]
    trailing = _trailing_quote_start(text)
    if trailing is not None:
        starts.append(trailing)
    if not starts:
        return None
    cut = min(starts)
    return text[:cut].rstrip(), text[cut:].strip()
