"""Sample renderings of the SMS templates for the admin's "Message templates" page.

Each kind × language (`LANGUAGES`) × mode is rendered for a worst case: the help point of the
database with the longest name and address (or `SAMPLE_PLACE` when there is none), on a date whose
day and month names are long, so that the page shows the longest SMS a resident may receive. The
templates themselves live in the translation catalogs (`texts.py`), not in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from flask import current_app

from inclusion_app.extensions import db
from inclusion_app.messaging.gsm import Encoding, gsm7_transliterate, sms_encoding
from inclusion_app.messaging.texts import KINDS, render
from inclusion_app.models import Appointment, HelpPoint, Resident
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.slots import local_zone

#: A worst-case place when the database has none: long name and address, non-GSM characters.
SAMPLE_PLACE = {
    "nom": "Maison départementale des solidarités – Espace France services « Cœur de ville » des Côteaux",
    "adresse": "Bâtiment Ç, 12 bis chemin de la Forêt domaniale de Moulière (accès par l’hôtel-Dieu)",
    "commune": "Saint-Georges-lès-Baillargeaux",
    "telephone": "+33549000000",
}
SAMPLE_RESIDENT_PHONE = "+33612345678"


@dataclass(frozen=True)
class Sample:
    """One rendered SMS with its counts (`Encoding`): kind, language, mode ("on_site" / "phone")."""

    kind: str
    language: str
    mode: str
    text: str
    counts: Encoding


@dataclass(frozen=True)
class Check:
    """A pasted text's counts, and the text transliterated to GSM-7 with its own counts."""

    text: str
    counts: Encoding
    suggestion: str
    suggestion_counts: Encoding


def longest_help_point() -> HelpPoint:
    """The help point whose name + address + town is longest (one query), or `SAMPLE_PLACE`
    (not saved) when there is none."""
    length = sa.func.length(HelpPoint.nom) + sa.func.length(sa.func.coalesce(HelpPoint.adresse, "")) \
        + sa.func.length(sa.func.coalesce(HelpPoint.commune, ""))
    found = db.session.scalar(sa.select(HelpPoint).order_by(length.desc(), HelpPoint.id).limit(1))
    return found if found is not None else HelpPoint(**SAMPLE_PLACE)


def samples(place: HelpPoint) -> list[Sample]:
    """Every kind × language × mode rendered for `place`, on a long date (a Wednesday 30 September,
    moved from a Saturday 28 February for a change)."""
    start, previous = _long_dates()
    resident = Resident(first_name="", last_name="", phone=SAMPLE_RESIDENT_PHONE, phone_is_mobile=True)
    rows = []
    for mode in ("on_site", "phone"):
        appointment = Appointment(mode=mode, starts_at=start, help_point=place if mode == "on_site" else None,
                                  resident=resident)
        for language in current_app.config["LANGUAGES"]:
            for kind in KINDS:
                text = render(kind, appointment, "sms", language, previous_start=previous).body
                rows.append(Sample(kind, language, mode, text, sms_encoding(text)))
    return rows


def check_text(text: str) -> Check:
    """The counts of a pasted `text`, and of its GSM-7 transliteration."""
    suggestion = gsm7_transliterate(text)
    return Check(text, sms_encoding(text), suggestion, sms_encoding(suggestion))


def _long_dates() -> tuple[datetime, datetime]:
    zone = local_zone()
    year = utcnow().astimezone(zone).year + 1
    day = next(date(y, 9, 30) for y in range(year, year + 12) if date(y, 9, 30).weekday() == 2)
    earlier = next(date(y, 2, 28) for y in range(year, year + 12) if date(y, 2, 28).weekday() == 5)
    return datetime.combine(day, time(14, 30), zone), datetime.combine(earlier, time(10, 45), zone)
