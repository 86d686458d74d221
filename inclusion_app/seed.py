"""Demo data for Grand Poitiers (`flask seed-demo`): idempotent, flush only."""

from __future__ import annotations

import secrets
from datetime import date, time, timedelta

import sqlalchemy as sa

from inclusion_app.auth.services import create_user, hash_password
from inclusion_app.extensions import db
from inclusion_app.lieux.importer import import_lieux
from inclusion_app.models import AvailabilityRule, HelpPoint, User
from inclusion_app.territory.services import DEMO_DATA, DEMO_DISTRICTS, import_districts, read_feature_collection

#: The real help points of the Vienne (86), see demo_data/lieux/SOURCE.md; imported in this order.
DEMO_LIEUX = (
    DEMO_DATA / "lieux" / "vienne-lieux-cartographie-2022.json",
    DEMO_DATA / "lieux" / "vienne-france-services-2022-12.csv",
)

# (role, email, name, structures, development password)
DEMO_USERS: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("counsellor", "conseiller@demo.inclusion.test", "Camille Martin",
     ("Médiathèque François-Mitterrand", "Centre social des Trois-Cités"), "demo-conseiller"),
    ("phone_agent", "accueil@demo.inclusion.test", "Sami Benali",
     ("Ville de Poitiers – ligne d'accueil téléphonique",), "demo-telephone"),
    ("counsellor", "conseiller2@demo.inclusion.test", "Yanis Petit",
     ("France services des 3 Cités",), "demo-conseiller"),
    ("counsellor", "conseiller3@demo.inclusion.test", "Léa Bernard",
     ("France services Pimms Médiation Poitiers",), "demo-conseiller"),
    ("manager", "responsable@demo.inclusion.test", "Hélène Dubois",
     ("Ville de Poitiers – service inclusion numérique",), "demo-responsable"),
    ("admin", "admin@demo.inclusion.test", "Alex Moreau", ("Ville de Poitiers – DSI",), "demo-administrateur"),
)


def seed_demo(demo_passwords: bool) -> list[tuple[str, str, str]]:
    """Load the districts and the real Vienne help points, create the missing demo accounts.

    Returns (role, email, password) rows.

    With `demo_passwords` (development only) the accounts get the fixed passwords above, reset on
    every run so that `make run` always prints working logins; otherwise new accounts get random
    passwords, printed once, and existing accounts are left alone.
    """
    import_districts(read_feature_collection(DEMO_DISTRICTS))
    for path in DEMO_LIEUX:
        import_lieux(path, "auto", path.name)
    credentials = []
    for role, email, name, structures, dev_password in DEMO_USERS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            password = dev_password if demo_passwords else secrets.token_urlsafe(12)
            create_user(email, name, role, password, structures)
            credentials.append((role, email, password))
        elif demo_passwords:
            user.password_hash = hash_password(dev_password)
            credentials.append((role, email, dev_password))
    db.session.flush()
    seed_availability()
    return credentials


# (counsellor email, help point lieu_id or None for phone, weekdays, start, end, slot minutes).
# Real help points of Poitiers (demo_data/lieux); 0 = Monday.
DEMO_AVAILABILITY: tuple[tuple[str, str | None, tuple[int, ...], str, str, int], ...] = (
    ("conseiller@demo.inclusion.test", "62ac940f8255a806e299db5c", (0, 2), "09:00", "12:00", 30),
    ("conseiller@demo.inclusion.test", "62ac8c1f8255a806e299da29", (3,), "14:00", "17:00", 45),
    ("conseiller@demo.inclusion.test", None, (1,), "14:00", "17:00", 30),
    ("conseiller2@demo.inclusion.test", "france-services-2103", (0, 1, 2, 3, 4), "09:30", "12:00", 30),
    ("conseiller2@demo.inclusion.test", None, (4,), "14:00", "16:30", 30),
    ("conseiller3@demo.inclusion.test", "france-services-507", (1, 3), "09:30", "12:30", 30),
    ("conseiller3@demo.inclusion.test", "62ac8c1f8255a806e299da29", (3,), "14:00", "17:00", 45),
    ("conseiller3@demo.inclusion.test", None, (0, 2), "14:00", "17:00", 30),
)


def seed_availability(today: date | None = None) -> None:
    """Weekly availability of the demo counsellors, on site and by phone, from a week ago on.

    Idempotent: a counsellor who already has rules keeps them.
    """
    valid_from = (today or date.today()) - timedelta(days=7)
    for email, lieu_id, weekdays, start, end, minutes in DEMO_AVAILABILITY:
        counsellor = db.session.scalar(sa.select(User).where(User.email == email))
        if counsellor is None or _has_rules(counsellor, lieu_id, weekdays[0]):
            continue
        help_point = db.session.scalar(sa.select(HelpPoint).where(HelpPoint.lieu_id == lieu_id)) if lieu_id else None
        if lieu_id and help_point is None:
            continue
        for weekday in weekdays:
            db.session.add(AvailabilityRule(
                counsellor_id=counsellor.id, mode="on_site" if help_point else "phone",
                help_point_id=help_point.id if help_point else None, weekday=weekday,
                start_time=time.fromisoformat(start), end_time=time.fromisoformat(end),
                slot_minutes=minutes, valid_from=valid_from,
            ))
        if help_point is not None and counsellor not in help_point.counsellors:
            help_point.counsellors.append(counsellor)
    db.session.flush()


def _has_rules(counsellor: User, lieu_id: str | None, weekday: int) -> bool:
    query = sa.select(AvailabilityRule.id).join(HelpPoint, isouter=True).where(
        AvailabilityRule.counsellor_id == counsellor.id, AvailabilityRule.weekday == weekday,
        HelpPoint.lieu_id == lieu_id if lieu_id else AvailabilityRule.help_point_id.is_(None))
    return db.session.scalar(query.limit(1)) is not None
