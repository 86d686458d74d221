"""Factories for help sessions and unmet rights (they flush; the test commits when it needs to)."""

from __future__ import annotations

from datetime import date
from typing import Any

from inclusion_app.extensions import db
from inclusion_app.models import User
from inclusion_app.models.sessions import HelpSession, UnmetRight


def help_session(counsellor: User, **fields: Any) -> HelpSession:
    """A valid individual session of 30 minutes, remote, theme email, dated `date` (default today);
    any column can be given. `structure_id` defaults to the counsellor's first structure."""
    values: dict[str, Any] = {
        "counsellor_id": counsellor.id,
        "structure_id": counsellor.structures[0].id if counsellor.structures else None,
        "date": date.today(), "duration_minutes": 30, "type": "individuel", "place_type": "a_distance",
        "themes": ["email"], "procedures": [], "equipment": [],
    }
    values.update(fields)
    row = HelpSession(**values)
    db.session.add(row)
    db.session.flush()
    return row


def unmet_right(session: HelpSession, **fields: Any) -> UnmetRight:
    """An unmet right (RSA, not known, lack of information, detected) on `session`."""
    values: dict[str, Any] = {"session_id": session.id, "right": "rsa", "form": "non_connaissance",
                              "reason": "manque_information", "outcome": "repere",
                              "detected_on": session.date}
    values.update(fields)
    row = UnmetRight(**values)
    db.session.add(row)
    db.session.flush()
    db.session.refresh(session)
    return row
