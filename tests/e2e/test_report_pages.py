"""End-to-end: a manager opens each report, changes the period and the district, downloads a CSV
(issue 7); every report page passes the audit (axe-core, weight, EcoIndex)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from inclusion_app.extensions import db
from inclusion_app.models import District, HelpSession, UnmetRight, User
from tests.e2e.conftest import login_in_browser

pytestmark = pytest.mark.e2e

Audit = Callable[..., object]
REPORTS = {"/rapports/couverture": "Couverture par quartier",
           "/rapports/non-recours": "Droits non recourus repérés aux guichets",
           "/rapports/activite": "Activité des accompagnements"}


@pytest.fixture(scope="module")
def district_name(live_app: Flask) -> str:
    """Fourteen help sessions in March 2026 in the first district, twelve with an RSA unmet right."""
    with live_app.app_context():
        counsellor = db.session.scalars(sa.select(User).where(User.role == "counsellor").order_by(User.id)).first()
        district = db.session.scalars(sa.select(District).order_by(District.name)).first()
        assert counsellor is not None
        assert district is not None
        for number in range(14):
            session = HelpSession(counsellor_id=counsellor.id, date=date(2026, 3, 2 + number), duration_minutes=30,
                                  type="individuel", place_type="a_distance", themes=["email"],
                                  district_id=district.id)
            if number < 12:
                session.unmet_rights.append(UnmetRight(right="rsa", form="non_connaissance", reason="complexite",
                                                       detected_on=session.date))
            db.session.add(session)
        db.session.commit()
        name = district.name
        db.session.remove()
    return name


@pytest.mark.parametrize("path", list(REPORTS), ids=["coverage", "unmet-rights", "activity"])
def test_each_report_filters_by_period_and_district_and_downloads_a_table(
        page: Page, base_url: str, audit: Audit, district_name: str, path: str) -> None:
    login_in_browser(page, base_url, "manager")
    page.goto(base_url + path)
    expect(page.get_by_role("heading", level=1)).to_have_text(REPORTS[path])
    audit(page.context, path, "manager")

    page.get_by_label("Du", exact=True).fill("2026-03-01")
    page.get_by_label("Au (inclus)", exact=True).fill("2026-03-31")
    page.get_by_label("Quartier ou commune", exact=True).select_option(label=district_name)
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(re.compile(r"date_from=2026-03-01.*district_id=\d+"))
    expect(page.locator(".report-period")).to_contain_text("1 mars 2026")
    audit(page.context, page.url.removeprefix(base_url), "manager")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger ce tableau (CSV)").first.click()
    content = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert content.startswith("code,")
    if path == "/rapports/non-recours":
        assert "\nrsa,RSA,12," in content  # twelve RSA rights detected in March in that district


def test_the_printable_version_has_no_filters(page: Page, base_url: str, audit: Audit) -> None:
    login_in_browser(page, base_url, "manager")
    page.goto(base_url + "/rapports/activite?date_from=2026-03-01&date_to=2026-03-31")
    page.get_by_role("link", name="Version imprimable").click()
    expect(page.locator("form.report-filters")).to_have_count(0)
    expect(page.locator(".site-header")).to_be_hidden()
