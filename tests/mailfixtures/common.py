"""What every fixture shares: the tenant, its staff, the customers, per-language labels."""

from __future__ import annotations

from dataclasses import dataclass

from quotemaild.mail.tenant import TenantIdentity

PROPOSALS = "firma-524@proposals.example.com"
TENANT = TenantIdentity(
    proposals_addresses=frozenset({PROPOSALS}),
    own_addresses=frozenset({"info@firma-mail.com", "offertes@firma-groep.eu"}),
    own_domains=frozenset({"firma.be"}),
    proposals_domain="proposals.example.com",
)
LANGS = ("nl", "fr", "en", "de")


@dataclass(frozen=True)
class Person:
    name: str
    email: str

    @property
    def header(self) -> str:
        return f"{self.name} <{self.email}>"


STAFF = {
    "nl": Person("Jan Peeters", "jan@firma.be"),
    "fr": Person("Marie Dubois", "marie@firma.be"),
    "en": Person("Sarah Jones", "sarah@firma.be"),
    "de": Person("Lukas Weber", "lukas@firma.be"),
}

# Customers: a different one per fixture, so that no test passes by a lucky address.
_CUSTOMERS = {
    "nl": [
        ("Piet Janssens", "piet.janssens@bouwwerken-janssens.be"), ("Els Vermeulen", "els@vermeulen-renovatie.nl"),
        ("Koen De Smet", "koen.desmet@telenet.be"), ("Anouk van Dijk", "anouk.vandijk@ziggo.nl"),
        ("Bart Claes", "bart.claes@proximus.be"), ("Sanne de Vries", "sanne@devries-interieur.nl"),
        ("Wim Maes", "wim.maes@skynet.be"), ("Lotte Jacobs", "lotte.jacobs@kpnmail.nl"),
        ("Tom Willems", "tom@willems-dakwerken.be"), ("Eva Peeters", "eva.peeters@outlook.be"),
        ("Ruben Mertens", "ruben.mertens@gmail.com"), ("Fien Goossens", "fien@goossens-bv.be"),
        ("Dirk Wouters", "dirk.wouters@hotmail.com"), ("Nina Bakker", "nina.bakker@xs4all.nl"),
        ("Joris Hermans", "joris@hermans-tuinen.be"), ("Lien Aerts", "lien.aerts@yahoo.com"),
        ("Stijn Pauwels", "stijn.pauwels@protonmail.com"), ("Ilse Michiels", "ilse.michiels@gmx.net"),
        ("Pieter Smit", "pieter.smit@smitbouw.nl"), ("Hanne Lambrechts", "hanne@lambrechts.be"),
    ],
    "fr": [
        ("Jean Dupont", "jean.dupont@orange.fr"), ("Sophie Martin", "sophie.martin@martin-renov.fr"),
        ("Luc Lambert", "luc.lambert@skynet.be"), ("Claire Dubois", "claire.dubois@free.fr"),
        ("Nicolas Petit", "n.petit@sfr.fr"), ("Julie Leroy", "julie@leroy-menuiserie.be"),
        ("Antoine Moreau", "antoine.moreau@laposte.net"), ("Camille Simon", "camille.simon@wanadoo.fr"),
        ("Thomas Laurent", "thomas@laurent-toitures.fr"), ("Manon Lefebvre", "manon.lefebvre@gmail.com"),
        ("Pierre Michel", "pierre.michel@voo.be"), ("Léa Garcia", "lea.garcia@hotmail.fr"),
        ("François Renard", "f.renard@renard-sa.be"), ("Chloé Girard", "chloe.girard@yahoo.fr"),
        ("Hugo Bonnet", "hugo.bonnet@proton.me"), ("Emma Fontaine", "emma@fontaine-deco.fr"),
        ("Louis Rousseau", "louis.rousseau@gmx.fr"), ("Alice Mercier", "alice.mercier@outlook.fr"),
        ("Paul Blanc", "paul.blanc@blanc-chauffage.fr"), ("Inès Faure", "ines.faure@numericable.fr"),
    ],
    "en": [
        ("Bob Buyer", "bob@buyer.co.uk"), ("Alice Smith", "alice.smith@smith-builders.com"),
        ("John Carter", "john.carter@gmail.com"), ("Emily Clark", "emily@clark-design.co.uk"),
        ("Michael Brown", "m.brown@btinternet.com"), ("Olivia Wilson", "olivia.wilson@outlook.com"),
        ("James Taylor", "james@taylor-roofing.ie"), ("Sophie Evans", "sophie.evans@yahoo.co.uk"),
        ("David Hall", "david.hall@hallandsons.com"), ("Grace Lewis", "grace.lewis@proton.me"),
        ("Daniel Young", "dan.young@sky.com"), ("Chloe King", "chloe@king-interiors.com"),
        ("Harry Wright", "harry.wright@mail.com"), ("Lucy Green", "lucy.green@icloud.com"),
        ("Jack Baker", "jack@baker-joinery.co.uk"), ("Amelia Adams", "amelia.adams@hotmail.com"),
        ("Oscar Hill", "oscar.hill@virginmedia.com"), ("Mia Scott", "mia.scott@scottgroup.com"),
        ("Leo Turner", "leo.turner@zoho.com"), ("Ella Moore", "ella@moore-landscapes.co.uk"),
    ],
    "de": [
        ("Hans Müller", "hans.mueller@web.de"), ("Anna Schmidt", "anna.schmidt@gmx.de"),
        ("Peter Schneider", "p.schneider@t-online.de"), ("Julia Fischer", "julia@fischer-bau.de"),
        ("Stefan Wagner", "stefan.wagner@freenet.de"), ("Laura Becker", "laura.becker@gmail.com"),
        ("Michael Hoffmann", "m.hoffmann@hoffmann-gmbh.de"), ("Sarah Schulz", "sarah.schulz@outlook.de"),
        ("Thomas Koch", "thomas.koch@posteo.de"), ("Lena Richter", "lena@richter-dach.at"),
        ("Markus Klein", "markus.klein@yahoo.de"), ("Katrin Wolf", "katrin.wolf@mailbox.org"),
        ("Jürgen Schröder", "juergen@schroeder-elektro.de"), ("Nina Neumann", "nina.neumann@proton.me"),
        ("Felix Schwarz", "felix.schwarz@web.de"), ("Mia Zimmermann", "mia@zimmermann-holz.ch"),
        ("Jonas Braun", "jonas.braun@gmx.at"), ("Lea Krüger", "lea.krueger@icloud.com"),
        ("Tim Hartmann", "tim.hartmann@hartmann-ag.de"), ("Sophie Lange", "sophie.lange@t-online.de"),
    ],
}


def customer(lang: str, index: int) -> Person:
    name, email = _CUSTOMERS[lang][index % len(_CUSTOMERS[lang])]
    return Person(name, email)


REQUEST = {
    "nl": ("Offerte dakrenovatie", "Goedemiddag,\n\nKunnen jullie een offerte maken voor het vernieuwen van ons dak "
           "(ongeveer 120 m², pannen)? Liefst nog voor de zomer.\n\nMet vriendelijke groet,\n{name}\nTel. 0475 12 34 56"),
    "fr": ("Demande de devis toiture", "Bonjour,\n\nPourriez-vous nous envoyer un devis pour la rénovation de notre "
           "toiture (environ 120 m², tuiles) ?\n\nBien cordialement,\n{name}\nTél. 06 12 34 56 78"),
    "en": ("Quote for roof renovation", "Hello,\n\nCould you send us a quote for renewing our roof (about 120 m², "
           "tiles)? Ideally before the summer.\n\nKind regards,\n{name}\nPhone 07700 900123"),
    "de": ("Angebotsanfrage Dachsanierung", "Guten Tag,\n\nkönnten Sie uns ein Angebot für die Sanierung unseres "
           "Daches (ca. 120 m², Ziegel) schicken?\n\nMit freundlichen Grüßen\n{name}\nTel. 0171 1234567"),
}

# The forwarder's note above the forward, with the staff signature (its address is never the requester).
PREAMBLE = {
    "nl": "Kan iemand dit opvolgen?\n\nMet vriendelijke groeten,\n{name}\nFirma BV | {email} | +32 3 123 45 67\nwww.firma.be",
    "fr": "Pouvez-vous traiter cette demande ?\n\nCordialement,\n{name}\nFirma SA | {email} | +32 2 123 45 67",
    "en": "Can someone pick this up?\n\nBest regards,\n{name}\nFirma Ltd | {email} | +44 20 7946 0000",
    "de": "Bitte übernehmen.\n\nViele Grüße\n{name}\nFirma GmbH | {email} | +49 30 1234567",
}

LABELS = {
    "en": {"from": "From", "to": "To", "sent": "Sent", "date": "Date", "subject": "Subject", "cc": "Cc"},
    "nl": {"from": "Van", "to": "Aan", "sent": "Verzonden", "date": "Datum", "subject": "Onderwerp", "cc": "CC"},
    "fr": {"from": "De", "to": "À", "sent": "Envoyé", "date": "Date", "subject": "Objet", "cc": "Cc"},
    "de": {"from": "Von", "to": "An", "sent": "Gesendet", "date": "Datum", "subject": "Betreff", "cc": "Cc"},
}
LONG_DATE = {
    "en": "Monday, March 3, 2025 9:12 AM",
    "nl": "maandag 3 maart 2025 09:12",
    "fr": "lundi 3 mars 2025 09:12",
    "de": "Montag, 3. März 2025 09:12",
}
