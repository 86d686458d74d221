"""What a resident should bring to an appointment, by procedure category (printed on the slip).

Keys are the 11 procedure categories of La Coop de la médiation numérique and Aidants Connect
(`vocabularies.PROCEDURES`, DESIGN.md section 4). The lists are generic on purpose: they name the
papers that the online procedures of each category usually ask for, as listed by the French
administration's own guides (service-public.fr: "Pièces justificatives", ANTS, CAF, Assurance
maladie, impots.gouv.fr, France Travail, ANEF), so that a resident does not come back twice for a
missing paper. Every slip also lists `ALWAYS_BRING` (an identity document and the login details
of the online accounts, when the resident has them), whatever the category, or alone when the
category is not known yet.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

#: Printed on every slip, first.
ALWAYS_BRING: tuple[LazyString, ...] = (
    _l("An identity document (identity card, passport or residence permit)"),
    _l("Your login details (username and password) for your online accounts, if you have them"),
    _l("Your mobile phone, if you have one (to receive confirmation codes)"),
    _l("The letters or emails you received about this procedure"),
)

#: Procedure category code -> what to bring in addition to `ALWAYS_BRING`. Every category has a list.
DOCUMENTS_TO_BRING: dict[str, tuple[LazyString, ...]] = {
    "papiers_elections_citoyennete": (
        _l("A proof of address less than a year old (energy or phone bill, rent receipt)"),
        _l("Your former identity document, if you are renewing it"),
        _l("An identity photo, or its digital photo code (ANTS)"),
        _l("A tax stamp (timbre fiscal), when the procedure requires one"),
    ),
    "famille_scolarite": (
        _l("Your family record book (livret de famille)"),
        _l("Your CAF claimant number (numéro d'allocataire)"),
        _l("Your children's school or nursery certificates, if you have them"),
        _l("Your latest income tax notice (avis d'imposition)"),
    ),
    "social_sante": (
        _l("Your carte Vitale"),
        _l("Your CAF certificate or claimant number (attestation CAF)"),
        _l("Your health insurance certificate (attestation de droits), if you have one"),
        _l("Your latest proofs of income (payslips, benefit statements)"),
        _l("Your bank details (RIB)"),
    ),
    "travail_formation": (
        _l("Your France Travail identifier, if you have one"),
        _l("Your CV, on paper or on a USB stick"),
        _l("Your diplomas, training certificates or employer certificates"),
        _l("Your bank details (RIB)"),
    ),
    "logement": (
        _l("Your lease or your housing application number (numéro unique)"),
        _l("Your latest rent receipt"),
        _l("Your CAF claimant number (numéro d'allocataire)"),
        _l("Your latest income tax notice (avis d'imposition)"),
        _l("Your bank details (RIB)"),
    ),
    "transports_mobilite": (
        _l("Your driving licence, if you have one"),
        _l("Your vehicle registration certificate (carte grise), for a vehicle procedure"),
        _l("A proof of address less than a year old (energy or phone bill, rent receipt)"),
        _l("Your travel card or fine notice, if the procedure is about it"),
    ),
    "argent_impots": (
        _l("Your latest income tax notice (avis d'imposition)"),
        _l("Your tax number (numéro fiscal, on the tax notice)"),
        _l("Your proofs of income for the year (payslips, pension or benefit statements)"),
        _l("Your bank details (RIB)"),
    ),
    "justice": (
        _l("The court letters or decisions you received, with their file number"),
        _l("Your latest proofs of income (for legal aid)"),
        _l("Your latest income tax notice (avis d'imposition)"),
    ),
    "etrangers_europe": (
        _l("Your residence permit or its receipt (récépissé), and your passport"),
        _l("Your foreigner number (numéro étranger), if you have one"),
        _l("A proof of address less than a year old (energy or phone bill, rent receipt)"),
        _l("An identity photo, or its digital photo code"),
        _l("A tax stamp (timbre fiscal), when the procedure requires one"),
    ),
    "loisirs_sports_culture": (
        _l("A proof of address less than a year old (energy or phone bill, rent receipt)"),
        _l("Your CAF family quotient (quotient familial), for reduced prices"),
        _l("A medical certificate, for a sports registration"),
    ),
    "associations": (
        _l("The association's statutes"),
        _l("The association's RNA or SIRET number"),
        _l("The list of the association's officers and their addresses"),
        _l("The minutes of the last general meeting"),
    ),
}


def documents_to_bring(procedure: str | None) -> list[str]:
    """What to bring for `procedure` (a category code, or None when unknown): `ALWAYS_BRING`
    then the category's own list, as text in the current language; unknown codes get the common list."""
    return [str(item) for item in (*ALWAYS_BRING, *DOCUMENTS_TO_BRING.get(procedure or "", ()))]
