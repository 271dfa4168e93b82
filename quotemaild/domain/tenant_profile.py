"""The seller's company as printed on quotes and under mails: checked values, pure.

A profile is a plain dict stored on the tenant (`tenants.profile`), keys below. `merge_profile`
applies changes (a value "" clears a field) and checks each one, naming the field
(`profile.iban`). The seller's own numbers are checked strictly: unlike a customer's VAT number
(a warning), a wrong IBAN or VAT number of the seller would be printed on every document.

Per-language texts (`terms`, `signature`) are dicts {"nl": ..., "fr": ..., "en": ...}; a document
in a language without its own text takes the tenant's language, then any.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

from quotemaild.domain.parsing import clean_text, parse_email, parse_int
from quotemaild.domain.reminders import zone
from quotemaild.domain.vat import check_vat
from quotemaild.errors import InvalidInput

LANGUAGES = ("nl", "fr", "en")

# field -> (max length, multiline)
TEXT_FIELDS: dict[str, tuple[int, bool]] = {
    "legal_name": (200, False),
    "street": (200, False),
    "postal_code": (12, False),
    "city": (100, False),
    "company_number": (40, False),
    "phone": (40, False),
    "website": (200, False),
}
PER_LANGUAGE: dict[str, int] = {"terms": 8000, "signature": 2000}
FIELDS = (*TEXT_FIELDS, "email", "timezone", "country", "vat_number", "iban", "bic", "payment_days", *PER_LANGUAGE)

MAX_LOGO = 1024 * 1024
_LOGO_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def _clean_one(key: str, value: Any) -> Any:
    field = f"profile.{key}"
    if key in TEXT_FIELDS:
        limit, multiline = TEXT_FIELDS[key]
        return clean_text(value, field, limit, multiline=multiline)
    text = clean_text(value, field, 64) if key != "payment_days" else value
    if key == "timezone":
        return zone(text).key if text else ""
    if key == "email":
        return parse_email(text, field) if text else ""
    if key == "country":
        if text and (len(text) != 2 or not text.isalpha()):
            raise InvalidInput(field, "must be a two-letter country code (BE, NL, FR...)", code="country_code")
        return text.upper()
    if key == "vat_number":
        if not text:
            return ""
        number = check_vat(text)
        if not number.valid:
            problems = "; ".join(w.message for w in number.warnings) or "not a valid VAT number"
            raise InvalidInput(field, problems, code="vat_invalid")
        return number.normalized
    if key == "iban":
        if not text:
            return ""
        try:
            return str(stdnum_iban.format(stdnum_iban.validate(text)))
        except ValidationError:
            raise InvalidInput(field, f"{text!r} is not a valid IBAN (check digits or length)", code="iban") from None
    if key == "bic":
        if not text:
            return ""
        try:
            return str(stdnum_bic.validate(text))
        except ValidationError:
            raise InvalidInput(field, f"{text!r} is not a valid BIC (8 or 11 characters)", code="bic") from None
    if key == "payment_days":
        if value in (None, ""):
            return None
        days = parse_int(value, field)
        if not 0 <= days <= 365:
            raise InvalidInput(field, "must be 0-365 days", code="days_range")
        return days
    raise InvalidInput("profile", f"unknown field {key!r} ({', '.join(FIELDS)})")


def merge_profile(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`current` with `changes` applied and checked; "" (or None) clears a field.

    For `terms` and `signature` a change is a dict by language: {"fr": "..."} changes only the
    French text.
    """
    out = dict(current)
    for key, value in changes.items():
        if key in PER_LANGUAGE:
            texts = dict(out.get(key) or {})
            if not isinstance(value, Mapping):
                raise InvalidInput(f"profile.{key}", "must be given per language: {\"nl\": ..., \"fr\": ...}")
            for lang, text in value.items():
                if lang not in LANGUAGES:
                    raise InvalidInput(f"profile.{key}.{lang}", "unsupported language (nl, fr, en)")
                cleaned = clean_text(text or "", f"profile.{key}.{lang}", PER_LANGUAGE[key], multiline=True)
                if cleaned:
                    texts[lang] = cleaned
                else:
                    texts.pop(lang, None)
            out[key] = texts
            continue
        cleaned = _clean_one(key, "" if value is None and key != "payment_days" else value)
        if cleaned in ("", None):
            out.pop(key, None)
        else:
            out[key] = cleaned
    return {k: v for k, v in out.items() if v not in ({}, "", None)}


def text_in(profile: Mapping[str, Any], key: str, language: str, fallback: str) -> str:
    """A per-language text for `language`, else the tenant's language `fallback`, else any, else ""."""
    texts = profile.get(key) or {}
    for lang in (language, fallback, *LANGUAGES):
        if texts.get(lang):
            return str(texts[lang])
    return ""


def address_of(profile: Mapping[str, Any], home_country: str = "BE") -> list[str]:
    """The seller's postal address as printed (country only when not `home_country`)."""
    lines = [profile["street"]] if profile.get("street") else []
    place = " ".join(p for p in (profile.get("postal_code", ""), profile.get("city", "")) if p)
    if place:
        lines.append(place)
    country = profile.get("country", "")
    if country and country != home_country and lines:
        lines.append(country)
    return lines


def logo_type(data: bytes) -> str:
    """The content type of a logo image (PNG or JPEG, at most 1 MiB); InvalidInput otherwise."""
    if not data:
        raise InvalidInput("logo", "the file is empty", code="file_empty")
    if len(data) > MAX_LOGO:
        raise InvalidInput("logo", f"must be at most {MAX_LOGO // 1024} KiB, got {len(data) // 1024} KiB",
                           code="file_too_big",
                           params={"max": f"{MAX_LOGO // 1024} KiB"})
    for magic, kind in _LOGO_MAGIC:
        if data.startswith(magic):
            return kind
    raise InvalidInput("logo", "must be a PNG or JPEG image", code="logo_type")
