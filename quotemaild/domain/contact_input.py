"""Contact input (from the CLI, the API or a CSV row) checked into a `Contact` value.

`check_contact_input` collects every problem (field, problem) so a form or an import dry run can
show them all; `parse_contact_input` raises the first as InvalidInput. VAT problems are warnings
(seed 003), never errors. Accepted keys are listed in `FIELDS`; an unknown key is an error, so a
typo never silently drops data. Nested fields are named like `persons[0].email`,
`appointment.time`, `custom.colour`.

Decisions where the seeds are silent: without `type`, a contact with a VAT number or contact
persons is a company, otherwise a person; a Belgian postal code must have four digits; the payment
term is 0-365 days; the discount 0-100 % with at most two decimals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from typing import Any, TypeVar

from quotemaild.domain.contacts import (
    Address,
    Contact,
    ContactKind,
    ContactPerson,
    ContactType,
    CustomFieldDef,
    CustomFieldKind,
    DocumentType,
    Language,
    Moment,
    MomentKind,
)
from quotemaild.domain.parsing import (
    clean_text,
    parse_date,
    parse_decimal,
    parse_email,
    parse_int,
    parse_time,
)
from quotemaild.domain.vat import VatWarning, check_vat, parse_regime
from quotemaild.errors import InvalidInput
from quotemaild.mail.addresses import address_key

FIELDS = frozenset({
    "name", "kind", "type", "number", "emails", "email", "phone", "address", "street", "postal_code",
    "city", "country", "language", "currency", "vat_number", "vat_regime", "payment_term_days",
    "discount_percent", "quote_email", "invoice_email", "groups", "lead_source", "first_contact",
    "appointment", "call_back", "sold", "custom", "internal_note", "persons",
})
_SPLIT = re.compile(r"[,;\n]")

T = TypeVar("T")


@dataclass(frozen=True)
class FieldError:
    field: str
    problem: str  # English (CLI, API)
    code: str = ""  # for the web app's nl/fr/en text (edges/http/web/error_text.py)
    params: Mapping[str, object] = dc_field(default_factory=dict)


@dataclass(frozen=True)
class ContactCheck:
    contact: Contact | None  # None when there are errors
    errors: tuple[FieldError, ...]
    warnings: tuple[VatWarning, ...]


class _Errors(list[FieldError]):
    def attempt(self, fn: Callable[[], T], default: T) -> T:
        try:
            return fn()
        except InvalidInput as exc:
            self.append(FieldError(exc.field, exc.problem, exc.code, exc.params))
            return default


def _choice(enum: type[T], value: object, field: str, default: T) -> T:
    if value in (None, ""):
        return default
    try:
        return enum(str(value).strip().lower())  # type: ignore[call-arg]
    except ValueError:
        choices = ", ".join(m.value for m in enum)  # type: ignore[attr-defined]
        raise InvalidInput(field, f"{value!r} is not one of {choices}", code="not_one_of",
                           params={"choices": choices}) from None


def _list(value: object, field: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v.strip() for v in _SPLIT.split(value) if v.strip()]
    if isinstance(value, Sequence):
        return [clean_text(v, field, 320) for v in value if v not in (None, "")]
    raise InvalidInput(field, "must be a list", code="not_a_list")


def _emails(value: object, field: str) -> tuple[str, ...]:
    result: list[str] = []
    for i, item in enumerate(_list(value, field)):
        email = parse_email(item, field if isinstance(value, str) else f"{field}[{i}]")
        if address_key(email) not in (address_key(e) for e in result):
            result.append(email)
    return tuple(result)


def _address(data: object, prefix: str) -> Address:
    if not isinstance(data, Mapping):
        raise InvalidInput(prefix.rstrip("."), "must be a map of street, postal_code, city, country", code="not_a_map")
    country = clean_text(data.get("country") or "BE", f"{prefix}country", 60).upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise InvalidInput(f"{prefix}country", "must be a two-letter country code (BE, NL, FR)", code="country_code")
    postal_code = clean_text(data.get("postal_code"), f"{prefix}postal_code", 12)
    if country == "BE" and postal_code and not re.fullmatch(r"[1-9]\d{3}", postal_code):
        raise InvalidInput(f"{prefix}postal_code", "a Belgian postal code has four digits", code="be_postal_code")
    return Address(
        street=clean_text(data.get("street"), f"{prefix}street", 200, multiline=True),
        postal_code=postal_code,
        city=clean_text(data.get("city"), f"{prefix}city", 100),
        country=country,
    )


def _moment(value: object, field: str) -> Moment | None:
    if value in (None, ""):
        return None
    if not isinstance(value, Mapping):
        return Moment(parse_date(value, field))
    when = value.get("time")
    return Moment(
        date=parse_date(value.get("date"), f"{field}.date"),
        time=parse_time(when, f"{field}.time") if when not in (None, "") else None,
        note=clean_text(value.get("note"), f"{field}.note", 2000, multiline=True),
    )


def _custom_value(definition: CustomFieldDef, value: object, field: str) -> object:
    if definition.kind is CustomFieldKind.NUMBER:
        return parse_decimal(value, field)
    if definition.kind is CustomFieldKind.DATE:
        return parse_date(value, field)
    if definition.kind is CustomFieldKind.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "ja", "oui", "y", "j"}:
            return True
        if text in {"0", "false", "no", "nee", "non", "n"}:
            return False
        raise InvalidInput(field, f"{value!r} is not yes or no", code="not_yes_no")
    return clean_text(value, field, 1000, multiline=True)


def _custom(value: object, definitions: Sequence[CustomFieldDef], errors: _Errors) -> tuple[tuple[str, object], ...]:
    given = dict(value) if isinstance(value, Mapping) else {}
    if value not in (None, "") and not isinstance(value, Mapping):
        errors.append(FieldError("custom", "must be a map of field -> value", "not_a_map"))
    known = {d.key: d for d in definitions}
    for key in given:
        if key not in known:
            errors.append(FieldError(f"custom.{key}", "unknown custom field", "unknown_custom_field"))
    result = []
    for d in definitions:
        raw = given.get(d.key)
        if raw in (None, ""):
            if d.required:
                errors.append(FieldError(f"custom.{d.key}", "is required", "required"))
            continue
        result.append((d.key, errors.attempt(lambda d=d, raw=raw: _custom_value(d, raw, f"custom.{d.key}"), None)))
    return tuple(result)


def _person(value: object, field: str) -> ContactPerson:
    if not isinstance(value, Mapping):
        raise InvalidInput(field, "must be a map of contact person fields", code="not_a_map")
    name = clean_text(value.get("name"), f"{field}.name", 200)
    if not name:
        raise InvalidInput(f"{field}.name", "is required", code="required")
    address = value.get("address", value)
    return ContactPerson(
        name=name,
        emails=_emails(value.get("emails", value.get("email")), f"{field}.email"),
        phone=_phone(value.get("phone"), f"{field}.phone"),
        role=clean_text(value.get("role"), f"{field}.role", 100),
        address=_address(address, f"{field}.address."),
    )


def _phone(value: object, field: str) -> str:
    text = clean_text(value if value is not None else "", field, 40)
    if text and (not re.fullmatch(r"[0-9+()./ \-]+", text) or sum(c.isdigit() for c in text) < 6):
        raise InvalidInput(field, f"{text!r} is not a phone number", code="not_a_phone")
    return text


def _discount(value: object) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    discount = parse_decimal(value, "discount_percent")
    if not Decimal("0") <= discount <= Decimal("100") or discount != discount.quantize(Decimal("0.01")):
        raise InvalidInput("discount_percent", "must be 0-100 with at most two decimals", code="discount_range")
    return discount


def _term(value: object) -> int | None:
    if value in (None, ""):
        return None
    days = parse_int(value, "payment_term_days")
    if not 0 <= days <= 365:
        raise InvalidInput("payment_term_days", "must be 0-365 days", code="days_range")
    return days


def check_contact_input(
    data: Mapping[str, Any],
    *,
    custom_fields: Sequence[CustomFieldDef] = (),
    vat_in_use: Mapping[str, object] | Set[str] = frozenset(),
    default_language: str = "nl",
) -> ContactCheck:
    """Every problem of a contact input at once, and the Contact when there is none."""
    errors = _Errors()
    for key in sorted(set(data) - FIELDS):
        errors.append(FieldError(key, "unknown field", "unknown_field"))
    name = errors.attempt(lambda: clean_text(data.get("name"), "name", 200), "")
    if not name:
        errors.append(FieldError("name", "is required", "required"))
    vat = check_vat(str(data.get("vat_number") or ""), vat_in_use)
    persons = data.get("persons") or ()
    if isinstance(persons, Mapping) or not isinstance(persons, Sequence) or isinstance(persons, str):
        errors.append(FieldError("persons", "must be a list", "not_a_list"))
        persons = ()
    default_type = ContactType.COMPANY if vat.normalized or persons else ContactType.PERSON
    language = errors.attempt(lambda: _choice(Language, default_language, "default_language", Language.NL),
                              Language.NL)
    emails_key = "emails" if "emails" in data else "email"
    emails_value = data.get(emails_key)
    document_emails = []
    for doc in DocumentType:
        email = errors.attempt(lambda doc=doc: _emails(data.get(f"{doc.value}_email"), f"{doc.value}_email"), ())
        if email:
            document_emails.append((doc, email[0]))
    moments = []
    for kind in MomentKind:
        moment = errors.attempt(lambda kind=kind: _moment(data.get(kind.value), kind.value), None)
        if moment is not None:
            moments.append((kind, moment))
    address_value = data.get("address", data)
    currency = errors.attempt(lambda: clean_text(data.get("currency") or "EUR", "currency", 3).upper(), "EUR")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        errors.append(FieldError("currency", "must be a three-letter ISO code (EUR, USD)", "currency_code"))
    contact = Contact(
        name=name,
        kind=errors.attempt(lambda: _choice(ContactKind, data.get("kind"), "kind", ContactKind.PROSPECT),
                            ContactKind.PROSPECT),
        type=errors.attempt(lambda: _choice(ContactType, data.get("type"), "type", default_type), default_type),
        number=errors.attempt(lambda: clean_text(data.get("number"), "number", 40), ""),
        emails=errors.attempt(lambda: _emails(emails_value, emails_key), ()),
        phone=errors.attempt(lambda: _phone(data.get("phone"), "phone"), ""),
        address=errors.attempt(
            lambda: _address(address_value, "address."), Address()),
        language=errors.attempt(
            lambda: _choice(Language, data.get("language"), "language", language), language),
        currency=currency,
        vat_number=vat.normalized,
        vat_regime=errors.attempt(
            lambda: parse_regime(data["vat_regime"]) if data.get("vat_regime") else parse_regime("standard"),
            parse_regime("standard")),
        payment_term_days=errors.attempt(lambda: _term(data.get("payment_term_days")), None),
        discount_percent=errors.attempt(lambda: _discount(data.get("discount_percent")), Decimal("0")),
        document_emails=tuple(document_emails),
        groups=errors.attempt(lambda: _groups(data.get("groups")), ()),
        lead_source=errors.attempt(lambda: clean_text(data.get("lead_source"), "lead_source", 200), ""),
        moments=tuple(moments),
        custom=_custom(data.get("custom"), custom_fields, errors),
        internal_note=errors.attempt(
            lambda: clean_text(data.get("internal_note"), "internal_note", 10000, multiline=True), ""),
        persons=tuple(p for i, item in enumerate(persons)
                      if (p := errors.attempt(lambda i=i, item=item: _person(item, f"persons[{i}]"), None))),
    )
    return ContactCheck(None if errors else contact, tuple(errors), vat.warnings)


def _groups(value: object) -> tuple[str, ...]:
    result: list[str] = []
    for group in _list(value, "groups"):
        if len(group) > 100:
            raise InvalidInput("groups", f"group {group[:20]!r}... is longer than 100 characters", code="too_long",
                               params={"max": 100})
        if group.casefold() not in (g.casefold() for g in result):
            result.append(group)
    return tuple(result)


def parse_contact_input(data: Mapping[str, Any], **kwargs: Any) -> tuple[Contact, tuple[VatWarning, ...]]:
    """The Contact and its VAT warnings; InvalidInput for the first problem."""
    check = check_contact_input(data, **kwargs)
    if check.contact is None:
        first = check.errors[0]
        raise InvalidInput(first.field, first.problem, code=first.code, params=first.params)
    return check.contact, check.warnings
