"""Keep the reports' precomputed counts up to date, and read them for a period.

Writes: any change of an appointment, help session, unmet right or walk-in marks its local days
dirty in the same transaction (an ORM `after_flush` listener, plus `mark_dirty` where a service
changes rows with a Core UPDATE); `refresh()` recomputes the dirty days and their months before a
report is read. `rebuild_all()` recomputes everything (after bulk loads such as
`generate-synthetic`, and nightly as a safety net). Reads: whole months of the period come from
the month rows, the days at its edges from the day rows, so one year reads a few thousand rows.
"""

from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from inclusion_app.extensions import db
from inclusion_app.models import (
    Appointment,
    HelpPoint,
    HelpSession,
    ReportDirtyDay,
    ReportFact,
    ReportServed,
    Resident,
    UnmetRight,
    WalkIn,
)
from inclusion_app.reports.facts_sql import all_sources, is_sqlite, served_source
from inclusion_app.scheduling.slots import local_date, local_zone

logger = logging.getLogger(__name__)
SCOPES = {"district": (True, False), "help_point": (False, True), "all": (False, False)}
CHUNK_DAYS = 31


def _local(moment: datetime | None) -> date | None:
    return local_date(moment) if moment is not None else None


def mark_dirty(days: Iterable[date | None]) -> None:
    """Record local days whose counts must be recomputed (same transaction as the change)."""
    rows = [{"day": day} for day in {d for d in days if d is not None}]
    if not rows:
        return
    insert = (sqlite_insert if is_sqlite() else pg_insert)(ReportDirtyDay)
    db.session.execute(insert.on_conflict_do_nothing(), rows)


def days_of(row: Any) -> list[date | None]:
    """The local days whose counts `row` (an appointment, session, right or walk-in) is part of."""
    if isinstance(row, Appointment):
        return [_local(row.starts_at), _local(row.booked_at)]
    if isinstance(row, HelpSession):
        return [row.date]
    if isinstance(row, UnmetRight):
        return [row.detected_on]
    if isinstance(row, WalkIn):
        return [_local(row.arrived_at)]
    return []


def _district_moved_days(session: Session, row: Any) -> list[date | None]:
    """The days counted in the district of a resident or help point whose district just changed:
    their appointments, sessions and walk-ins are counted in another district now."""
    if not isinstance(row, Resident | HelpPoint):
        return []
    state: Any = sa.inspect(row)
    if not state.attrs.district_id.history.has_changes():
        return []
    link = "resident_id" if isinstance(row, Resident) else "help_point_id"
    connection = session.connection()
    moments = connection.execute(sa.select(Appointment.starts_at, Appointment.booked_at)
                                 .where(getattr(Appointment, link) == row.id)).all()
    days: list[date | None] = [_local(moment) for pair in moments for moment in pair]
    days += connection.scalars(sa.select(HelpSession.date).where(getattr(HelpSession, link) == row.id)).all()
    if isinstance(row, HelpPoint):
        days += [_local(moment) for moment in connection.scalars(
            sa.select(WalkIn.arrived_at).where(WalkIn.help_point_id == row.id))]
    return days


def _after_flush(session: Session, _context: Any) -> None:
    days: set[date | None] = set()
    for row in [*session.new, *session.dirty, *session.deleted]:
        days.update(days_of(row))
        days.update(_district_moved_days(session, row))
        for name in ("date", "starts_at", "detected_on"):  # a day moved: the old day changes too
            history = sa.inspect(row).attrs[name].history if hasattr(row, name) else None
            for old in history.deleted if history else ():
                days.add(old if isinstance(old, date) and not isinstance(old, datetime) else _local(old))
    rows = [{"day": day} for day in days if day is not None]
    if rows:
        insert = (sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert)(ReportDirtyDay)
        session.connection().execute(insert.on_conflict_do_nothing(), rows)


def listen() -> None:
    """Install the listener that marks days dirty (once per process)."""
    if not sa.event.contains(Session, "after_flush", _after_flush):
        sa.event.listen(Session, "after_flush", _after_flush)


REQUEST_DAYS = 31


def refresh(limit: int | None = REQUEST_DAYS) -> int:
    """Recompute up to `limit` dirty days (the most recent first; None: all) and their months;
    flush only. Returns the number of days done. A report request does a month's worth at most, so
    that a large change (a help point moved to another district) never makes a page wait: the
    scheduler's `refresh-report-facts` job does the rest within minutes (`pending_days`)."""
    query = sa.select(ReportDirtyDay.day).order_by(ReportDirtyDay.day.desc())
    days = sorted(db.session.scalars(query.limit(limit) if limit else query).all())
    if not days:
        return 0
    db.session.execute(sa.delete(ReportDirtyDay).where(ReportDirtyDay.day.in_(days)))
    for first, last in _ranges(days):
        _rebuild_days(first, last)
    _rebuild_months({day.replace(day=1) for day in days})
    return len(days)


def pending_days() -> int:
    """How many days wait to be recomputed (shown on the report pages while it is not zero)."""
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(ReportDirtyDay)) or 0)


def refresh_all_pending() -> None:
    """The scheduler's job: recompute every dirty day, a month's worth per transaction."""
    while refresh(REQUEST_DAYS):
        db.session.commit()


def refresh_in_savepoint() -> None:
    """`refresh()` inside a savepoint, as the report functions run it: if another request or the
    scheduler refreshed the same days meanwhile, their rows win and nothing fails here."""
    try:
        with db.session.begin_nested():
            refresh()
    except sa.exc.IntegrityError:
        logger.info("report facts refreshed by another request meanwhile")


def refresh_and_commit() -> None:
    """Refresh the dirty days and commit at once (the commit is the point, as for a lease): a report
    page or API call runs it first. If another request refreshed the same days meanwhile, its rows
    win and this one rolls back."""
    try:
        refresh()
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        logger.info("report facts refreshed by another request meanwhile")


def rebuild_all() -> tuple[date, date] | None:
    """Recompute every count from the first to the last day that has data; flush only."""
    bounds = _data_bounds()
    if bounds is None:
        return None
    db.session.execute(sa.delete(ReportFact))
    db.session.execute(sa.delete(ReportServed))
    db.session.execute(sa.delete(ReportDirtyDay))
    first, last = bounds
    while first <= last:
        chunk_end = min(last, first + timedelta(days=CHUNK_DAYS - 1))
        _rebuild_days(first, chunk_end)
        first = chunk_end + timedelta(days=1)
    _rebuild_months(months_between(bounds[0], bounds[1]))
    return bounds


RECENT_DAYS = 62


def rebuild_recent(today: date | None = None) -> None:
    """The nightly safety net: recompute the last RECENT_DAYS days and their months, a chunk at a
    time with a commit after each (a short write lock on SQLite), whatever was marked dirty. It
    catches changes made outside the ORM listener (bulk loads, database fixes)."""
    last = today or datetime.now(local_zone()).date()
    first = last - timedelta(days=RECENT_DAYS)
    while first <= last:
        chunk_end = min(last, first + timedelta(days=6))
        _rebuild_days(first, chunk_end)
        db.session.commit()
        first = chunk_end + timedelta(days=1)
    _rebuild_months(months_between(last - timedelta(days=RECENT_DAYS), last))
    db.session.commit()


def _data_bounds() -> tuple[date, date] | None:
    low_date, high_date = db.session.execute(sa.select(sa.func.min(HelpSession.date),
                                                       sa.func.max(HelpSession.date))).one()
    candidates: list[tuple[date | None, date | None]] = [(low_date, high_date)]
    for column in (Appointment.starts_at, Appointment.booked_at, WalkIn.arrived_at):
        low, high = db.session.execute(sa.select(sa.func.min(column), sa.func.max(column))).one()
        candidates.append((_local(low), _local(high)))
    lows = [low for low, _high in candidates if low is not None]
    highs = [high for _low, high in candidates if high is not None]
    return (min(lows), max(highs)) if lows else None


def _ranges(days: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive days grouped into (first, last) ranges (at most a month long each)."""
    ranges: list[tuple[date, date]] = []
    for day in days:
        if ranges and ranges[-1][1] + timedelta(days=1) == day and (day - ranges[-1][0]).days < CHUNK_DAYS:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _rebuild_days(first: date, last: date) -> None:
    """Replace the day rows and the served residents of the range."""
    if not is_sqlite():
        # The union's estimated cost makes PostgreSQL JIT-compile it: 3.4 s of compiling for a
        # month whose query runs in 0.4 s (measured at city scale, PostgreSQL 15).
        db.session.execute(sa.text("SET LOCAL jit = off"))
    in_range = ReportFact.day.between(first, last)
    db.session.execute(sa.delete(ReportFact).where(ReportFact.grain == "day", in_range))
    db.session.execute(sa.delete(ReportServed).where(ReportServed.day.between(first, last)))
    # The sources are computed once (a materialized CTE) and summed in the three scopes.
    source = sa.union_all(*all_sources(first, last)).cte("source").prefix_with("MATERIALIZED")
    scopes = []
    for scope, (by_district, by_help_point) in SCOPES.items():
        district = source.c.district_id if by_district else sa.literal(0)
        help_point = source.c.help_point_id if by_help_point else sa.literal(0)
        scopes.append(sa.select(sa.literal("day"), source.c.day, sa.literal(scope), district, help_point,
                                source.c.metric, source.c.code, sa.func.sum(source.c.value))
                      .group_by(source.c.day, district, help_point, source.c.metric, source.c.code))
    db.session.execute(sa.insert(ReportFact).from_select(
        ["grain", "day", "scope", "district_id", "help_point_id", "metric", "code", "value"], sa.union_all(*scopes)))
    served = served_source(first, last).subquery()
    db.session.execute(sa.insert(ReportServed).from_select(
        ["day", "resident_id", "district_id", "help_point_id"], sa.select(*served.c)))


def _rebuild_months(months: Iterable[date]) -> None:
    """Replace the month rows of each month (first days) by the sums of its day rows."""
    for month in sorted(months):
        last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        db.session.execute(sa.delete(ReportFact).where(ReportFact.grain == "month", ReportFact.day == month))
        query = (sa.select(sa.literal("month"), sa.literal(month, sa.Date), ReportFact.scope, ReportFact.district_id,
                           ReportFact.help_point_id, ReportFact.metric, ReportFact.code, sa.func.sum(ReportFact.value))
                 .where(ReportFact.grain == "day", ReportFact.day.between(month, last))
                 .group_by(ReportFact.scope, ReportFact.district_id, ReportFact.help_point_id, ReportFact.metric,
                           ReportFact.code))
        db.session.execute(sa.insert(ReportFact).from_select(
            ["grain", "day", "scope", "district_id", "help_point_id", "metric", "code", "value"], query))


def month_after(month: date) -> date:
    """The first day of the month after `month`'s."""
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


def months_between(first: date, last: date) -> list[date]:
    """The first day of every month from `first`'s to `last`'s."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = month_after(month)
    return months


def period_parts(first: date, last: date) -> list[tuple[str, date, date, int]]:
    """The rows of ReportFact whose signed sum makes up a period, as (grain, first day, last day,
    sign): month rows of its whole months; for a month the period covers in part, its day rows
    when they are fewer than half the month, else the month row minus the day rows outside the
    period (the default period, the last twelve months, then reads one or two day rows instead
    of thirty)."""
    parts: list[tuple[str, date, date, int]] = []
    for month in months_between(first, last):
        end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        low, high = max(first, month), min(last, end)
        if (low, high) == (month, end):
            if parts and parts[-1][:1] == ("month",) and parts[-1][3] == 1 and month_after(parts[-1][2]) == month:
                parts[-1] = ("month", parts[-1][1], month, 1)  # whole months read as one range
            else:
                parts.append(("month", month, month, 1))
        elif ((high - low).days + 1) * 2 <= end.day:
            parts.append(("day", low, high, 1))
        else:
            parts.append(("month", month, month, 1))
            parts += [("day", month, low - timedelta(days=1), -1)] if low > month else []
            parts += [("day", high + timedelta(days=1), end, -1)] if high < end else []
    return parts


def _sums(f: Any, columns: Sequence[Any], *conditions: Any) -> sa.Select[Any]:
    """SELECT columns, sum(value) over the period of `f` grouped by the columns. Each part of the
    period is its own range of the primary key (scope, metric, grain, day…), joined by UNION ALL:
    an OR of the parts would make SQLite scan every day of the metric (180 ms instead of 10 for
    one year by district at city scale)."""
    selects = [sa.select(*columns, (ReportFact.value * sign).label("value"))
               .where(*conditions, ReportFact.grain == grain, ReportFact.day.between(low, high))
               for grain, low, high, sign in period_parts(f.date_from, f.date_to)]
    rows = sa.union_all(*selects).subquery() if len(selects) > 1 else selects[0].subquery()
    keys = [rows.c[column.key] for column in columns]
    return sa.select(*keys, sa.func.sum(rows.c.value)).group_by(*keys)


def scope_of(f: Any) -> tuple[str, Any]:
    """(scope, extra condition) for a ReportFilter: its help point, its district, or the territory."""
    if f.help_point_id:
        return "help_point", ReportFact.help_point_id == f.help_point_id
    if f.district_id:
        return "district", ReportFact.district_id == f.district_id
    return "all", sa.true()


def read(f: Any, metrics: Sequence[str]) -> dict[tuple[int, str, str], int]:
    """Sums for the period of `f` in its scope (help point, district or territory):
    {(district id or 0, metric, code): value}."""
    scope, condition = scope_of(f)
    query = _sums(f, (ReportFact.district_id, ReportFact.metric, ReportFact.code),
                  ReportFact.scope == scope, condition, ReportFact.metric.in_(metrics))
    return {(district, metric, code): int(value) for district, metric, code, value in db.session.execute(query)}


PARTITIONS = {"district": ReportFact.district_id, "help_point": ReportFact.help_point_id}


def read_territory(f: Any, metrics: Sequence[str], by: str) -> dict[tuple[int, str, str], int]:
    """Sums of the whole territory in the period of `f` (its district and help point ignored), by
    district or by help point (`by`: "district" or "help_point"): {(id or 0, metric, code): value},
    0 for what has no district (or is at no help point)."""
    key = PARTITIONS[by]
    query = _sums(f, (key, ReportFact.metric, ReportFact.code), ReportFact.scope == by,
                  ReportFact.metric.in_(metrics))
    return {(group, metric, code): int(value) for group, metric, code, value in db.session.execute(query)}


def read_territory_months(f: Any, metric: str, by: str) -> dict[tuple[int, str], int]:
    """{(district or help point id or 0, "YYYY-MM"): value} of one metric (code '') over the
    territory in the period of `f` (see `read_territory`)."""
    query = _sums(f, (PARTITIONS[by], ReportFact.day), ReportFact.scope == by, ReportFact.metric == metric)
    months: dict[tuple[int, str], int] = defaultdict(int)
    for group, day, value in db.session.execute(query):
        months[(group, f"{day:%Y-%m}")] += int(value)
    return months


def served_territory(f: Any, by: str) -> dict[int, int]:
    """{district or help point id (0: none): distinct residents served} over the territory in the
    period of `f` (`by`: "district" or "help_point")."""
    key = ReportServed.district_id if by == "district" else ReportServed.help_point_id
    query = (sa.select(key, sa.func.count(sa.distinct(ReportServed.resident_id)))
             .where(ReportServed.day.between(f.date_from, f.date_to)).group_by(key))
    return {group: count for group, count in db.session.execute(query)}


def served(f: Any) -> int:
    """Distinct residents served in the period of `f`, in its scope (help point, district or territory)."""
    query = sa.select(sa.func.count(sa.distinct(ReportServed.resident_id))).where(
        ReportServed.day.between(f.date_from, f.date_to))
    if f.help_point_id:
        query = query.where(ReportServed.help_point_id == f.help_point_id)
    elif f.district_id:
        query = query.where(ReportServed.district_id == f.district_id)
    return int(db.session.scalar(query) or 0)
