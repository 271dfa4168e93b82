"""The accept/reject links of a quote mail: `/q/<quote>/<action>/<mac>` on the daemon's HTTP listener.

GET shows the quote — the seller, its number, the lines, the totals per VAT rate and a link to the
PDF (`<link>/pdf`), in the quote's language — with a form that asks the name of the person who
decides; the decision is taken by the POST of that form. Mail security scanners and previewers fetch
every link in a mail (Outlook Safe Links, Gmail's proxy, antivirus gateways): a GET that decided
would accept *and* reject every quote it saw. GET, POST and the PDF check the signed path first
(`mail/tokens.py`, bound to the quote's tenant). The timeline records the name, the time and the
network address the POST came from (behind a reverse proxy on the same host, the client it names
in `X-Forwarded-For`).

Answers, as a small HTML page in the quote's language:
    200  the quote and its form (GET), or "thank you, accepted/rejected" (POST; also when the same
         decision was already recorded: following a link twice is harmless)
    404  unknown quote or a MAC that does not verify (a forged or mangled link) — same page for both
    410  the quote was already decided the other way, expired, or replaced by a newer version
    422  accept without a name: the form again, with the message
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import Clock
from quotemaild.domain.quotes import DECIDED, decide
from quotemaild.edges.quote_page import message_page, quote_page, texts_for
from quotemaild.errors import InvalidInput
from quotemaild.logs import get_logger
from quotemaild.mail.tokens import Signer, quote_id_of_path
from quotemaild.services.quote_online import decide_online, online_view
from quotemaild.services.quote_send import render_pdf_for
from quotemaild.store.models import Quote, Tenant

log = get_logger(__name__)

HTTP_OK = 200
HTTP_NOT_FOUND = 404
HTTP_GONE = 410
HTTP_UNPROCESSABLE = 422
MAX_FORM = 4096
LINK_ACTOR = "customer (quote link)"

_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
            "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                                       "form-action 'self'"}


@dataclass(frozen=True)
class QuoteLinks:
    """What the link pages need from the daemon."""

    sessions: sessionmaker[Session]
    signer: Signer
    clock: Clock
    domain: str = ""  # the proposals domain: the seller's address on the page and the PDF


@dataclass(frozen=True)
class _Found:
    quote_id: int
    tenant_id: int
    tenant: str
    number: str
    status: str
    language: str

    def values(self) -> dict[str, str]:
        return {"number": self.number, "tenant": self.tenant, "status": self.status}


def _lookup(links: QuoteLinks, path: str) -> _Found | None:
    """The quote a signed link names, or None (unknown quote or a MAC that does not verify)."""
    quote_id = quote_id_of_path(path)
    if quote_id is None:
        return None
    with links.sessions() as session:
        row = session.execute(
            select(Quote.tenant_id, Tenant.name, Tenant.profile, Quote.number, Quote.status, Quote.language)
            .join(Tenant, Tenant.id == Quote.tenant_id).where(Quote.id == quote_id)
        ).first()
    if row is None or links.signer.verify_quote_action(row.tenant_id, path) is None:
        return None
    seller = (row.profile or {}).get("legal_name") or row.name
    return _Found(quote_id, row.tenant_id, seller, row.number, row.status, row.language)


def _view(links: QuoteLinks, found: _Found) -> dict[str, object]:
    with links.sessions() as session:
        return online_view(session, found.quote_id, found.tenant_id, links.domain, links.clock.now().date())


def _pdf(links: QuoteLinks, found: _Found) -> bytes:
    with links.sessions() as session:
        quote = session.get_one(Quote, found.quote_id)
        return render_pdf_for(session, quote, links.domain)


def _decide(links: QuoteLinks, found: _Found, action: str, name: str, address: str) -> bool:
    with links.sessions.begin() as session:
        return decide_online(session, found.quote_id, found.tenant_id, action, name, address, LINK_ACTOR,
                             links.clock).changed


def _html(code: int, page: str) -> HTMLResponse:
    return HTMLResponse(page, status_code=code, headers=_HEADERS)


def _message(code: int, language: str, key: str, found: _Found | None = None) -> HTMLResponse:
    return _html(code, message_page(language, key, found.values() if found else {}))


def _action_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 2)[-2].lower()


def _peer(request: Request) -> str:
    """Where the POST came from. uvicorn already replaced the peer by the X-Forwarded-For client
    when the peer is a trusted proxy (`forwarded_allow_ips`, default 127.0.0.1), and only then."""
    return (request.client.host if request.client else "")[:100]


async def _form_name(request: Request) -> str:
    body = await request.body()
    if len(body) > MAX_FORM:
        return ""
    values = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    return (values.get("name") or [""])[0][:400]


def router(links: QuoteLinks) -> APIRouter:
    r = APIRouter()

    @r.get("/q/{quote_id}/{action}/{mac}/pdf")
    async def pdf(request: Request) -> Response:
        path = request.url.path.removesuffix("/pdf")
        found = await asyncio.to_thread(_lookup, links, path)
        if found is None:
            return _message(HTTP_NOT_FOUND, "en", "not_found")
        data = await asyncio.to_thread(_pdf, links, found)
        return Response(data, media_type="application/pdf", headers={
            **_HEADERS, "Content-Disposition": f'inline; filename="{found.number}.pdf"'})

    @r.get("/q/{quote_id}/{action}/{mac}")
    async def confirm(request: Request) -> HTMLResponse:
        path = request.url.path
        found = await asyncio.to_thread(_lookup, links, path)
        if found is None:
            return _message(HTTP_NOT_FOUND, "en", "not_found")
        action = _action_of(path)
        try:
            if decide(found.status, action) is None:
                return _message(HTTP_OK, found.language, DECIDED[action], found)
        except InvalidInput:
            if found.status in DECIDED.values():
                return _message(HTTP_GONE, found.language, "gone", found)
        view = await asyncio.to_thread(_view, links, found)
        if view["closed"]:
            return _message(HTTP_GONE, found.language, str(view["closed"]), found)
        return _html(HTTP_OK, quote_page(view, action, path, path.rstrip("/") + "/pdf"))

    @r.post("/q/{quote_id}/{action}/{mac}")
    async def take(request: Request) -> HTMLResponse:
        path = request.url.path
        found = await asyncio.to_thread(_lookup, links, path)
        if found is None:
            log.warning("quote_link_refused", path=path[:200])
            return _message(HTTP_NOT_FOUND, "en", "not_found")
        action = _action_of(path)
        name = await _form_name(request)
        try:
            changed = await asyncio.to_thread(_decide, links, found, action, name, _peer(request))
        except InvalidInput as exc:
            if exc.field == "name":
                view = await asyncio.to_thread(_view, links, found)
                error = texts_for(found.language)["name_missing"]
                return _html(HTTP_UNPROCESSABLE, quote_page(view, action, path, path.rstrip("/") + "/pdf",
                                                            error=error, name=name))
            current = await asyncio.to_thread(_lookup, links, path) or found
            if current.status in DECIDED.values():
                return _message(HTTP_GONE, found.language, "gone", current)
            view = await asyncio.to_thread(_view, links, found)
            return _message(HTTP_GONE, found.language, str(view["closed"] or "gone"), current)
        log.info("quote_decided", quote=found.quote_id, action=action, changed=changed)
        return _message(HTTP_OK, found.language, DECIDED[action], found)

    return r
