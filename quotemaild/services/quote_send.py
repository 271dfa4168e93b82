"""A quote as a PDF and as a mail "via the quote request".

The PDF is rendered from what the quote stored (its copied contact data and lines), so it prints
exactly what was created. When the quote is sent, those bytes are stored on the quote and never
rendered again: `render_pdf_for` returns them from then on (merges and card edits change nothing).
The mail uses the `quote_send` template (tenant override or default) in the quote's language,
carries the PDF and signed accept/reject links, and goes through the outbox like any reply; the
request moves by `quote_sent`. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.parsing import parse_email
from quotemaild.domain.quote_states import QuoteAction, quote_transition
from quotemaild.domain.quotes import compute_totals
from quotemaild.domain.status import Event
from quotemaild.errors import InvalidInput
from quotemaild.mail.addresses import Address, folded_email
from quotemaild.mail.compose import OutboundAttachment, reply_subject
from quotemaild.mail.quote_pdf import Party, QuoteDocument, VatTotal, format_date, format_money, render_quote_pdf
from quotemaild.mail.quote_pdf import QuoteLine as PdfLine
from quotemaild.mail.templates import RenderedMail
from quotemaild.services.quotes import domain_lines, get_quote, quote_lines
from quotemaild.services.requests import apply_event, get_request
from quotemaild.services.tenant_profile import document_texts, seller_block
from quotemaild.services.send import Queued, SendSettings, queue_mail, render_for
from quotemaild.services.timeline import record
from quotemaild.store.models import Contact, Quote, QuoteRequest, Tenant, User


def quote_document(session: Session, quote: Quote, domain: str) -> QuoteDocument:
    tenant = session.get_one(Tenant, quote.tenant_id)
    rows = quote_lines(session, quote.id)
    totals = compute_totals(domain_lines(rows))
    request = session.get(QuoteRequest, quote.request_id) if quote.request_id else None
    return QuoteDocument(
        number=quote.number,
        issue_date=quote.issue_date,
        tenant=Party(tenant.name, [f"{tenant.slug}@{domain}"]),
        contact=Party(quote.contact_name, list(quote.contact_address), quote.contact_vat),
        lines=[PdfLine(r.description, Decimal(r.quantity), r.unit, Decimal(r.unit_price), Decimal(r.vat_rate),
                       Decimal(r.line_total), Decimal(r.discount_percent)) for r in rows],
        vat_totals=[VatTotal(t.rate, t.base, t.vat) for t in totals.by_rate],
        total_excl=Decimal(quote.total_excl),
        total_incl=Decimal(quote.total_incl),
        language=quote.language,
        valid_until=quote.valid_until,
        currency=quote.currency,
        reference=f"#{request.id} {request.subject}".strip() if request is not None else "",
        notes=quote.notes,
        meta={},
        seller=seller_block(tenant, f"{tenant.slug}@{domain}"),
        logo=tenant.logo,
        contact_person=quote.contact_person,
        payment_days=_payment_days(session, tenant, quote),
        terms=document_texts(tenant, quote.language)["terms"],
    )


def _payment_days(session: Session, tenant: Tenant, quote: Quote) -> int | None:
    """The customer's own payment term when its card has one, else the tenant's default (or none)."""
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    if contact is not None and contact.payment_term_days is not None:
        return contact.payment_term_days
    days = (tenant.profile or {}).get("payment_days")
    return int(days) if days is not None else None


def render_pdf_for(session: Session, quote: Quote, domain: str) -> bytes:
    """The quote's PDF: the stored one once it was sent, else freshly rendered from its data."""
    if quote.pdf is not None:
        return quote.pdf
    return render_quote_pdf(quote_document(session, quote, domain))


def quote_mail(session: Session, settings: SendSettings, quote: Quote, tenant: Tenant, request: QuoteRequest,
               user_name: str) -> RenderedMail:
    if not settings.public_url:
        raise InvalidInput("outbound.public_url", "is not set: the accept/reject links in a quote mail need it")
    links = {action: settings.public_url + settings.signer.quote_action_path(tenant.id, quote.id, action)
             for action in ("accept", "reject")}
    lang = quote.language
    context: dict[str, object] = {
        "tenant_name": tenant.name,
        "tenant_address": f"{tenant.slug}@{settings.domain}",
        "contact_name": quote.contact_name,
        "subject": request.subject,
        "reply_subject": reply_subject(request.subject, lang),
        "request_ref": f"#{request.id}",
        "user_name": user_name,
        "quote_number": quote.number,
        "quote_total": format_money(Decimal(quote.total_incl), lang, quote.currency),
        "valid_until": format_date(quote.valid_until, lang),
        "accept_url": links["accept"],
        "reject_url": links["reject"],
    }
    return render_for(session, tenant, "quote_send", lang, context)


MAX_SUBJECT = 998  # one header line (RFC 5322)
MAX_BODY = 100_000


def edited_mail(mail: RenderedMail, subject: str | None, body: str | None) -> RenderedMail:
    """The standard text with the sender's edits for this one sending (blank or absent: the standard)."""
    new_subject = (subject or "").strip()
    new_body = (body or "").replace("\r\n", "\n")
    if any(c in new_subject for c in "\r\n") or len(new_subject) > MAX_SUBJECT:
        raise InvalidInput("subject", f"must be one line of at most {MAX_SUBJECT} characters", code="one_line",
                           params={"max": MAX_SUBJECT})
    if len(new_body) > MAX_BODY:
        raise InvalidInput("body", f"is longer than {MAX_BODY} characters", code="too_long", params={"max": MAX_BODY})
    return RenderedMail(new_subject or mail.subject, new_body if new_body.strip() else mail.text)


def send_quote(session: Session, settings: SendSettings, quote_id: int, actor: str, clock: Clock,
               to: str | None = None, subject: str | None = None, body: str | None = None) -> Queued:
    """Mail the quote to the contact from the request; PDF frozen on the quote; status quote_sent.

    `subject`/`body` replace the standard text for this sending only (the template is unchanged)."""
    quote = get_quote(session, quote_id)
    if quote.status in ("accepted", "rejected"):
        raise InvalidInput("quote", f"{quote.number} was already {quote.status}", code="already_decided",
                           params={"number": quote.number})
    quote_transition(quote.status, QuoteAction.SEND)  # refuses an expired or superseded one
    if quote.request_id is None:
        raise InvalidInput("quote", f"{quote.number} has no request to send it from (the request was deleted)",
                           code="no_request")
    request = get_request(session, quote.request_id)
    tenant = session.get_one(Tenant, quote.tenant_id)
    recipient = (to or quote.contact_email or "").strip()
    if not recipient:
        raise InvalidInput("to", f"quote {quote.number} has no e-mail address to send to (use --to)",
                           code="no_address")
    recipient = parse_email(recipient, "to")
    user = session.scalar(select(User).where(User.tenant_id == tenant.id, User.email == folded_email(actor)))
    mail = edited_mail(quote_mail(session, settings, quote, tenant, request, user.name if user else ""),
                       subject, body)
    pdf = render_pdf_for(session, quote, settings.domain)
    now = clock.now()
    queued = queue_mail(
        session, settings, tenant, request, "quote", [Address(recipient, quote.contact_name)], mail.subject,
        mail.text, now, actor, [OutboundAttachment(f"{quote.number}.pdf", "application/pdf", pdf)],
        on_sent={"event": Event.QUOTE_SENT.value, "quote": quote.id, "to": recipient},
    )
    quote.pdf = pdf
    if queued.held is not None:
        quote.status = quote_transition(quote.status, QuoteAction.QUEUE).value  # `quote_left` sends it
    else:
        quote_left(session, quote, request, actor, now, clock, recipient, queued.message_pk, queued.outbox_id)
    session.flush()
    return queued


def quote_left(session: Session, quote: Quote, request: QuoteRequest, actor: str, now: dt.datetime, clock: Clock,
               to: str, message_pk: int | None, outbox_id: int) -> None:
    """The quote mail is on its way: the quote is `sent` and the request moves by `quote_sent`."""
    quote.status = quote_transition(quote.status, QuoteAction.SEND).value
    quote.sent_at = now
    record(session, request, "quote_sent", actor, now, quote_id=quote.id, number=quote.number, to=to,
           message=message_pk, outbox=outbox_id)
    apply_event(session, request, Event.QUOTE_SENT, actor, clock)
