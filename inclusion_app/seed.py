"""Demo data for Grand Poitiers (`flask seed-demo`): idempotent, flush only."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from inclusion_app.auth.services import create_user, hash_password
from inclusion_app.extensions import db
from inclusion_app.lieux.importer import import_lieux
from inclusion_app.models import User
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
    return credentials
