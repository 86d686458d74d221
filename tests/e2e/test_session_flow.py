"""End-to-end (issue 6): a counsellor opens an attended appointment from the agenda, logs the help
session in one screen with one unmet right to follow up today, then finds it in the history and
in the follow-up list; the form, the history, the follow-up list and the statistics pass the audit
(axe-core zero violations, budgets, no CSP or JavaScript error).

The live server holds the demo data; this module adds one attended appointment today for the
demo counsellor Yanis Petit (whom no other browser test logs in as), at 05:00 local time, before
any availability rule of the demo, so that no other test's slots or agenda change. Fields are found
by id or name, whatever the language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, HelpPoint, User
from inclusion_app.residents.services import create_resident
from tests.e2e.conftest import PageFigures

pytestmark = pytest.mark.e2e

Audit = Callable[..., PageFigures]
ROLE = "counsellor"
EMAIL = "conseiller2@demo.inclusion.test"  # Yanis Petit, France services des 3 Cités
PASSWORD = "demo-conseiller"


@pytest.fixture(scope="module")
def attended(live_app: Flask) -> dict[str, object]:
    """An on-site appointment of Yanis Petit today at 05:00, attended, procedure "social_sante"."""
    with live_app.app_context():
        counsellor = db.session.scalar(sa.select(User).where(User.email == EMAIL))
        assert counsellor is not None
        place = db.session.scalar(sa.select(HelpPoint).where(HelpPoint.lieu_id == "france-services-2103"))
        assert place is not None
        zone = ZoneInfo(live_app.config["TIMEZONE"])
        today = datetime.now(zone).date()
        person = create_resident({"first_name": "Odette", "last_name": "Testsession", "phone": "06 71 00 00 09"})[0]
        start = datetime.combine(today, time(5, 0), zone)
        row = Appointment(resident_id=person.id, counsellor_id=counsellor.id, help_point_id=place.id, mode="on_site",
                          starts_at=start.astimezone(UTC), ends_at=(start + timedelta(minutes=45)).astimezone(UTC),
                          status="attended", procedure="social_sante")
        db.session.add(row)
        db.session.commit()
        result: dict[str, object] = {"id": row.id, "today": today.isoformat(), "place_id": place.id}
        db.session.remove()
    return result


def login(page: Page, base_url: str) -> None:
    """Log in as Yanis Petit through the login form, with the keyboard."""
    page.goto(base_url + "/login")
    page.locator("#email").focus()
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/dashboard"


def test_a_session_is_logged_from_the_agenda_then_found_in_the_history_and_the_follow_up_list(
        page: Page, base_url: str, attended: dict[str, object], audit: Audit) -> None:
    login(page, base_url)
    page.goto(base_url + "/agenda")
    log_link = page.locator(f'a[href="/accompagnements/nouveau?appointment_id={attended["id"]}"]')
    expect(log_link).to_be_visible()
    with page.expect_navigation():
        log_link.click()

    # Prefilled from the appointment: date, 45 minutes, the help point, the procedure's theme.
    expect(page.locator("#date")).to_have_value(str(attended["today"]))
    expect(page.locator('input[name="duration"][value="45"]')).to_be_checked()
    expect(page.locator("#help_point_id")).to_have_value(str(attended["place_id"]))
    expect(page.locator('input[name="themes"][value="aide_aux_demarches_administratives"]')).to_be_checked()
    expect(page.locator('input[name="procedures"][value="social_sante"]')).to_be_checked()
    # The workshop's fields are hidden for an individual session (JavaScript), the person's shown.
    expect(page.locator("#title")).to_be_hidden()
    expect(page.locator("#profile-birth_year")).to_be_visible()

    page.locator('input[name="themes"][value="email"]').check()
    page.locator('input[name="equipment"][value="telephone"]').check()
    page.locator('input[name="outcome"][value="a_finaliser_en_autonomie"]').check()
    page.locator("#profile-birth_year").fill("1948")
    page.locator("#unmet_rights-0-right").select_option("complementaire_sante_solidaire")
    page.locator("#unmet_rights-0-form").select_option("non_connaissance")
    page.locator("#unmet_rights-0-reason").select_option("complexite")
    page.locator("#unmet_rights-0-action").select_option("simulation")
    page.locator("#unmet_rights-0-follow_up_on").fill(str(attended["today"]))
    with page.expect_navigation():
        page.locator('form.session-form button[type="submit"]').first.click()

    match = re.search(r"/accompagnements/(\d+)$", urlsplit(page.url).path)
    assert match, page.url
    session_id = match.group(1)
    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator(f'a[href="/accompagnements/{session_id}/modifier"]')).to_be_visible()

    page.goto(base_url + "/accompagnements/")
    expect(page.locator(f'main table a[href="/accompagnements/{session_id}"]')).to_be_visible()
    page.goto(base_url + "/accompagnements/suivi")
    expect(page.locator('form[action^="/accompagnements/suivi/"]')).to_have_count(1)
    expect(page.locator(f'a[href="/accompagnements/{session_id}"]')).to_be_visible()
    page.goto(base_url + "/agenda")
    expect(page.locator(f'a[href="/accompagnements/{session_id}"]')).to_be_visible()

    context = page.context
    for path in ("/accompagnements/nouveau", "/accompagnements/", "/accompagnements/suivi",
                 "/accompagnements/statistiques", f"/accompagnements/{session_id}"):
        audit(context, path, ROLE)
