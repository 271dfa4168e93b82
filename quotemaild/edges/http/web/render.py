"""Page rendering: one Jinja2 environment with gettext, dates and money in the page's language.

Templates live in `quotemaild/web_templates/` (package data, like the mail templates), static
files in `quotemaild/web_static/`. `Pages.render` takes the request (for the language and the CSRF
token the auth layer put on `request.state`) and a template context.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from importlib import resources
from types import SimpleNamespace
from typing import Any

from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from quotemaild.domain.status import Status, label
from quotemaild.edges.http.web.i18n import LANGUAGE_NAMES, LANGUAGES, translations
from quotemaild.errors import QuotemailError



def N_(message: str) -> str:
    """Marks a message for extraction (`pybabel extract -k N_`); translated when rendered."""
    return message


# Status names come from the workflow rules themselves (domain/status.py, the seed manuals' words).
STATUSES = [s.value for s in Status]
PROVENANCE_NAMES = {
    "direct": N_("Written to us directly"),
    "auto_forward": N_("Automatic forward"),
    "manual_forward": N_("Forwarded by hand"),
    "bcc": N_("Copy (Bcc) from a seller"),
    "reply": N_("Reply"),
    "system": N_("System mail"),
}
KIND_NAMES = {"prospect": N_("Prospect"), "customer": N_("Customer")}
QUOTE_STATES = {"draft": N_("Draft"), "queued": N_("Queued, not sent yet"), "sent": N_("Sent"),
                "accepted": N_("Accepted"), "rejected": N_("Rejected"), "expired": N_("Expired"),
                "superseded": N_("Replaced by a new version")}
LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_GB"}


def templates_dir() -> str:
    return str(resources.files("quotemaild") / "web_templates")


def static_dir() -> str:
    return str(resources.files("quotemaild") / "web_static")


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


# Jinja's newstyle gettext formats the result itself (`%(name)s`, and `%%` for a percent sign).
@pass_context
def _gettext(ctx: Any, message: str) -> str:
    return translations(ctx["lang"]).gettext(message)


@pass_context
def _ngettext(ctx: Any, singular: str, plural: str, n: int) -> str:
    return translations(ctx["lang"]).ngettext(singular, plural, n)


@pass_context
def _when(ctx: Any, value: dt.datetime | str | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return format_datetime(value, fmt, tzinfo=ctx.get("tz"), locale=LOCALES[ctx["lang"]])


@pass_context
def _day(ctx: Any, value: dt.date | str | None, fmt: str = "medium") -> str:
    """A calendar day in the page's language (Babel's medium form: 12 jan 2027, 12 janv. 2027);
    templates keep the ISO value in `<time datetime>` next to it."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return format_date(value, fmt, locale=LOCALES[ctx["lang"]])


def _iso(value: object) -> str:
    """The machine form for `<time datetime>`: ISO 8601 for dates and times, text as it is."""
    iso = getattr(value, "isoformat", None)
    return iso() if callable(iso) else ("" if value is None else str(value))


@pass_context
def _ago(ctx: Any, value: dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    now = ctx.get("now") or dt.datetime.now(dt.UTC)
    return format_timedelta(value - now, add_direction=True, threshold=1.1, locale=LOCALES[ctx["lang"]])


@pass_context
def _money(ctx: Any, value: Decimal | float | str | None, currency: str = "EUR") -> str:
    if value is None:
        return ""
    return format_currency(Decimal(str(value)), currency, locale=LOCALES[ctx["lang"]])


@pass_context
def _number(ctx: Any, value: Decimal | float | str) -> str:
    return format_decimal(Decimal(str(value)), locale=LOCALES[ctx["lang"]])


@pass_context
def _status(ctx: Any, code: str) -> str:
    try:
        return label(code, ctx["lang"])
    except QuotemailError:
        return code


def _named(table: dict[str, str]) -> Any:
    @pass_context
    def name(ctx: Any, code: str) -> str:
        return translations(ctx["lang"]).gettext(table[code]) if code in table else code

    return name


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(when=_when, day=_day, iso=_iso, ago=_ago, money=_money, number=_number, status_name=_status,
                       provenance_name=_named(PROVENANCE_NAMES), kind_name=_named(KIND_NAMES),
                       quote_state_name=_named(QUOTE_STATES),
                       LANGUAGES=LANGUAGES, LANGUAGE_NAMES=LANGUAGE_NAMES, STATUSES=STATUSES)
    env.filters["size"] = human_size
    env.globals["problem_text"] = _problem_text
    return env


@pass_context
def _problem_text(ctx: Any, error: Any) -> str:
    """A CSV report line's problem (a RowError) in the page's language."""
    from quotemaild.edges.http.web.error_text import explanation  # it imports this module

    if isinstance(error, Mapping):  # the report's view, as the API returns it
        error = SimpleNamespace(**{"code": "", "params": {}, **error})
    return explanation(translations(ctx["lang"]).gettext, ctx["lang"], error)


class Pages:
    """Renders a page for a request; the language and CSRF token come from `request.state`."""

    def __init__(self) -> None:
        self.env = make_environment()

    def gettext(self, request: Request, message: str, **variables: Any) -> str:
        text = translations(getattr(request.state, "lang", None) or "en").gettext(message)
        return text % variables if variables else text

    def explain(self, request: Request, exc: QuotemailError, custom_labels: Mapping[str, str] | None = None) -> str:
        """A refusal in the page's language: "Label: what is wrong" (web/error_text.py)."""
        from quotemaild.edges.http.web.error_text import message  # it imports this module

        lang = getattr(request.state, "lang", None) or "en"
        return message(translations(lang).gettext, lang, exc, custom_labels or {})

    def render(self, request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        lang = getattr(request.state, "lang", None) or "en"
        full = {
            "request": request,
            "lang": lang,
            "csrf": getattr(request.state, "csrf", ""),
            "me": getattr(request.state, "web_user", None),
            "flash": request.query_params.get("flash", ""),
            "now": dt.datetime.now(dt.UTC),
            **context,
        }
        html = self.env.get_template(name).render(full)
        return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
