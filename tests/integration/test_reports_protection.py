"""What a fresh reviewer found in the reports (issue 7): small counts recovered from totals,
filters or rates, stale counts after an edit, 500s on odd parameters. Each test names the case."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, WalkIn
from inclusion_app.reports import activity, coverage, unmet_rights
from inclusion_app.reports.filters import ReportFilter
from inclusion_app.reports.suppression import Hidden, rate
from tests.reports_factories import MARCH, add_appointments, add_right, add_session, make_city
from tests.scheduling_factories import local, resident


@pytest.fixture
def city(app):
    return make_city()


def test_the_filed_column_is_protected_against_its_total(city):
    c, a = city["counsellor"], city["a"]
    for number in range(20):
        add_right(add_session(c, a), "rsa", outcome="deposee" if number < 15 else "repere", filed_on=None)
    for number in range(12):
        add_right(add_session(c, a), "prime_activite", outcome="deposee" if number < 4 else "repere")
    report = unmet_rights.unmet_rights(MARCH)
    filed = {line["right"]: line["filed"] for line in report["by_right"]}
    assert filed["prime_activite"] is Hidden.SMALL
    # The total (19) is published: the 15 of RSA must be hidden too, or 19 - 15 gives 4.
    assert filed["rsa"] is Hidden.SECONDARY
    assert report["totals"]["filed"] == 19


def test_a_district_filter_shows_the_territorys_suppression(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for _number in range(31):
        add_session(c, a)
    for _number in range(5):
        add_session(c, b)
    territory = {row["district_id"]: row["sessions"] for row in coverage.coverage(MARCH).districts}
    assert territory[b.id] is Hidden.SMALL
    assert territory[a.id] is Hidden.SECONDARY
    only_a = coverage.coverage(ReportFilter(MARCH.date_from, MARCH.date_to, district_id=a.id))
    assert only_a.districts[0]["sessions"] is Hidden.SECONDARY  # else 36 - 31 would give B's 5


def test_the_by_right_table_and_the_district_table_do_not_give_each_other_away(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for right, district, count in (("prime_activite", a, 30), ("aah", a, 12), ("rsa", b, 5)):
        for _number in range(count):
            add_right(add_session(c, district), right)
    report = unmet_rights.unmet_rights(MARCH)
    by_right = {line["right"]: line["detected"] for line in report["by_right"]}
    cells = {(line["district_id"], line["right"]): line["detected"] for line in report["by_district"]}
    assert by_right["rsa"] is Hidden.SMALL
    # RSA = total - prime - AAH unless one of those is hidden wherever it is published.
    total = report["totals"]["detected"]
    published_aah = [v for v in (by_right["aah"], cells.get((a.id, "aah"))) if isinstance(v, int)]
    published_prime = [v for v in (by_right["prime_activite"], cells.get((a.id, "prime_activite")))
                       if isinstance(v, int)]
    assert isinstance(total, Hidden) or not (published_aah and published_prime)
    # A hidden cell is listed even when it is a zero (its absence would say 0).
    assert all(isinstance(v, Hidden) or v > 0 for v in cells.values())


def test_a_rate_is_withheld_when_its_complement_is_small():
    assert rate(35, 40) is None  # 40 - 35 = 5 on site would be given back
    assert rate(20, 40) == 0.5
    assert rate(0, 40) == 0.0


def test_residents_served_in_total_are_counted_once(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for _number in range(12):
        person = resident(district_id=a.id)
        add_session(c, b, resident_id=person.id)
        add_session(c, a, resident_id=person.id, day=date(2026, 3, 6))
    report = coverage.coverage(MARCH)
    assert report.totals["residents_served"] == 12


def test_moving_a_resident_to_another_district_moves_their_appointments(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    add_appointments(c, a, None, "attended", 12)
    db.session.commit()
    coverage.coverage(MARCH)  # counts computed, nothing left to recompute
    for appointment in db.session.scalars(sa.select(Appointment)):
        appointment.resident.district_id = b.id
    db.session.flush()
    rows = {row["district_id"]: row["appointments_attended"] for row in coverage.coverage(MARCH).districts}
    assert (rows[a.id], rows[b.id]) == (0, 12)


def test_moving_a_help_point_to_another_district_moves_its_walk_ins(city):
    for number in range(12):
        db.session.add(WalkIn(help_point_id=city["hp_a"].id, display_name=f"T{number}",
                              arrived_at=local("2026-03-04 10:00")))
    db.session.commit()
    coverage.coverage(MARCH)
    city["hp_a"].district_id = city["b"].id
    db.session.flush()
    rows = {row["district_id"]: row["walk_ins"] for row in coverage.coverage(MARCH).districts}
    assert (rows[city["a"].id], rows[city["b"].id]) == (0, 12)


def test_hours_are_not_published_for_a_few_sessions(city):
    for _number in range(3):
        add_session(city["counsellor"], city["a"], duration_minutes=47)
    assert activity.activity(MARCH)["totals"]["hours"] is None


@pytest.mark.parametrize("query", ["district_id=%C2%B2", "help_point_id=%C2%B2", "min_help_points=%C2%B2",
                                   "max_days=%C2%B3", "print=0", "print=2", "endpoint=x", "_method=POST",
                                   "view=nope", "indicator=nope", "right=nope"])
def test_odd_parameters_never_give_a_500(city, client, login_as, query):
    login_as("manager")
    for path in ("/rapports/couverture", "/rapports/non-recours", "/rapports/activite",
                 "/api/v1/reports/coverage", "/rapports/couverture/coverage.csv"):
        assert client.get(f"{path}?{query}").status_code in (200, 400), (path, query)


def test_a_district_and_a_help_point_together_are_refused(city, client, login_as):
    login_as("manager")
    response = client.get(f"/api/v1/reports/coverage?district_id={city['a'].id}&help_point_id={city['hp_a'].id}")
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"help_point_id"}
