"""The seller's profile: each field checked and normalised, cleared with "", texts per language, logos."""

from __future__ import annotations

import pytest

from quotemaild.domain.tenant_profile import address_of, logo_type, merge_profile, text_in
from quotemaild.errors import InvalidInput


@pytest.mark.parametrize(("key", "value", "stored"), [
    ("legal_name", "  Acme BV ", "Acme BV"),
    ("vat_number", "be0417497106", "BE 0417.497.106"),
    ("iban", "be71096123456769", "BE71 0961 2345 6769"),
    ("bic", "gebabebb", "GEBABEBB"),
    ("country", "nl", "NL"),
    ("email", "Offertes@ACME.be", "Offertes@acme.be"),
    ("payment_days", "30", 30),
    ("payment_days", 0, 0),
    ("website", "www.acme.be", "www.acme.be"),
])
def test_fields_are_normalised(key, value, stored):
    assert merge_profile({}, {key: value})[key] == stored


@pytest.mark.parametrize(("key", "value", "field"), [
    ("vat_number", "BE0417497107", "profile.vat_number"),   # wrong check digits: refused for the seller
    ("iban", "BE00 0000 0000 0000", "profile.iban"),
    ("bic", "GEB", "profile.bic"),
    ("country", "Belgium", "profile.country"),
    ("email", "not an address", "profile.email"),
    ("payment_days", "366", "profile.payment_days"),
    ("payment_days", "soon", "profile.payment_days"),
    ("phone", "+32\n9", "profile.phone"),
    ("colour", "red", "profile"),
    ("terms", "plain text", "profile.terms"),
    ("terms", {"de": "x"}, "profile.terms.de"),
])
def test_bad_values_name_the_field(key, value, field):
    with pytest.raises(InvalidInput) as info:
        merge_profile({}, {key: value})
    assert info.value.field == field


def test_clearing_and_per_language_texts():
    """"" clears a field and one language of a text; other languages and fields stay."""
    profile = merge_profile({}, {"city": "Gent", "terms": {"nl": "NL", "fr": "FR"}, "payment_days": 30})
    profile = merge_profile(profile, {"city": "", "terms": {"fr": ""}, "payment_days": ""})
    assert profile == {"terms": {"nl": "NL"}}
    assert text_in(profile, "terms", "fr", "nl") == "NL"   # falls back to the tenant's language
    assert text_in(profile, "terms", "en", "fr") == "NL"   # then to any
    assert text_in({}, "terms", "en", "nl") == ""


def test_address():
    assert address_of({"street": "Kerkstraat 1", "postal_code": "9000", "city": "Gent", "country": "BE"}) == [
        "Kerkstraat 1", "9000 Gent"]
    assert address_of({"city": "Lille", "country": "FR"}) == ["Lille", "FR"]


@pytest.mark.parametrize(("data", "expected"), [
    (b"\x89PNG\r\n\x1a\n....", "image/png"),
    (b"\xff\xd8\xff\xe0....", "image/jpeg"),
    (b"GIF89a", None),
    (b"", None),
    (b"\x89PNG\r\n\x1a\n" + b"0" * (1024 * 1024), None),  # over 1 MiB
])
def test_logo_type(data, expected):
    if expected is None:
        with pytest.raises(InvalidInput):
            logo_type(data)
    else:
        assert logo_type(data) == expected
