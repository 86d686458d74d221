"""Factories for rows used in tests (they flush; the test commits when it needs to)."""

from __future__ import annotations

import itertools
import json
from datetime import date
from typing import Any

from inclusion_app.auth.services import create_user
from inclusion_app.extensions import db
from inclusion_app.models import District, HelpPoint, User

PASSWORD = "correct horse battery"
_counter = itertools.count(1)

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[0.30, 46.55], [0.40, 46.55], [0.40, 46.60], [0.30, 46.60], [0.30, 46.55]]],
}


def user(role: str = "counsellor", **fields: Any) -> User:
    """A staff account with the test password; `structures` is a list of names."""
    number = next(_counter)
    return create_user(
        email=fields.get("email", f"{role}{number}@example.org"),
        name=fields.get("name", f"{role.title()} {number}"),
        role=role,
        password=fields.get("password", PASSWORD),
        structures=fields.get("structures", ()),
    )


def district(**fields: Any) -> District:
    """A district with a square polygon around Poitiers."""
    number = next(_counter)
    row = District(
        name=fields.get("name", f"District {number}"),
        kind=fields.get("kind", "quartier"),
        code_insee=fields.get("code_insee", "86194"),
        population=fields.get("population"),
        geometry=json.dumps(fields.get("geometry", SQUARE)),
    )
    db.session.add(row)
    db.session.flush()
    return row


def help_point(**fields: Any) -> HelpPoint:
    """An active help point in Poitiers (inside SQUARE), with valid opening hours."""
    number = next(_counter)
    values: dict[str, Any] = {
        "lieu_id": f"test-{number}",
        "nom": f"Médiathèque {number}",
        "commune": "Poitiers",
        "code_postal": "86000",
        "code_insee": "86194",
        "adresse": f"{number} rue de la Paix",
        "latitude": 46.58,
        "longitude": 0.34,
        "horaires": "Mo-Fr 09:00-12:00,14:00-17:00; PH off",
        "date_maj": date(2026, 11, 1),
        "services": ["Aide aux démarches administratives"],
        "typologie": ["BIB"],
    }
    values.update(fields)
    row = HelpPoint(**values)
    db.session.add(row)
    db.session.flush()
    return row
