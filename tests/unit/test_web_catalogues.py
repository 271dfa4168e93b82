"""Every text of the web app's pages and handlers is translated in nl and fr (and keeps its placeholders)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from quotemaild.edges.http.web.i18n import po_path

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\([a-z]+\)s")


def extracted() -> set[str]:
    method_map = [("quotemaild/edges/http/web/**.py", "python"), ("quotemaild/web_templates/**.html", "jinja2")]
    options = {"quotemaild/web_templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true",
                                                    "lstrip_blocks": "true"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_every_text_is_translated(language):
    with po_path(language).open("rb") as fh:
        catalog = {m.id: m.string for m in read_po(fh) if m.id}
    missing = sorted(m for m in extracted() if not catalog.get(m))
    assert not missing, f"untranslated in {language} (run `make messages`, then fill msgstr): {missing}"
    wrong = sorted(m for m in catalog if PLACEHOLDER.findall(m) and
                   sorted(PLACEHOLDER.findall(m)) != sorted(PLACEHOLDER.findall(catalog[m])))
    assert not wrong, f"placeholders differ in {language}: {wrong}"
