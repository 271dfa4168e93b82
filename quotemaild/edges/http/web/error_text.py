"""Refusals said in the page's language: the domain's and services' error codes -> nl/fr/en text.

The domain raises `InvalidInput(field, problem, code=..., params=...)` (and collects `FieldError` /
`RowError` with the same code): `problem` is English for the CLI and the API, `code` is looked up
here. Every code raised anywhere has an entry (tests/unit/test_web_error_codes.py reads the source
for `code="..."` and the .po catalogues for the nl and fr text), so a tenant never reads English in
nl or fr; an error without a code (a rare technical one) still shows its English problem.

Field names ("persons[0].email", "appointment.date", "custom.colour", "line[2].quantity") become
labels in the same language ("Contact person 1 – E-mail addresses").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Protocol

from babel.dates import format_date

from quotemaild.edges.http.web.render import LOCALES, N_
from quotemaild.errors import InvalidInput, QuotemailError

EXPLANATIONS: dict[str, str] = {
    "required": N_("is required"),
    "not_a_number": N_("is not a number"),
    "not_whole": N_("must be a whole number"),
    "not_a_date": N_("is not a date (DD/MM/YYYY)"),
    "not_a_time": N_("is not a time (HH:MM)"),
    "not_an_email": N_("is not an e-mail address"),
    "not_a_phone": N_("is not a phone number"),
    "not_text": N_("must be text"),
    "control_characters": N_("contains control characters"),
    "too_long": N_("is longer than %(max)s characters"),
    "not_one_of": N_("must be one of: %(choices)s"),
    "not_a_list": N_("must be a list"),
    "not_a_map": N_("has the wrong form"),
    "not_yes_no": N_("is not yes or no"),
    "unknown_field": N_("is not a field of a contact"),
    "unknown_custom_field": N_("is not a custom field of this company"),
    "country_code": N_("must be a two-letter country code (BE, NL, FR)"),
    "be_postal_code": N_("a Belgian postal code has four digits"),
    "currency_code": N_("must be a three-letter currency code (EUR, USD)"),
    "discount_range": N_("must be between 0 and 100, with at most two decimals"),
    "percent_range": N_("must be between 0 and 100"),
    "days_range": N_("must be between 0 and 365 days"),
    "decimals": N_("has more than %(places)s decimals"),
    "zero_quantity": N_("must not be zero"),
    "position_range": N_("must be a position from 1 to %(max)s"),
    "last_line": N_("a quote keeps at least one line (delete the draft instead)"),
    "no_lines": N_("a quote needs at least one line"),
    "too_many_lines": N_("a quote has at most %(max)s lines"),
    "not_draft": N_("%(number)s is no longer a draft: make a new version to change it"),
    "validity_one_of": N_("give a number of days or a date, not both"),
    "before_issue_date": N_("is before the issue date %(date)s"),
    "request_cancelled": N_("the request is cancelled: reopen it first"),
    "no_customer": N_("the request has no contact or requester to make a quote for"),
    "already_customer": N_("this contact is already a customer"),
    "customer_number_needed": N_("a customer needs a customer number"),
    "outbox_busy": N_("this mail is being sent right now: try again in a few minutes if it did not leave"),
    "outbox_sent": N_("this mail was already sent"),
    "number_taken": N_("%(number)s is already the number of another contact"),
    "field_key_format": N_("use 1 to 60 of a-z, 0-9 and _"),
    "field_key_taken": N_("the custom field %(key)s exists already"),
    "file_name": N_("needs a plain file name"),
    "file_missing": N_("choose a file to upload"),
    "file_too_big": N_("the file is larger than %(max)s"),
    "delete_confirm": N_("tick the box: deleting cannot be undone"),
    "vat_invalid": N_("is not a valid VAT number"),
    "iban": N_("is not a valid IBAN (check digits or length)"),
    "bic": N_("is not a valid BIC (8 or 11 characters)"),
    "file_empty": N_("the file is empty"),
    "logo_type": N_("must be a PNG or JPEG image"),
    "not_a_domain": N_("is not a domain name"),
    "own_address_needed": N_("sending from your own address needs that address"),
    "user_exists": N_("%(email)s is already a user"),
    "password_short": N_("use at least %(min)s characters"),
    "no_requester_email": N_("the request has no e-mail address to reply to"),
    "contact_or_name": N_("give an existing contact or a customer name, one of them"),
    "already_linked": N_("the request is already linked to a contact"),
    "no_requester": N_("the request has no requester to make a prospect of"),
    "merge_itself": N_("a contact cannot be merged into itself"),
    "invoice_taken": N_("invoice %(number)s is already recorded for another contact"),
    "one_line": N_("must be one line of at most %(max)s characters"),
    "already_decided": N_("%(number)s was already accepted or rejected"),
    "no_request": N_("the quote's request was deleted: it cannot be sent from it"),
    "no_address": N_("there is no e-mail address to send the quote to"),
    "person_gone": N_("this contact person is no longer on the card: reload the page"),
    "csv_empty": N_("the file is empty"),
    "csv_unreadable": N_("this is not a CSV file that can be read"),
    "csv_no_name": N_("there is no name column (naam, nom, name)"),
    "csv_same_field": N_("the columns %(first)s and %(second)s are the same field"),
    "csv_cells": N_("%(cells)s cells for %(columns)s columns"),
    "csv_delimiter": N_("must be ; , or tab"),
}

FIELD_LABELS: dict[str, str] = {
    "name": N_("Name"), "kind": N_("Prospect or customer"), "type": N_("Company or person"),
    "number": N_("Customer number"), "emails": N_("E-mail addresses"), "email": N_("E-mail addresses"),
    "phone": N_("Phone"), "street": N_("Street and number"), "postal_code": N_("Postal code"),
    "city": N_("City"), "country": N_("Country (code)"), "language": N_("Language"),
    "currency": N_("Currency"), "vat_number": N_("VAT number"), "vat_regime": N_("VAT regime"),
    "payment_term_days": N_("Payment term (days)"), "discount_percent": N_("Discount (%)"),
    "quote_email": N_("E-mail address for quotes"), "invoice_email": N_("E-mail address for invoices"),
    "groups": N_("Groups"), "lead_source": N_("Lead source"), "internal_note": N_("Internal note"),
    "persons": N_("Contact persons"), "role": N_("Role"), "file": N_("File"), "row": N_("Row"),
    "person": N_("Contact person"), "key": N_("Key"), "label": N_("Label"), "date": N_("Date"),
    "time": N_("Time"), "note": N_("Note"), "custom": N_("Custom fields"),
    "first_contact": N_("First contact"), "appointment": N_("Appointment"), "call_back": N_("Call back"),
    "sold": N_("Sold"), "description": N_("Description"), "quantity": N_("Quantity"), "unit": N_("Unit"),
    "unit_price": N_("Unit price"), "vat_rate": N_("VAT rate"), "line": N_("Quote lines"),
    "position": N_("Position"), "to": N_("To"), "validity_days": N_("Valid for (days)"),
    "valid_until": N_("Valid until"), "validity": N_("Validity"), "quote": N_("Quote"),
    "request": N_("Request"), "delimiter": N_("Separator"), "files": N_("Attachments"),
    "confirm": N_("Confirmation"), "logo": N_("Logo"), "own_address": N_("Own address"),
    "own_domain": N_("Own domain"), "sender_mode": N_("Sender"), "quote_validity_days": N_("Quotes valid for (days)"),
    "password": N_("Password"), "body": N_("Message"), "subject": N_("Subject"), "contact": N_("Contact"),
    "requester": N_("Requester"), "target": N_("Merge into"), "invoice_number": N_("Invoice number"),
    "profile": N_("Company profile"), "iban": N_("IBAN"), "bic": N_("BIC"), "id": N_("Mail"),
}
_INDEXED = re.compile(r"^(persons|line)\[(\d+)\]\.?(.*)$")


class Coded(Protocol):
    field: str
    problem: str
    code: str
    params: Mapping[str, object]


def explanation(gettext: Callable[[str], str], language: str, error: Coded) -> str:
    """What is wrong, in the page's language (the English problem when the code is unknown)."""
    msgid = EXPLANATIONS.get(error.code)
    if msgid is None:
        return error.problem
    params = {k: _shown(v, language) for k, v in error.params.items()}
    return gettext(msgid) % params if params else gettext(msgid)


def field_label(gettext: Callable[[str], str], field: str, custom_labels: Mapping[str, str] = {}) -> str:
    """`persons[0].address.city` -> "Contact person 1 – City"; `custom.colour` -> its label."""
    if m := _INDEXED.match(field):
        head = gettext(N_("Contact person %(n)s") if m.group(1) == "persons" else N_("Line %(n)s"))
        head %= {"n": int(m.group(2)) + (1 if m.group(1) == "persons" else 0)}
        return f"{head} – {field_label(gettext, m.group(3), custom_labels)}" if m.group(3) else head
    field = re.sub(r"\[\d+\]$", "", field)  # "emails[1]": the list's label says enough
    if field.startswith("custom."):
        key = field.removeprefix("custom.")
        return custom_labels.get(key, key)
    head, _, rest = field.partition(".")
    if head == "address":
        return field_label(gettext, rest, custom_labels)
    if rest and head in FIELD_LABELS:
        return f"{gettext(FIELD_LABELS[head])} – {field_label(gettext, rest, custom_labels)}"
    return gettext(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def message(gettext: Callable[[str], str], language: str, exc: QuotemailError,
            custom_labels: Mapping[str, str] = {}) -> str:
    """"Label: explanation" for a refused form; other errors as they are (their own text)."""
    if not isinstance(exc, InvalidInput) or not exc.code:
        return str(exc)
    colon = " : " if language == "fr" else ": "  # French sets a space before the colon
    return f"{field_label(gettext, exc.field, custom_labels)}{colon}{explanation(gettext, language, exc)}"


def _shown(value: object, language: str) -> object:
    if isinstance(value, dt.date):
        return format_date(value, "medium", locale=LOCALES[language])
    return value
