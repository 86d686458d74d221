"""The walk-in desk (accueil sans rendez-vous, issue 4): today's queue at a help point. Services flush.

Life of a walk-in (`models.scheduling.WalkIn`): `waiting` → `called` (by a counsellor) → `served`;
`waiting` or `called` → `left`. Every change is one conditional UPDATE (`… WHERE status IN (…)`),
so that two counsellors pressing "call next" at once never call the same person, on SQLite and
PostgreSQL alike: the loser's update matches no row and it takes the next person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import joinedload

from inclusion_app.extensions import db
from inclusion_app.models import HelpPoint, Resident, User, WalkIn, help_point_counsellors
from inclusion_app.residents.services import get_visible, search_query
from inclusion_app.scheduling.agenda import day_bounds, local_date
from inclusion_app.vocabularies import PROCEDURES

#: action -> (statuses it may start from, the timestamp it sets)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "called": (("waiting",), "called_at"),
    "served": (("called",), "served_at"),
    "left": (("waiting", "called"), "left_at"),
}
SEARCH_LIMIT = 10
CALL_NEXT_ATTEMPTS = 5


class WalkInError(ValueError):
    """A refused walk-in: `fields` maps a field (`display_name`, `resident_id`, `procedure`, `notes`,
    `status`) to a message for the user."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in fields.items()))
        self.fields = fields


def counsellor_help_points(user_id: int) -> list[HelpPoint]:
    """The active help points where a counsellor works (`HelpPoint.counsellors`), by name."""
    query = (sa.select(HelpPoint).join(help_point_counsellors)
             .where(help_point_counsellors.c.user_id == user_id, HelpPoint.is_active)
             .order_by(HelpPoint.nom, HelpPoint.id))
    return list(db.session.scalars(query))


def find_help_points(text: str) -> list[HelpPoint]:
    """Up to 10 active help points whose name or commune contains `text` (case ignored), by name."""
    pattern = text.strip().lower()
    if len(pattern) < 2:
        return []
    query = (sa.select(HelpPoint)
             .where(HelpPoint.is_active, sa.or_(sa.func.lower(HelpPoint.nom).contains(pattern, autoescape=True),
                                                sa.func.lower(HelpPoint.commune).contains(pattern, autoescape=True)))
             .order_by(HelpPoint.nom, HelpPoint.id).limit(SEARCH_LIMIT))
    return list(db.session.scalars(query))


def find_residents(text: str) -> list[Resident]:
    """Up to 10 registered residents matching a phone (any writing) or a name; [] under 2 characters."""
    if len(text.strip()) < 2:
        return []
    return list(db.session.scalars(search_query(text).limit(SEARCH_LIMIT)))


def queue(help_point_id: int, at: datetime) -> list[WalkIn]:
    """The walk-ins who arrived at a help point on the local day of `at`, by arrival, with their
    residents and counsellors loaded."""
    start, end = day_bounds(local_date(at))
    query = (sa.select(WalkIn)
             .options(joinedload(WalkIn.resident), joinedload(WalkIn.counsellor))
             .where(WalkIn.help_point_id == help_point_id, WalkIn.arrived_at >= start, WalkIn.arrived_at < end)
             .order_by(WalkIn.arrived_at, WalkIn.id))
    return list(db.session.scalars(query))


def waited_minutes(walk_in: WalkIn, at: datetime) -> int:
    """Minutes from arrival to being called (or leaving), or to `at` while still waiting."""
    until = walk_in.called_at or walk_in.left_at or at
    return max(0, int((until - walk_in.arrived_at).total_seconds() // 60))


@dataclass(frozen=True)
class QueueSummary:
    """Counts by status and the waits of a day's queue, in minutes (None when nobody is concerned)."""

    waiting: int
    called: int
    served: int
    left: int
    longest_wait: int | None
    average_wait: int | None


def summarise(walk_ins: Sequence[WalkIn], at: datetime) -> QueueSummary:
    """Counts by status; the longest current wait of those waiting; the average wait of those called."""
    counts = {status: sum(1 for walk_in in walk_ins if walk_in.status == status)
              for status in ("waiting", "called", "served", "left")}
    waiting = [waited_minutes(walk_in, at) for walk_in in walk_ins if walk_in.status == "waiting"]
    called = [waited_minutes(walk_in, at) for walk_in in walk_ins if walk_in.called_at is not None]
    return QueueSummary(counts["waiting"], counts["called"], counts["served"], counts["left"],
                        max(waiting, default=None), round(sum(called) / len(called)) if called else None)


def add(help_point: HelpPoint, *, display_name: str, resident_id: int | None, procedure: str | None,
        notes: str, by: User, at: datetime) -> WalkIn:
    """Put someone in today's queue. `display_name` (what the desk calls out, 100 characters at
    most) may be left empty for a registered resident: their first name and initial are used.
    Raises WalkInError."""
    errors: dict[str, str] = {}
    resident = get_visible(resident_id) if resident_id is not None else None
    if resident_id is not None and resident is None:
        errors["resident_id"] = _("This resident does not exist (or was merged or deleted).")
    name = display_name.strip() or (f"{resident.first_name} {resident.last_name[:1]}.".strip() if resident else "")
    if not name:
        errors["display_name"] = _("Enter the name to call out, or choose a registered resident.")
    elif len(name) > 100:
        errors["display_name"] = _("100 characters at most.")
    if procedure and procedure not in PROCEDURES:
        errors["procedure"] = _("Unknown procedure category.")
    if len(notes) > 300:
        errors["notes"] = _("300 characters at most.")
    if errors:
        raise WalkInError(errors)
    walk_in = WalkIn(help_point_id=help_point.id, resident_id=resident.id if resident else None, display_name=name,
                     procedure=procedure or None, notes=notes.strip(), status="waiting", arrived_at=at,
                     registered_by_id=by.id)
    db.session.add(walk_in)
    db.session.flush()
    return walk_in


def _refused(status: str) -> WalkInError:
    messages = {
        "called": _("Only someone waiting can be called."),
        "served": _("Call this person before marking them served."),
        "left": _("This person was already served or has left."),
    }
    return WalkInError({"status": messages[status]})


def change_status(walk_in: WalkIn, status: str, by: User, at: datetime) -> WalkIn:
    """Move a walk-in to `status` (`called`, `served` or `left`) if its current status allows it
    (`TRANSITIONS`); calling records `by` as its counsellor, serving does too when none is set.
    Raises WalkInError (key `status`) for an unknown status or a change that is not allowed."""
    if status not in TRANSITIONS:
        raise WalkInError({"status": _("Unknown status.")})
    allowed, stamp = TRANSITIONS[status]
    values: dict[str, object] = {"status": status, stamp: at}
    if status == "called":
        values["counsellor_id"] = by.id
    elif status == "served":
        values["counsellor_id"] = sa.func.coalesce(WalkIn.counsellor_id, by.id)
    update = (sa.update(WalkIn).where(WalkIn.id == walk_in.id, WalkIn.status.in_(allowed)).values(**values)
              .execution_options(synchronize_session=False))
    changed = cast(CursorResult[Any], db.session.execute(update)).rowcount
    db.session.refresh(walk_in)
    if changed != 1:
        raise _refused(status)
    return walk_in


def call_next(help_point_id: int, by: User, at: datetime) -> WalkIn | None:
    """Call the person waiting longest today at a help point; None when nobody is waiting. Another
    counsellor calling at the same moment gets the next person, never the same one."""
    start, end = day_bounds(local_date(at))
    for _attempt in range(CALL_NEXT_ATTEMPTS):
        first = db.session.scalar(
            sa.select(WalkIn).where(WalkIn.help_point_id == help_point_id, WalkIn.status == "waiting",
                                    WalkIn.arrived_at >= start, WalkIn.arrived_at < end)
            .order_by(WalkIn.arrived_at, WalkIn.id).limit(1))
        if first is None:
            return None
        try:
            return change_status(first, "called", by, at)
        except WalkInError:
            continue  # just called by someone else: take the next one
    return None
