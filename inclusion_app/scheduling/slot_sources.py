"""What the slot search reads from the database, in a constant number of queries whatever the period.

`inclusion_app.scheduling.slots` holds the rules; this module holds the queries (only the columns
needed, no ORM objects), the busy-time structures built from them, and the distances from a district
to the help points (for ordering). Busy and closed times are read as whole seconds since 1970-01-01
UTC (`Instant`), computed by the database: turning some 10,000 appointments into aware datetimes
would alone cost a third of the search's budget.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from shapely.geometry import Point, shape
from shapely.validation import make_valid
from sqlalchemy.orm import InstrumentedAttribute

from inclusion_app.extensions import db
from inclusion_app.models import (
    HOLDING_STATUSES,
    STATUSES,
    Absence,
    Appointment,
    AvailabilityRule,
    Closure,
    District,
    HelpPoint,
    User,
)
from inclusion_app.models.people import Role
from inclusion_app.models.scheduling import Mode

#: The longest slot a rule may give (check `slot_length` of `availability_rules`). Appointments are
#: booked on slots, so none lasts longer: the appointments query looks back this far only, which
#: keeps it on the (counsellor_id, starts_at) index instead of reading every past appointment.
MAX_SLOT_MINUTES = 480
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
#: Statuses that free the counsellor's time: every status but `HOLDING_STATUSES`.
RELEASING_STATUSES = tuple(status for status in STATUSES if status not in HOLDING_STATUSES)

Instant = int  # seconds since 1970-01-01 UTC
Pairs = list[tuple[Instant, Instant]]


class Place(NamedTuple):
    """Where a help point lies (WGS 84 degrees, None when unmapped) and its district."""

    latitude: float | None
    longitude: float | None
    district_id: int | None


@dataclass(frozen=True)
class SlotSearch:
    """Checked criteria of one search: slots start in [window_start, window_end) (UTC), on the local
    days `first_day` .. `last_day`; `needs` are codes of `NEEDS`; `district_id` only orders."""

    mode: str
    first_day: date
    last_day: date
    window_start: datetime
    window_end: datetime
    help_point_id: int | None
    counsellor_id: int | None
    procedure: str | None
    needs: tuple[str, ...]
    district_id: int | None

    @property
    def busy_until(self) -> datetime:
        """No slot of the search ends later: absences, closures and appointments matter until then."""
        return self.window_end + timedelta(minutes=MAX_SLOT_MINUTES)

    @property
    def weekdays(self) -> list[int] | None:
        """The weekdays (0 = Monday) of a search shorter than a week, else None (all of them)."""
        span = (self.last_day - self.first_day).days
        return None if span >= 6 else sorted({(self.first_day + timedelta(days=n)).weekday() for n in range(span + 1)})


def rule_rows(search: SlotSearch) -> list[sa.Row[Any]]:
    """Rules of active counsellors valid during the search, with their active help point (one query).

    Each row: `counsellor_id`, `help_point_id` (None for phone), `weekday`, `start_time`, `end_time`,
    `slot_minutes`, `valid_from`, `valid_until`, `procedures`, and the help point's `latitude`,
    `longitude`, `district_id`, `prise_en_charge_specifique` (None for phone).
    """
    rule = AvailabilityRule
    query = (
        sa.select(rule.counsellor_id, rule.help_point_id, rule.weekday, rule.start_time, rule.end_time,
                  rule.slot_minutes, rule.valid_from, rule.valid_until, rule.procedures, HelpPoint.latitude,
                  HelpPoint.longitude, HelpPoint.district_id, HelpPoint.prise_en_charge_specifique)
        .join(User, User.id == rule.counsellor_id)
        .outerjoin(HelpPoint, HelpPoint.id == rule.help_point_id)
        .where(rule.mode == search.mode, User.role == Role.COUNSELLOR.value, User.is_active.is_(True),
               rule.valid_from <= search.last_day,
               sa.or_(rule.valid_until.is_(None), rule.valid_until >= search.first_day))
    )
    if search.mode == Mode.ON_SITE:
        query = query.where(HelpPoint.is_active.is_(True))
    if search.help_point_id is not None:
        query = query.where(rule.help_point_id == search.help_point_id)
    if search.counsellor_id is not None:
        query = query.where(rule.counsellor_id == search.counsellor_id)
    if search.weekdays is not None:
        query = query.where(rule.weekday.in_(search.weekdays))
    return list(db.session.execute(query))


class Intervals:
    """Half-open [start, end) intervals merged into sorted disjoint ones, for overlap tests in O(log n)."""

    __slots__ = ("ends", "starts")

    def __init__(self, pairs: Iterable[tuple[Instant, Instant]]) -> None:
        merged: list[list[Instant]] = []
        for start, end in sorted(pairs):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def overlaps(self, start: Instant, end: Instant) -> bool:
        """True when [start, end) meets one of the intervals."""
        index = bisect_right(self.ends, start)
        return index < len(self.starts) and self.starts[index] < end


@dataclass(frozen=True)
class Blocked:
    """Busy times of counsellors (absences, holding appointments) and closed times of help points."""

    counsellors: dict[int, Intervals]
    help_points: dict[int, Intervals]

    def allows(self, counsellor_id: int, help_point_id: int | None, start: Instant, end: Instant) -> bool:
        """True when neither the counsellor nor the help point (if any) is taken during [start, end)."""
        busy = self.counsellors.get(counsellor_id)
        if busy is not None and busy.overlaps(start, end):
            return False
        closed = self.help_points.get(help_point_id) if help_point_id is not None else None
        return closed is None or not closed.overlaps(start, end)


def load_blocked(search: SlotSearch, counsellor_ids: Sequence[int], help_point_ids: Sequence[int]) -> Blocked:
    """Busy and closed times of these counsellors and help points during the search (three queries)."""
    busy: dict[int, Pairs] = defaultdict(list)
    for who, start, end in [*_absences(search, counsellor_ids), *_appointments(search, counsellor_ids)]:
        busy[who].append((start, end))
    closed: dict[int, Pairs] = defaultdict(list)
    for place, start, end in _closures(search, help_point_ids):
        closed[place].append((start, end))
    return Blocked({who: Intervals(pairs) for who, pairs in busy.items()},
                   {place: Intervals(pairs) for place, pairs in closed.items()})


def _core(query: sa.Select[Any]) -> sa.CursorResult[Any]:
    """Run a column query on the session's connection, without the ORM's row handling (a third of
    the time on 10,000 rows); callers fetch all rows at once (psycopg's row-by-row fetch is slow).
    `rule_rows` runs first, through the session: pending changes are flushed by then."""
    return db.session.connection().execute(query)


def epoch(column: InstrumentedAttribute[datetime]) -> sa.ColumnElement[int]:
    """An `Instant` computed by the database from a UTC column, to the second.

    SQLite: CAST(STRFTIME('%s', column) AS INTEGER) over the stored naive UTC text; PostgreSQL:
    CAST(EXTRACT(epoch FROM column) AS BIGINT).
    """
    return sa.cast(sa.extract("epoch", column), sa.BigInteger)


def _absences(search: SlotSearch, counsellor_ids: Sequence[int]) -> Iterable[tuple[int, Instant, Instant]]:
    query = sa.select(Absence.counsellor_id, epoch(Absence.starts_at), epoch(Absence.ends_at)).where(
        Absence.counsellor_id.in_(counsellor_ids), Absence.starts_at < search.busy_until,
        Absence.ends_at > search.window_start)
    return _core(query).tuples().all()


def _appointments(search: SlotSearch, counsellor_ids: Sequence[int]) -> Iterable[tuple[int, Instant, Instant]]:
    """Appointments holding their time that overlap the search; none lasts over MAX_SLOT_MINUTES.

    The status is tested as "not released" rather than "in HOLDING_STATUSES" (the same rows: the
    status is a closed list): SQLite, without statistics, would otherwise read through the status
    index every past appointment attended, instead of the (counsellor_id, starts_at) index.
    """
    query = sa.select(Appointment.counsellor_id, epoch(Appointment.starts_at), epoch(Appointment.ends_at)).where(
        Appointment.counsellor_id.in_(counsellor_ids), Appointment.status.not_in(RELEASING_STATUSES),
        Appointment.starts_at < search.busy_until,
        Appointment.starts_at > search.window_start - timedelta(minutes=MAX_SLOT_MINUTES),
        Appointment.ends_at > search.window_start)
    return _core(query).tuples().all()


def _closures(search: SlotSearch, help_point_ids: Sequence[int]) -> Iterable[tuple[int, Instant, Instant]]:
    if not help_point_ids:
        return ()
    query = sa.select(Closure.help_point_id, epoch(Closure.starts_at), epoch(Closure.ends_at)).where(
        Closure.help_point_id.in_(help_point_ids), Closure.starts_at < search.busy_until,
        Closure.ends_at > search.window_start)
    return _core(query).tuples().all()


def district_distances(district_id: int, places: dict[int, Place]) -> dict[int, float] | None:
    """Kilometres from the district to each help point: 0 inside it (by `district_id` or by the
    polygon), else the great-circle distance to the polygon's representative point; infinite
    without coordinates. None when there is no such district (one query)."""
    geometry = db.session.scalar(sa.select(District.geometry).where(District.id == district_id))
    if geometry is None:
        return None
    polygon = shape(json.loads(geometry))
    polygon = polygon if polygon.is_valid else make_valid(polygon)
    centre = polygon.representative_point()
    distances: dict[int, float] = {}
    for place_id, place in places.items():
        if place.district_id == district_id:
            distances[place_id] = 0.0
        elif place.latitude is None or place.longitude is None:
            distances[place_id] = math.inf
        elif polygon.contains(Point(place.longitude, place.latitude)):
            distances[place_id] = 0.0
        else:
            distances[place_id] = _haversine_km(centre.y, centre.x, place.latitude, place.longitude)
    return distances


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two WGS 84 points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
