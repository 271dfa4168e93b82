"""Contact file column names and cell words in nl, fr and en."""

from __future__ import annotations

import pytest

from quotemaild.domain.contacts_columns import COLUMNS, IGNORED, LABELS, VALUE_ALIASES, header_label, normalize_header
from quotemaild.domain.vat import VatRegime
from quotemaild.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("N° TVA", "ntva"), ("  BTW-nummer ", "btwnummer"), ("Téléphone", "telephone"), ("E-mail", "email"),
     ("Chiffre d'affaires", "chiffredaffaires"), ("", "")],
)
def test_normalize_header(raw, expected):
    """Accents, case, spaces and punctuation do not matter."""
    assert normalize_header(raw) == expected


def test_every_label_imports_as_its_field():
    """Each export label, in each language, is read back as the same field."""
    for field, labels in LABELS.items():
        for label in labels:
            key = normalize_header(label)
            if field == "revenue":
                assert key in IGNORED
            else:
                assert COLUMNS[key] == field, label


def test_regime_words_map_to_real_codes():
    """VAT regime words map to existing regime codes."""
    assert set(VALUE_ALIASES["vat_regime"].values()) == {r.value for r in VatRegime}


@pytest.mark.parametrize(("field", "language", "label"), [("name", "nl", "Naam"), ("vat_number", "fr", "N° TVA"),
                                                          ("lead_source", "nl", "Adres via")])
def test_header_label(field, language, label):
    """Export labels follow the language."""
    assert header_label(field, language) == label


def test_header_label_unknown_language():
    """Unsupported languages are InvalidInput naming `language`."""
    with pytest.raises(InvalidInput) as info:
        header_label("name", "de")
    assert info.value.field == "language"
