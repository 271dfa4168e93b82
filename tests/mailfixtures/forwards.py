"""Forwards as real clients write them, in nl/fr/en/de: `.eml` bytes plus the expected requester.

Layouts follow what each client produces (separator line, field names and order, date style,
quoting, HTML-only bodies, mobile footers, Outlook's "you don't often get mail from" banner);
the crisp email-forward-parser fixtures and the clients' own output were the references. The
messages themselves are written here. `all_forwards()` yields every fixture.
"""

from __future__ import annotations

import hashlib
import html as html_lib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy

from tests.mailfixtures.common import LABELS, LANGS, LONG_DATE, PREAMBLE, PROPOSALS, REQUEST, STAFF, Person, customer


@dataclass(frozen=True)
class Fixture:
    name: str
    client: str
    lang: str
    data: bytes
    expected: str | None  # the requester's address; None: no requester (for answers: see answers.py)


@dataclass(frozen=True)
class Layout:
    prefix: str  # the client's forward prefix in the subject
    text: str | None
    html: str | None = None


FWD = {"outlook": {"en": "FW:", "nl": "FW:", "fr": "TR:", "de": "WG:"}, "other": {"en": "Fwd:", "nl": "Fwd:", "fr": "Fwd:", "de": "Fwd:"}}

BANNER = {
    "en": "You don't often get email from {email}. Learn why this is important<https://aka.ms/LearnAboutSenderIdentification>",
    "nl": "U ontvangt niet vaak e-mail van {email}. Ontdek waarom dit belangrijk is<https://aka.ms/LearnAboutSenderIdentification>",
    "fr": "Vous n’obtenez pas souvent d’e-mail à partir de {email}. Pourquoi c’est important<https://aka.ms/LearnAboutSenderIdentification>",
    "de": "Sie erhalten nicht oft eine E-Mail von {email}. Erfahren Sie, warum dies wichtig ist<https://aka.ms/LearnAboutSenderIdentification>",
}


def _original(lang: str, c: Person) -> tuple[str, str]:
    subject, body = REQUEST[lang]
    return subject, body.format(name=c.name)


def _fr_colon(lang: str, label: str, nbsp: bool = True) -> str:
    """French puts a (non-breaking) space before the colon."""
    return f"{label}\xa0:" if lang == "fr" and nbsp else (f"{label} :" if lang == "fr" else f"{label}:")


# --- Outlook -----------------------------------------------------------------------------------------
def outlook_desktop(lang: str, c: Person, staff: Person) -> Layout:
    lab, (subject, body) = LABELS[lang], _original(lang, c)
    head = "\n".join(
        f"{_fr_colon(lang, lab[k])}\xa0{v}"
        for k, v in (("from", c.header), ("sent", LONG_DATE[lang]), ("to", staff.header), ("subject", subject))
    )
    banner = BANNER[lang].format(email=c.email)
    return Layout(FWD["outlook"][lang], f"\n\n{'_' * 32}\n{head}\n\n{banner}\n\n{body}\n")


def outlook_name_only(lang: str, c: Person, staff: Person) -> Layout:
    """Outlook shows a sender from the address book by name only; the banner above the body names the address."""
    lab, (subject, body) = LABELS[lang], _original(lang, c)
    head = "\n".join(
        f"{_fr_colon(lang, lab[k])} {v}"
        for k, v in (("from", c.name), ("sent", LONG_DATE[lang]), ("to", staff.name), ("subject", subject))
    )
    banner = BANNER[lang].format(email=c.email)
    return Layout(FWD["outlook"][lang], f"\n\n{'_' * 32}\n{head}\n\n{banner}\n\n{body}\n")


def outlook_mailto_text(lang: str, c: Person, staff: Person) -> Layout:
    """Outlook's text alternative of linked names: `Name<mailto:addr>` (and starred labels from Gmail)."""
    lab, (subject, body) = LABELS[lang], _original(lang, c)
    head = "\n".join(
        f"*{_fr_colon(lang, lab[k], False)}* {v}"
        for k, v in (("from", f"{c.name}<mailto:{c.email}>"), ("sent", LONG_DATE[lang]),
                     ("to", f"{staff.name}<mailto:{staff.email}>"), ("subject", subject))
    )
    return Layout(FWD["outlook"][lang], f"\n\n{'_' * 32}\n{head}\n\n{body}\n")


def pasted_headers(lang: str, c: Person, staff: Person) -> Layout:
    """A gateway or old client that pastes the original's raw header lines, encoded words and all."""
    from email.header import Header

    subject, body = _original(lang, c)
    name = Header(c.name, "utf-8").encode()
    enc_subject = Header(subject, "utf-8").encode()
    return Layout(
        "Fwd:",
        f"\n\n-------- Original Message --------\nFrom: {name} <{c.email}>\nTo: {staff.email}\n"
        f"Subject: {enc_subject}\nDate: Mon, 3 Mar 2025 09:12:31 +0100\n\n{body}\n",
    )


def outlook_2010(lang: str, c: Person, staff: Person) -> Layout:
    sep = {"en": "Original Message", "nl": "Oorspronkelijk bericht", "fr": "Message d'origine", "de": "Ursprüngliche Nachricht"}
    lab, (subject, body) = LABELS[lang], _original(lang, c)
    return Layout(
        FWD["outlook"][lang],
        f"-----{sep[lang]}-----\n{_fr_colon(lang, lab['from'], False)} {c.name} [mailto:{c.email}]\n"
        f"{_fr_colon(lang, lab['sent'], False)} {LONG_DATE[lang]}\n{_fr_colon(lang, lab['to'], False)} {staff.name}\n"
        f"{_fr_colon(lang, lab['subject'], False)} {subject}\n\n{body}\n",
    )


def _outlook_html(lang: str, c: Person, staff: Person, sender_html: str, banner: bool) -> str:
    lab, (subject, body) = LABELS[lang], _original(lang, c)
    colon = "\xa0:" if lang == "fr" else ":"
    rows = "<br>".join(
        f"<b>{lab[k]}{colon}</b> {v}"
        for k, v in (
            ("from", sender_html),
            ("sent", LONG_DATE[lang]),
            ("to", f'<a href="mailto:{staff.email}">{html_lib.escape(staff.name)}</a>'),
            ("subject", html_lib.escape(subject)),
        )
    )
    banner_html = (
        '<table><tr><td><div style="color:#212121">' + html_lib.escape(BANNER[lang].format(email=c.email).split("<")[0])
        + ' <a href="https://aka.ms/LearnAboutSenderIdentification">…</a></div></td></tr></table>'
        if banner
        else ""
    )
    paragraphs = "".join(f"<p>{html_lib.escape(p)}</p>" for p in body.split("\n\n"))
    return (
        "<html><head><style>p{margin:0}</style></head><body>"
        f"<div>{html_lib.escape(PREAMBLE[lang].split(chr(10))[0])}</div>"
        '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
        f'<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri" style="font-size:11pt">{rows}</font><div>&nbsp;</div></div>'
        f"{banner_html}<div>{paragraphs}</div></body></html>"
    )


def outlook_html_mailto(lang: str, c: Person, staff: Person) -> Layout:
    """Outlook HTML only; the sender shown by name, the address only in the mailto: link."""
    sender = f'<a href="mailto:{c.email}">{html_lib.escape(c.name)}</a>'
    return Layout(FWD["outlook"][lang], None, _outlook_html(lang, c, staff, sender, banner=False))


def new_outlook_html(lang: str, c: Person, staff: Person) -> Layout:
    """New Outlook / Outlook on the web: HTML only, `Name <addr>` escaped, the banner above the body."""
    sender = f'{html_lib.escape(c.name)} &lt;<a href="mailto:{c.email}">{c.email}</a>&gt;'
    return Layout(FWD["outlook"][lang], None, _outlook_html(lang, c, staff, sender, banner=True))


def outlook_web(lang: str, c: Person, staff: Person) -> Layout:
    """Outlook on the web's text alternative: nbsp-laden header lines, banner in the block."""
    return outlook_desktop(lang, c, staff)


def _outlook_mobile(lang: str, c: Person, staff: Person, os_name: str) -> Layout:
    footer = {"en": "Get Outlook for {os}", "nl": "Outlook voor {os} downloaden", "fr": "Obtenir Outlook pour {os}",
              "de": "Outlook für {os} herunterladen"}[lang].format(os=os_name)
    link = "https://aka.ms/o0ukef" if os_name == "iOS" else "https://aka.ms/AAb9ysg"
    lab, (subject, body) = LABELS[lang], _original(lang, c)
    date = {"en": "Monday, March 3, 2025 9:12:43 AM", "nl": "Monday, March 3, 2025 9:12:43 AM",
            "fr": "Monday, March 3, 2025 9:12:43 AM", "de": "Monday, March 3, 2025 9:12:43 AM"}[lang]
    head = "\n".join(
        f"{_fr_colon(lang, lab[k], False)} {v}"
        for k, v in (("from", c.header), ("sent", date), ("to", staff.header), ("subject", subject))
    )
    return Layout(FWD["outlook"][lang], f"\n\n{footer}<{link}>\n{'_' * 32}\n{head}\n\n{body}\n")


def outlook_ios(lang: str, c: Person, staff: Person) -> Layout:
    return _outlook_mobile(lang, c, staff, "iOS")


def outlook_android(lang: str, c: Person, staff: Person) -> Layout:
    return _outlook_mobile(lang, c, staff, "Android")


# --- Apple Mail -------------------------------------------------------------------------------------
_APPLE_SEP = {"en": "Begin forwarded message:", "nl": "Begin doorgestuurd bericht:",
              "fr": "Début du message réexpédié :", "de": "Anfang der weitergeleiteten Nachricht:"}
_APPLE_DATE = {"en": "3 March 2025 at 09:12:31 CET", "nl": "3 maart 2025 om 09:12:31 CET",
               "fr": "3 mars 2025 à 09:12:31 UTC+1", "de": "3. März 2025 um 09:12:31 MEZ"}


def _apple_head(lang: str, c: Person, staff: Person, subject: str) -> list[str]:
    lab = LABELS[lang]
    to = {"en": "To", "nl": "Aan", "fr": "À", "de": "An"}[lang]
    return [f"{_fr_colon(lang, lab['from'], False)} {c.header}", f"{_fr_colon(lang, lab['subject'], False)} {subject}",
            f"{_fr_colon(lang, lab['date'], False)} {_APPLE_DATE[lang]}", f"{_fr_colon(lang, to, False)} {staff.header}"]


def apple_mail_macos(lang: str, c: Person, staff: Person) -> Layout:
    subject, body = _original(lang, c)
    head = "\n".join(_apple_head(lang, c, staff, subject))
    return Layout("Fwd:", f"\n\n{_APPLE_SEP[lang]}\n\n{head}\n\n{body}\n\n")


def apple_mail_ios(lang: str, c: Person, staff: Person) -> Layout:
    sent = {"en": "Sent from my iPhone", "nl": "Verstuurd vanaf mijn iPhone", "fr": "Envoyé de mon iPhone",
            "de": "Von meinem iPhone gesendet"}[lang]
    subject, body = _original(lang, c)
    head = "\n".join(f"> {line}" for line in _apple_head(lang, c, staff, subject))
    quoted = "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))
    return Layout("Fwd:", f"\n\n{sent}\n\n{_APPLE_SEP[lang]}\n\n{head}\n> \n> \ufeff\n{quoted}\n")


# --- Gmail ------------------------------------------------------------------------------------------
def _gmail(lang: str, c: Person, staff: Person) -> str:
    sep = {"en": "Forwarded message", "nl": "Doorgestuurd bericht", "fr": "Message transféré", "de": "Weitergeleitete Nachricht"}
    date = {"en": "Mon, 3 Mar 2025 at 09:12", "nl": "ma 3 mrt 2025 om 09:12", "fr": "lun. 3 mars 2025 à 09:12",
            "de": "Mo., 3. März 2025 um 09:12"}
    frm = {"en": "From", "nl": "From", "fr": "De", "de": "From"}  # Gmail localises only some labels
    subject, body = _original(lang, c)
    return (f"---------- {sep[lang]} ---------\n{frm[lang]}: {c.name} <{c.email}>\nDate: {date[lang]}\n"
            f"Subject: {subject}\nTo: <{staff.email}>\n\n\n{body}\n")


def gmail_web(lang: str, c: Person, staff: Person) -> Layout:
    text = _gmail(lang, c, staff)
    html_text = html_lib.escape(text).replace("\n", "<br>")
    return Layout("Fwd:", "\n\n" + text, f'<div dir="ltr"><br><div class="gmail_quote">{html_text}</div></div>')


def gmail_app(lang: str, c: Person, staff: Person) -> Layout:
    return Layout("Fwd:", "\n\n" + _gmail(lang, c, staff))


# --- Samsung Email ----------------------------------------------------------------------------------
def samsung_email(lang: str, c: Person, staff: Person) -> Layout:
    sent = {"en": "Sent from my Galaxy", "nl": "Verzonden vanaf mijn Galaxy", "fr": "Envoyé depuis mon Galaxy",
            "de": "Von meinem Galaxy gesendet"}[lang]
    sep = {"en": "Original message", "nl": "Oorspronkelijk bericht", "fr": "Message d'origine", "de": "Ursprüngliche Nachricht"}
    date = {"en": "03/03/2025 09:12 (GMT+01:00)", "nl": "03-03-2025 09:12 (GMT+01:00)", "fr": "03/03/2025 09:12 (GMT+01:00)",
            "de": "03.03.25 09:12 (GMT+01:00)"}
    lab, (subject, body) = LABELS[lang], _original(lang, c)
    head = "\n".join(f"{_fr_colon(lang, lab[k], False)} {v}" for k, v in
                     (("from", c.header), ("date", date[lang]), ("to", staff.email), ("subject", subject)))
    return Layout("Fwd:", f"\n\n\n{sent}\n\n\n-------- {sep[lang]} --------\n{head}\n\n{body}\n")


# --- Yahoo ------------------------------------------------------------------------------------------
def yahoo(lang: str, c: Person, staff: Person) -> Layout:
    sep = {"en": "Forwarded Message", "nl": "Doorgestuurd bericht", "fr": "Message transmis", "de": "Weitergeleitete Nachricht"}
    date = {"en": "Monday, March 3, 2025, 09:12:31 AM GMT+1", "nl": "maandag 3 maart 2025 om 09:12:31 CET",
            "fr": "lundi 3 mars 2025 à 09:12:31 UTC+1", "de": "Montag, 3. März 2025, 09:12:31 MEZ"}
    lab, (subject, body) = LABELS[lang], _original(lang, c)
    head = "".join(f"{_fr_colon(lang, lab[k], False)} {v}" for k, v in
                   (("from", c.header), ("to", f'"{staff.email}" <{staff.email}>'), ("sent", date[lang]), ("subject", subject)))
    # Yahoo's text part runs the header fields together on one line (its HTML had them in divs).
    return Layout("Fwd:", f"\n\n   ----- {sep[lang]} ----- {head} {body}\n")


# --- Proton -----------------------------------------------------------------------------------------
def proton(lang: str, c: Person, staff: Person) -> Layout:
    sep = {"en": "Forwarded Message", "nl": "Doorgestuurd bericht", "fr": "Message transféré", "de": "Weitergeleitete Nachricht"}
    date = {"en": "On Monday, March 3rd, 2025 at 9:12 AM", "nl": "Op maandag 3 maart 2025 om 09:12",
            "fr": "Le lundi 3 mars 2025 à 09:12", "de": "Am Montag, 3. März 2025 um 09:12"}
    lab, (subject, body) = LABELS[lang], _original(lang, c)
    head = "\n".join(f"{_fr_colon(lang, lab[k], False)} {v}" for k, v in
                     (("from", c.header), ("date", date[lang]), ("subject", subject), ("to", f"{staff.email} <{staff.email}>")))
    quoted = "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))
    footer = {"en": "Sent with Proton Mail secure email.", "nl": "Verzonden met Proton Mail beveiligde e-mail.",
              "fr": "Envoyé avec la messagerie sécurisée Proton Mail.", "de": "Gesendet mit der sicheren E-Mail von Proton Mail."}
    return Layout("Fwd:", f"\n\n{footer[lang]}\n\n------- {sep[lang]} -------\n{head}\n\n{quoted}\n")


# --- GMX / Web.de -----------------------------------------------------------------------------------
def gmx(lang: str, c: Person, staff: Person) -> Layout:
    """GMX/Web.de: no separator line; Gesendet/Von/An/Betreff opens the block (forward subject only)."""
    date = {"en": "Monday, March 03, 2025 at 9:12 AM", "nl": "maandag 03 maart 2025 om 09:12",
            "fr": "lundi 03 mars 2025 à 09:12", "de": "Montag, 03. März 2025 um 09:12 Uhr"}
    lab, (subject, body) = LABELS[lang], _original(lang, c)
    head = "\n".join(f"{lab[k]}: {v}" for k, v in
                     (("sent", date[lang]), ("from", f'"{c.name}" <{c.email}>'), ("to", staff.email), ("subject", subject)))
    return Layout("Fwd:", f"\n\n \n \n\n{head}\n\n{body}\n")


# --- Zimbra-based webmail ---------------------------------------------------------------------------
def zimbra(lang: str, c: Person, staff: Person) -> Layout:
    sep = {"en": "Forwarded Message", "nl": "Doorgestuurd bericht", "fr": "Mail transféré", "de": "Weitergeleitete Nachricht"}
    date = {"en": "Monday, March 3, 2025 9:12:31 AM", "nl": "maandag 3 maart 2025 09:12:31",
            "fr": "Lundi 3 Mars 2025 09:12:31", "de": "Montag, 3. März 2025 09:12:31"}
    lab, (subject, body) = LABELS[lang], _original(lang, c)
    head = "\n".join(f"{lab[k]}: {v}" for k, v in
                     (("from", f'"{c.name}" <{c.email}>'), ("to", f'"{staff.name}" <{staff.email}>'),
                      ("sent", date[lang]), ("subject", subject)))
    return Layout("Fwd:" if lang != "fr" else "Tr:", f"\n\n----- {sep[lang]} -----\n{head}\n\n{body}\n")


# --- Thunderbird ------------------------------------------------------------------------------------
def thunderbird(lang: str, c: Person, staff: Person) -> Layout:
    sep = {"en": "Forwarded Message", "nl": "Doorgestuurd bericht", "fr": "Message transféré", "de": "Weitergeleitete Nachricht"}
    labels = {"en": ("Subject", "Date", "From", "To"), "nl": ("Onderwerp", "Datum", "Van", "Aan"),
              "fr": ("Sujet :", "Date :", "De :", "Pour :"), "de": ("Betreff", "Datum", "Von", "An")}[lang]
    subject, body = _original(lang, c)
    values = (subject, "Mon, 3 Mar 2025 09:12:31 +0100", c.header, staff.email)
    head = "\n".join(f"{k if k.endswith(':') else k + ':'} \t{v}" for k, v in zip(labels, values, strict=True))
    return Layout("Fwd:", f"\n\n\n-------- {sep[lang]} --------\n{head}\n\n\n\n{body}\n")


CLIENTS: dict[str, Callable[[str, Person, Person], Layout]] = {
    "outlook-desktop": outlook_desktop,
    "outlook-2010": outlook_2010,
    "outlook-html-mailto": outlook_html_mailto,
    "outlook-name-only-banner": outlook_name_only,
    "outlook-mailto-text": outlook_mailto_text,
    "pasted-raw-headers": pasted_headers,
    "new-outlook-html": new_outlook_html,
    "outlook-web": outlook_web,
    "outlook-ios": outlook_ios,
    "outlook-android": outlook_android,
    "apple-mail-macos": apple_mail_macos,
    "apple-mail-ios": apple_mail_ios,
    "gmail-web": gmail_web,
    "gmail-app": gmail_app,
    "samsung-email": samsung_email,
    "yahoo": yahoo,
    "proton": proton,
    "gmx-webde": gmx,
    "zimbra": zimbra,
    "thunderbird": thunderbird,
}
_ENCODINGS = ("quoted-printable", "base64", "8bit")


def build(
    layout: Layout, lang: str, c: Person, staff: Person, cte: str, preamble: bool = True, headers: dict[str, str] | None = None
) -> bytes:
    subject = _original(lang, c)[0]
    msg = EmailMessage(policy=default_policy)
    msg["From"] = staff.header
    msg["To"] = PROPOSALS
    msg["Subject"] = f"{layout.prefix} {subject}"
    msg["Date"] = "Mon, 03 Mar 2025 10:05:00 +0100"
    msg["Message-ID"] = f"<fwd-{hashlib.sha256(repr((c.email, layout, cte)).encode()).hexdigest()[:16]}@firma.be>"
    for name, value in (headers or {}).items():
        msg[name] = value
    note = PREAMBLE[lang].format(name=staff.name, email=staff.email) if preamble else ""
    if layout.text is not None:
        msg.set_content(note + layout.text, cte=cte if cte != "8bit" else "8bit")
        if layout.html is not None:
            msg.add_alternative(layout.html, subtype="html")
    else:
        assert layout.html is not None
        msg.set_content(layout.html, subtype="html", cte=cte if cte != "8bit" else "8bit")
    return msg.as_bytes()


def client_forwards() -> Iterator[Fixture]:
    index = 0
    for client, make in CLIENTS.items():
        for lang in LANGS:
            c, staff = customer(lang, index), STAFF[lang]
            cte = _ENCODINGS[index % len(_ENCODINGS)]
            data = build(make(lang, c, staff), lang, c, staff, cte, preamble=index % 3 != 2)
            yield Fixture(f"{client}-{lang}-{cte}", client, lang, data, c.email)
            index += 1


def all_forwards() -> list[Fixture]:
    from tests.mailfixtures.forward_specials import special_forwards

    return [*client_forwards(), *special_forwards()]
