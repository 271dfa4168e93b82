"""Refusals in the tenant's language: every error code the code base raises has nl, fr and en text.

The codes are read from the source (`code="..."` in InvalidInput / FieldError / RowError calls), so
a new code without an entry in web/error_text.py, or an entry without its nl/fr translation in the
.po catalogues, fails here.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from quotemaild.domain.contact_input import check_contact_input, parse_contact_input
from quotemaild.domain.contacts_csv import read_contacts_csv
from quotemaild.domain.quote_edit import remove_line
from quotemaild.domain.quotes import parse_line_spec
from quotemaild.edges.http.problems import from_error
from quotemaild.edges.http.web.error_text import EXPLANATIONS, FIELD_LABELS, explanation, field_label, message
from quotemaild.edges.http.web.i18n import po_path, translations
from quotemaild.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2] / "quotemaild"
_CODED = {"InvalidInput", "FieldError", "RowError"}


def _codes_in_source() -> set[str]:
    """Every literal code passed to InvalidInput/FieldError/RowError or, by a subclass, to
    super().__init__ (keyword, or FieldError's and RowError's positional code)."""
    found = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name not in _CODED and name != "__init__":  # subclasses pass theirs to super().__init__
                continue
            for kw in node.keywords:
                if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                    found.add(kw.value.value)
            position = {"FieldError": 2, "RowError": 4}.get(name)
            if position is not None and len(node.args) > position and isinstance(node.args[position], ast.Constant):
                found.add(node.args[position].value)
    return found


def test_every_raised_code_has_an_explanation():
    codes = _codes_in_source()
    assert len(codes) > 40  # the scan itself works
    assert codes - set(EXPLANATIONS) == set()


def test_no_explanation_is_left_unused():
    assert set(EXPLANATIONS) - _codes_in_source() == set()


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_every_explanation_and_label_is_in_the_catalogue(language):
    """nl and fr have their own text with the same placeholders; en may fall back to the msgid."""
    with po_path(language).open("rb") as fh:
        catalog = read_po(fh, locale=language)
    for msgid in [*EXPLANATIONS.values(), *FIELD_LABELS.values(), "Contact person %(n)s", "Line %(n)s"]:
        entry = catalog.get(msgid)
        assert entry is not None, f"{language}: {msgid!r} missing, run make messages"
        if language != "en":
            assert entry.string, f"{language}: {msgid!r} has no translation"
            assert sorted(re.findall(r"%\((\w+)\)s", entry.string)) == sorted(re.findall(r"%\((\w+)\)s", msgid))


def _say(language: str, exc: InvalidInput, labels=None) -> str:
    return message(translations(language).gettext, language, exc, labels or {})


def _refusal(data: dict, **kw) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_contact_input(data, **kw)
    return info.value


CASES = [
    # (what raises, nl, fr, en)
    (lambda: _refusal({"name": "X", "persons": [{"name": "An", "email": "nope"}]}),
     "Contactpersoon 1 – E-mailadressen: is geen e-mailadres",
     "Personne de contact 1 – Adresses e-mail : n'est pas une adresse e-mail",
     "Contact person 1 – E-mail addresses: is not an e-mail address"),
    (lambda: _refusal({"name": "X", "persons": [{"name": "An", "emails": ["an@x.be", "tom@"]}]}),
     "Contactpersoon 1 – E-mailadressen: is geen e-mailadres",
     "Personne de contact 1 – Adresses e-mail : n'est pas une adresse e-mail",
     "Contact person 1 – E-mail addresses: is not an e-mail address"),
    (lambda: _refusal({"name": "X", "appointment": {"date": "31/02/2027"}}),
     "Afspraak – Datum: is geen datum (DD/MM/JJJJ)", "Rendez-vous – Date : n'est pas une date (JJ/MM/AAAA)",
     "Appointment – Date: is not a date (DD/MM/YYYY)"),
    (lambda: _refusal({"name": "X", "address": {"postal_code": "90000", "country": "BE"}}),
     "Postcode: een Belgische postcode heeft vier cijfers", "Code postal : un code postal belge a quatre chiffres",
     "Postal code: a Belgian postal code has four digits"),
    (lambda: _refusal({"name": "X", "language": "de"}),
     "Taal: moet een van deze zijn: nl, fr, en", "Langue : doit être l'un de : nl, fr, en",
     "Language: must be one of: nl, fr, en"),
    (lambda: _refusal({"name": "X", "lead_source": "x" * 201}),
     "Adres via: is langer dan 200 tekens", "Source du contact : dépasse 200 caractères",
     "Lead source: is longer than 200 characters"),
]


@pytest.mark.parametrize(("raises", "nl", "fr", "en"), CASES)
def test_contact_refusals_in_three_languages(raises, nl, fr, en):
    exc = raises()
    assert exc.code in EXPLANATIONS
    said = {lang: _say(lang, exc) for lang in ("nl", "fr", "en")}
    assert (said["nl"], said["fr"], said["en"]) == (nl, fr, en)


def test_custom_field_errors_use_the_field_label():
    from quotemaild.domain.contacts import CustomFieldDef, CustomFieldKind

    defs = (CustomFieldDef("visit", "Bezoekdatum", CustomFieldKind.DATE, required=True),)
    check = check_contact_input({"name": "X", "custom": {"visit": "morgen"}}, custom_fields=defs)
    (error,) = check.errors
    assert field_label(translations("nl").gettext, error.field, {"visit": "Bezoekdatum"}) == "Bezoekdatum"
    assert explanation(translations("nl").gettext, "nl", error) == "is geen datum (DD/MM/JJJJ)"
    (missing,) = check_contact_input({"name": "X"}, custom_fields=defs).errors
    assert explanation(translations("fr").gettext, "fr", missing) == "est obligatoire"


def test_quote_line_and_editor_refusals():
    with pytest.raises(InvalidInput) as info:
        parse_line_spec("Deur;0;10;21", position=2)
    assert _say("nl", info.value) == "Regel 2 – Aantal: mag niet nul zijn"
    with pytest.raises(InvalidInput) as info:
        parse_line_spec("Deur;1;10,123456;21", position=1)
    assert _say("fr", info.value) == "Ligne 1 – Prix unitaire : a plus de 4 décimales"
    with pytest.raises(InvalidInput) as info:
        remove_line(["only"], 1)
    assert _say("en", info.value) == "Position: a quote keeps at least one line (delete the draft instead)"


def test_csv_report_lines_have_codes():
    result = read_contacts_csv("Naam;E-mail\nA;nope\nB\n")
    codes = [(e.row, e.code) for e in result.errors]
    assert (2, "not_an_email") in codes
    text = explanation(translations("nl").gettext, "nl", result.errors[0])
    assert text == "is geen e-mailadres"


def test_dates_in_parameters_follow_the_language():
    exc = InvalidInput("valid_until", "is before the issue date 2027-01-12", code="before_issue_date",
                       params={"date": dt.date(2027, 1, 12)})
    assert _say("nl", exc) == "Geldig tot: ligt vóór de uitgiftedatum 12 jan 2027"
    assert "2027-01-12" not in _say("fr", exc)


def test_without_a_code_the_english_problem_stays_and_the_api_gets_the_code():
    plain = InvalidInput("x", "something technical")
    assert _say("nl", plain) == "x: something technical"
    coded = _refusal({"name": ""})
    problem = from_error(coded)
    assert (problem.status, problem.extra["code"], problem.detail) == (422, "required", "is required")
    assert "code" not in from_error(plain).extra


def test_company_profile_refusals_in_three_languages():
    from quotemaild.domain.tenant_profile import merge_profile

    with pytest.raises(InvalidInput) as info:
        merge_profile({}, {"iban": "BE00 not an iban"})
    said = {lang: _say(lang, info.value) for lang in ("nl", "fr", "en")}
    assert said == {"nl": "Bedrijfsgegevens – IBAN: is geen geldige IBAN (controlecijfers of lengte)",
                    "fr": said["fr"], "en": "Company profile – IBAN: is not a valid IBAN (check digits or length)"}
    assert said["fr"].endswith(" : n'est pas un IBAN valide (chiffres de contrôle ou longueur)")
