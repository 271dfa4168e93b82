"""The HTML of the online quote page: a pure function of the quote's view and the page texts.

Every value is escaped; the page loads nothing from outside (the logo is a data: URI, the style is
inline), so the Content-Security-Policy of `quote_links.py` can stay `default-src 'none'`.
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Any

from quotemaild.mail.doc_format import format_date, format_money, format_number, format_percent
from quotemaild.mail.quote_pdf import LABELS

TEXTS: dict[str, dict[str, str]] = {
    "nl": {"confirm_accept": "Offerte {number} van {tenant} aanvaarden?", "button_accept": "Ja, ik aanvaard de offerte",
           "confirm_reject": "Offerte {number} van {tenant} weigeren?", "button_reject": "Ja, ik weiger de offerte",
           "accepted": "Bedankt! U hebt offerte {number} aanvaard. {tenant} neemt contact met u op.",
           "rejected": "Offerte {number} is geweigerd. Bedankt om ons te laten weten.",
           "gone": "Over offerte {number} werd al beslist ({status}).",
           "expired": "Offerte {number} is niet meer geldig. Neem contact op met {tenant} voor een nieuwe offerte.",
           "superseded": "Offerte {number} werd vervangen door een nieuwere versie. Gebruik de link in de laatste mail.",
           "not_found": "Deze link is ongeldig.", "name": "Uw naam", "name_hint": "Wie aanvaardt de offerte?",
           "name_missing": "Vul uw naam in om de offerte te aanvaarden.", "pdf": "Offerte als PDF",
           "seller": "Verkoper"},
    "fr": {"confirm_accept": "Accepter l'offre {number} de {tenant} ?", "button_accept": "Oui, j'accepte l'offre",
           "confirm_reject": "Refuser l'offre {number} de {tenant} ?", "button_reject": "Oui, je refuse l'offre",
           "accepted": "Merci ! Vous avez accepté l'offre {number}. {tenant} vous contactera.",
           "rejected": "L'offre {number} est refusée. Merci de nous l'avoir fait savoir.",
           "gone": "L'offre {number} a déjà fait l'objet d'une décision ({status}).",
           "expired": "L'offre {number} n'est plus valable. Contactez {tenant} pour une nouvelle offre.",
           "superseded": "L'offre {number} a été remplacée par une version plus récente. Utilisez le lien du "
                         "dernier e-mail.",
           "not_found": "Ce lien n'est pas valable.", "name": "Votre nom", "name_hint": "Qui accepte l'offre ?",
           "name_missing": "Indiquez votre nom pour accepter l'offre.", "pdf": "L'offre en PDF",
           "seller": "Vendeur"},
    "en": {"confirm_accept": "Accept quote {number} from {tenant}?", "button_accept": "Yes, I accept the quote",
           "confirm_reject": "Reject quote {number} from {tenant}?", "button_reject": "Yes, I reject the quote",
           "accepted": "Thank you! You accepted quote {number}. {tenant} will be in touch.",
           "rejected": "Quote {number} is rejected. Thank you for letting us know.",
           "gone": "Quote {number} was already decided ({status}).",
           "expired": "Quote {number} is no longer valid. Please contact {tenant} for a new quote.",
           "superseded": "Quote {number} was replaced by a newer version. Please use the link in the latest mail.",
           "not_found": "This link is not valid.", "name": "Your name", "name_hint": "Who accepts the quote?",
           "name_missing": "Please give your name to accept the quote.", "pdf": "The quote as PDF",
           "seller": "Seller"},
}

_STYLE = ("body{font-family:sans-serif;max-width:48em;margin:2em auto;padding:0 1em;color:#222}"
          "table{border-collapse:collapse;width:100%;margin:1em 0}td,th{padding:.3em .5em;border-bottom:1px solid #ddd}"
          "td.n,th.n{text-align:right}tr.total td{font-weight:bold}.seller{color:#444}img{max-height:4em}"
          "button{font-size:1.1em;padding:.5em 1em}input{font-size:1.1em;padding:.3em}.error{color:#a00}")


def texts_for(language: str) -> dict[str, str]:
    return TEXTS.get(language, TEXTS["en"])


def message_page(language: str, key: str, values: dict[str, str]) -> str:
    """A page with one sentence (thank you, gone, expired, not found)."""
    message = html.escape(texts_for(language)[key].format(**values))
    return _document(language, message, f"<p>{message}</p>")


def quote_page(view: dict[str, Any], action: str, form_path: str, pdf_path: str, error: str = "",
               name: str = "") -> str:
    """The quote (seller, number, lines, totals per VAT rate, PDF link) and the decision form."""
    lang = view["language"] if view["language"] in TEXTS else "en"
    T, L = texts_for(lang), LABELS[lang]
    seller = view["seller"]
    e = html.escape
    title = e(T[f"confirm_{action}"].format(number=view["number"], tenant=seller["name"]))
    cur = view["currency"]

    def money(value: str) -> str:
        return e(format_money(Decimal(value), lang, cur))

    parts = []
    if view.get("logo"):
        parts.append(f'<p><img src="{e(view["logo"])}" alt="{e(seller["name"])}"></p>')
    seller_lines = [seller["name"], *seller["address"]]
    if seller["vat"]:
        seller_lines.append(f"{L['vat_number']} {seller['vat']}")
    seller_lines += [v for v in (seller["email"], seller["phone"]) if v]
    parts.append(f'<p class="seller"><small>{e(T["seller"])}</small><br>'
                 + "<br>".join(e(x) for x in seller_lines) + "</p>")
    parts.append(f"<h1>{e(L['title'])} {e(view['number'])}</h1>")
    facts = [(L["customer"], view["contact"]["name"]),
             (L["date"], format_date(dt.date.fromisoformat(view["issue_date"]), lang)),
             (L["valid_until"], format_date(dt.date.fromisoformat(view["valid_until"]), lang))]
    parts.append("<p>" + "<br>".join(f"{e(k)}: {e(v)}" for k, v in facts) + "</p>")
    head = "".join(f'<th{" class=n" if i else ""}>{e(L[k])}</th>'
                   for i, k in enumerate(("description", "quantity", "unit_price", "vat", "line_total")))
    rows = []
    for line in view["lines"]:
        quantity = format_number(Decimal(line["quantity"]), lang) + (f" {line['unit']}" if line["unit"] else "")
        rows.append(f"<tr><td>{e(line['description'])}</td><td class=n>{e(quantity)}</td>"
                    f"<td class=n>{money(line['unit_price'])}</td>"
                    f"<td class=n>{e(format_percent(Decimal(line['vat_rate']), lang))}</td>"
                    f"<td class=n>{money(line['line_total'])}</td></tr>")
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    totals = [f"<tr><td>{e(L['total_excl'])}</td><td class=n>{money(view['totals']['excl'])}</td></tr>"]
    for t in view["totals"]["by_rate"]:
        label = L["vat_on"].format(rate=format_percent(Decimal(t["rate"]), lang),
                                   base=format_money(Decimal(t["base"]), lang, cur))
        totals.append(f"<tr><td>{e(label)}</td><td class=n>{money(t['vat'])}</td></tr>")
    totals.append(f'<tr class="total"><td>{e(L["total_incl"])}</td><td class=n>{money(view["totals"]["incl"])}</td></tr>')
    parts.append(f"<table>{''.join(totals)}</table>")
    if view.get("notes"):
        parts.append(f"<p>{e(view['notes'])}</p>")
    parts.append(f'<p><a href="{e(pdf_path)}">{e(T["pdf"])} ({e(view["number"])}.pdf)</a></p>')
    parts.append(f"<h2>{title}</h2>")
    if error:
        parts.append(f'<p class="error">{e(error)}</p>')
    required = " required" if action == "accept" else ""
    parts.append(
        f'<form method="post" action="{e(form_path)}"><p><label>{e(T["name"])}<br>'
        f'<input name="name" value="{e(name)}" maxlength="200" autocomplete="name" '
        f'placeholder="{e(T["name_hint"])}"{required}></label></p>'
        f'<button type="submit">{e(T["button_" + action])}</button></form>')
    return _document(lang, title, "".join(parts))


def _document(language: str, title: str, body: str) -> str:
    return (f'<!doctype html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f"<style>{_STYLE}</style></head><body>{body}</body></html>")
