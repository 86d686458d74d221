"""Managers' reports on small hand-made data sets whose right answers are written here (issue 7).

Period: March 2026 (Mondays 2, 9, 16, 23, 30; Tuesdays 3, 10, 17, 24, 31; no public holiday).
"""

from __future__ import annotations

from datetime import date

import pytest

from inclusion_app.extensions import db
from inclusion_app.models import WalkIn
from inclusion_app.reports import activity, coverage, facts, unmet_rights
from inclusion_app.reports.filters import FilterError, ReportFilter, parse_filter
from inclusion_app.reports.suppression import Hidden
from tests.reports_factories import MARCH, add_appointments, add_right, add_session, make_city
from tests.scheduling_factories import local


@pytest.fixture
def city(app):
    return make_city()


def test_coverage_of_one_district(city):
    c, a, hp_a = city["counsellor"], city["a"], city["hp_a"]
    add_appointments(c, a, hp_a, "attended", 20, delay_days=[1, 2, 3, 4, 5])
    add_appointments(c, a, hp_a, "no_show", 11, delay_days=[6])
    add_appointments(c, a, hp_a, "cancelled_by_resident", 2)
    add_appointments(c, a, hp_a, "booked", 1)
    add_appointments(c, a, None, "attended", 11)
    for number in range(12):
        db.session.add(WalkIn(help_point_id=hp_a.id, display_name=f"T{number}", arrived_at=local("2026-03-04 10:00")))
    db.session.add(WalkIn(help_point_id=hp_a.id, display_name="April", arrived_at=local("2026-04-01 10:00")))
    for _number in range(11):
        add_session(c, a)
    add_session(c, a, deleted_at=local("2026-03-06 10:00"))
    add_session(c, a, day=date(2026, 4, 1))
    report = coverage.coverage(MARCH)
    row = next(r for r in report.districts if r["district_id"] == a.id)
    assert row["help_points"] == 1
    assert row["weekly_open_hours"] == 30.0
    assert row["counsellor_hours"] == 15.0  # five Mondays of three hours
    assert report.totals["phone_counsellor_hours"] == 10.0  # five Tuesdays of two hours
    assert row["appointments_booked"] == 43  # 20 + 11 + 1 on site, 11 by phone; cancelled left out
    assert row["appointments_attended"] == 31
    assert row["no_show_rate"] == round(11 / 42, 3)
    assert row["phone_share"] == round(11 / 43, 3)
    assert row["walk_ins"] == 12
    assert row["sessions"] == 11  # the deleted one and April's left out
    assert row["sessions_per_1000"] == 5.5
    assert row["residents_served"] == 31  # one resident per attended appointment
    assert row["median_days_to_first_slot"] == 4.0  # 20 × (1..5) and 11 × 6: median of 31 values
    b = next(r for r in report.districts if r["district_id"] == city["b"].id)
    assert b["help_points"] == 1
    assert b["weekly_open_hours"] == 3.0
    assert b["appointments_booked"] == 0
    assert b["sessions_per_1000"] is None


def test_coverage_suppresses_small_counts_and_what_would_reveal_them(city):
    c = city["counsellor"]
    add_appointments(c, city["a"], city["hp_a"], "attended", 43)
    add_appointments(c, city["b"], city["hp_b"], "attended", 5)
    report = coverage.coverage(MARCH)
    rows = {r["district_id"]: r for r in report.districts}
    assert rows[city["b"].id]["appointments_booked"] is Hidden.SMALL
    # The total (48) is published, so the other positive cell is hidden too: 48 - 43 would give 5.
    assert rows[city["a"].id]["appointments_booked"] is Hidden.SECONDARY
    assert rows[None]["appointments_booked"] == 0  # zero is a fact, published
    assert report.totals["appointments_booked"] == 48
    assert rows[city["b"].id]["help_points"] == 1  # help points and hours are never suppressed
    assert rows[city["b"].id]["no_show_rate"] is None  # a denominator under 11


def test_unmet_rights_rates_delays_and_quality(city):
    c, a = city["counsellor"], city["a"]
    for number in range(24):
        session = add_session(c, a, day=date(2026, 3, 2))
        if number < 12:  # filed 10 days after detection; 11 of them opened 20 days after filing
            add_right(session, outcome="ouvert" if number < 11 else "deposee", filed_on=date(2026, 3, 12),
                   opened_on=date(2026, 4, 1) if number < 11 else None)
        elif number < 14:
            add_right(session, outcome="abandonne", reason="dossier_bloque")
        else:
            add_right(session, reason="langue")
    report = unmet_rights.unmet_rights(MARCH)
    rsa = next(line for line in report["by_right"] if line["right"] == "rsa")
    assert rsa["detected"] == 24
    assert rsa["filed"] == 12
    assert rsa["opened"] is Hidden.SECONDARY  # 12 filed - 11 opened would give the one not opened
    assert rsa["filing_rate"] == 0.5
    assert rsa["opening_rate"] is None  # 11 of 12: the one not opened would be given back
    assert rsa["median_days_to_filing"] == 10.0
    assert rsa["median_days_to_opening"] == 20.0
    # 14 of 24 known (11 opened, 1 filed, 2 abandoned): the 10 unknown are a small count, so no share.
    assert report["totals"]["known_outcome_share"] is None
    reasons = {line["reason"]: line["detected"] for line in report["by_reason"]}
    # Two small cells (10 and 2) protect each other: the total (24) minus 12 gives only their sum.
    assert reasons["complexite"] == 12
    assert reasons["langue"] is Hidden.SMALL
    assert reasons["dossier_bloque"] is Hidden.SMALL
    caf = next(line for line in report["hotspots"] if line["organisation"] == "caf")
    assert caf["blocked"] is Hidden.SMALL
    assert caf["refused"] == 0


def test_unmet_rights_district_grid_has_secondary_suppression(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for _number in range(30):
        add_right(add_session(c, a), "rsa")
    for _number in range(20):
        add_right(add_session(c, a), "aah")
    for _number in range(4):
        add_right(add_session(c, b), "rsa")
    for _number in range(25):
        add_right(add_session(c, b), "aah")
    cells = {(line["district_id"], line["right"]): line["detected"]
             for line in unmet_rights.unmet_rights(MARCH)["by_district"]}
    assert cells[(b.id, "rsa")] is Hidden.SMALL
    # Row b and column rsa each had one hidden cell: their smallest other cells are hidden too,
    # and then the four cells of the rectangle protect one another.
    assert cells[(b.id, "aah")] is Hidden.SECONDARY
    assert cells[(a.id, "rsa")] is Hidden.SECONDARY
    assert cells[(a.id, "aah")] is Hidden.SECONDARY


def test_activity_breakdowns_and_previous_period(city):
    c, a = city["counsellor"], city["a"]
    for number in range(12):
        add_session(c, a, themes=["email", "aide_aux_demarches_administratives"], procedures=["logement"],
                 outcome="finalisee" if number < 11 else None, autonomy="autonome", birth_year=1950,
                 age_band="soixante_dix_plus", social_status="retraite", duration_minutes=60)
    add_session(c, a, type="collectif", title="Atelier", participants={"total": 8}, participants_total=8)
    for _number in range(3):
        add_session(c, a, day=date(2026, 2, 10))
    report = activity.activity(MARCH)
    themes = {line["theme"]: line for line in report["by_theme"]}
    assert themes["email"]["sessions"] == 13
    assert themes["email"]["previous"] is Hidden.SMALL
    assert themes["aide_aux_demarches_administratives"]["sessions"] == 12
    assert {line["procedure"]: line["sessions"] for line in report["by_procedure"]}["logement"] == 12
    outcomes = {line["outcome"]: line["sessions"] for line in report["by_outcome"]}
    assert outcomes["finalisee"] is Hidden.SECONDARY
    assert outcomes["non_renseigne"] is Hidden.SMALL
    statuses = {line["social_status"]: line["sessions"] for line in report["by_social_status"]}
    assert statuses == {"retraite": Hidden.SECONDARY, "non_communique": Hidden.SMALL, "scolarise": 0,
                        "sans_emploi": 0, "en_emploi": 0}
    assert report["totals"] == {"sessions": 13, "people": 20, "hours": 12.5, "previous_sessions": Hidden.SMALL,
                                "previous_people": Hidden.SMALL}
    assert {line["month"]: line["sessions"] for line in report["by_month"]} == {"2026-03": 13}


def test_a_period_of_partial_months_counts_exactly_its_days(city):
    c, a = city["counsellor"], city["a"]
    for day in (date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3), date(2026, 4, 28), date(2026, 4, 29),
                date(2026, 5, 2)):
        for _number in range(11):
            add_session(c, a, day=day)
    # March and April are read as month rows minus the days outside (more than half of each is in).
    assert facts.period_parts(date(2026, 3, 3), date(2026, 4, 28)) == [
        ("month", date(2026, 3, 1), date(2026, 3, 1), 1), ("day", date(2026, 3, 1), date(2026, 3, 2), -1),
        ("month", date(2026, 4, 1), date(2026, 4, 1), 1), ("day", date(2026, 4, 29), date(2026, 4, 30), -1)]
    spring = ReportFilter(date(2026, 3, 3), date(2026, 4, 28))
    assert coverage.coverage(spring).totals["sessions"] == 22
    assert {line["month"]: line["sessions"] for line in activity.activity(spring)["by_month"]} == {
        "2026-03": 11, "2026-04": 11}
    assert coverage.coverage(ReportFilter(date(2026, 3, 2), date(2026, 5, 2))).totals["sessions"] == 55


def test_filters_are_checked():
    with pytest.raises(FilterError) as error:
        parse_filter({"date_from": "2026-03-31", "date_to": "2026-03-01"}, date(2026, 11, 29))
    assert set(error.value.fields) == {"date_to"}
    with pytest.raises(FilterError) as error:
        parse_filter({"date_from": "yesterday", "district_id": "12x"}, date(2026, 11, 29))
    assert set(error.value.fields) == {"date_from", "district_id"}
    default = parse_filter({}, date(2026, 11, 29))
    assert (default.date_from, default.date_to) == (date(2025, 11, 30), date(2026, 11, 29))


def test_report_api_returns_json_with_nulls_and_refuses_bad_filters(city, client, login_as):
    add_appointments(city["counsellor"], city["b"], city["hp_b"], "attended", 5)
    login_as("manager")
    body = client.get("/api/v1/reports/coverage?date_from=2026-03-01&date_to=2026-03-31").get_json()
    row = next(r for r in body["districts"] if r["district_id"] == city["b"].id)
    assert row["appointments_booked"] is None
    assert row["help_points"] == 1
    assert body["filters"]["date_from"] == "2026-03-01"
    response = client.get("/api/v1/reports/activity?date_from=2026-13-01")
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"date_from"}
    assert client.get("/api/v1/reports/unmet-rights").status_code == 200
