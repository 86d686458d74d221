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

from typing import Any

from inclusion_app import vocabularies
from inclusion_app.reports import facts
from inclusion_app.reports.facts_sql import MISSING
from inclusion_app.reports.grids import Partitions, codes_found, until_stable
from inclusion_app.reports.suppression import Hidden

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
    facts.refresh_in_savepoint()
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
    parts = Partitions(f)
    cells = parts.read((*SHARES, *MULTIPLE, *TOTALS))
    sessions, tables = _sessions_and_shares(parts, cells)
    published: dict[str, Any] = {name: parts.line(grids)[0] for name, grids in tables.items()}
    for name, known in MULTIPLE.items():
        by_cut = {cut: cells[cut][name] for cut in parts.cuts}
        published[name] = parts.publish(by_cut, codes_found(known, cells["district"][name]), row_totals=False,
                                        grand_total=False)[0]
    shown = parts.pick(sessions)
    people = parts.pick(parts.series({cut: cells[cut]["people"] for cut in parts.cuts}))
    cut, row = ("help_point", f.help_point_id) if f.help_point_id else ("district", f.district_id)
    minutes = sum(v for (key, _code), v in cells[cut]["minutes"].items() if not row or key == row)
    # People are sessions plus workshop participants: with no workshop they equal the sessions.
    if isinstance(shown, Hidden) and not isinstance(people, Hidden):
        people = Hidden.SECONDARY
    published.update(sessions=shown, people=people, minutes=minutes)
    return published


def sessions_series(parts: Partitions) -> dict[str, tuple[dict[Any, Any], Any]]:
    """Sessions by district (and by help point) as published — by this report and by the coverage
    report alike: see `_sessions_and_shares`."""
    return _sessions_and_shares(parts, parts.read((*SHARES, "sessions")))[0]


def _sessions_and_shares(parts: Partitions, cells: dict[str, dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    """The sessions series and the breakdowns that share it out ({name: {cut: Grid}}, "month"
    included). A breakdown line whose hidden cells its published total would still give away
    (e.g. 11 individual and 1 workshop under a total of 12) cannot be helped inside the breakdown:
    that total is hidden in the sessions series, and everything is suppressed again."""
    months = [f"{month:%Y-%m}" for month in facts.months_between(parts.f.date_from, parts.f.date_to)]
    by_month = parts.read_months("sessions")

    def build(hide: dict[str, set[Any]]) -> tuple[Any, dict[str, Any]]:
        sessions = parts.series({cut: cells[cut]["sessions"] for cut in parts.cuts}, hide=hide)
        tables = {name: parts.protect({cut: cells[cut][name] for cut in parts.cuts},
                                      codes_found(known, cells["district"][name]), rows=sessions)
                  for name, known in SHARES.items()}
        tables["month"] = parts.protect(by_month, months, rows=sessions)
        return sessions, tables

    return until_stable(parts.cuts, build, lambda result: parts.stuck_totals(result[1].values()))
