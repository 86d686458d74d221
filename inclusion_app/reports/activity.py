"""Activity of help sessions: themes, procedure categories, outcomes, autonomy, profile, months.

Sessions count by their `date` in the period (DESIGN.md section 4), deleted ones excluded; each
breakdown also gives the previous period of the same length (`previous`) for comparison. Themes
and procedure categories are multiple choices: a session counts once under each of its codes, so
these lines do not add up to the number of sessions. The other breakdowns share out the sessions
(a missing answer is `non_renseigne`). `people` counts one person per individual session plus the
participants of collective workshops.

Suppression (`reports.suppression`): every breakdown is suppressed once as a district × code grid
(`reports.grids`), so that the territory and each district filter publish lines of the same table
and no district can be found by subtracting the others from the territory; the sessions of each
district are those the coverage report publishes (the same series over districts), taken as the
grid's row totals. With a help point filter, the help point's own counts are suppressed as series.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from inclusion_app import vocabularies
from inclusion_app.reports import facts
from inclusion_app.reports.facts_sql import MISSING
from inclusion_app.reports.grids import (
    codes_found,
    district_keys,
    district_series,
    line,
    margins,
    protect_grid,
    read_by_district,
    read_months_by_district,
)
from inclusion_app.reports.suppression import protect, series

SHARES = {
    "type": list(vocabularies.SESSION_TYPES),
    "outcome": [*vocabularies.SESSION_OUTCOMES, MISSING],
    "autonomy": [*vocabularies.AUTONOMY, MISSING],
    "age_band": list(vocabularies.AGE_BANDS),
    "gender": list(vocabularies.GENDERS),
    "social_status": list(vocabularies.SOCIAL_STATUSES),
}
MULTIPLE = {"theme": list(vocabularies.THEMES), "procedure": list(vocabularies.PROCEDURES)}
TOTALS = ("sessions", "people", "minutes")


def activity(f: Any) -> dict[str, Any]:
    """The activity report for a ReportFilter `f`: `by_theme`, `by_procedure`, `by_outcome`,
    `by_autonomy`, `by_age_band`, `by_gender`, `by_social_status`, `by_type` (lists of {code field,
    "sessions", "previous"}), `by_month` ({"month": "YYYY-MM", "sessions"}) and `totals` (sessions,
    people, hours, and the previous period's); counts as int or Hidden."""
    facts.refresh()
    now, before = _published(f), _published(f.previous())
    report: dict[str, Any] = {}
    for name in (*MULTIPLE, *SHARES):
        report[f"by_{name}"] = [{name: code, "sessions": shown, "previous": before[name].get(code, 0)}
                                for code, shown in now[name].items()]
    report["by_month"] = [{"month": month, "sessions": shown} for month, shown in now["month"].items()]
    sessions = now["sessions"]
    hours = round(now["minutes"] / 60, 1) if isinstance(sessions, int) else None  # a few sessions' length
    report["totals"] = {"sessions": sessions, "people": now["people"], "hours": hours,
                        "previous_sessions": before["sessions"], "previous_people": before["people"]}
    return report


def _published(f: Any) -> dict[str, Any]:
    """The period's figures as published: {breakdown: {code: Count}}, "month": {"YYYY-MM": Count},
    "sessions" and "people" (Count), "minutes" (int, the true sum)."""
    months = [f"{month:%Y-%m}" for month in facts.months_between(f.date_from, f.date_to)]
    if f.help_point_id:
        return _published_help_point(f, months)
    keys = district_keys()
    cells = read_by_district(f, (*SHARES, *MULTIPLE, *TOTALS))
    sessions_by, sessions_total = district_series(cells["sessions"], keys)
    people_by, people_total = district_series(cells["people"], keys)
    edge = margins(sessions_by, sessions_total)
    published: dict[str, Any] = {}
    for name, known in SHARES.items():
        published[name] = line(f, protect_grid(cells[name], keys, codes_found(known, cells[name]), margins=edge))[0]
    for name, known in MULTIPLE.items():
        grid = protect_grid(cells[name], keys, codes_found(known, cells[name]), row_totals=False, grand_total=False)
        published[name] = line(f, grid)[0]
    by_month = read_months_by_district(f, "sessions")
    published["month"] = line(f, protect_grid(by_month, keys, months, margins=edge))[0]
    chosen = [f.district_id] if f.district_id else keys
    published.update(sessions=sessions_by[f.district_id] if f.district_id else sessions_total,
                     people=people_by[f.district_id] if f.district_id else people_total,
                     minutes=sum(v for (district, _code), v in cells["minutes"].items() if district in chosen))
    return published


def _published_help_point(f: Any, months: list[str]) -> dict[str, Any]:
    """A help point's own figures, suppressed as series (its sessions are not a district's part:
    a district counts people by where they live)."""
    counts: dict[str, Any] = {name: defaultdict(int) for name in (*SHARES, *MULTIPLE)}
    totals: dict[str, int] = defaultdict(int)
    for (_district, metric, code), value in facts.read(f, (*SHARES, *MULTIPLE, *TOTALS)).items():
        if metric in TOTALS:
            totals[metric] += value
        else:
            counts[metric][code] += value
    published: dict[str, Any] = {}
    for name, known in SHARES.items():
        published[name] = series(counts[name], codes_found(known, counts[name]))[0]
    for name, known in MULTIPLE.items():
        published[name] = {code: protect(counts[name].get(code, 0))
                           for code in codes_found(known, counts[name])}
    by_month = {month: value for (_district, month), value in facts.read_months(f, "sessions").items()}
    published["month"] = series(by_month, months)[0]
    published.update(sessions=protect(totals["sessions"]), people=protect(totals["people"]),
                     minutes=totals["minutes"])
    return published
