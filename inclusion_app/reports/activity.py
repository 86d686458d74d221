"""Activity of help sessions: themes, procedure categories, outcomes, autonomy, profile, months.

Sessions count by their `date` in the period (DESIGN.md section 4), deleted ones excluded; each
breakdown also gives the previous period of the same length (`previous`) for comparison. Themes
and procedure categories are multiple choices: a session counts once under each of its codes, so
these lines do not add up to the number of sessions (each cell is protected on its own). The other
breakdowns share out the sessions (a missing answer is `non_renseigne`) and are suppressed as a
series with its total (primary and secondary suppression, `reports.suppression`). `people` counts
one person per individual session plus the participants of collective workshops.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from inclusion_app import vocabularies
from inclusion_app.reports import facts
from inclusion_app.reports.facts_sql import MISSING
from inclusion_app.reports.suppression import protect, series

SHARES = {
    "type": list(vocabularies.SESSION_TYPES),
    "outcome": [*vocabularies.SESSION_OUTCOMES, MISSING],
    "autonomy": [*vocabularies.AUTONOMY, MISSING],
    "age_band": list(vocabularies.AGE_BANDS),
    "gender": list(vocabularies.GENDERS),
}
MULTIPLE = {"theme": list(vocabularies.THEMES), "procedure": list(vocabularies.PROCEDURES)}
TOTALS = ("sessions", "people", "minutes")


def activity(f: Any) -> dict[str, Any]:
    """The activity report for a ReportFilter `f`: `by_theme`, `by_procedure`, `by_outcome`,
    `by_autonomy`, `by_age_band`, `by_gender`, `by_type` (lists of {code field, "sessions",
    "previous"}), `by_month` ({"month": "YYYY-MM", "sessions"}) and `totals` (sessions, people,
    hours, and the previous period's)."""
    facts.refresh()
    now, before = _figures(f), _figures(f.previous())
    report: dict[str, Any] = {}
    for name, codes in MULTIPLE.items():
        report[f"by_{name}"] = [{name: code, "sessions": protect(now[name].get(code, 0)),
                                 "previous": protect(before[name].get(code, 0))} for code in codes]
    for name, codes in SHARES.items():
        shown, _total = series(now[name], codes)
        shown_before, _ = series(before[name], codes)
        report[f"by_{name}"] = [{name: code, "sessions": shown[code], "previous": shown_before[code]}
                                for code in codes]
    months = [f"{month:%Y-%m}" for month in facts.months_between(f.date_from, f.date_to)]
    by_month, _ = series(facts.read_months(f, "sessions"), months)
    report["by_month"] = [{"month": month, "sessions": by_month[month]} for month in months]
    sessions = protect(now["sessions"])
    hours = round(now["minutes"] / 60, 1) if isinstance(sessions, int) else None  # a few sessions' length
    report["totals"] = {"sessions": sessions, "people": protect(now["people"]),
                        "hours": hours, "previous_sessions": protect(before["sessions"]),
                        "previous_people": protect(before["people"])}
    return report


def _figures(f: Any) -> dict[str, Any]:
    """True counts for one period: each breakdown as {code: sessions}, plus totals."""
    figures: dict[str, Any] = {name: defaultdict(int) for name in (*SHARES, *MULTIPLE)}
    figures.update(sessions=0, people=0, minutes=0)
    for (_district, metric, code), value in facts.read(f, (*SHARES, *MULTIPLE, *TOTALS)).items():
        if metric in TOTALS:
            figures[metric] += value
        else:
            figures[metric][code] += value
    return figures
