"""Choosing a page language, and the catalogues compiled from .po at load time."""

from __future__ import annotations

import pytest

from quotemaild.edges.http.web.i18n import LANGUAGES, from_accept_language, pick_language, translations


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("nl-BE,nl;q=0.9,en;q=0.8", "nl"),
        ("fr-BE", "fr"),
        ("de-DE,de;q=0.9,fr;q=0.5,en;q=0.4", "fr"),
        ("en-US,en;q=0.9", "en"),
        ("de,es", None),
        ("en;q=0.2,nl;q=0.8", "nl"),
        ("fr;q=0,en", "en"),
        ("*", None),
        ("nl;q=abc,fr", "fr"),
    ],
)
def test_accept_language(header, expected):
    """The highest-weighted language we have wins; zero weight and unknown tags are ignored."""
    assert from_accept_language(header) == expected


@pytest.mark.parametrize(
    ("user", "header", "expected"),
    [("fr", "nl-BE", "fr"), (None, "nl-BE", "nl"), (None, None, "en"), ("xx", "de", "en")],
)
def test_user_choice_first_then_browser_then_english(user, header, expected):
    assert pick_language(user, header) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_compiles_from_po(language):
    """Every catalogue loads; nl and fr translate the seed manuals' own terms."""
    t = translations(language)
    expected = {"nl": "Offerteaanvragen", "fr": "Demandes d'offre", "en": "Quote requests"}[language]
    assert t.gettext("Quote requests") == expected


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError):
        translations("de")
