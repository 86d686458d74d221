"""Report pages for managers: filters, tables, charts, CSV downloads, printable version (issue 7)."""

from __future__ import annotations

import csv
import io

import pytest

from inclusion_app.extensions import db
from tests.reports_factories import add_appointments, add_right, add_session, make_city

MARCH = "date_from=2026-03-01&date_to=2026-03-31"


@pytest.fixture
def city(app):
    city = make_city()
    add_appointments(city["counsellor"], city["a"], city["hp_a"], "attended", 43, delay_days=[12])
    add_appointments(city["counsellor"], city["b"], city["hp_b"], "attended", 5)
    # 12 RSA; 2 AAH and 2 ASPA, both small, protect each other (no secondary suppression needed).
    for right in ["rsa"] * 12 + ["aah"] * 2 + ["aspa"] * 2:
        add_right(add_session(city["counsellor"], city["a"]), right)
    db.session.commit()
    return city


def test_coverage_page_shows_figures_map_alerts_and_small_counts(city, client, login_as):
    login_as("manager")
    html = client.get(f"/rapports/couverture?{MARCH}&indicator=appointments_booked&max_days=10").get_data(as_text=True)
    assert "Aubépine" in html
    assert "&lt; 11" in html  # B's five appointments
    assert '<svg class="choropleth"' in html
    # A's median first free slot is 12 days away, beyond the 10 days asked: it is listed.
    assert "<li><strong>Aubépine</strong>" in html
    html = client.get(f"/rapports/couverture?{MARCH}&max_days=12").get_data(as_text=True)
    assert "<li><strong>Aubépine</strong>" not in html


def test_pages_never_show_a_resident_name_or_phone(city, client, login_as):
    login_as("manager")
    for path in ("couverture", "non-recours", "activite"):
        html = client.get(f"/rapports/{path}?{MARCH}").get_data(as_text=True)
        assert "Alex" not in html  # the factory's residents are all named Alex Martin N
        assert "Martin" not in html


def test_bad_filters_keep_what_was_typed_and_say_why(city, client, login_as):
    login_as("manager")
    response = client.get("/rapports/activite?date_from=2026-03-31&date_to=2026-03-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="2026-03-31"' in html
    assert 'aria-invalid="true"' in html
    assert "<table" not in html


def test_every_table_downloads_as_csv_with_small_counts_marked(city, client, login_as):
    login_as("manager")
    response = client.get(f"/rapports/non-recours/by_right.csv?{MARCH}")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["code", "label", "detected", "filed"]
    cells = {row[0]: row[2] for row in rows[1:]}
    assert cells["rsa"] == "12"
    assert cells["aah"] == "< 11"
    assert cells["aspa"] == "< 11"
    assert cells[""] == "16"  # the totals line
    assert client.get(f"/rapports/non-recours/nope.csv?{MARCH}").status_code == 404
    assert client.get("/rapports/activite/by_theme.csv?date_from=x").status_code == 400


def test_printable_version_drops_the_filters_and_links(city, client, login_as):
    login_as("manager")
    html = client.get(f"/rapports/non-recours?{MARCH}&print=1").get_data(as_text=True)
    assert 'class="report printable"' in html
    assert "report-filters" not in html
    assert "by_right.csv" not in html


def test_counsellors_and_phone_agents_cannot_open_reports(city, client, login_as):
    login_as("counsellor")
    assert client.get("/rapports/couverture").status_code == 403
