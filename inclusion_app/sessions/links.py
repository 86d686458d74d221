"""Links of a help session to a resident, an appointment and a walk-in (issue 6).

- the resident must exist and be neither deleted nor merged (merged: link the one kept);
- a counsellor links only an appointment or walk-in of theirs, or one at a help point where they
  work (`HelpPoint.counsellors`) or of one of their structures;
- an appointment or walk-in is logged once: one already linked to another live (not deleted)
  session is refused on its field.
A link kept unchanged on update is not checked again (the appointment may have been moved since).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, HelpPoint, Resident, User, WalkIn
from inclusion_app.models.sessions import HelpSession
from inclusion_app.sessions.fields import Checker


def clean_links(check: Checker, values: Mapping[str, Any], by: User,
                previous: HelpSession | None) -> dict[str, Any]:
    """`resident_id`, `appointment_id`, `walk_in_id`, each checked when new or changed."""
    resident_id = check.identifier(values.get("resident_id"), "resident_id")
    if resident_id is not None and resident_id != (previous.resident_id if previous else None):
        resident = db.session.get(Resident, resident_id)
        if resident is None or resident.deleted_at is not None or resident.merged_into_id is not None:
            check.fail("resident_id", _("This resident does not exist (or was merged or deleted)."))
    appointment_id = check.identifier(values.get("appointment_id"), "appointment_id")
    if appointment_id is not None and appointment_id != (previous.appointment_id if previous else None):
        _check_appointment(check, appointment_id, by, previous)
    walk_in_id = check.identifier(values.get("walk_in_id"), "walk_in_id")
    if walk_in_id is not None and walk_in_id != (previous.walk_in_id if previous else None):
        _check_walk_in(check, walk_in_id, by, previous)
    return {"resident_id": resident_id, "appointment_id": appointment_id, "walk_in_id": walk_in_id}


def _check_appointment(check: Checker, appointment_id: int, by: User, previous: HelpSession | None) -> None:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not (appointment.counsellor_id == by.id or works_at(by, appointment.help_point)):
        check.fail("appointment_id", _("This appointment does not exist or is not yours."))
    elif _already_logged(HelpSession.appointment_id, appointment_id, previous):
        check.fail("appointment_id", _("A session is already logged for this appointment."))


def _check_walk_in(check: Checker, walk_in_id: int, by: User, previous: HelpSession | None) -> None:
    walk_in = db.session.get(WalkIn, walk_in_id)
    if walk_in is None or not (walk_in.counsellor_id == by.id or works_at(by, walk_in.help_point)):
        check.fail("walk_in_id", _("This walk-in does not exist or is not at your help points."))
    elif _already_logged(HelpSession.walk_in_id, walk_in_id, previous):
        check.fail("walk_in_id", _("A session is already logged for this walk-in."))


def works_at(user: User, point: HelpPoint | None) -> bool:
    """True when `user` is one of the help point's counsellors or belongs to its structure."""
    if point is None:
        return False
    if point.structure_id is not None and point.structure_id in {structure.id for structure in user.structures}:
        return True
    return any(counsellor.id == user.id for counsellor in point.counsellors)


def _already_logged(column: Any, value: int, previous: HelpSession | None) -> bool:
    query = sa.select(HelpSession.id).where(column == value, HelpSession.deleted_at.is_(None))
    if previous is not None:
        query = query.where(HelpSession.id != previous.id)
    return db.session.scalar(query.limit(1)) is not None
