"""The desk's agendas (issue 4): a counsellor's day and week, a help point's day, absences and
closures, and the booked appointments they leave to rebook. Queries and rules; services only flush.

Time (DESIGN.md section 3): instants are aware UTC datetimes; a "day" is a local day in `TIMEZONE`
(`slots.local_zone`), 23 or 25 hours long on the days of a DST change. Every page reads a fixed
number of queries whatever the number of rows (residents, help points and counsellors are loaded
with the appointments), as DESIGN.md section 7 asks.

Absences and closures never cancel anything: the appointments they overlap are listed for the phone
line to rebook (`over_absence`, `over_closure`, `rebooking_page`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

import holidays
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from inclusion_app.extensions import db
from inclusion_app.models import Absence, Appointment, AvailabilityRule, Closure, HelpPoint, User
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.slots import local_zone

ONE_DAY = timedelta(days=1)
#: Absences and closures are entered for at most this long at once (a year and a day).
MAX_PERIOD = timedelta(days=366)
#: Rows per page of the lists (absences, closures, appointments to rebook).
PER_PAGE = 50
#: Roles that may see residents' names and phone numbers (DESIGN.md section 5); managers may not.
PERSONAL_DATA_ROLES = ("counsellor", "phone_agent", "admin")

T = TypeVar("T")


def now() -> datetime:
    """The current instant, aware (UTC). Tests replace it to freeze the clock."""
    return utcnow()


def local_date(moment: datetime) -> date:
    """The local date (`TIMEZONE`) of an aware instant."""
    return moment.astimezone(local_zone()).date()


def local_instant(day: date, moment: time | None = None) -> datetime:
    """The aware UTC instant of a local wall-clock time (midnight by default).

    An ambiguous time (autumn fall-back) is its first occurrence; a time that does not exist
    (spring forward) is read with the offset in force before the change, as `zoneinfo` does.
    """
    return datetime.combine(day, moment or time(0), tzinfo=local_zone()).astimezone(UTC)


def day_bounds(first: date, days: int = 1) -> tuple[datetime, datetime]:
    """UTC (start, end) of the local days `first` .. `first + days - 1`; end excluded."""
    return local_instant(first), local_instant(first + timedelta(days=days))


def week_start(day: date) -> date:
    """The Monday of the week of `day`."""
    return day - timedelta(days=day.weekday())


def wants_personal_data(role: str) -> bool:
    """True for the roles that may see residents' names and phones (not managers)."""
    return role in PERSONAL_DATA_ROLES


# ---------------------------------------------------------------- agendas


def counsellor(counsellor_id: int) -> User | None:
    """The active counsellor with this id, or None."""
    user = db.session.get(User, counsellor_id)
    return user if user is not None and user.role == "counsellor" and user.is_active else None


def counsellor_choices() -> list[tuple[int, str]]:
    """(id, name) of every active counsellor, by name."""
    query = sa.select(User.id, User.name).where(User.role == "counsellor", User.is_active).order_by(User.name)
    return [(row.id, row.name) for row in db.session.execute(query)]


def help_point_choices() -> list[tuple[int, str]]:
    """(id, name) of every active help point, by name."""
    query = sa.select(HelpPoint.id, HelpPoint.nom).where(HelpPoint.is_active).order_by(HelpPoint.nom, HelpPoint.id)
    return [(row.id, row.nom) for row in db.session.execute(query)]


def counsellor_appointments(counsellor_id: int, start: datetime, end: datetime) -> list[Appointment]:
    """A counsellor's appointments starting in [start, end) (UTC), every status, by start; residents
    and help points loaded in the same query."""
    query = (
        sa.select(Appointment)
        .options(joinedload(Appointment.resident), joinedload(Appointment.help_point))
        .where(Appointment.counsellor_id == counsellor_id, Appointment.starts_at >= start, Appointment.starts_at < end)
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return list(db.session.scalars(query))


def help_point_appointments(help_point_id: int, start: datetime, end: datetime) -> list[Appointment]:
    """Every counsellor's appointments at a help point starting in [start, end) (UTC), by start;
    residents and counsellors loaded in the same query."""
    query = (
        sa.select(Appointment)
        .options(joinedload(Appointment.resident), joinedload(Appointment.counsellor))
        .where(Appointment.help_point_id == help_point_id, Appointment.starts_at >= start,
               Appointment.starts_at < end)
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return list(db.session.scalars(query))


def rules_in_week(counsellor_id: int, monday: date) -> list[AvailabilityRule]:
    """A counsellor's weekly rules valid on at least one day of the week starting `monday`, by weekday
    and start, with their help points."""
    sunday = monday + timedelta(days=6)
    query = (
        sa.select(AvailabilityRule)
        .options(joinedload(AvailabilityRule.help_point))
        .where(AvailabilityRule.counsellor_id == counsellor_id, AvailabilityRule.valid_from <= sunday,
               sa.or_(AvailabilityRule.valid_until.is_(None), AvailabilityRule.valid_until >= monday))
        .order_by(AvailabilityRule.weekday, AvailabilityRule.start_time, AvailabilityRule.id)
    )
    return list(db.session.scalars(query))


def _overlapping(model: type[Absence] | type[Closure], owner: Any, start: datetime, end: datetime) -> list[Any]:
    """Rows of `model` whose `owner` column matches and whose period overlaps [start, end), by start."""
    query = (sa.select(model).where(owner, model.starts_at < end, model.ends_at > start)
             .order_by(model.starts_at, model.id))
    return list(db.session.scalars(query))


def absences_between(counsellor_id: int, start: datetime, end: datetime) -> list[Absence]:
    """A counsellor's absences overlapping [start, end), by start."""
    return _overlapping(Absence, Absence.counsellor_id == counsellor_id, start, end)


def closures_between(help_point_id: int, start: datetime, end: datetime) -> list[Closure]:
    """A help point's closures overlapping [start, end), by start."""
    return _overlapping(Closure, Closure.help_point_id == help_point_id, start, end)


def public_holidays(first: date, last: date, language: str) -> dict[date, str]:
    """French public holidays from `first` to `last` inclusive, named in `language` ("fr" or "en");
    `HOLIDAYS_SUBDIVISION` (e.g. "57", "974") adds local ones, as in the slot search."""
    subdivision = current_app.config.get("HOLIDAYS_SUBDIVISION") or None
    calendar = holidays.country_holidays("FR", subdiv=subdivision, years=sorted({first.year, last.year}),
                                         language="fr" if language == "fr" else "en_US")
    return {day: str(name) for day, name in calendar.items() if first <= day <= last}


def by_local_day(appointments: Sequence[Appointment], first: date, days: int) -> list[tuple[date, list[Appointment]]]:
    """The days `first` .. `first + days - 1`, each with its appointments (by local start date)."""
    grouped: dict[date, list[Appointment]] = {first + timedelta(days=offset): [] for offset in range(days)}
    for appointment in appointments:
        grouped.setdefault(local_date(appointment.starts_at), []).append(appointment)
    return sorted(grouped.items())


# ---------------------------------------------------------------- absences and closures


class AgendaError(ValueError):
    """Refused absence or closure data: `fields` maps `starts`, `ends`, `reason`, `counsellor_id` or
    `help_point_id` to a message for the user."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in fields.items()))
        self.fields = fields


def _check_period(starts: datetime, ends: datetime, reason: str, at: datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if ends <= starts:
        errors["ends"] = _("The end must come after the start.")
    elif ends <= at:
        errors["ends"] = _("This period is already over.")
    elif ends - starts > MAX_PERIOD:
        errors["ends"] = _("Enter at most one year at a time.")
    if len(reason) > 200:
        errors["reason"] = _("200 characters at most.")
    return errors


def add_absence(counsellor_id: int, starts: datetime, ends: datetime, reason: str = "",
                at: datetime | None = None) -> Absence:
    """Record a counsellor's absence from `starts` to `ends` (aware; stored UTC): no slot is offered
    then. Booked appointments in it stay booked (see `over_absence`). Raises AgendaError: end not
    after start, period over, longer than a year, reason over 200 characters, unknown counsellor."""
    errors = _check_period(starts, ends, reason, at or now())
    if counsellor(counsellor_id) is None:
        errors["counsellor_id"] = _("Choose a counsellor.")
    if errors:
        raise AgendaError(errors)
    absence = Absence(counsellor_id=counsellor_id, starts_at=starts.astimezone(UTC), ends_at=ends.astimezone(UTC),
                      reason=reason.strip())
    db.session.add(absence)
    db.session.flush()
    return absence


def add_closure(help_point_id: int, starts: datetime, ends: datetime, reason: str = "",
                at: datetime | None = None) -> Closure:
    """Record a help point closed from `starts` to `ends` (aware; stored UTC): no on-site slot there
    then. Raises AgendaError as `add_absence` (`help_point_id` for an unknown help point)."""
    errors = _check_period(starts, ends, reason, at or now())
    if db.session.get(HelpPoint, help_point_id) is None:
        errors["help_point_id"] = _("Choose a help point.")
    if errors:
        raise AgendaError(errors)
    closure = Closure(help_point_id=help_point_id, starts_at=starts.astimezone(UTC), ends_at=ends.astimezone(UTC),
                      reason=reason.strip())
    db.session.add(closure)
    db.session.flush()
    return closure


def _overlapping_booked(starts: datetime, ends: datetime, at: datetime) -> sa.Select[tuple[Appointment]]:
    return (
        sa.select(Appointment)
        .options(joinedload(Appointment.resident), joinedload(Appointment.help_point),
                 joinedload(Appointment.counsellor))
        .where(Appointment.status == "booked", Appointment.starts_at < ends, Appointment.ends_at > starts,
               Appointment.ends_at > at)
        .order_by(Appointment.starts_at, Appointment.id)
    )


def over_absence(absence: Absence, at: datetime | None = None) -> list[Appointment]:
    """The counsellor's booked appointments overlapping the absence and not yet over, by start."""
    query = _overlapping_booked(absence.starts_at, absence.ends_at, at or now())
    return list(db.session.scalars(query.where(Appointment.counsellor_id == absence.counsellor_id)))


def over_closure(closure: Closure, at: datetime | None = None) -> list[Appointment]:
    """The booked on-site appointments at the help point overlapping the closure, not yet over."""
    query = _overlapping_booked(closure.starts_at, closure.ends_at, at or now())
    return list(db.session.scalars(query.where(Appointment.help_point_id == closure.help_point_id)))


class PeriodOver(Exception):
    """The absence or closure is over: it stays as a record."""


def delete_absence(absence: Absence, at: datetime | None = None) -> None:
    """Delete an absence that is not over yet. Raises PeriodOver."""
    if absence.ends_at <= (at or now()):
        raise PeriodOver()
    db.session.delete(absence)
    db.session.flush()


def delete_closure(closure: Closure, at: datetime | None = None) -> None:
    """Delete a closure that is not over yet. Raises PeriodOver."""
    if closure.ends_at <= (at or now()):
        raise PeriodOver()
    db.session.delete(closure)
    db.session.flush()


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: `items`, the page number (from 1), the number of pages and rows."""

    items: list[T]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        """True when a page comes before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """True when a page comes after this one."""
        return self.page < self.pages


def _page(query: sa.Select[Any], count: sa.Select[Any], page: int) -> Page[Any]:
    total = db.session.scalar(count) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(page, 1), pages)
    rows = list(db.session.execute(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    return Page(rows, page, pages, total)


def _booked_in(starts: Any, ends: Any) -> Any:
    return sa.and_(Appointment.status == "booked", Appointment.starts_at < ends, Appointment.ends_at > starts)


def future_absences(counsellor_id: int | None, page: int = 1, at: datetime | None = None) -> Page[Any]:
    """Absences not over yet (of one counsellor, or all), by start: rows of (Absence, counsellor's
    name, number of booked appointments in it still to come)."""
    at = at or now()
    to_rebook = (sa.select(sa.func.count(Appointment.id))
                 .where(Appointment.counsellor_id == Absence.counsellor_id, Appointment.ends_at > at,
                        _booked_in(Absence.starts_at, Absence.ends_at))
                 .correlate(Absence).scalar_subquery())
    where = [Absence.ends_at > at]
    if counsellor_id is not None:
        where.append(Absence.counsellor_id == counsellor_id)
    query = (sa.select(Absence, User.name, to_rebook.label("to_rebook"))
             .join(User, User.id == Absence.counsellor_id).where(*where)
             .order_by(Absence.starts_at, Absence.id))
    return _page(query, sa.select(sa.func.count(Absence.id)).where(*where), page)


def future_closures(page: int = 1, at: datetime | None = None) -> Page[Any]:
    """Closures not over yet, by start: rows of (Closure, help point name, number of booked on-site
    appointments in it still to come)."""
    at = at or now()
    to_rebook = (sa.select(sa.func.count(Appointment.id))
                 .where(Appointment.help_point_id == Closure.help_point_id, Appointment.ends_at > at,
                        _booked_in(Closure.starts_at, Closure.ends_at))
                 .correlate(Closure).scalar_subquery())
    query = (sa.select(Closure, HelpPoint.nom, to_rebook.label("to_rebook"))
             .join(HelpPoint, HelpPoint.id == Closure.help_point_id).where(Closure.ends_at > at)
             .order_by(Closure.starts_at, Closure.id))
    return _page(query, sa.select(sa.func.count(Closure.id)).where(Closure.ends_at > at), page)


def rebooking_page(page: int = 1, at: datetime | None = None) -> Page[Any]:
    """Booked appointments not over yet that overlap an absence of their counsellor or a closure of
    their help point, by start: rows of (Appointment with resident, help point and counsellor loaded,
    absent: bool, closed: bool). Nothing is cancelled: the phone line calls and moves them."""
    at = at or now()
    absent = sa.exists().where(Absence.counsellor_id == Appointment.counsellor_id,
                               Absence.starts_at < Appointment.ends_at, Absence.ends_at > Appointment.starts_at)
    closed = sa.exists().where(Closure.help_point_id == Appointment.help_point_id,
                               Closure.starts_at < Appointment.ends_at, Closure.ends_at > Appointment.starts_at)
    where = [Appointment.status == "booked", Appointment.ends_at > at, sa.or_(absent, closed)]
    query = (sa.select(Appointment, absent.label("absent"), closed.label("closed"))
             .options(joinedload(Appointment.resident), joinedload(Appointment.help_point),
                      joinedload(Appointment.counsellor))
             .where(*where).order_by(Appointment.starts_at, Appointment.id))
    return _page(query, sa.select(sa.func.count(Appointment.id)).where(*where), page)
