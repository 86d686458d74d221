"""Factories for scheduling rows (rules, absences, closures, residents, appointments); they flush.

Times are given as local wall-clock text in Europe/Paris ("2027-03-02 09:00") and stored in UTC.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from inclusion_app.extensions import db
from inclusion_app.models import Absence, Appointment, AvailabilityRule, Closure, HelpPoint, Resident, User

PARIS = ZoneInfo("Europe/Paris")
_counter = itertools.count(1)


def local(text: str) -> datetime:
    """The aware UTC instant of a Paris wall-clock time written "YYYY-MM-DD HH:MM" (fold=0)."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=PARIS).astimezone(UTC)


def rule(
    counsellor: User,
    weekday: int,
    start: str = "09:00",
    end: str = "11:00",
    *,
    minutes: int = 30,
    help_point: HelpPoint | None = None,
    valid_from: date = date(2026, 1, 1),
    valid_until: date | None = None,
    procedures: Sequence[str] = (),
) -> AvailabilityRule:
    """A weekly rule: on site at `help_point`, or by phone when it is None (weekday 0 = Monday)."""
    row = AvailabilityRule(
        counsellor_id=counsellor.id, mode="phone" if help_point is None else "on_site",
        help_point_id=help_point.id if help_point is not None else None, weekday=weekday,
        start_time=time.fromisoformat(start), end_time=time.fromisoformat(end), slot_minutes=minutes,
        valid_from=valid_from, valid_until=valid_until, procedures=list(procedures),
    )
    db.session.add(row)
    db.session.flush()
    return row


def absence(counsellor: User, starts: str, ends: str) -> Absence:
    """The counsellor away between two Paris wall-clock times."""
    row = Absence(counsellor_id=counsellor.id, starts_at=local(starts), ends_at=local(ends), reason="test")
    db.session.add(row)
    db.session.flush()
    return row


def closure(help_point: HelpPoint, starts: str, ends: str) -> Closure:
    """The help point closed between two Paris wall-clock times."""
    row = Closure(help_point_id=help_point.id, starts_at=local(starts), ends_at=local(ends), reason="test")
    db.session.add(row)
    db.session.flush()
    return row


def resident(**fields: object) -> Resident:
    """A resident with a unique name and no contact details."""
    number = next(_counter)
    values: dict[str, object] = {"first_name": "Alex", "last_name": f"Martin {number}",
                                 "search_name": f"alex martin {number}"}
    values.update(fields)
    row = Resident(**values)
    db.session.add(row)
    db.session.flush()
    return row


def appointment(
    counsellor: User,
    starts: str,
    *,
    minutes: int = 30,
    help_point: HelpPoint | None = None,
    status: str = "booked",
    who: Resident | None = None,
) -> Appointment:
    """An appointment at a Paris wall-clock time: on site at `help_point`, or by phone when None."""
    start = local(starts)
    row = Appointment(
        resident_id=(who or resident()).id, counsellor_id=counsellor.id,
        help_point_id=help_point.id if help_point is not None else None,
        mode="phone" if help_point is None else "on_site", starts_at=start,
        ends_at=start + timedelta(minutes=minutes), status=status,
    )
    db.session.add(row)
    db.session.flush()
    return row
