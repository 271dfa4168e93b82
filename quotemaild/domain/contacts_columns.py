"""Column names and cell words of contact files in nl, fr and en.

Headers and values are compared after `normalize_header`: accents, case, spaces and punctuation
ignored, so `N° TVA`, `n°tva` and `NTVA` are one name. Export labels come from `LABELS`; every
label is also an import alias, so an exported file re-imports in any language.
"""

from __future__ import annotations

import unicodedata

from quotemaild.errors import InvalidInput


def normalize_header(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum())


# field -> (nl, fr, en) export labels
LABELS: dict[str, tuple[str, str, str]] = {
    "number": ("Klantnummer", "Numéro client", "Number"),
    "kind": ("Soort", "Sorte", "Kind"),
    "type": ("Type", "Type de contact", "Contact type"),
    "name": ("Naam", "Nom", "Name"),
    "emails": ("E-mail", "E-mail", "E-mail"),
    "phone": ("Telefoon", "Téléphone", "Phone"),
    "street": ("Straat", "Rue", "Street"),
    "postal_code": ("Postcode", "Code postal", "Postal code"),
    "city": ("Gemeente", "Localité", "City"),
    "country": ("Land", "Pays", "Country"),
    "language": ("Taal", "Langue", "Language"),
    "currency": ("Munt", "Devise", "Currency"),
    "vat_number": ("BTW-nummer", "N° TVA", "VAT number"),
    "vat_regime": ("BTW-stelsel", "Régime TVA", "VAT regime"),
    "payment_term_days": ("Betaaltermijn", "Délai de paiement", "Payment term"),
    "discount_percent": ("Korting", "Remise", "Discount"),
    "quote_email": ("E-mail offertes", "E-mail offres", "Quote e-mail"),
    "invoice_email": ("E-mail facturen", "E-mail factures", "Invoice e-mail"),
    "groups": ("Groepen", "Groupes", "Groups"),
    "lead_source": ("Adres via", "Source", "Lead source"),
    "first_contact": ("Eerste contact", "Premier contact", "First contact"),
    "appointment": ("Afspraak", "Rendez-vous", "Appointment"),
    "call_back": ("Terug bellen", "Rappeler", "Call back"),
    "sold": ("Verkocht", "Vendu", "Sold"),
    "internal_note": ("Interne nota", "Note interne", "Internal note"),
    "revenue": ("Omzet", "Chiffre d'affaires", "Revenue"),
}

_EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("nummer", "nr", "klantnr", "customer number", "numero", "n° client", "code"),
    "kind": ("klant of prospect", "client ou prospect"),
    "type": ("bedrijf of particulier",),
    "name": ("bedrijfsnaam", "firmanaam", "company", "company name", "raison sociale", "societe",
             "entreprise", "klant", "client", "customer"),
    "emails": ("email", "mail", "e-mailadres", "emailadres", "courriel", "adresse e-mail", "emails"),
    "phone": ("tel", "tel.", "telefoonnummer", "gsm", "mobiel", "telephone", "phone number", "mobile"),
    "street": ("adres", "adresse", "address", "straat en nummer", "street and number"),
    "postal_code": ("zip", "zip code", "postcode", "cp", "npa"),
    "city": ("stad", "plaats", "woonplaats", "ville", "commune", "town"),
    "vat_number": ("btw", "btw nr", "btw-nr", "ondernemingsnummer", "tva", "numero tva",
                   "numero de tva", "vat", "vat no", "vat nr", "enterprise number"),
    "vat_regime": ("btw-regime", "btw regime", "regime"),
    "payment_term_days": ("betalingstermijn", "delai", "payment term days", "payment terms"),
    "discount_percent": ("korting %", "remise %", "discount %"),
    "groups": ("groep", "groupe", "group", "tags"),
    "lead_source": ("bron", "kanaal", "canal", "origine"),
    "internal_note": ("nota", "notitie", "opmerking", "note", "notes", "remarque", "opmerkingen"),
}

IGNORED = frozenset(normalize_header(h) for h in (*LABELS["revenue"], "id", "omzet", "ca"))

COLUMNS: dict[str, str] = {}
for _field, _labels in LABELS.items():
    if _field == "revenue":
        continue
    for _alias in (*_labels, _field, *_EXTRA_ALIASES.get(_field, ())):
        COLUMNS.setdefault(normalize_header(_alias), _field)

# Cell words that mean a code, per field (after normalize_header).
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "kind": {"klant": "customer", "client": "customer", "customer": "customer", "prospect": "prospect",
             "prospectie": "prospect"},
    "type": {"bedrijf": "company", "firma": "company", "entreprise": "company", "societe": "company",
             "company": "company", "particulier": "person", "persoon": "person", "personne": "person",
             "person": "person", "prive": "person", "private": "person"},
    "language": {"nederlands": "nl", "neerlandais": "nl", "dutch": "nl", "vlaams": "nl", "frans": "fr",
                 "francais": "fr", "french": "fr", "engels": "en", "anglais": "en", "english": "en"},
    "vat_regime": {"21": "standard", "standaard": "standard", "normal": "standard", "12": "reduced12",
                   "6": "renovation6", "renovatie": "renovation6", "renovation": "renovation6",
                   "medecontractant": "cocontractor", "cocontractant": "cocontractor",
                   "verlegd": "cocontractor", "vrijgesteld": "exempt", "exonere": "exempt",
                   "intracommunautair": "intraeu", "intracommunautaire": "intraeu"},
}
# vat_regime codes contain "_", which normalize_header drops: map back to the real codes.
_REGIME_CODES = {"standard": "standard", "reduced12": "reduced_12", "renovation6": "renovation_6",
                 "cocontractor": "co_contractor", "exempt": "exempt", "intraeu": "intra_eu"}
VALUE_ALIASES["vat_regime"] = {k: _REGIME_CODES[v] for k, v in VALUE_ALIASES["vat_regime"].items()}
VALUE_ALIASES["vat_regime"].update({k: v for k, v in _REGIME_CODES.items()})


def header_label(field: str, language: str) -> str:
    try:
        index = ("nl", "fr", "en").index(language)
    except ValueError:
        raise InvalidInput("language", f"unsupported language {language!r} (nl, fr, en)", code="not_one_of",
                           params={"choices": "nl, fr, en"}) from None
    return LABELS[field][index]
