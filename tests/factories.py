"""Factories for rows used in tests (they flush; the test commits when it needs to)."""

from __future__ import annotations

import itertools
import json
from typing import Any

from inclusion_app.auth.services import create_user
from inclusion_app.extensions import db
from inclusion_app.models import District, User

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
