"""Managers' reports: coverage across districts, unmet rights, activity (issue 7).

Aggregates only, never a name or a phone number, never a figure per counsellor; small counts are
suppressed (`suppression`). The JSON API is in `inclusion_app.api.reports`.
"""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/rapports")

from inclusion_app.reports import facts, routes  # noqa: E402,F401

bp.record_once(lambda _state: facts.listen())


def _register_nightly() -> None:
    from datetime import timedelta

    from apscheduler.triggers.interval import IntervalTrigger

    from inclusion_app.messaging.scheduler import daily_at, register_job

    register_job("rebuild-report-facts", daily_at(3, 30), facts.rebuild_recent, daily=True,
                 lease=timedelta(hours=1))
    register_job("refresh-report-facts", IntervalTrigger(minutes=5), facts.refresh_all_pending)


_register_nightly()
