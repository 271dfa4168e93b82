"""The accept/reject links of a quote mail: `/q/<quote>/<action>/<mac>` on the daemon's HTTP listener.

GET only shows a page with one button; the decision is taken by the POST that button sends. Mail
security scanners and previewers fetch every link in a mail (Outlook Safe Links, Gmail's proxy,
antivirus gateways): a GET that decided would accept *and* reject every quote it saw. Both GET and
POST check the signed path first (`mail/tokens.py`, bound to the quote's tenant).

Answers, as a small HTML page in the quote's language:
    200  confirmation page (GET), or "thank you, accepted/rejected" (POST; also when the same
         decision was already recorded: following a link twice is harmless)
    404  unknown quote or a MAC that does not verify (a forged or mangled link) — same page for both
    410  the quote was already decided the other way
"""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import Clock
from quotemaild.domain.quotes import DECIDED, decide
from quotemaild.errors import InvalidInput
from quotemaild.logs import get_logger
from quotemaild.mail.tokens import Signer, quote_id_of_path
from quotemaild.services.quotes import decide_quote
from quotemaild.store.models import Quote, Tenant

log = get_logger(__name__)

HTTP_OK = 200
HTTP_NOT_FOUND = 404
HTTP_GONE = 410
LINK_ACTOR = "customer (quote link)"

PAGES: dict[str, dict[str, str]] = {
    "nl": {"confirm_accept": "Offerte {number} van {tenant} aanvaarden?", "button_accept": "Ja, ik aanvaard de offerte",
           "confirm_reject": "Offerte {number} van {tenant} weigeren?", "button_reject": "Ja, ik weiger de offerte",
           "accepted": "Bedankt! U hebt offerte {number} aanvaard. {tenant} neemt contact met u op.",
           "rejected": "Offerte {number} is geweigerd. Bedankt om ons te laten weten.",
           "gone": "Over offerte {number} werd al beslist ({status}).",
           "not_found": "Deze link is ongeldig."},
    "fr": {"confirm_accept": "Accepter l'offre {number} de {tenant} ?", "button_accept": "Oui, j'accepte l'offre",
           "confirm_reject": "Refuser l'offre {number} de {tenant} ?", "button_reject": "Oui, je refuse l'offre",
           "accepted": "Merci ! Vous avez accepté l'offre {number}. {tenant} vous contactera.",
           "rejected": "L'offre {number} est refusée. Merci de nous l'avoir fait savoir.",
           "gone": "L'offre {number} a déjà fait l'objet d'une décision ({status}).",
           "not_found": "Ce lien n'est pas valable."},
    "en": {"confirm_accept": "Accept quote {number} from {tenant}?", "button_accept": "Yes, I accept the quote",
           "confirm_reject": "Reject quote {number} from {tenant}?", "button_reject": "Yes, I reject the quote",
           "accepted": "Thank you! You accepted quote {number}. {tenant} will be in touch.",
           "rejected": "Quote {number} is rejected. Thank you for letting us know.",
           "gone": "Quote {number} was already decided ({status}).",
           "not_found": "This link is not valid."},
}
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}


@dataclass(frozen=True)
class QuoteLinks:
    """What the link pages need from the daemon."""

    sessions: sessionmaker[Session]
    signer: Signer
    clock: Clock


@dataclass(frozen=True)
class _Found:
    quote_id: int
    tenant_id: int
    tenant: str
    number: str
    status: str
    language: str


def _lookup(links: QuoteLinks, path: str) -> _Found | None:
    """The quote a signed link names, or None (unknown quote or a MAC that does not verify)."""
    quote_id = quote_id_of_path(path)
    if quote_id is None:
        return None
    with links.sessions() as session:
        row = session.execute(
            select(Quote.tenant_id, Tenant.name, Quote.number, Quote.status, Quote.language)
            .join(Tenant, Tenant.id == Quote.tenant_id).where(Quote.id == quote_id)
        ).first()
    if row is None or links.signer.verify_quote_action(row.tenant_id, path) is None:
        return None
    return _Found(quote_id, row.tenant_id, row.name, row.number, row.status, row.language)


def _decide(links: QuoteLinks, found: _Found, action: str) -> bool:
    with links.sessions.begin() as session:
        return decide_quote(session, found.quote_id, action, LINK_ACTOR, links.clock, tenant_id=found.tenant_id).changed


def _page(code: int, language: str, key: str, found: _Found | None = None, form: tuple[str, str] | None = None
          ) -> HTMLResponse:
    """A small page; `form` = (action, path) adds the one button that POSTs the decision."""
    texts = PAGES.get(language, PAGES["en"])
    values = {"number": found.number, "tenant": found.tenant, "status": found.status} if found else {}
    message = html.escape(texts[key].format(**values))
    body = f"<p>{message}</p>"
    if form:
        button = html.escape(texts["button_" + form[0]])
        body += f'<form method="post" action="{html.escape(form[1])}"><button type="submit">{button}</button></form>'
    page = (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{message}</title>'
            '<style>body{font-family:sans-serif;max-width:36em;margin:4em auto;padding:0 1em}'
            'button{font-size:1.1em;padding:.5em 1em}</style></head>'
            f"<body>{body}</body></html>")
    return HTMLResponse(page, status_code=code, headers=_HEADERS)


def router(links: QuoteLinks) -> APIRouter:
    r = APIRouter()

    @r.get("/q/{quote_id}/{action}/{mac}")
    async def confirm(request: Request) -> HTMLResponse:
        path = request.url.path
        found = await asyncio.to_thread(_lookup, links, path)
        if found is None:
            return _page(HTTP_NOT_FOUND, "en", "not_found")
        action = path.rstrip("/").rsplit("/", 2)[-2].lower()
        try:
            if decide(found.status, action) is None:
                return _page(HTTP_OK, found.language, DECIDED[action], found)
        except InvalidInput:
            return _page(HTTP_GONE, found.language, "gone", found)
        return _page(HTTP_OK, found.language, f"confirm_{action}", found, form=(action, path))

    @r.post("/q/{quote_id}/{action}/{mac}")
    async def take(request: Request) -> HTMLResponse:
        path = request.url.path
        found = await asyncio.to_thread(_lookup, links, path)
        if found is None:
            log.warning("quote_link_refused", path=path[:200])
            return _page(HTTP_NOT_FOUND, "en", "not_found")
        action = path.rstrip("/").rsplit("/", 2)[-2].lower()
        try:
            changed = await asyncio.to_thread(_decide, links, found, action)
        except InvalidInput:
            return _page(HTTP_GONE, found.language, "gone", found)
        log.info("quote_decided", quote=found.quote_id, action=action, changed=changed)
        return _page(HTTP_OK, found.language, DECIDED[action], found)

    return r
