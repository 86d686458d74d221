"""Reports as tables: the one shape the pages, their charts and the CSV downloads all read.

A `Table` has a key (used in the CSV address), a caption, column headers and rows of cells;
a cell is text, a number, None (no figure: a rate or a median that cannot be published) or a
`Hidden` count, shown "< 11" (a count from 1 to 10) or "hidden" (secondary suppression).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from inclusion_app import vocabularies
from inclusion_app.extensions import db
from inclusion_app.models import District
from inclusion_app.reports.suppression import Hidden


@dataclass
class Table:
    """One published table: `columns` are (field, header) pairs; `rows` lists of cells; `chart`
    names the numeric column a bar chart draws, if any."""

    key: str
    caption: str
    columns: list[tuple[str, str]]
    rows: list[list[Any]] = field(default_factory=list)
    chart: str | None = None
    codes: list[Any] = field(default_factory=list)

    def column(self, name: str) -> list[Any]:
        """The cells of one column, by field name."""
        index = [c for c, _h in self.columns].index(name)
        return [row[index] for row in self.rows]


def cell_text(value: Any) -> str:
    """A cell as pages and CSV files show it: "< 11", "hidden", "" (no figure), or the value."""
    if value is Hidden.SMALL:
        return "< 11"
    if value is Hidden.SECONDARY:
        return _("hidden")
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_csv(table: Table) -> str:
    """The table as CSV: a header of field names, then a `code` column (the code or id of each
    line, empty for the totals) before the label and the figures, "< 11" for small counts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["code", *(name for name, _header in table.columns)])
    codes = table.codes + [""] * (len(table.rows) - len(table.codes))
    for code, row in zip(codes, table.rows, strict=True):
        writer.writerow(["" if code is None else code, *(cell_text(value) for value in row)])
    return buffer.getvalue()


def _label(vocabulary: Mapping[str, Any], code: Any) -> str:
    return str(vocabulary.get(code, code)) if code is not None else _("Unassigned")


def _lines(key: str, caption: Any, lines: list[dict[str, Any]], fields: list[tuple[str, Any]],
           label: Callable[[dict[str, Any]], str], chart: str | None = None, code: str | None = None) -> Table:
    columns = [("label", _("Category")), *((name, str(header)) for name, header in fields)]
    rows = [[label(line), *(line.get(name) for name, _header in fields)] for line in lines]
    codes = [line.get(code or key.removeprefix("by_")) for line in lines]
    return Table(key, str(caption), columns, rows, chart, codes)


COVERAGE_FIELDS = [
    ("population", _l("Population")), ("help_points", _l("Help points")),
    ("weekly_open_hours", _l("Opening hours a week")), ("counsellor_hours", _l("Counsellor hours")),
    ("appointments_booked", _l("Appointments")), ("appointments_attended", _l("Attended")),
    ("no_show_rate", _l("No-show rate")), ("phone_share", _l("Share by phone")), ("sessions", _l("Help sessions")),
    ("sessions_per_1000", _l("Sessions per 1,000 inhabitants")), ("residents_served", _l("Residents served")),
    ("median_days_to_first_slot", _l("Median days to the first free slot")), ("walk_ins", _l("Walk-ins")),
]


COVERAGE_VIEWS = {
    "offer": (_l("Offer"), ["population", "help_points", "weekly_open_hours", "counsellor_hours"]),
    "appointments": (_l("Appointments"), ["appointments_booked", "appointments_attended", "no_show_rate",
                                          "phone_share", "median_days_to_first_slot"]),
    "use": (_l("Use"), ["sessions", "sessions_per_1000", "residents_served", "walk_ins"]),
}


def only_columns(table: Table, names: list[str], key: str | None = None) -> Table:
    """The table with its label column and the columns `names` only (a page shows a few at a time)."""
    keep = [0, *(i for i, (name, _h) in enumerate(table.columns) if name in names)]
    return Table(key or table.key, table.caption, [table.columns[i] for i in keep],
                 [[row[i] for i in keep] for row in table.rows], None, table.codes)


def coverage_tables(report: Any) -> list[Table]:
    """The coverage report as one table, a row per district (then the totals)."""
    table = _lines("coverage", _l("Coverage by district"), report.districts, COVERAGE_FIELDS,
                   lambda line: line["name"] or _("Outside the districts or unknown"), code="district_id")
    table.columns[0] = ("district", _("District"))
    table.rows.append([_("Total"), None, *(report.totals.get(name) for name, _h in COVERAGE_FIELDS[1:])])
    return [table]


RIGHT_FIELDS = [("detected", _l("Rights detected")), ("filed", _l("Claims filed")), ("opened", _l("Rights opened")),
                ("filing_rate", _l("Filing rate")), ("opening_rate", _l("Opening rate")),
                ("median_days_to_filing", _l("Median days to filing")),
                ("median_days_to_opening", _l("Median days to opening"))]


def unmet_rights_tables(report: dict[str, Any], rights: Mapping[str, Any]) -> list[Table]:
    """The unmet-rights report as tables: by right, by form, by reason, hotspots."""
    totals = report["totals"]
    by_right = _lines("by_right", _l("Unmet rights detected, by right"), report["by_right"], RIGHT_FIELDS,
                      lambda line: _label(rights, line["right"]), chart="detected", code="right")
    by_right.rows.append([_("Total"), totals["detected"], totals["filed"], totals["opened"], totals["filing_rate"],
                          totals["opening_rate"], None, None])
    detected = [("detected", _l("Rights detected"))]
    return [
        by_right,
        _lines("by_form", _l("By form of non-take-up (ODENORE)"), report["by_form"], detected,
               lambda line: _label(vocabularies.NON_TAKE_UP_FORMS, line["form"]), chart="detected"),
        _lines("by_reason", _l("By reason"), report["by_reason"], detected,
               lambda line: _label(vocabularies.NON_TAKE_UP_REASONS, line["reason"]), chart="detected"),
        _lines("hotspots", _l("Blockages by organisation in charge"), report["hotspots"],
               [("blocked", _l("Files blocked")), ("refused", _l("Claims refused"))],
               lambda line: ORGANISATION_LABELS.get(line["organisation"], line["organisation"]),
               code="organisation"),
        _by_district_table(report["by_district"], rights),
    ]


def _by_district_table(lines: list[dict[str, Any]], rights: Mapping[str, Any]) -> Table:
    """District × right cells that are not zero, one line each (code "district id:right")."""
    names = district_names()
    table = Table("by_district", _("Unmet rights detected, by district and right"),
                  [("district", _("District")), ("right", _("Right")), ("detected", _("Rights detected"))])
    for line in lines:
        table.rows.append([names.get(line["district_id"], _("Outside the districts or unknown")),
                           _label(rights, line["right"]), line["detected"]])
        table.codes.append(f"{line['district_id'] or ''}:{line['right']}")
    return table


def district_names() -> dict[Any, str]:
    """{district id: name} of every district."""
    return dict(db.session.execute(sa.select(District.id, District.name)).tuples().all())


ORGANISATION_LABELS = {"caf": "CAF", "mdph_caf": "MDPH / CAF", "cpam": "CPAM", "carsat_msa": "Carsat / MSA",
                       "france_travail": "France Travail", "asp": "ASP", "collectivite": _l("Local authority"),
                       "autre": _l("Other")}

ACTIVITY_BREAKDOWNS = [
    ("theme", _l("Sessions by theme"), vocabularies.THEMES),
    ("procedure", _l("Sessions by procedure category"), vocabularies.PROCEDURES),
    ("outcome", _l("Sessions by outcome of the procedure"), vocabularies.SESSION_OUTCOMES),
    ("autonomy", _l("Sessions by autonomy"), vocabularies.AUTONOMY),
    ("type", _l("Sessions by type"), vocabularies.SESSION_TYPES),
    ("age_band", _l("Sessions by age band"), vocabularies.AGE_BANDS),
    ("gender", _l("Sessions by gender"), vocabularies.GENDERS),
    ("social_status", _l("Sessions by social status"), vocabularies.SOCIAL_STATUSES),
]


def _labeller(name: str, labels: Mapping[str, Any]) -> Callable[[dict[str, Any]], str]:
    """The label of a line's code under `name` (a missing answer is "Not given")."""
    labels = {**labels, "non_renseigne": _l("Not given")}
    return lambda line: _label(labels, line[name])


def activity_tables(report: dict[str, Any]) -> list[Table]:
    """The activity report as tables: one per breakdown (with the previous period), then by month."""
    fields = [("sessions", _l("Sessions")), ("previous", _l("Previous period"))]
    tables = [_lines(f"by_{name}", caption, report[f"by_{name}"], fields, _labeller(name, labels), chart="sessions")
              for name, caption, labels in ACTIVITY_BREAKDOWNS]
    tables.append(_lines("by_month", _l("Sessions by month"), report["by_month"], [("sessions", _l("Sessions"))],
                         lambda line: line["month"], chart="sessions", code="month"))
    return tables
