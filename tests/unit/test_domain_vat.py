"""VAT numbers: normalisation, checks as warnings, numbers in use; VAT regimes and rates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quotemaild.domain.vat import (
    VatIndex,
    VatRegime,
    VatWarningCode,
    check_vat,
    regime_label,
    regime_rate,
    vat_key,
)
from quotemaild.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "normalized", "country", "valid"),
    [
        ("be0477472701", "BE 0477.472.701", "BE", True),
        ("0477 472 701", "BE 0477.472.701", "BE", True),
        ("477472701", "BE 0477.472.701", "BE", True),
        ("BE 0477.472.701", "BE 0477.472.701", "BE", True),
        ("  BE-0477-472-701 ", "BE 0477.472.701", "BE", True),
        ("0477472702", "BE 0477.472.702", "BE", False),
        ("nl 004495445b01", "NL004495445B01", "NL", True),
        ("FR 40 303 265 045", "FR40303265045", "FR", True),
        ("GR 094259216", "EL094259216", "EL", True),
    ],
)
def test_normalise(raw, normalized, country, valid):
    """Belgian numbers become `BE 0xxx.xxx.xxx`, other EU numbers their compact form."""
    result = check_vat(raw)
    assert (result.normalized, result.country, result.valid) == (normalized, country, valid)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0477472702", VatWarningCode.INVALID_CHECKSUM),
        ("BE 12345", VatWarningCode.INVALID_FORMAT),
        ("BEabc", VatWarningCode.INVALID_FORMAT),
        ("BE", VatWarningCode.INVALID_FORMAT),
        ("NL004495444B01", VatWarningCode.INVALID_CHECKSUM),
        ("NL12", VatWarningCode.INVALID_FORMAT),
        ("US123456789", VatWarningCode.UNKNOWN_COUNTRY),
    ],
)
def test_problems_are_warnings(raw, code):
    """A bad number is kept and flagged with a warning, never refused."""
    result = check_vat(raw)
    assert not result.valid
    assert result.normalized
    assert [w.code for w in result.warnings] == [code]


@pytest.mark.parametrize("raw", ["", "   ", " . "])
def test_empty_stays_empty(raw):
    """Private persons have no VAT number: empty stays empty, with no warning."""
    result = check_vat(raw)
    assert (result.normalized, result.country, result.warnings, result.is_empty) == ("", "", (), True)


@pytest.mark.parametrize(
    ("in_use", "used_by"),
    [
        ({"BE 0477.472.701": 42}, 42),
        ({"be0477472701": "Jansen BV"}, "Jansen BV"),
        ({"477472701"}, None),
    ],
)
def test_already_used_is_a_warning(in_use, used_by):
    """A number already on another contact is valid but warned about, naming that contact."""
    result = check_vat("0477.472.701", in_use)
    assert result.valid
    assert [(w.code, w.used_by) for w in result.warnings] == [(VatWarningCode.ALREADY_USED, used_by)]


def test_not_used_elsewhere():
    """Numbers in use that differ do not warn."""
    assert check_vat("0477472701", {"BE 0403.170.701": 1}).warnings == ()


def test_invalid_and_used_gives_both_warnings():
    """Checksum and in-use warnings are both reported."""
    codes = [w.code for w in check_vat("0477472702", {"BE0477472702"}).warnings]
    assert codes == [VatWarningCode.INVALID_CHECKSUM, VatWarningCode.ALREADY_USED]


@pytest.mark.parametrize(
    ("raw", "key"),
    [("BE 0477.472.701", "BE0477472701"), ("477472701", "BE0477472701"), ("", ""), ("gr1", "EL1")],
)
def test_vat_key(raw, key):
    """Numbers compare in compact form with a country prefix."""
    assert vat_key(raw) == key


@pytest.mark.parametrize(
    ("regime", "rate"),
    [("standard", "21"), ("reduced_12", "12"), ("renovation_6", "6"), ("co_contractor", "0"),
     ("exempt", "0"), ("intra_eu", "0")],
)
def test_regime_rate(regime, rate):
    """Each VAT regime implies one rate."""
    assert regime_rate(regime) == Decimal(rate)


def test_every_regime_has_rate_and_labels():
    """No regime lacks a rate or a label in nl, fr or en."""
    for regime in VatRegime:
        regime_rate(regime)
        for language in ("nl", "fr", "en"):
            assert regime_label(regime, language)


@pytest.mark.parametrize(("call", "field"), [(lambda: regime_rate("zero"), "vat_regime"),
                                             (lambda: regime_label("standard", "de"), "language")])
def test_regime_errors(call, field):
    """Unknown regimes and languages are InvalidInput naming the field."""
    with pytest.raises(InvalidInput) as info:
        call()
    assert info.value.field == field


def test_vat_index():
    """A VatIndex keys numbers in compact form and finds them in one look-up."""
    index = VatIndex.of({"BE 0477.472.701": 42, "": 9, "477472701": 43})
    assert dict(index) == {"BE0477472701": 42}
    assert [w.used_by for w in check_vat("be0477472701", index).warnings] == [42]
    assert check_vat("0403170701", index).warnings == ()
    assert dict(VatIndex.of({"nl004495445b01"})) == {"NL004495445B01": None}
