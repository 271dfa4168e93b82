"""Mail templates: jinja2 in a sandbox, strict about unknown variables, nl/fr/en with en fallback.

Format of a template (default file or tenant override), one text:

    Subject: <jinja line>          line 1, required
                                   line 2, empty
    <jinja body>                   line 3 onwards

The defaults live inside the package, `quotemaild/templates_default/<kind>.<lang>.txt`, so an
installed wheel has them (package-data); they are read with importlib.resources. A tenant's own
text is passed in as a string (the store keeps it); `validate_template` checks it before saving.

Kinds and the variables each may use are in `VARIABLES`; anything else is refused (StrictUndefined
at render time and a static check that also covers branches the sample does not take).
Output is plain text (no autoescape); the subject is folded to one line.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from quotemaild.errors import InvalidInput

KINDS = ("ack", "reply", "quote_send")
LANGUAGES = ("nl", "fr", "en")
FALLBACK_LANGUAGE = "en"
MAX_TEMPLATE_CHARS = 20_000

_COMMON = frozenset(
    {"tenant_name", "tenant_address", "contact_name", "subject", "reply_subject", "request_ref", "user_name",
     "signature"}
)
VARIABLES: dict[str, frozenset[str]] = {
    "ack": _COMMON,
    "reply": _COMMON | {"body"},
    "quote_send": _COMMON | {"quote_number", "quote_total", "valid_until", "accept_url", "reject_url"},
}
_SAMPLE: dict[str, Any] = {
    "tenant_name": "Starcomm BV",
    "tenant_address": "starcomm-524@proposals.example.com",
    "contact_name": "Jan Peeters",
    "subject": "Offerte ramen en deuren",
    "reply_subject": "Re: Offerte ramen en deuren",
    "request_ref": "#42",
    "user_name": "Els Janssens",
    "signature": "Els Janssens\nStarcomm BV - +32 9 123 45 67",
    "body": "Beste Jan,\n\nIn bijlage de gevraagde informatie.",
    "quote_number": "OF-2026-0042",
    "quote_total": "€ 12.345,67",
    "valid_until": "31/01/2026",
    "accept_url": "https://quotes.example.com/q/42/accept/abcdefghijklmnop",
    "reject_url": "https://quotes.example.com/q/42/reject/abcdefghijklmnop",
}
_SUBJECT_FILE = "<subject>"
_BODY_FILE = "<body>"
_CTRL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str


def pick_language(*candidates: str | None) -> str:
    """The first supported language among (contact's, tenant's, ...), else en."""
    for lang in candidates:
        if lang and lang.strip().lower()[:2] in LANGUAGES:
            return lang.strip().lower()[:2]
    return FALLBACK_LANGUAGE


def default_template(kind: str, language: str) -> str:
    """The shipped default text for a kind and language (en when the language has none)."""
    _check_kind(kind)
    return _load_default(kind, pick_language(language))


def sample_context(kind: str) -> dict[str, Any]:
    """Example values for every variable a kind may use (for previews and validation)."""
    _check_kind(kind)
    return {k: _SAMPLE[k] for k in VARIABLES[kind]}


def render_mail(
    kind: str, language: str, context: Mapping[str, Any], override: str | None = None
) -> RenderedMail:
    """Render the tenant's override (if any) or the default for `language`; subject and text."""
    _check_kind(kind)
    text = override if override and override.strip() else default_template(kind, language)
    subject_src, body_src = _split(text)
    subject_t, body_t = _compile(subject_src, body_src)
    values = {k: context[k] for k in VARIABLES[kind] if k in context}
    values.setdefault("signature", "")  # the tenant's e-mail signature, when it set one
    try:
        subject = subject_t.render(values)
        body = body_t.render(values)
    except TemplateError as exc:
        raise InvalidInput("template", _describe(exc)) from exc
    return RenderedMail(subject=" ".join(_CTRL.sub(" ", subject).split()), text=body.lstrip("\n"))


def validate_template(kind: str, text: str) -> None:
    """Compile in the sandbox and render against sample values; InvalidInput names the line."""
    _check_kind(kind)
    if len(text) > MAX_TEMPLATE_CHARS:
        raise InvalidInput("template", f"longer than {MAX_TEMPLATE_CHARS} characters")
    subject_src, body_src = _split(text)
    subject_t, body_t = _compile(subject_src, body_src)
    env = _env()
    allowed = VARIABLES[kind]
    for src in (subject_src, body_src):
        unknown = sorted(meta.find_undeclared_variables(env.parse(src)) - allowed)
        if unknown:
            name = unknown[0]
            line = _line_of(src, name)
            raise InvalidInput(
                "template", f"line {line}: unknown variable {name!r} (known: {', '.join(sorted(allowed))})"
            )
    try:
        subject_t.render(sample_context(kind))
        body_t.render(sample_context(kind))
    except TemplateError as exc:
        raise InvalidInput("template", _describe(exc)) from exc


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")


@lru_cache(maxsize=None)
def _load_default(kind: str, language: str) -> str:
    folder = resources.files("quotemaild") / "templates_default"
    name = f"{kind}.{language}.txt"
    if not (folder / name).is_file():
        name = f"{kind}.{FALLBACK_LANGUAGE}.txt"
    return (folder / name).read_text(encoding="utf-8")


def _split(text: str) -> tuple[str, str]:
    """(subject source, body source padded so its line numbers are the file's)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first, _, rest = text.partition("\n")
    if not first.lower().startswith("subject:"):
        raise InvalidInput("template", "line 1: must start with 'Subject:'")
    if rest and not rest.startswith("\n"):
        raise InvalidInput("template", "line 2: must be empty (it separates the subject from the body)")
    return first[len("subject:"):].strip(), "\n" + rest


@lru_cache(maxsize=1)
def _env() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True, auto_reload=False
    )


@lru_cache(maxsize=256)
def _compile(subject_src: str, body_src: str) -> tuple[Any, Any]:
    """The two templates, compiled once per text: compiling is ~2.5 ms, rendering ~50 us, and
    every acknowledgement of a tenant renders the same text (a syntax error is not kept)."""
    env = _env()
    try:
        globals_ = env.make_globals(None)
        subject_t = env.template_class.from_code(env, env.compile(subject_src, "subject", _SUBJECT_FILE), globals_)
        body_t = env.template_class.from_code(env, env.compile(body_src, "body", _BODY_FILE), globals_)
    except TemplateSyntaxError as exc:
        raise InvalidInput("template", _describe(exc)) from exc
    return subject_t, body_t


def _describe(exc: TemplateError) -> str:
    line = exc.lineno if isinstance(exc, TemplateSyntaxError) else _runtime_line(exc)
    where = f"line {line}: " if line else ""
    if isinstance(exc, TemplateSyntaxError) and exc.name == "subject":
        where = "line 1: "
    return f"{where}{exc.message or type(exc).__name__}"


def _runtime_line(exc: BaseException) -> int | None:
    """The template line of a render-time error, from jinja's rewritten traceback."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if filename == _SUBJECT_FILE:
            line = 1
        elif filename == _BODY_FILE:
            line = lineno
    return line


def _line_of(src: str, name: str) -> int | None:
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    for number, line in enumerate(src.split("\n"), start=1):
        if pattern.search(line):
            return number
    return None
