"""Pages of the managers' reports: coverage, unmet rights, activity; CSV of every table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, render_template, request
from flask_babel import gettext as _

from inclusion_app.extensions import db
from inclusion_app.models import District
from inclusion_app.models.types import utcnow
from inclusion_app.reports import activity, bp, charts, coverage, facts, unmet_rights
from inclusion_app.reports.filters import FilterError, ReportFilter, parse_filter
from inclusion_app.reports.tables import (
    COVERAGE_FIELDS,
    COVERAGE_VIEWS,
    Table,
    activity_tables,
    cell_text,
    coverage_tables,
    only_columns,
    to_csv,
    unmet_rights_tables,
)
from inclusion_app.reports.thresholds import Thresholds, below_thresholds
from inclusion_app.scheduling.agenda import help_point_choices
from inclusion_app.scheduling.slots import local_date
from inclusion_app.security import roles_required
from inclusion_app.sessions.services import right_codes

REPORT_ROLES = ("manager", "admin")
MAP_INDICATORS = [name for name, _header in COVERAGE_FIELDS if name != "population"]


def _filter() -> tuple[ReportFilter | None, dict[str, str]]:
    try:
        return parse_filter(request.args, local_date(utcnow())), {}
    except FilterError as error:
        return None, error.fields


# The query arguments a report page passes on in its links (nothing else reaches `url_for`).
QUERY_ARGS = ("date_from", "date_to", "district_id", "help_point_id", "view", "indicator", "min_help_points",
              "max_days", "right")


def _page(template: str, build: Callable[[ReportFilter], dict[str, Any]]) -> str:
    """Render a report page: the filter form (typed values kept, errors beside them), then figures."""
    f, errors = _filter()
    facts.refresh_and_commit()
    context = build(f) if f is not None else {}
    districts = list(db.session.execute(sa.select(District.id, District.name).order_by(District.name)))
    args = {name: request.args[name] for name in QUERY_ARGS if request.args.get(name)}
    return render_template(template, f=f, errors=errors, args=args, districts=districts,
                           help_points=help_point_choices(), printable=request.args.get("print") == "1",
                           chart_bars=charts.bars, cell=cell_text,
                           **context)


def _view(views: list[str], default: str) -> str:
    view = request.args.get("view", default)
    return view if view in views else default


@bp.route("/")
@bp.route("/couverture")
@roles_required(*REPORT_ROLES)
def coverage_page() -> str:
    """Coverage by district. Views (a page stays light): `map` (districts under the thresholds, the
    choropleth of one indicator and its table), `offer`, `appointments`, `use` (columns of the table)."""

    def build(f: ReportFilter) -> dict[str, Any]:
        report = coverage.coverage(f)
        view = _view(["map", *COVERAGE_VIEWS], "map")
        indicator = request.args.get("indicator", "sessions")
        indicator = indicator if indicator in MAP_INDICATORS else "sessions"
        thresholds = Thresholds.from_args(request.args)
        full = coverage_tables(report)[0]
        shown = [only_columns(full, [indicator] if view == "map" else COVERAGE_VIEWS[view][1])]
        return {"tables": shown, "view": view, "views": [("map", _("Map")), *((k, v[0]) for k, v in
                                                                              COVERAGE_VIEWS.items())],
                "indicator": indicator, "phone_hours": report.totals["phone_counsellor_hours"],
                "indicators": COVERAGE_FIELDS[1:], "thresholds": thresholds,
                "map": charts.choropleth(report.districts, indicator) if view == "map" else None,
                "alerts": below_thresholds(report.districts, thresholds)}

    return _page("reports/coverage.html", build)


UNMET_VIEWS = {"rights": ["by_right"], "reasons": ["by_form", "by_reason"], "hotspots": ["hotspots"],
               "districts": ["by_district"]}


@bp.route("/non-recours")
@roles_required(*REPORT_ROLES)
def unmet_rights_page() -> str:
    """Unmet rights detected at the desk, with national figures as sourced context. Views: `rights`,
    `reasons` (ODENORE forms and reasons), `hotspots` (and the national context), `districts`."""

    def build(f: ReportFilter) -> dict[str, Any]:
        view = _view(list(UNMET_VIEWS), "rights")
        report = unmet_rights.unmet_rights(f)
        tables = [t for t in unmet_rights_tables(report, right_codes()) if t.key in UNMET_VIEWS[view]]
        right = request.args.get("right", "rsa")
        right = right if right in right_codes() else "rsa"
        if view == "districts":
            tables = [_rows_of_right(tables[0], right)]
        views = [("rights", _("By right")), ("reasons", _("Forms and reasons")),
                 ("hotspots", _("Blockages")), ("districts", _("By district"))]
        return {"tables": tables, "context": report["context"], "rights": right_codes(), "view": view,
                "views": views, "right": right, "known_share": report["totals"]["known_outcome_share"]}

    return _page("reports/unmet_rights.html", build)


def _rows_of_right(table: Table, right: str) -> Table:
    """The district × right table cut to one right (its codes are "district id:right")."""
    keep = [i for i, code in enumerate(table.codes) if code.endswith(f":{right}")]
    return Table(table.key, table.caption, table.columns, [table.rows[i] for i in keep], None,
                 [table.codes[i] for i in keep])


@bp.route("/activite")
@roles_required(*REPORT_ROLES)
def activity_page() -> str:
    """Help-session activity, one breakdown at a time (`view`: theme, procedure, outcome, autonomy,
    type, age band, gender, month), each with the previous period."""

    def build(f: ReportFilter) -> dict[str, Any]:
        report = activity.activity(f)
        tables = activity_tables(report)
        view = _view([t.key for t in tables], "by_theme")
        return {"tables": [t for t in tables if t.key == view], "totals": report["totals"], "view": view,
                "views": [(t.key, t.caption) for t in tables]}

    return _page("reports/activity.html", build)


BUILDERS: dict[str, Callable[[ReportFilter], list[Table]]] = {
    "couverture": lambda f: coverage_tables(coverage.coverage(f)),
    "non-recours": lambda f: unmet_rights_tables(unmet_rights.unmet_rights(f), right_codes()),
    "activite": lambda f: activity_tables(activity.activity(f)),
}


@bp.route("/<report>/<table>.csv")
@roles_required(*REPORT_ROLES)
def table_csv(report: str, table: str) -> Response:
    """One table of a report as CSV, for the same filters (400 for bad filters, 404 for no such table)."""
    if report not in BUILDERS:
        abort(404)
    f, errors = _filter()
    if f is None:
        return Response("".join(f"{name}: {message}\r\n" for name, message in errors.items()), status=400,
                        mimetype="text/plain")
    facts.refresh_and_commit()
    found = next((t for t in BUILDERS[report](f) if t.key == table), None)
    if found is None:
        abort(404)
    name = f"{report}-{table}-{f.date_from.isoformat()}-{f.date_to.isoformat()}.csv"
    response = Response(to_csv(found), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
