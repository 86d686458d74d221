"""Synthetic load data for benchmarks (`flask generate-synthetic --scale city|national`).

City scale (DESIGN.md section 7): 24 districts, 60 help points, 80 staff, 50,000 residents,
300,000 appointments over three years. The data is made with a seeded random generator and bulk
inserts (SQLAlchemy Core), so that a run takes minutes, not hours; it goes through the same
database constraints as the app (no double booking). Help sessions, their unmet rights, walk-ins
and messages come from `synthetic_activity`. Districts are the Grand Poitiers demo districts, with synthetic
populations of unequal size; everything else is invented. Residents get valid-looking numbers (07 81… for
mobiles, 05 49… for landlines: `phonenumbers` refuses the ranges kept for fiction) and e-mail
addresses in the reserved `.invalid` domain: never send anything to a synthetic resident.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from shapely.geometry import Point, shape

from inclusion_app.auth.services import hash_password
from inclusion_app.extensions import db
from inclusion_app.models import Appointment, AvailabilityRule, District, HelpPoint, Resident, User
from inclusion_app.reports import facts
from inclusion_app.synthetic_activity import Context, flush_batch, generate_activity
from inclusion_app.territory.services import DEMO_DISTRICTS, import_districts, read_feature_collection
from inclusion_app.text import fold
from inclusion_app.vocabularies import PROCEDURES


@dataclass(frozen=True)
class Scale:
    """Sizes of a synthetic data set."""

    help_points: int
    counsellors: int
    phone_agents: int
    managers: int
    admins: int
    residents: int
    appointments: int
    help_sessions: int
    messages: int
    walk_ins: int
    years: int = 3


SCALES = {
    "city": Scale(help_points=60, counsellors=62, phone_agents=10, managers=5, admins=3, residents=50_000,
                  appointments=300_000, help_sessions=500_000, messages=600_000, walk_ins=60_000),
    "national": Scale(help_points=600, counsellors=620, phone_agents=100, managers=50, admins=30,
                      residents=500_000, appointments=3_000_000, help_sessions=5_000_000, messages=6_000_000,
                      walk_ins=600_000),
}
FIRST_NAMES = ("Camille", "Nadia", "Louis", "Fatou", "Hugo", "Inès", "Jean", "Aïcha", "Marie", "Karim", "Léa",
               "Mohamed", "Chloé", "Pierre", "Yasmine", "Paul", "Zoé", "Ali", "Manon", "Luc")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
              "Simon", "Laurent", "Lefèvre", "Michel", "García", "Benali", "Nguyen", "Diallo", "Roux", "Fournier")
BATCH = 5_000
SYNTHETIC_DOMAIN = "synthetic.invalid"
Progress = Callable[[str, int, int], None]


def generate(scale_name: str, seed: int = 86, progress: Progress | None = None) -> dict[str, int]:
    """Add a synthetic data set of `scale_name` to the database and commit it in batches.

    Returns the counts inserted. Raises ValueError for an unknown scale, or when synthetic data
    is already there (run it on an empty database).
    """
    if scale_name not in SCALES:
        raise ValueError(f"unknown scale {scale_name!r}: expected one of {', '.join(SCALES)}")
    if db.session.scalar(sa.select(User.id).where(User.email.like(f"%@{SYNTHETIC_DOMAIN}")).limit(1)):
        raise ValueError("synthetic data is already in this database: use an empty database")
    scale, report = SCALES[scale_name], progress or (lambda *args: None)
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    districts = _districts(rng)
    help_points = _help_points(scale, rng, districts)
    counsellors = _staff(scale)
    rules = _rules(rng, counsellors, help_points)
    residents = _residents(scale, rng, districts, report)
    appointments = _appointments(scale, rng, rules, residents, report)
    last_day = _today()
    context = Context(rng, counsellors, last_day - timedelta(days=365 * scale.years), last_day)
    activity = generate_activity(context, scale.help_sessions, scale.messages, scale.walk_ins, report)
    report("report counts", 0, 1)
    facts.rebuild_all()  # bulk inserts bypass the listener that marks days to recompute
    db.session.commit()
    report("report counts", 1, 1)
    return {"districts": len(districts), "help_points": len(help_points), "staff": _staff_total(scale),
            "availability_rules": len(rules), "residents": len(residents), "appointments": appointments, **activity}


def _staff_total(scale: Scale) -> int:
    return scale.counsellors + scale.phone_agents + scale.managers + scale.admins


def _districts(rng: random.Random) -> list[District]:
    """The demo districts, each given a population (unequal need: a few large quartiers)."""
    import_districts(read_feature_collection(DEMO_DISTRICTS))
    districts = list(db.session.scalars(sa.select(District).order_by(District.id)))
    for district in districts:
        district.population = district.population or rng.choice((1_800, 3_500, 6_000, 9_000, 14_000))
    db.session.commit()
    return districts


def _random_point(rng: random.Random, geometry: Any) -> Point:
    minx, miny, maxx, maxy = geometry.bounds
    for _ in range(1_000):
        point = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if geometry.contains(point):
            return point
    return geometry.representative_point()


def _help_points(scale: Scale, rng: random.Random, districts: list[District]) -> list[int]:
    shapes = [(district, shape(json.loads(district.geometry))) for district in districts]
    rows = []
    for number in range(scale.help_points):
        district, geometry = shapes[number % len(shapes)]
        point = _random_point(rng, geometry)
        rows.append({
            "lieu_id": f"synthetic-{number:05d}", "pivot": "00000000000000",
            "nom": f"Espace numérique {district.name} {number}", "commune": district.commune or district.name,
            "code_postal": "86000", "code_insee": district.code_insee, "adresse": f"{number + 1} rue de la Synthèse",
            "latitude": round(point.y, 6), "longitude": round(point.x, 6), "date_maj": date(2026, 1, 1),
            "horaires": "Mo-Fr 09:00-12:00,14:00-17:00; PH off", "district_id": district.id,
            "services": ["Aide aux démarches administratives"], "prise_en_charge_specifique":
                rng.sample(["Surdité", "Handicaps moteurs", "Déficience visuelle", "Langues étrangères (anglais)"],
                           rng.randint(0, 2)),
            "typologie": [], "courriels": [], "site_web": [], "itinerance": [], "publics_specifiquement_adresses": [],
            "frais_a_charge": ["Gratuit"], "dispositif_programmes_nationaux": [], "formations_labels": [],
            "modalites_acces": [], "modalites_accompagnement": [],
        })
    db.session.execute(sa.insert(HelpPoint), rows)
    db.session.commit()
    return list(db.session.scalars(sa.select(HelpPoint.id).where(HelpPoint.lieu_id.like("synthetic-%"))))


def _staff(scale: Scale) -> list[int]:
    """Insert the staff (one shared password hash: they never log in); return the counsellors' ids."""
    password = hash_password("synthetic-staff-password")
    roles = (["counsellor"] * scale.counsellors + ["phone_agent"] * scale.phone_agents
             + ["manager"] * scale.managers + ["admin"] * scale.admins)
    rows = [{"email": f"{role}{number}@{SYNTHETIC_DOMAIN}", "name": f"{role.replace('_', ' ').title()} {number}",
             "role": role, "password_hash": password, "is_active": True}
            for number, role in enumerate(roles)]
    db.session.execute(sa.insert(User), rows)
    db.session.commit()
    query = sa.select(User.id).where(User.role == "counsellor", User.email.like(f"%@{SYNTHETIC_DOMAIN}"))
    return list(db.session.scalars(query.order_by(User.id)))


@dataclass(frozen=True)
class _RuleRow:
    counsellor_id: int
    help_point_id: int | None
    weekday: int
    start: time
    end: time
    minutes: int


def _rules(rng: random.Random, counsellors: list[int], help_points: list[int]) -> list[_RuleRow]:
    """Five half-days a week per counsellor: four on site at one or two help points, one by phone."""
    rules = []
    for index, counsellor_id in enumerate(counsellors):
        places = [help_points[index % len(help_points)], help_points[(index * 7 + 3) % len(help_points)]]
        for weekday in range(5):
            morning = rng.random() < 0.6
            start, end = (time(9), time(12, 30)) if morning else (time(13, 30), time(17))
            place = None if weekday == index % 5 else places[weekday % 2]
            rules.append(_RuleRow(counsellor_id, place, weekday, start, end, 30))
    valid_from = _today() - timedelta(days=365 * 3 + 7)
    db.session.execute(sa.insert(AvailabilityRule), [
        {"counsellor_id": rule.counsellor_id, "help_point_id": rule.help_point_id,
         "mode": "on_site" if rule.help_point_id else "phone", "weekday": rule.weekday, "start_time": rule.start,
         "end_time": rule.end, "slot_minutes": rule.minutes, "valid_from": valid_from, "procedures": []}
        for rule in rules])
    db.session.commit()
    return rules


def _today() -> date:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _residents(scale: Scale, rng: random.Random, districts: list[District], report: Progress) -> list[int]:
    weights = [district.population or 1 for district in districts]
    for start in range(0, scale.residents, BATCH):
        rows = [_resident_row(number, rng, rng.choices(districts, weights)[0].id)
                for number in range(start, min(start + BATCH, scale.residents))]
        db.session.execute(sa.insert(Resident), rows)
        db.session.commit()
        report("residents", min(start + BATCH, scale.residents), scale.residents)
    query = sa.select(Resident.id).where(Resident.email.like(f"%@{SYNTHETIC_DOMAIN}")).order_by(Resident.id)
    return list(db.session.scalars(query))


def _resident_row(number: int, rng: random.Random, district_id: int) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    has_mobile = rng.random() < 0.75
    channel = "sms" if has_mobile and rng.random() < 0.8 else "email" if rng.random() < 0.3 else "none"
    return {"first_name": first, "last_name": last, "search_name": fold(f"{first} {last}"),
            "phone": f"+33781{number:06d}" if has_mobile else f"+33549{number:06d}", "phone_is_mobile": has_mobile,
            "email": f"resident{number}@{SYNTHETIC_DOMAIN}", "language": "fr", "reminder_channel": channel,
            "sms_consent": channel == "sms", "district_id": district_id, "notes": ""}


def _slot_starts(rule: _RuleRow, first_day: date, last_day: date, zone: ZoneInfo) -> Iterator[datetime]:
    day = first_day + timedelta(days=(rule.weekday - first_day.weekday()) % 7)
    while day <= last_day:
        moment = datetime.combine(day, rule.start, zone)
        end = datetime.combine(day, rule.end, zone)
        while moment + timedelta(minutes=rule.minutes) <= end:
            yield moment.astimezone(UTC)
            moment += timedelta(minutes=rule.minutes)
        day += timedelta(days=7)


def _appointments(scale: Scale, rng: random.Random, rules: list[_RuleRow], residents: list[int],
                  report: Progress) -> int:
    """Book a share of every rule's slots over the years (seasonal: fewer in August), no overlaps."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    last_day = _today() + timedelta(days=30)
    first_day = last_day - timedelta(days=365 * scale.years)
    slots = [(start, rule) for rule in rules for start in _slot_starts(rule, first_day, last_day, zone)]
    rng.shuffle(slots)
    taken: set[tuple[int, datetime]] = set()
    rows: list[dict[str, Any]] = []
    inserted = 0
    for start, rule in slots:
        if inserted + len(rows) >= scale.appointments:
            break
        if start.month == 8 and rng.random() < 0.5:
            continue
        row = _appointment_row(rng, start, rule, residents, taken)
        if row is not None:
            rows.append(row)
        if len(rows) == BATCH:
            inserted += flush_batch(Appointment, "appointments", rows, report, scale.appointments, inserted)
    if rows:
        inserted += flush_batch(Appointment, "appointments", rows, report, scale.appointments, inserted)
    return inserted


def _appointment_row(rng: random.Random, start: datetime, rule: _RuleRow, residents: list[int],
                     taken: set[tuple[int, datetime]]) -> dict[str, Any] | None:
    resident_id = rng.choice(residents)
    if (resident_id, start) in taken:
        return None
    taken.add((resident_id, start))
    now = datetime.now(UTC)
    past = start < now
    status = rng.choices(("attended", "no_show", "cancelled_by_resident", "cancelled_by_service"),
                         (78, 10, 9, 3))[0] if past else "booked"
    booked_at = start - timedelta(days=rng.randint(1, 30))
    return {"resident_id": resident_id, "counsellor_id": rule.counsellor_id, "help_point_id": rule.help_point_id,
            "mode": "on_site" if rule.help_point_id else "phone", "starts_at": start,
            "ends_at": start + timedelta(minutes=rule.minutes), "status": status,
            "procedure": rng.choice(list(PROCEDURES)), "needs": [], "notes": "", "booked_at": booked_at,
            "first_offered_at": booked_at + timedelta(days=rng.choice((1, 2, 3, 5, 8, 13))),
            "status_changed_at": start if past else None}
