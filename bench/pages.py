"""Benchmark: server time of staff pages and API collections at city scale (DESIGN.md section 7).

Budget: median ≤ 100 ms per page, with a number of queries independent of the data size; the
managers' reports ≤ 300 ms for one year. The
data set is `flask generate-synthetic --scale city` (made here in a fresh database unless
--reuse points at one already generated). Pages are requested in-process through Flask's test
client as a synthetic counsellor and a synthetic phone agent (both logged in with a session),
each 15 times; the figures are the median, the number of SQL statements of one request, and the
ratio to a trivial page (`/health`) served by the same app in the same run.

    .venv/bin/python -m bench.pages [--database-url URL] [--reuse]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config import TestConfig
from inclusion_app import create_app
from inclusion_app.extensions import db
from inclusion_app.models import Appointment, HelpPoint, User
from inclusion_app.synthetic import SYNTHETIC_DOMAIN, generate

RUNS = 15


def prepare(url: str, reuse: bool) -> Any:
    """An app on `url` holding the city-scale data set."""
    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                                                 "WTF_CSRF_ENABLED": False})
    app = create_app(config)
    with app.app_context():
        if not reuse:
            db.drop_all()
            db.create_all()
            started = time.perf_counter()
            generate("city", progress=lambda *args: None)
            print(f"generate-synthetic --scale city: {time.perf_counter() - started:.0f} s")
    return app


def logged_in(app: Any, role: str) -> Any:
    """A test client logged in (session) as the busiest synthetic user of `role`."""
    with app.app_context():
        query = sa.select(User.id).where(User.role == role, User.email.like(f"%@{SYNTHETIC_DOMAIN}"))
        if role == "counsellor":
            query = (sa.select(Appointment.counsellor_id).group_by(Appointment.counsellor_id)
                     .order_by(sa.func.count().desc()))
        user_id = db.session.scalar(query.limit(1))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def measure(app: Any, client: Any, path: str) -> tuple[float, int, int]:
    """(median ms, statements of one request, status) of GET `path`."""
    statements = []

    def count(*args: Any) -> None:
        statements.append(1)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    status = client.get(path).status_code
    sa.event.remove(engine, "before_cursor_execute", count)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), len(statements), status


def pages(app: Any) -> dict[str, list[str]]:
    """The pages to time, per role."""
    with app.app_context():
        help_point_id = db.session.scalar(sa.select(HelpPoint.id).order_by(HelpPoint.id).limit(1))
    return {
        "counsellor": ["/health", "/dashboard", "/agenda", "/agenda/week", "/walk-ins", "/absences",
                       f"/help-points/{help_point_id}/day", "/help-points", f"/help-points/{help_point_id}",
                       "/help-points/map", "/booking?q=martin", "/api/v1/appointments?per_page=200",
                       "/api/v1/residents?q=martin&per_page=200", "/api/v1/slots?mode=on_site&days=30",
                       "/accompagnements/", "/accompagnements/suivi", "/accompagnements/statistiques",
                       "/accompagnements/nouveau", "/api/v1/help-sessions?per_page=200", "/api/v1/vocabularies"],
        "phone_agent": ["/rebooking", "/api/v1/residents?q=0781000123", "/messages/to-call"],
        # Reports: the default period is the twelve months up to today (one year).
        "manager": ["/rapports/couverture", "/rapports/non-recours", "/rapports/activite",
                    "/api/v1/reports/coverage", "/api/v1/reports/unmet-rights", "/api/v1/reports/activity",
                    "/rapports/activite/by_theme.csv", "/rapports/couverture?view=use",
                    "/rapports/non-recours?view=districts", f"/rapports/couverture?help_point_id={help_point_id}",
                    f"/api/v1/reports/activity?help_point_id={help_point_id}",
                    f"/api/v1/reports/unmet-rights?help_point_id={help_point_id}", "/messages/", "/territory/districts",
                    "/manage/help-points"],
        "admin": ["/messages/", "/messages/?status=failed", "/messages/templates", "/admin/users"],
    }


def main() -> None:
    """Run the benchmark and print a table of figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reuse", action="store_true", help="the database already holds the city data set")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'city.sqlite'}"
        app = prepare(url, args.reuse)
        print(f"{'role':<12} {'path':<42} {'status':>6} {'median ms':>10} {'ratio':>7} {'queries':>8}")
        trivial = None
        for role, paths in pages(app).items():
            client = logged_in(app, role)
            for path in paths:
                median, queries, status = measure(app, client, path)
                trivial = trivial or median
                print(f"{role:<12} {path:<42} {status:>6} {median:>10.1f} {median / trivial:>7.1f} {queries:>8}")
        print(f"engine: {url.split(':', 1)[0]}; budget: median ≤ 100 ms per page, ≤ 300 ms per report (one year)")


if __name__ == "__main__":
    main()
