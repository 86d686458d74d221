"""The SQL that computes the reports' daily counts from the rows of the app (`reports.facts`).

Each source is a SELECT of (day, district_id, help_point_id, metric, code, value) over a range of
local days; the day of a UTC instant is computed in SQL in `TIMEZONE`: `AT TIME ZONE` on
PostgreSQL, and on SQLite (which has no time zones) an offset chosen by a CASE over the zone's
transitions in the range (zoneinfo), so that daylight saving time moves no row to the wrong day.
Definitions of the counts: `reports.coverage`, `reports.unmet_rights`, `reports.activity`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, HelpPoint, HelpSession, Resident, UnmetRight, WalkIn
from inclusion_app.scheduling.agenda import day_bounds
from inclusion_app.scheduling.slots import local_zone

FILED_OUTCOMES = ("deposee", "ouvert", "refuse")
KNOWN_OUTCOMES = ("deposee", "ouvert", "refuse", "abandonne")
MISSING = "non_renseigne"
SESSION_CODES = ("type", "outcome", "autonomy", "age_band", "gender", "social_status")


def is_sqlite() -> bool:
    """True when the app's database is SQLite."""
    return db.engine.dialect.name == "sqlite"


def utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """Local midnight of `first` and of the day after `last`, as aware instants."""
    return day_bounds(first, (last - first).days + 1)


def _offsets(first: date, last: date) -> list[tuple[datetime, int]]:
    """(from this UTC instant, offset in minutes) of `TIMEZONE` over the range, hour by hour."""
    zone, moment = local_zone(), datetime.combine(first - timedelta(days=2), time(), UTC)
    end = datetime.combine(last + timedelta(days=2), time(), UTC)
    changes: list[tuple[datetime, int]] = []
    while moment <= end:
        offset = int(moment.astimezone(zone).utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
        if not changes or changes[-1][1] != offset:
            changes.append((moment, offset))
        moment += timedelta(hours=1)
    return changes


def local_day(column: Any, first: date, last: date) -> Any:
    """SQL giving the local date of the UTC instant in `column` (rows in the range only)."""
    if not is_sqlite():
        return sa.cast(sa.func.timezone(local_zone().key, column), sa.Date)
    changes = _offsets(first, last)
    stored = sa.type_coerce(column, sa.String)  # naive UTC text on SQLite, compared as text
    whens = [(stored < start.strftime("%Y-%m-%d %H:%M:%S"), f"{previous:+d} minutes")
             for (start, _offset), (_start, previous) in zip(changes[1:], changes, strict=False)]
    modifier = sa.case(*whens, else_=f"{changes[-1][1]:+d} minutes") if whens else f"{changes[0][1]:+d} minutes"
    return sa.func.date(column, modifier)


def _days_between(later: Any, earlier: Any, dates: bool = False) -> Any:
    """Whole days from `earlier` to `later` (rounded, never negative), as SQL."""
    if is_sqlite():
        days = sa.func.julianday(later) - sa.func.julianday(earlier)
    elif dates:
        days = sa.cast(later - earlier, sa.Float)
    else:
        days = sa.extract("epoch", later - earlier) / 86400.0
    rounded = sa.cast(days + 0.5, sa.Integer)
    return sa.case((rounded < 0, 0), else_=rounded)


def _text(value: Any) -> Any:
    return sa.cast(value, sa.String)


def _joined(*parts: Any) -> Any:
    """SQL string concatenation of the parts (`||`)."""
    result: Any = sa.type_coerce(_text(parts[0]), sa.String)
    for part in parts[1:]:
        result = result + sa.type_coerce(_text(part) if not isinstance(part, str) else sa.literal(part), sa.String)
    return result


def _select(day: Any, district: Any, help_point: Any, metric: str, code: Any, value: Any) -> sa.Select[Any]:
    return sa.select(day.label("day"), district.label("district_id"), help_point.label("help_point_id"),
                     sa.literal(metric).label("metric"), _text(code).label("code"), value.label("value"))


def _grouped(query: sa.Select[Any]) -> sa.Select[Any]:
    columns = list(query.selected_columns)
    return query.group_by(columns[0], columns[1], columns[2], columns[4])


def appointment_sources(first: date, last: date) -> list[sa.Select[Any]]:
    """Appointments by start day (`appointments`: status:mode) and by booking day (`first_slot_days`)."""
    start, end = utc_bounds(first, last)
    district = sa.func.coalesce(Resident.district_id, HelpPoint.district_id, 0)
    help_point = sa.func.coalesce(Appointment.help_point_id, 0)

    def base(query: sa.Select[Any]) -> sa.Select[Any]:
        return (query.select_from(Appointment).join(Resident, Resident.id == Appointment.resident_id)
                .outerjoin(HelpPoint, HelpPoint.id == Appointment.help_point_id))

    by_start = base(_select(local_day(Appointment.starts_at, first, last), district, help_point, "appointments",
                            _joined(Appointment.status, ":", Appointment.mode), sa.func.count())).where(
        Appointment.starts_at >= start, Appointment.starts_at < end)
    delay = _days_between(Appointment.first_offered_at, Appointment.booked_at)
    by_booking = base(_select(local_day(Appointment.booked_at, first, last), district, help_point, "first_slot_days",
                              delay, sa.func.count())).where(
        Appointment.booked_at >= start, Appointment.booked_at < end, Appointment.first_offered_at.is_not(None),
        Appointment.rescheduled_from_id.is_(None))
    return [_grouped(by_start), _grouped(by_booking)]


def _session_base(query: sa.Select[Any], first: date, last: date) -> sa.Select[Any]:
    return query.where(HelpSession.deleted_at.is_(None), HelpSession.date >= first, HelpSession.date <= last)


def session_sources(first: date, last: date) -> list[sa.Select[Any]]:
    """Sessions by day: count, each coded breakdown, people, minutes, themes and procedures."""
    district = sa.func.coalesce(HelpSession.district_id, 0)
    help_point = sa.func.coalesce(HelpSession.help_point_id, 0)
    people = sa.case((HelpSession.type == "collectif", sa.func.coalesce(HelpSession.participants_total, 0)),
                     else_=1)
    parts: list[tuple[str, Any, Any]] = [
             ("sessions", sa.literal(""), sa.func.count()), ("people", sa.literal(""), sa.func.sum(people)),
             ("minutes", sa.literal(""), sa.func.sum(HelpSession.duration_minutes))]
    parts += [(name, sa.func.coalesce(getattr(HelpSession, name), MISSING), sa.func.count()) for name in SESSION_CODES]
    sources = [_grouped(_session_base(_select(HelpSession.date, district, help_point, metric, code, value)
                                      .select_from(HelpSession), first, last)) for metric, code, value in parts]
    for metric, column in (("theme", HelpSession.themes), ("procedure", HelpSession.procedures)):
        elements = _elements(column)
        query = _select(HelpSession.date, district, help_point, metric, elements.c.value, sa.func.count())
        sources.append(_grouped(_session_base(query.select_from(HelpSession).join(elements, sa.true()), first, last)))
    return sources


def _elements(column: Any) -> Any:
    """The elements of a JSON list column, as a table joined to its row."""
    if is_sqlite():
        return sa.func.json_each(column).table_valued("value")
    return sa.func.json_array_elements_text(column).table_valued("value").lateral()


def walk_in_sources(first: date, last: date) -> list[sa.Select[Any]]:
    """Walk-ins by arrival day, in their help point's district."""
    start, end = utc_bounds(first, last)
    query = _select(local_day(WalkIn.arrived_at, first, last), sa.func.coalesce(HelpPoint.district_id, 0),
                    WalkIn.help_point_id, "walk_ins", sa.literal(""), sa.func.count())
    return [_grouped(query.select_from(WalkIn).join(HelpPoint, HelpPoint.id == WalkIn.help_point_id)
                     .where(WalkIn.arrived_at >= start, WalkIn.arrived_at < end))]


def right_sources(first: date, last: date) -> list[sa.Select[Any]]:
    """Unmet rights by their session's day: detected, filed, opened, known outcome, form, reason,
    blocked, refused, and the day counts from detection to filing and from filing to opening."""
    district = sa.func.coalesce(HelpSession.district_id, 0)
    help_point = sa.func.coalesce(HelpSession.help_point_id, 0)
    # An opening date implies a claim: opened rights are filed too, so opened ≤ filed.
    opened = sa.or_(UnmetRight.opened_on.is_not(None), UnmetRight.outcome == "ouvert")
    filed = sa.or_(UnmetRight.filed_on.is_not(None), UnmetRight.outcome.in_(FILED_OUTCOMES), opened)
    known = sa.or_(filed, UnmetRight.outcome.in_(KNOWN_OUTCOMES))
    to_filing = _joined(UnmetRight.right, ":", _days_between(UnmetRight.filed_on, UnmetRight.detected_on, True))
    to_opening = _joined(UnmetRight.right, ":", _days_between(UnmetRight.opened_on, UnmetRight.filed_on, True))
    parts = [
        ("right_detected", UnmetRight.right, None), ("right_filed", UnmetRight.right, filed),
        ("right_opened", UnmetRight.right, opened),
        ("right_known", sa.literal(""), known),
        ("form", UnmetRight.form, None), ("reason", UnmetRight.reason, None),
        ("right_blocked", UnmetRight.right, UnmetRight.reason == "dossier_bloque"),
        ("right_refused", UnmetRight.right, UnmetRight.outcome == "refuse"),
        ("filing_days", to_filing, UnmetRight.filed_on.is_not(None)),
        ("opening_days", to_opening, sa.and_(UnmetRight.filed_on.is_not(None), UnmetRight.opened_on.is_not(None))),
    ]
    sources = []
    for metric, code, condition in parts:
        query = _session_base(_select(HelpSession.date, district, help_point, metric, code, sa.func.count())
                              .select_from(UnmetRight).join(HelpSession, HelpSession.id == UnmetRight.session_id),
                              first, last)
        sources.append(_grouped(query.where(condition) if condition is not None else query))
    return sources


def served_source(first: date, last: date) -> sa.Select[Any]:
    """(day, resident, district, help point) of attended appointments and linked sessions, distinct."""
    start, end = utc_bounds(first, last)
    attended = (sa.select(local_day(Appointment.starts_at, first, last).label("day"), Appointment.resident_id,
                          sa.func.coalesce(Resident.district_id, HelpPoint.district_id, 0).label("district_id"),
                          sa.func.coalesce(Appointment.help_point_id, 0).label("help_point_id"))
                .join(Resident, Resident.id == Appointment.resident_id)
                .outerjoin(HelpPoint, HelpPoint.id == Appointment.help_point_id)
                .where(Appointment.status == "attended", Appointment.starts_at >= start, Appointment.starts_at < end))
    sessions = _session_base(sa.select(HelpSession.date, HelpSession.resident_id,
                                       sa.func.coalesce(HelpSession.district_id, 0),
                                       sa.func.coalesce(HelpSession.help_point_id, 0))
                             .where(HelpSession.resident_id.is_not(None)), first, last)
    return sa.select(sa.union(attended, sessions).subquery())


def all_sources(first: date, last: date) -> list[sa.Select[Any]]:
    """Every daily count of the range."""
    return [*appointment_sources(first, last), *session_sources(first, last), *walk_in_sources(first, last),
            *right_sources(first, last)]
