"""API of the managers' reports (DESIGN.md section 4): aggregates only, small counts as null."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from inclusion_app.api import bp
from inclusion_app.api.common import invalid
from inclusion_app.models.types import utcnow
from inclusion_app.reports import activity, coverage, facts, unmet_rights
from inclusion_app.reports.filters import FilterError, ReportFilter, parse_filter
from inclusion_app.reports.suppression import to_json
from inclusion_app.scheduling.slots import local_date
from inclusion_app.security import roles_required

REPORT_ROLES = ("manager", "admin")


def _report(build: Callable[[ReportFilter], Any]) -> Response:
    """The JSON of one report for the request's filters (400 `validation_error` naming a bad one)."""
    try:
        f = parse_filter(request.args, local_date(utcnow()))
    except FilterError as error:
        raise invalid(error.fields) from error
    facts.refresh_and_commit()
    body = to_json(build(f))
    body["filters"] = {"date_from": f.date_from.isoformat(), "date_to": f.date_to.isoformat(),
                       "district_id": f.district_id, "help_point_id": f.help_point_id}
    return jsonify(body)


@bp.route("/reports/coverage")
@roles_required(*REPORT_ROLES)
def reports_coverage() -> Response:
    """Coverage by district: `{"districts": [...], "totals": {...}, "filters": {...}}`."""
    return _report(lambda f: vars(coverage.coverage(f)))


@bp.route("/reports/unmet-rights")
@roles_required(*REPORT_ROLES)
def reports_unmet_rights() -> Response:
    """Unmet rights detected at the desk: by right, form, reason, district; hotspots; totals."""
    return _report(unmet_rights.unmet_rights)


@bp.route("/reports/activity")
@roles_required(*REPORT_ROLES)
def reports_activity() -> Response:
    """Help-session activity: by theme, procedure, outcome, autonomy, profile, month."""
    return _report(activity.activity)
