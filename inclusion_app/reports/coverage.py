"""Coverage by district: where help is offered, how much of it is used, how long people wait.

Definitions (DESIGN.md section 4): an appointment belongs to the district where its resident
lives, else to its help point's district; a help session to its `district_id` (set from the person,
else the help point); a walk-in and a help point to the help point's district. Appointments count
by their start in the period: `appointments_booked` are those not cancelled (booked, attended, no
show), `no_show_rate` = no shows / (attended + no shows), `phone_share` = phone / booked.
`residents_served` counts distinct residents with an attended appointment or a session linked to
them (anonymous sessions count as sessions only). `median_days_to_first_slot` is the median, over
appointments booked (`booked_at`) in the period, of the whole days from booking to the earliest
free slot the search offered then. `weekly_open_hours` comes from the help points'
`opening_hours` (a typical week); `counsellor_hours` from the on-site availability rules over the
period, public holidays excluded (phone hours are city-wide and reported in `totals`). With a help
point filter, the report is that help point's, in its district's row. Counts come from the
precomputed facts (`reports.facts`); small counts are suppressed by `reports.suppression`; help
points and hours never are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.lieux.hours import InvalidHours, weekly_open_minutes
from inclusion_app.models import AvailabilityRule, District, HelpPoint
from inclusion_app.reports import facts
from inclusion_app.reports.activity import sessions_series
from inclusion_app.reports.grids import Partitions, margins, small_differences_in_series, until_stable
from inclusion_app.reports.suppression import Count, grid_from, histogram_median, protect, rate
from inclusion_app.scheduling.slots import _holidays

COUNTS = ("appointments_booked", "appointments_attended", "sessions", "residents_served", "walk_ins")
NOT_CANCELLED = ("booked", "attended", "no_show")


@dataclass
class CoverageReport:
    """`districts`: one dict per district in the shape of DESIGN.md section 4 (plus `phone_share`,
    `sessions_per_1000`, `residents_served_per_1000`), counts as int or Hidden; `totals`: the same
    figures for the whole selection, plus `phone_counsellor_hours`."""

    districts: list[dict[str, Any]]
    totals: dict[str, Any]


@dataclass(frozen=True)
class _Unassigned:
    """The row of what lies in no district: residents without one, phone appointments, places outside."""

    id: None = None
    name: None = None
    population: None = None


UNASSIGNED = _Unassigned()


def coverage(f: Any) -> CoverageReport:
    """The coverage report for a ReportFilter `f` (period, district or help point). Each count is
    suppressed once as a series over every district (and, with a help point filter, over every
    help point with the territory's total, `reports.grids`), so that a district or a help point
    shows what the territory's table shows; walk-ins of a help point are also protected within its
    district. The parts behind the rates (no-shows, phone and on-site appointments) are
    suppressed the same way, and a rate is published only when its parts are."""
    facts.refresh_in_savepoint()
    parts = Partitions(f)
    raw = {cut: _raw_counts(f, cut) for cut in parts.cuts}
    shown: dict[str, Any] = {}
    for name in (*RATE_PARTS, "appointments_booked", "appointments_attended", "residents_served"):
        # Appointments at no help point are the phone ones, which the phone share gives away.
        phone = {None: shown["phone"]["district"][1]} if name == "appointments_booked" else None
        shown[name] = parts.series({cut: {(key, ""): n for key, n in raw[cut][0][name].items()}
                                    for cut in parts.cuts}, phone)
    shown["sessions"] = sessions_series(parts)  # as the activity report's breakdowns need it
    shown["walk_ins"] = _walk_ins(f, parts, raw)
    shown["appointments_attended"] = _attended_within_booked(parts, raw, shown)
    hours = _help_point_hours(f)
    rules = _counsellor_hours(f)
    districts = _districts(f)
    if f.help_point_id:
        row = _district_row(districts[0], f.help_point_id, shown, "help_point", hours, rules, raw["help_point"][1])
        return CoverageReport([row], _row_totals(row, rules))
    rows = [_district_row(d, d.id, shown, "district", hours, rules, raw["district"][1]) for d in districts]
    if f.district_id:
        row = next(r for r in rows if r["district_id"] == f.district_id)
        return CoverageReport([row], _row_totals(row, rules))
    totals = _totals(shown, hours, rules, raw["district"][1], parts.keys["district"])
    totals["residents_served"] = protect(facts.served(f))  # distinct, not the districts' sum
    return CoverageReport(rows, totals)


RATE_PARTS = ("no_show", "phone", "on_site")


def _row_totals(row: dict[str, Any], rules: dict[Any, float]) -> dict[str, Any]:
    totals = {k: v for k, v in row.items() if k not in ("district_id", "name", "population")}
    totals["phone_counsellor_hours"] = round(rules.get("phone", 0.0), 1)
    return totals


def _attended_within_booked(parts: Partitions, raw: dict[str, Any], shown: dict[str, Any]) -> Any:
    """Attended appointments as published, hidden wherever booked minus attended (no-shows and
    appointments not yet recorded) would be a published small difference."""
    counts = {name: {cut: raw[cut][0][name] for cut in parts.cuts}
              for name in ("appointments_attended", "appointments_booked")}
    attended = {cut: {(key, ""): n for key, n in raw[cut][0]["appointments_attended"].items()} for cut in parts.cuts}

    def needs(published: Any) -> list[tuple[str, Any]]:
        found = small_differences_in_series(published, counts["appointments_attended"],
                                            shown["appointments_booked"], counts["appointments_booked"])
        return [(cut, key) for cut, keys in found.items() for key in keys]

    return until_stable(parts.cuts, lambda hide: parts.series(attended, hide=hide), needs)


def _walk_ins(f: Any, parts: Partitions, raw: dict[str, Any]) -> Any:
    """Walk-ins as published, by district (and by help point with a help point filter). A
    district's walk-ins are exactly those of its help points, so a help point's count is its cell
    of the series of its district's help points, whose total is the district's as published; a
    district whose series still gives a hidden cell away (11 and 1 under 12) is hidden itself."""
    counts = {key: n for (key, _metric, _code), n in facts.read_territory(f, ("walk_ins",), "help_point").items()}
    points: dict[Any, list[Any]] = defaultdict(list)
    for point, district in db.session.execute(sa.select(HelpPoint.id, HelpPoint.district_id).order_by(HelpPoint.id)):
        points[district].append(point)

    def build(hide: dict[str, set[Any]]) -> tuple[Any, dict[Any, Any]]:
        series = parts.series({"district": {(key, ""): n for key, n in raw["district"][0]["walk_ins"].items()}},
                              hide=hide)
        by_district = series["district"][0]
        return series, {district: grid_from(((0, point, counts.get(point, 0)) for point in siblings), [0], siblings,
                                            margins=margins({0: by_district[district]}, by_district[district]))
                        for district, siblings in points.items()}

    series, grids = until_stable(["district"], build, lambda result: [
        ("district", district) for district, grid in result[1].items() if grid.stuck])
    if "help_point" in parts.cuts:
        by_point = {point: grids[district].shown((0, point)) for district, siblings in points.items()
                    for point in siblings}
        series["help_point"] = ({**by_point, None: 0}, series["district"][1])
    return series


def _districts(f: Any) -> list[Any]:
    if f.help_point_id:
        point = db.session.get(HelpPoint, f.help_point_id)
        district = db.session.get(District, point.district_id) if point and point.district_id else None
        return [district or UNASSIGNED]
    query = sa.select(District).order_by(District.name)
    if f.district_id:
        return list(db.session.scalars(query.where(District.id == f.district_id)))
    return [*db.session.scalars(query), UNASSIGNED]


def _raw_counts(f: Any, cut: str) -> tuple[dict[str, dict[Any, int]], dict[Any, dict[int, int]]]:
    """True counts of the territory by district or by help point (`cut`; None: none), and the
    histograms of days to the first free slot."""
    raw: dict[str, dict[Any, int]] = {name: defaultdict(int) for name in (*COUNTS, *RATE_PARTS)}
    delays: dict[Any, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    sums = facts.read_territory(f, ("appointments", "first_slot_days", "sessions", "walk_ins"), cut)
    for (key, metric, code), value in sums.items():
        if metric == "appointments":
            status, _sep, mode = code.partition(":")
            _add_appointments(raw, key or None, status, mode, value)
        elif metric == "first_slot_days":
            delays[key or None][int(code)] += value
        else:
            raw[metric][key or None] += value
    for key, count in facts.served_territory(f, cut).items():
        raw["residents_served"][key or None] += count
    return raw, delays


def _add_appointments(raw: dict[str, dict[Any, int]], key: Any, status: str, mode: str, value: int) -> None:
    if status in NOT_CANCELLED:
        raw["appointments_booked"][key] += value
        raw["phone" if mode == "phone" else "on_site"][key] += value
    raw["appointments_attended"][key] += value if status == "attended" else 0
    raw["no_show"][key] += value if status == "no_show" else 0


def _district_row(d: Any, key: Any, shown: dict[str, Any], cut: str, hours: dict[Any, Any], rules: dict[Any, float],
                  delays: dict[Any, dict[int, int]]) -> dict[str, Any]:
    """A district's row (or, with `cut` "help_point" and its `key`, a help point's in its district's row)."""
    counts: dict[str, Count] = {name: shown[name][cut][0][key] for name in (*COUNTS, *RATE_PARTS)}
    row: dict[str, Any] = {"district_id": d.id, "name": d.name, "population": d.population,
                           "help_points": hours[d.id][0], "weekly_open_hours": round(hours[d.id][1], 1),
                           "counsellor_hours": round(rules.get(d.id, 0.0), 1)}
    row.update({name: counts[name] for name in COUNTS})
    row.update(_rates(counts, d.population))
    row["median_days_to_first_slot"] = histogram_median(delays.get(key, {}))
    return row


def _rates(counts: dict[str, Count], population: int | None) -> dict[str, Any]:
    """Rates from published counts only: a rate whose numerator or complement is hidden would
    give it back (its denominator is published)."""
    no_show, attended, phone, on_site, booked = (counts[name] for name in (
        "no_show", "appointments_attended", "phone", "on_site", "appointments_booked"))
    published = all(isinstance(n, int) for n in (no_show, attended))
    values = {"no_show_rate": rate(no_show, no_show + attended) if published else None,  # type: ignore[operator]
              "phone_share": rate(phone, booked) if isinstance(on_site, int) else None}
    for name in ("sessions", "residents_served"):
        count = counts[name]
        values[f"{name}_per_1000"] = (round(count * 1000 / population, 1)
                                      if population and isinstance(count, int) else None)
    return values


def _totals(shown: dict[str, Any], hours: dict[Any, Any], rules: dict[Any, float],
            delays: dict[Any, dict[int, int]], keys: list[Any]) -> dict[str, Any]:
    totals: dict[str, Any] = {name: shown[name]["district"][1] for name in COUNTS}
    totals.update(_rates({name: shown[name]["district"][1] for name in (*COUNTS, *RATE_PARTS)}, None))
    del totals["sessions_per_1000"], totals["residents_served_per_1000"]
    totals["help_points"] = sum(hours[k][0] for k in keys)
    totals["weekly_open_hours"] = round(sum(hours[k][1] for k in keys), 1)
    totals["counsellor_hours"] = round(sum(rules.get(k, 0.0) for k in keys), 1)
    totals["phone_counsellor_hours"] = round(rules.get("phone", 0.0), 1)
    merged: dict[int, int] = defaultdict(int)
    for key in keys:
        for days, count in delays.get(key, {}).items():
            merged[days] += count
    totals["median_days_to_first_slot"] = histogram_median(merged)
    return totals


def _help_point_hours(f: Any) -> dict[Any, Any]:
    """district id → [active help points, weekly open hours] (invalid hours count as 0 hours)."""
    query = sa.select(HelpPoint.district_id, HelpPoint.horaires).where(HelpPoint.is_active.is_(True))
    if f.help_point_id:
        query = query.where(HelpPoint.id == f.help_point_id)
    hours: dict[Any, Any] = defaultdict(lambda: [0, 0.0])
    for district_id, text in db.session.execute(query):
        hours[district_id][0] += 1
        hours[district_id][1] += _weekly_hours(text)
    return hours


def _weekly_hours(text: str | None) -> float:
    if not text:
        return 0.0
    try:
        return weekly_open_minutes(text) / 60
    except InvalidHours:
        return 0.0


def _counsellor_hours(f: Any) -> dict[Any, float]:
    """district id (or "phone") → hours of availability rules in the period, holidays excluded."""
    query = (sa.select(AvailabilityRule, HelpPoint.district_id)
             .outerjoin(HelpPoint, HelpPoint.id == AvailabilityRule.help_point_id)
             .where(AvailabilityRule.valid_from <= f.date_to,
                    sa.or_(AvailabilityRule.valid_until.is_(None), AvailabilityRule.valid_until >= f.date_from)))
    if f.help_point_id:
        query = query.where(AvailabilityRule.help_point_id == f.help_point_id)
    hours: dict[Any, float] = defaultdict(float)
    for rule, district_id in db.session.execute(query):
        key = "phone" if rule.mode == "phone" else district_id
        hours[key] += _rule_days(rule, f.date_from, f.date_to) * _rule_hours(rule)
    return hours


def _rule_hours(rule: AvailabilityRule) -> float:
    start = rule.start_time.hour * 60 + rule.start_time.minute
    end = rule.end_time.hour * 60 + rule.end_time.minute
    return (end - start) / 60


def _rule_days(rule: AvailabilityRule, first: date, last: date) -> int:
    """Days of the rule's weekday within both the period and its validity, public holidays excluded."""
    first = max(first, rule.valid_from)
    last = min(last, rule.valid_until or last)
    day = first + timedelta(days=(rule.weekday - first.weekday()) % 7)
    count = 0
    while day <= last:
        count += day not in _holidays(day.year, None)
        day += timedelta(days=7)
    return count
