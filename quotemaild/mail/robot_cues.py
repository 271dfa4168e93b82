"""The wordings robot answers use, in nl, fr, en and de: subjects and body sentences.

Gathered from what the clients and providers really send (their documented defaults and the
auto-replies in public test corpora): Outlook/Exchange ("Automatisch antwoord:", "Réponse
automatique :", "Automatische Antwort:", "Automatic reply:", older "Out of Office AutoReply:"),
Lotus/HCL Notes ("X is out of the office."), Gmail and Sieve vacation (user-set subjects, or
"Auto:" / "Re:" + the original), GMX/Web.de ("Abwesenheitsnotiz"), Orange/Free/SFR ("Message
d'absence", "Absence"), Proximus/Telenet/KPN/Ziggo webmail ("Afwezigheidsbericht",
"Afwezigheidsmelding", "Niet op kantoor"), and ticket desks ("Ontvangstbevestiging", "Accusé de
réception", "Eingangsbestätigung", "[Ticket#...]").

Each body cue belongs to a family with a weight; `robot.py` adds them up. A family counts once,
so one long auto-reply cannot score by repeating itself. Subject cues are anchored at the start
(after tags and Re:/Fwd: prefixes are *not* skipped: "Re: Afwezig volgende week" is a person).
"""

from __future__ import annotations

import re

from quotemaild.mail.prefilter import LiteralScan, Prefiltered

ABSENCE = "absence"
RECEIVED = "received"
LEFT = "left"
MOVED = "moved"
GENERIC = "generic"

_END = r"(?=\s*(?:auto ?reply\s*)?(?:[:：\-–]|\(|$|\s+(?:tot|until|till|from|van|vanaf|du|jusqu|bis|vom|ab)\b))"
_STRICT = r"(?=\s*(?:[:：]|$))"
STRONG, WEAK = 1.5, 0.6

# (pattern, topic, weight, reason). Anchored at the start, after an optional [tag] / (tag).
# STRONG wordings decide alone; WEAK ones (a bare "Vakantie", "We received ...") need the body too.
SUBJECTS: tuple[tuple[re.Pattern[str], str, float, str], ...] = tuple(
    (re.compile(r"^\s*(?:[\[(][^\])]{0,40}[\])]\s*)?(?:" + rx + ")" + end, re.IGNORECASE), topic, weight, reason)
    for rx, end, topic, weight, reason in (
        # nl
        (r"afwezig(?:heid(?:s(?:bericht|melding|notitie))?)?|niet aanwezig|niet op kantoor|buiten kantoor|"
         r"afwezigheids?assistent", _END, ABSENCE, STRONG, "out-of-office subject (nl)"),
        (r"(?:met |op )?(?:vakantie|verlof)", _STRICT, ABSENCE, WEAK, "holiday subject (nl)"),
        (r"automatisch(?:e)? (?:antwoord|bericht|beantwoording|reply)|autom\. antwoord", _STRICT, GENERIC, STRONG,
         "automatic-reply subject (nl)"),
        (r"(?:automatische )?ontvangstbevestiging|bevestiging van ontvangst|uw (?:bericht|e-?mail|aanvraag) "
         r"(?:is )?(?:goed )?ontvangen", r"", RECEIVED, WEAK, "received-notice subject (nl)"),
        # fr
        (r"absente?|absent\(e\)|absence du bureau|absente? du bureau|hors du bureau|message d['’]absence|"
         r"notification d['’]absence|absence", _END, ABSENCE, STRONG, "out-of-office subject (fr)"),
        (r"en (?:congés?|vacances)|congés?|vacances", _STRICT, ABSENCE, WEAK, "holiday subject (fr)"),
        (r"r[ée]ponse automatique|r[ée]pondeur(?: automatique)?|message automatique", _STRICT, GENERIC, STRONG,
         "automatic-reply subject (fr)"),
        (r"accus[ée] de r[ée]ception|nous avons (?:bien )?re[çc]u|votre (?:demande|message) a (?:bien )?[ée]t[ée] re[çc]u",
         r"", RECEIVED, WEAK, "received-notice subject (fr)"),
        # en
        (r"out of (?:the )?office(?: auto ?reply)?|ooo|ooto|away from (?:the )?office|out of office notification|"
         r"absence notice|vacation (?:reply|response|notice)|holiday notice", _END, ABSENCE, STRONG,
         "out-of-office subject (en)"),
        (r"away|on (?:vacation|holiday|leave|annual leave)|annual leave|vacation", _STRICT, ABSENCE, WEAK,
         "holiday subject (en)"),
        (r"auto(?:matic)?[- ]?(?:reply|response|answer)|autoreply|autoresponse|auto|automated (?:reply|response)",
         _STRICT, GENERIC, STRONG, "automatic-reply subject (en)"),
        (r"we (?:have )?received|thank you for (?:your )?(?:e-?mail|message|contacting)|"
         r"(?:your )?(?:message|request|e-?mail) (?:has been )?received|acknowledge?ment of receipt",
         r"", RECEIVED, WEAK, "received-notice subject (en)"),
        # de
        (r"abwesen(?:d|heit)(?:s(?:notiz|meldung|nachricht|benachrichtigung))?|"
         r"automatische abwesenheitsnotiz|nicht im b[üu]ro|au(?:ß|ss)er haus", _END, ABSENCE, STRONG,
         "out-of-office subject (de)"),
        (r"(?:im )?urlaub|nicht erreichbar", _STRICT, ABSENCE, WEAK, "holiday subject (de)"),
        (r"automatische (?:antwort|nachricht|benachrichtigung)|autoantwort", _STRICT, GENERIC, STRONG,
         "automatic-reply subject (de)"),
        (r"(?:automatische )?eingangsbest[äa]tigung|ihre (?:nachricht|anfrage|e-?mail) (?:ist )?(?:bei uns )?eingegangen",
         r"", RECEIVED, WEAK, "received-notice subject (de)"),
        (r"(?:wij zijn|we zijn) verhuisd|adreswijziging|nieuw (?:e-?mail)?adres|nous avons d[ée]m[ée]nag[ée]|"
         r"changement d['’]adresse|nouvelle adresse|we(?: have|'ve)? moved|change of address|new (?:e-?mail )?address|"
         r"wir sind umgezogen|adress[äa]nderung|neue (?:e-?mail-?)?adresse", r"", MOVED, WEAK, "moved-notice subject"),
        (r"bouwverlof|jaarlijkse sluiting|vakantiesluiting|kantoor gesloten|fermeture (?:annuelle|estivale)|"
         r"cong[ée] du b[âa]timent|office closed|closed for (?:the )?holidays?|betriebsurlaub|betriebsferien|sommerpause",
         _STRICT, ABSENCE, WEAK, "office-closed subject"),
                (r"ticket (?:re[çc]u|received|ontvangen|erhalten|cr[ée]{2}|created|aangemaakt|er[öo]ffnet)|request received",
         r"", RECEIVED, WEAK, "ticket-received subject"),
        # ticket desks: "[Ticket#2024...] ..." / "Case 12345: ..."
        (r"(?:ticket|case|dossier|zaak|vorgang)\s*(?:#|nr\.?|no\.?|n°)?\s*\d{3,}", r"", RECEIVED, 0.4,
         "ticket-number subject"),
    )
)

# "Jan Peeters is out of the office." (Lotus/HCL Notes), "... est absent(e)", "... ist abwesend".
SUBJECT_ANYWHERE: tuple[tuple[re.Pattern[str], str, float, str], ...] = (
    (re.compile(r"^[^:]{2,60}\b(?:is|ist|est) (?:out of (?:the )?office|afwezig|abwesend|absente?|nicht im b[üu]ro)\.?\s*$", re.I),
     ABSENCE, STRONG, "'<name> is out of the office' subject (Notes)"),
)


def _rx(*parts: str) -> Prefiltered:
    # Each family is tried on every message; the literal filter skips the regex when none of the
    # words its wordings need is in the text (prefilter.py), with the regex's own answer.
    return Prefiltered(re.compile("|".join(parts), re.IGNORECASE))


# Body families: (name, topic, weight, pattern). Searched in the new text, not the quoted history.
BODY: tuple[tuple[str, str, float, Prefiltered], ...] = (
    (
        "says it is automatic", GENERIC, 1.0,
        _rx(
            r"\b(?:this|it) is an? (?:automated|automatic|auto-?generated)(?: e-?mail)? (?:message|reply|response|notification|e-?mail|confirmation|acknowledge?ment|notice)",
            r"\b(?:this|the) (?:message|e-?mail|reply) (?:was|is|has been) (?:sent|generated) automatically",
            r"\bdit is een automatisch(?:e)?(?: gegenereerd)?(?: verzonden)? (?:bericht|antwoord|e-?mail|mail|reactie)",
            r"\bdit bericht (?:is|werd) automatisch (?:gegenereerd|verzonden|verstuurd)",
            r"\bautomatisch (?:gegenereerd|verzonden) (?:bericht|antwoord)",
            r"\bceci est (?:un|une) (?:message|r[ée]ponse|e-?mail|courriel) (?:automatique|g[ée]n[ée]r[ée] automatiquement)",
            r"\bce (?:message|courriel|mail) (?:a [ée]t[ée]|est) (?:g[ée]n[ée]r[ée]|envoy[ée]) automatiquement",
            r"\bmessage automatique\b", r"\br[ée]ponse automatique\b",
            r"\bdies ist eine automatisch(?:e)?(?: generierte| erstellte)? (?:antwort|nachricht|e-?mail|benachrichtigung)",
            r"\bdiese (?:nachricht|e-?mail) wurde automatisch (?:erstellt|generiert|versendet|verschickt)",
            r"\bautomatische (?:antwort|abwesenheitsnotiz|eingangsbest[äa]tigung)\b",
            r"\bautomatisch(?:e)? (?:antwoord|afwezigheidsmelding|ontvangstbevestiging)\b",
        ),
    ),
    (
        "first-person absence", ABSENCE, 0.7,
        _rx(
            r"\bi(?:'m| am| will be| shall be|'ll be)? (?:currently |presently |now )?(?:out of (?:the )?office|away from (?:the |my )?(?:office|desk)|"
            r"on (?:annual |parental |sick |maternity )?(?:leave|vacation|holiday|holidays)|away|absent|off work|not in the office|travell?ing)\b"
            r"(?=[^.\n]{0,80}\b(?:until|till|through|from|to|returning|and will|with (?:limited|no) access|\d))",
            r"\bi(?:'m| am) (?:currently |presently )?(?:out of (?:the )?office|on (?:leave|vacation|holiday)|away)\b(?!\s+next)",
            r"\b(?:ik ben|ben ik) (?:momenteel |op dit moment |vandaag |tijdelijk |helaas )?(?:afwezig|met vakantie|op vakantie|met verlof|"
            r"niet (?:op kantoor|aanwezig|bereikbaar|beschikbaar)|buiten kantoor)",
            r"\b(?:ik ben|ben ik) (?:van|vanaf|tot(?: en met)?|t/m) [^.\n]{0,60}(?:afwezig|met vakantie|op vakantie|met verlof|niet (?:op kantoor|aanwezig|bereikbaar))",
            r"\b(?:je suis|je serai) (?:actuellement |en ce moment |momentan[ée]ment )?(?:absente?|absent\(e\)|en (?:cong[ée]s?|vacances|d[ée]placement)|"
            r"hors du bureau|indisponible)",
            r"\b(?:je suis|je serai) (?:du|jusqu['’]au|jusqu['’]à) [^.\n]{0,60}(?:absente?|en cong[ée]|en vacances)",
            r"\bich bin (?:derzeit|zurzeit|momentan|aktuell|vom|bis|ab|leider|heute)? ?(?:[^.\n]|(?<=\d)\.){0,60}(?:nicht im b[üu]ro|abwesend|im urlaub|nicht erreichbar|au(?:ß|ss)er haus|nicht im hause?|in elternzeit|im mutterschutz|auf (?:gesch[äa]fts|dienst)reise)",
            r"(?:^|\n)\s*(?:absente?|absent\(e\)|afwezig|abwesend|out of (?:the )?office|ooo)\s+(?:jusqu|tot|until|till|bis|du|van|from|vom)\b",
            r"\b(?:ik ben|ben ik)\b(?:[^.\n]|(?<=\d)\.){0,40}\b(?:afwezig|niet aanwezig|niet op kantoor|met vakantie|op vakantie|"
            r"met \w*verlof|niet bereikbaar)\b",
            r"\bi(?:'m| am) (?:currently )?(?:ooo|on pto|on parental leave|on maternity leave|on paternity leave)\b",
            r"\bich (?:bin|befinde mich) (?:derzeit |zurzeit |momentan |aktuell )?(?:im urlaub|in elternzeit|im mutterschutz|"
            r"auf (?:gesch[äa]fts|dienst)reise|nicht im b[üu]ro)",
            r"\bje suis (?:actuellement )?en cong[ée] (?:maternit[ée]|parental|maladie)",
        ),
    ),
    (
        "return date or on-return promise", ABSENCE, 0.3,
        _rx(
            r"\b(?:back|return(?:ing)?) (?:in the office )?(?:on|by|after)\b", r"\breturning\b",
            r"\bwill (?:respond|reply|get back to you|answer)(?: to your (?:e-?mail|message))? (?:on|when|after|upon)\b", r"\bupon my return\b", r"\bon my return\b",
            r"\bwhen i(?:'m| am)? (?:get )?back\b", r"\bafter my return\b",
            r"\b(?:terug|weer aanwezig|weer op kantoor|opnieuw bereikbaar) (?:op|vanaf|vanaf maandag|na)\b",
            r"\bna mijn terugkeer\b", r"\bbij mijn terugkeer\b", r"\bvanaf \w+ \d{1,2} \w+ (?:ben ik )?(?:weer|terug)\b",
            r"\b(?:d[èe]s|[àa]) mon retour\b", r"\bde retour (?:le|au bureau|lundi|mardi|mercredi|jeudi|vendredi)\b",
r"\b(?:weer|terug|opnieuw) (?:bereikbaar|aanwezig|beschikbaar|op kantoor|open)\b", r"\bna onze terugkeer\b",
            r"\b(?:d[èe]s|[àa]) notre retour\b", r"\bnach (?:meiner|unserer) r[üu]ckkehr\b", r"\bwieder (?:f[üu]r sie da|erreichbar)\b",
            r"\bwe(?:'ll| will) be back\b", r"\b(?:re)?open(?:s|ing)? (?:again )?on\b", r"\bab (?:dem )?[^.\n]{0,30} (?:wieder|bin ich wieder)\b", r"\bwieder im b[üu]ro\b",
        ),
    ),
    (
        "points to a colleague for urgent matters", ABSENCE, 0.3,
        _rx(
            r"\b(?:for|in) (?:urgent|pressing) (?:matters|cases|questions|requests|enquiries|inquiries)\b",
            r"\bif (?:it is|it's) urgent\b", r"\bin case of (?:urgency|emergency)\b", r"\bplease contact my colleague\b",
            r"\bvoor dringende (?:zaken|vragen|gevallen)\b", r"\bin dringende gevallen\b", r"\bbij dringende\b",
            r"\bkan u (?:terecht|contact opnemen) bij\b", r"\bkunt u (?:terecht bij|contact opnemen met) (?:mijn collega|onze)\b",
            r"\bpour toute (?:urgence|demande urgente|question urgente)\b", r"\ben cas d['’]urgence\b",
            r"\bvous pouvez contacter (?:mon|ma) coll[èe]gue\b",
            r"\bin dringenden f[äa]llen\b", r"\bwenden sie sich (?:bitte )?an\b", r"\bmeine vertretung\b",
        ),
    ),
    (
        "mail not read or forwarded meanwhile", ABSENCE, 0.4,
        _rx(
            r"\b(?:limited|no|intermittent) access to (?:my )?e-?mails?\b", r"\bwill not be (?:forwarded|read)\b",
            r"\b(?:wordt|worden) (?:[^.\n]{0,30} )?niet (?:[^.\n]{0,20} )?(?:doorgestuurd|gelezen)\b", r"\bbeperkt toegang tot (?:mijn )?e-?mail\b",
            r"\bne sera pas (?:transf[ée]r[ée]|lu)\b", r"\bacc[èe]s (?:limit[ée]|restreint) [àa] (?:mes|ma) (?:e-?mails|mails|messagerie|courriels)\b",
            r"\bwird nicht weitergeleitet\b", r"\b(?:keinen|eingeschr[äa]nkten) zugriff auf (?:meine )?e-?mails?\b",
            r"\bn['’]ai pas acc[èe]s [àa] (?:mes|ma) (?:e-?mails|messagerie|courriels)\b",
            r"\bgeen toegang tot (?:mijn )?e-?mail\b", r"\bniet in de gelegenheid (?:om )?(?:uw|je) (?:e-?mail|mail|bericht)",
        ),
    ),
    (
        "office closed for the holidays", ABSENCE, 0.7,
        _rx(
            r"\b(?:our|the) (?:office|offices|company|shop|showroom) (?:is|are|will be) closed\b",
            r"\b(?:ons|het) (?:kantoor|bedrijf|atelier|magazijn|secretariaat|toonzaal) is (?:gesloten|dicht)\b",
            r"\bwegens (?:bouwverlof|vakantie|jaarlijkse sluiting) (?:is|zijn) (?:ons|het|onze)\b",
            r"\b(?:nos|les) bureaux (?:sont|seront) ferm[ée]s\b", r"\bnotre (?:soci[ée]t[ée]|entreprise|magasin) (?:est|sera) ferm[ée]e?\b",
            r"\bfermeture annuelle\b", r"\bcong[ée] du b[âa]timent\b",
            r"\b(?:unser|das) (?:b[üu]ro|unternehmen|gesch[äa]ft) (?:ist|bleibt) (?:vom|bis|ab|in der zeit|wegen)(?:[^.\n]|(?<=\d)\.){0,60}geschlossen\b",
            r"\bbetriebsurlaub\b", r"\bbetriebsferien\b",
        ),
    ),
    (
        "thanks-for-your-mail opener", GENERIC, 0.2,
        _rx(
            r"^\s*(?:thank you|thanks) for (?:your|the) (?:e-?mail|message|mail)\b",
            r"^\s*(?:bedankt|dank u|dank je) (?:wel )?voor (?:uw|je|jouw) (?:e-?mail|bericht|mail)\b",
            r"^\s*merci (?:pour|de) votre (?:e-?mail|message|courriel|mail)\b",
            r"^\s*(?:vielen )?dank f[üu]r ihre (?:e-?mail|nachricht|mail)\b",
        ),
    ),
    (
        "says your mail was received", RECEIVED, 0.7,
        _rx(
            r"\bwe(?: have|['’]ve)? (?:successfully )?received your (?:e-?mail|message|request|enquiry|inquiry)\b",
            r"\byour (?:e-?mail|message|request|ticket)(?: \(?#?\d+\)?)? has been (?:received|logged|registered)\b",
            r"\bw(?:ij|e) hebben (?:uw|je|jouw) (?:e-?mail|bericht|aanvraag|vraag|mail) (?:goed |correct |in goede orde )?ontvangen\b",
            r"\b(?:uw|je|jouw) (?:e-?mail|bericht|aanvraag|vraag) (?:is|werd) (?:goed |in goede orde )?(?:ontvangen|geregistreerd)\b",
            r"\bnous avons (?:bien )?re[çc]u votre (?:e-?mail|message|demande|courriel)\b",
            r"\bvotre (?:demande|message|e-?mail|courriel) a (?:bien )?[ée]t[ée] (?:re[çc]ue?|enregistr[ée]e?)\b",
            r"\bwir haben ihre (?:e-?mail|nachricht|anfrage) (?:erhalten|empfangen)\b",
            r"\bihre (?:e-?mail|nachricht|anfrage) ist (?:bei uns )?eingegangen\b",
        ),
    ),
    (
        "promises an answer within a delay or gives a ticket number", RECEIVED, 0.3,
        _rx(
            r"\bwithin (?:\d+|one|two|three|24|48) (?:business |working )?(?:hours|days)\b",
            r"\b(?:beantwoorden|antwoorden|reageren|respond|reply|get back to you|r[ée]pondrons|reviendrons|melden uns|antworten)\b"
            r"[^.\n]{0,40}\b(?:zo snel mogelijk|as soon as possible|au plus vite|dans les plus brefs d[ée]lais|"
            r"schnellstm[öo]glich|so schnell wie m[öo]glich|sous peu|shortly|binnenkort|in k[üu]rze)",
            r"\bnum[ée]ro de (?:ticket|dossier|r[ée]f[ée]rence)\b", r"\b(?:ticket|dossier|vorgangs)nummer\b",
            # helpdesks' reply marker (Zendesk, Freshdesk, OTRS): "##- Please type your reply above this line -##"
            r"\b(?:type|write) your reply above this line\b", r"\breply above this line\b",
            r"\bantwoord boven deze lijn\b", r"\bau-dessus de cette ligne\b", r"\boberhalb dieser (?:linie|zeile)\b",
            r"\bbinnen (?:de )?(?:\d+|twee|drie|vijf) (?:werk)?(?:dagen|uur)\b",
            r"\bdans les (?:\d+|meilleurs|plus brefs) (?:heures|jours|d[ée]lais)\b", r"\bsous (?:\d+) (?:heures|jours)\b",
            r"\binnerhalb (?:von )?(?:\d+|zwei|drei) (?:werk)?(?:tagen|stunden)\b",
            r"\b(?:ticket|case|dossier|reference|referentie|r[ée]f[ée]rence|vorgangs?)\s*(?:number|nummer|num[ée]ro|nr\.?|no\.?|n°|#)\s*:?\s*#?\w*\d",
        ),
    ),
    (
        "left the company / address no longer in use", LEFT, 1.0,
        _rx(
            r"\b(?:i|she|he) (?:have |has )?(?:left|no longer work (?:at|for|with))\b(?! (?:a|the|you|it|my)\b(?! company| organi[sz]ation))",
            r"\bhas left (?:the company|the business|the organi[sz]ation|our company|us)\b",
            r"\bno longer (?:works?|employed|with|at|part of)\b",
            r"\b(?:this|the) (?:e-?mail )?(?:address|mailbox) is no longer (?:in use|active|monitored|valid|read)\b",
            r"\b(?:is|ben) niet (?:langer|meer) (?:in dienst|werkzaam|verbonden|actief)\b", r"\bwerkt niet (?:langer|meer) (?:bij|voor)\b",
            r"\b(?:dit|het) (?:e-?mail ?adres|adres|mailadres) (?:is niet (?:langer|meer) in gebruik|wordt niet (?:langer|meer) (?:gebruikt|gelezen))\b",
r"\bmijn laatste werkdag\b", r"\bmon dernier jour\b", r"\bmy last (?:working )?day\b", r"\bmein letzter arbeitstag\b",
            r"\bj['’]ai quitt[ée] (?:la soci[ée]t[ée]|l['’]entreprise)\b", r"\bnicht mehr (?:f[üu]r|bei) [^.\n]{0,40} t[äa]tig\b",
                        r"\bne fait plus partie de\b", r"\ba quitt[ée] (?:la soci[ée]t[ée]|l['’]entreprise|notre)\b", r"\bn['’]est plus (?:en poste|employ[ée])\b",
            r"\bcette adresse (?:e-?mail |mail )?n['’]est plus (?:valide|active|utilis[ée]e|consult[ée]e)\b",
            r"\bist nicht (?:mehr|l[äa]nger) (?:im unternehmen|bei uns|f[üu]r uns t[äa]tig|in benutzung|aktiv)\b",
            r"\bhat (?:das unternehmen|unser unternehmen|uns) verlassen\b",
            r"\bdiese (?:e-?mail-?)?adresse (?:ist|wird) nicht (?:mehr|l[äa]nger) (?:aktiv|g[üu]ltig|genutzt|gelesen|verwendet)\b",
        ),
    ),
    (
        "announces a move or a new address", MOVED, 0.7,
        _rx(
            r"\bwe (?:have )?moved\b", r"\bwe are moving\b", r"\bour new (?:address|e-?mail address|office)\b",
            r"\bwe zijn verhuisd\b", r"\bwij zijn verhuisd\b", r"\bons nieuw(?:e)? (?:adres|e-?mailadres|kantoor)\b",
            r"\bnous avons d[ée]m[ée]nag[ée]\b", r"\bnotre nouvelle adresse\b", r"\bnos nouveaux locaux\b",
            r"\bwir sind umgezogen\b", r"\bunsere neue (?:adresse|e-?mail-?adresse|anschrift)\b",
        ),
    ),
    (
        "gives a new address to write to", MOVED, 0.3,
        _rx(
            r"\b(?:please )?(?:send|write|address) (?:your (?:e-?mails?|messages?) |all (?:future )?(?:correspondence|e-?mails?) )?(?:from now on )?to\b[^.\n]{0,40}@",
            r"\bnieuw(?:e)? (?:e-?mail ?adres|mailadres)\b", r"\bgelieve (?:voortaan )?(?:te mailen|uw mails? te sturen) naar\b",
            r"\bnouvelle adresse (?:e-?mail|mail|courriel)\b", r"\bmerci d['’][ée]crire (?:d[ée]sormais )?[àa]\b",
            r"\bneue (?:e-?mail-?adresse|adresse)\b", r"\bbitte (?:schreiben|senden) sie (?:k[üu]nftig |ab sofort )?an\b",
        ),
    ),
)

# Signs a person wrote it. Each subtracts from the score.
HUMAN: tuple[tuple[str, float, Prefiltered], ...] = (
    (
        "talks about the quote or the work", 0.5,
        _rx(
            r"\bofferte|\bprijs(?:opgave)?\b|\bdevis\b|\btarif|\bquot(?:e|ation)\b|\bprice\b|\bangebot|\bkostenvoranschlag",
            r"\bwerken\b|\btravaux\b|\bwork(?:s)? (?:on|at)\b|\bdak\b|\btoiture\b|\broof\b|\bdach\b",
            r"\brendez-vous\b|\bafspr(?:aak|eken)\b|\bopmeting\b|\btermin\b|\bappointment\b|\bmeasurements?\b|\bvisite\b",
        ),
    ),
    (
        "speaks of their family or home", 0.5,
        _rx(
            r"\bmijn (?:vrouw|man|partner|zoon|dochter)\b", r"\bmon (?:mari|conjoint|fils)\b", r"\bma (?:femme|fille|compagne)\b",
            r"\bmy (?:wife|husband|partner|son|daughter)\b", r"\bmeine? (?:frau|mann|partnerin|sohn|tochter)\b",
        ),
    ),
    (
        "plans ahead (next week, from Monday)", 0.3,
        _rx(
            r"\bnext (?:week|month)\b", r"\bvolgende (?:week|maand)\b", r"\bla semaine prochaine\b", r"\ble mois prochain\b",
            r"\bn[äa]chste(?:n)? (?:woche|monat)\b", r"\bkommende woche\b",
        ),
    ),
    (
        "asks a question", 0.3, Prefiltered(re.compile(r"\?\s*(?:\n|$)")),
    ),
)

# Every body and human family's strings, looked for in one pass per text (prefilter.LiteralScan).
SCAN = LiteralScan([*(rx for *_rest, rx in BODY), *(rx for *_rest, rx in HUMAN)])
