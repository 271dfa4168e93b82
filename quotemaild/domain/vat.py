"""VAT numbers and VAT regimes.

A VAT number is normalised when the field is left (seed 003): Belgian numbers become
`BE 0477.472.701`, other EU numbers their compact form with the country prefix (`NL004495445B01`).
Checking never refuses a number: a bad checksum, an unknown format or a number already on another
contact is a *warning* the user may ignore. Empty stays empty (private persons).
A number without a country prefix is read as Belgian (`default_country`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from stdnum import exceptions as stdnum_errors
from stdnum.be import vat as be_vat
from stdnum.eu import vat as eu_vat

from quotemaild.errors import InvalidInput


class VatWarningCode(StrEnum):
    INVALID_CHECKSUM = "invalid_checksum"
    INVALID_FORMAT = "invalid_format"
    UNKNOWN_COUNTRY = "unknown_country"
    ALREADY_USED = "already_used"


@dataclass(frozen=True)
class VatWarning:
    code: VatWarningCode
    message: str
    used_by: object = None  # the contact (id or name, as the caller gave it) for ALREADY_USED


@dataclass(frozen=True)
class VatNumber:
    normalized: str  # "" for no number
    country: str  # ISO code as used in VAT numbers ("BE", "NL", "EL" for Greece); "" if unknown
    valid: bool  # True only for a number that passed the country's check digits
    warnings: tuple[VatWarning, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.normalized


_SPACES = re.compile(r"[\s.\-/]+")


def vat_key(value: str, default_country: str = "BE") -> str:
    """The compact form used to compare numbers (`BE0477472701`); "" for an empty value."""
    cleaned = _SPACES.sub("", value or "").upper()
    if not cleaned:
        return ""
    if cleaned[:2].isalpha():
        country, rest = cleaned[:2], cleaned[2:]
    else:
        country, rest = default_country.upper(), cleaned
    if country == "GR":  # Greece uses EL in VAT numbers
        country = "EL"
    if country == "BE" and rest.isdigit() and len(rest) == 9:
        rest = "0" + rest
    return country + rest


def _format_be(digits: str) -> str:
    return f"BE {digits[:4]}.{digits[4:7]}.{digits[7:]}"


def _check_be(rest: str) -> tuple[str, bool, VatWarning | None]:
    digits = be_vat.compact(rest)
    if not digits.isdigit() or len(digits) != 10:
        return "BE" + rest, False, VatWarning(
            VatWarningCode.INVALID_FORMAT, "a Belgian VAT number has 10 digits (BE 0xxx.xxx.xxx)")
    try:
        be_vat.validate(digits)
    except stdnum_errors.ValidationError:
        return _format_be(digits), False, VatWarning(
            VatWarningCode.INVALID_CHECKSUM, "the check digits (mod 97) do not match")
    return _format_be(digits), True, None


def _check_eu(country: str, rest: str) -> tuple[str, bool, VatWarning | None]:
    if country.lower() not in eu_vat.MEMBER_STATES and country != "EL":
        return country + rest, False, VatWarning(
            VatWarningCode.UNKNOWN_COUNTRY, f"{country} is not an EU VAT country")
    compact = country + rest
    try:
        return eu_vat.validate(compact), True, None
    except stdnum_errors.InvalidChecksum:
        return compact, False, VatWarning(
            VatWarningCode.INVALID_CHECKSUM, "the check digits do not match")
    except stdnum_errors.ValidationError:
        return compact, False, VatWarning(
            VatWarningCode.INVALID_FORMAT, f"not a valid {country} VAT number format")


def check_vat(
    value: str,
    in_use: Mapping[str, object] | Set[str] = frozenset(),
    *,
    default_country: str = "BE",
) -> VatNumber:
    """Normalise and check a VAT number; problems are warnings, never refusals.

    `in_use` holds the numbers already on *other* contacts (leave out the contact being edited):
    a set of numbers, or a map number -> contact (id or name) to name in the warning. Keys may be in
    any spelling; they are compared in compact form (pass a `VatIndex` when checking many numbers).
    """
    key = vat_key(value, default_country)
    if not key:
        return VatNumber("", "", False)
    country, rest = key[:2], key[2:]
    if not rest:
        normalized, valid, warning = key, False, VatWarning(
            VatWarningCode.INVALID_FORMAT, "no digits after the country code")
    elif country == "BE":
        normalized, valid, warning = _check_be(rest)
    else:
        normalized, valid, warning = _check_eu(country, rest)
    warnings = [warning] if warning else []
    used = _find_in_use(key, in_use, default_country)
    if used is not _MISSING:
        who = f" by {used}" if used is not None else ""
        warnings.append(VatWarning(
            VatWarningCode.ALREADY_USED, f"{normalized} is already used{who}", used_by=used))
    return VatNumber(normalized, country, valid, tuple(warnings))


_MISSING = object()


class VatIndex(dict[str, object]):
    """Numbers in use, keyed by `vat_key`, for O(1) look-ups over many checks (an import)."""

    @classmethod
    def of(cls, numbers: Mapping[str, object] | Set[str], default_country: str = "BE") -> VatIndex:
        items = numbers.items() if isinstance(numbers, Mapping) else ((n, None) for n in numbers)
        index = cls()
        for number, owner in items:
            key = vat_key(number, default_country)
            if key:
                index.setdefault(key, owner)
        return index


def _find_in_use(key: str, in_use: Mapping[str, object] | Set[str], default_country: str) -> object:
    if isinstance(in_use, VatIndex):
        return in_use.get(key, _MISSING)
    if isinstance(in_use, Mapping):
        for number, owner in in_use.items():
            if vat_key(number, default_country) == key:
                return owner
        return _MISSING
    return None if any(vat_key(n, default_country) == key for n in in_use) else _MISSING


class VatRegime(StrEnum):
    STANDARD = "standard"  # 21 %
    REDUCED_12 = "reduced_12"  # 12 % (social housing, some restaurant services)
    RENOVATION_6 = "renovation_6"  # 6 % renovation of homes older than 10 years
    CO_CONTRACTOR = "co_contractor"  # 0 %, VAT shifted to the customer (medecontractant)
    EXEMPT = "exempt"  # 0 %, exempt supply
    INTRA_EU = "intra_eu"  # 0 %, intra-community supply, reverse charge


REGIME_RATES: dict[VatRegime, Decimal] = {
    VatRegime.STANDARD: Decimal("21"),
    VatRegime.REDUCED_12: Decimal("12"),
    VatRegime.RENOVATION_6: Decimal("6"),
    VatRegime.CO_CONTRACTOR: Decimal("0"),
    VatRegime.EXEMPT: Decimal("0"),
    VatRegime.INTRA_EU: Decimal("0"),
}

REGIME_LABELS: dict[str, dict[VatRegime, str]] = {
    "nl": {
        VatRegime.STANDARD: "Standaard 21% btw",
        VatRegime.REDUCED_12: "12% btw",
        VatRegime.RENOVATION_6: "6% btw renovatietarief",
        VatRegime.CO_CONTRACTOR: "0% btw medecontractant",
        VatRegime.EXEMPT: "Vrijgesteld van btw",
        VatRegime.INTRA_EU: "Intracommunautaire levering",
    },
    "fr": {
        VatRegime.STANDARD: "TVA standard 21%",
        VatRegime.REDUCED_12: "TVA 12%",
        VatRegime.RENOVATION_6: "TVA 6% rénovation",
        VatRegime.CO_CONTRACTOR: "TVA 0% cocontractant",
        VatRegime.EXEMPT: "Exempté de TVA",
        VatRegime.INTRA_EU: "Livraison intracommunautaire",
    },
    "en": {
        VatRegime.STANDARD: "Standard 21% VAT",
        VatRegime.REDUCED_12: "12% VAT",
        VatRegime.RENOVATION_6: "6% VAT renovation",
        VatRegime.CO_CONTRACTOR: "0% VAT co-contractor",
        VatRegime.EXEMPT: "VAT exempt",
        VatRegime.INTRA_EU: "Intra-EU supply",
    },
}


def parse_regime(value: str, field: str = "vat_regime") -> VatRegime:
    try:
        return VatRegime(value)
    except ValueError:
        choices = ", ".join(r.value for r in VatRegime)
        raise InvalidInput(field, f"unknown VAT regime {value!r} ({choices})", code="not_one_of",
                           params={"choices": choices}) from None


def regime_rate(regime: str) -> Decimal:
    """The VAT rate in percent a regime implies (21, 12, 6 or 0)."""
    return REGIME_RATES[parse_regime(regime)]


def regime_label(regime: str, language: str) -> str:
    try:
        labels = REGIME_LABELS[language]
    except KeyError:
        raise InvalidInput("language", f"unsupported language {language!r} (nl, fr, en)", code="not_one_of",
                           params={"choices": "nl, fr, en"}) from None
    return labels[parse_regime(regime)]
