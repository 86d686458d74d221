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
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, HelpPoint, Resident, User, WalkIn
from inclusion_app.models.sessions import HelpSession
from inclusion_app.sessions.fields import Checker

# The appointment or walk-in a session is logged for: its model, and the messages of a bad link.
LINKS: dict[str, tuple[type[Appointment] | type[WalkIn], Any]] = {
    "appointment_id": (Appointment, _l("This appointment does not exist or is not yours.")),
    "walk_in_id": (WalkIn, _l("This walk-in does not exist or is not at your help points.")),
}
ALREADY_LOGGED = {"appointment_id": _l("A session is already logged for this appointment."),
                  "walk_in_id": _l("A session is already logged for this walk-in.")}


def clean_links(check: Checker, values: Mapping[str, Any], by: User,
                previous: HelpSession | None) -> dict[str, Any]:
    """`resident_id`, `appointment_id`, `walk_in_id`, each checked when new or changed."""
    resident_id = check.identifier(values.get("resident_id"), "resident_id")
    if resident_id is not None and resident_id != (previous.resident_id if previous else None):
        resident = db.session.get(Resident, resident_id)
        if resident is None or resident.deleted_at is not None or resident.merged_into_id is not None:
            check.fail("resident_id", _("This resident does not exist (or was merged or deleted)."))
    links = {field: check.identifier(values.get(field), field) for field in LINKS}
    for field, value in links.items():
        if value is not None and value != (getattr(previous, field) if previous else None):
            _check_link(check, field, value, by, previous)
    return {"resident_id": resident_id, **links}


def _check_link(check: Checker, field: str, value: int, by: User, previous: HelpSession | None) -> None:
    model, not_yours = LINKS[field]
    row = cast(Appointment | WalkIn | None, db.session.get(model, value))
    if row is None or not (row.counsellor_id == by.id or works_at(by, row.help_point)):
        check.fail(field, str(not_yours))
    elif already_logged(field, value, previous):
        check.fail(field, str(ALREADY_LOGGED[field]))


def works_at(user: User, point: HelpPoint | None) -> bool:
    """True when `user` is one of the help point's counsellors or belongs to its structure."""
    if point is None:
        return False
    if point.structure_id is not None and point.structure_id in {structure.id for structure in user.structures}:
        return True
    return any(counsellor.id == user.id for counsellor in point.counsellors)


def already_logged(field: str, value: int, previous: HelpSession | None) -> bool:
    """True when a live session other than `previous` is logged for this appointment or walk-in
    (`field` is `appointment_id` or `walk_in_id`)."""
    query = sa.select(HelpSession.id).where(getattr(HelpSession, field) == value, HelpSession.deleted_at.is_(None))
    if previous is not None:
        query = query.where(HelpSession.id != previous.id)
    return db.session.scalar(query.limit(1)) is not None
