"""The web app's languages: gettext catalogues (nl, fr, en) and the choice of one per request.

The catalogues are the `.po` files in `quotemaild/locale/<lang>/LC_MESSAGES/web.po`, compiled in
memory when first needed (Babel reads the .po and writes the .mo into a buffer), so the repository
holds no binary files and a translator's edit shows after a restart. English is the source
language: its catalogue may leave a msgstr empty and gettext falls back to the msgid.

Language of a page: the user's own choice, else the browser's Accept-Language, else English.
"""

from __future__ import annotations

import functools
import io
from importlib import resources

from babel import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("nl", "fr", "en")
DEFAULT_LANGUAGE = "en"
DOMAIN = "web"
LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}


def po_path(language: str) -> resources.abc.Traversable:
    return resources.files("quotemaild") / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> Translations:
    """The compiled catalogue for `language` (one of LANGUAGES), cached for the process."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalogue for {language!r}")
    with po_path(language).open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def from_accept_language(header: str | None) -> str | None:
    """The best of LANGUAGES for an Accept-Language header (`nl-BE,nl;q=0.9,en;q=0.8`), or None."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, index, tag.strip()))
    preferred = [tag for _, _, tag in sorted(weighted)]
    return negotiate_locale(preferred, list(LANGUAGES), sep="-") if preferred else None


def pick_language(user_choice: str | None, accept_language: str | None) -> str:
    if user_choice in LANGUAGES:
        return user_choice
    return from_accept_language(accept_language) or DEFAULT_LANGUAGE
