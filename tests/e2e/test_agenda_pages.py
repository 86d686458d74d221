"""End-to-end: the demo counsellor's desk pages in headless Chromium, audited (axe-core, budgets).

The live server holds the demo data; this module adds a few appointments of the demo counsellor
today, at times outside every availability rule of the demo (so that no slot of other tests moves),
for residents with names no other test uses. Fields are found by id, whatever the language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, Request, expect

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, User
from inclusion_app.residents.services import create_resident
from tests.e2e.conftest import FIGURES_KEY, PageFigures, budget_problems, check_axe, received_bytes

pytestmark = pytest.mark.e2e

Audit = Callable[..., PageFigures]
ROLE = "counsellor"
COUNSELLOR_EMAIL = "conseiller@demo.inclusion.test"  # Camille Martin (DEMO_LOGINS keeps the last counsellor)
COUNSELLOR_PASSWORD = "demo-conseiller"


@pytest.fixture(scope="module", autouse=True)
def todays_appointments(live_app: Flask) -> None:
    """Three appointments of the demo counsellor today (one started), at 06:00-07:30 local time,
    before any demo availability rule; created once."""
    with live_app.app_context():
        counsellor = db.session.scalar(sa.select(User).where(User.email == COUNSELLOR_EMAIL))
        assert counsellor is not None
        zone = ZoneInfo(live_app.config["TIMEZONE"])
        today = datetime.now(zone).date()
        for index, (first, phone) in enumerate((("Odile", "06 71 00 00 01"), ("Gaspard", "06 71 00 00 02"),
                                                ("Maëlys", "06 71 00 00 03"))):
            person = create_resident({"first_name": first, "last_name": "Testagenda", "phone": phone})[0]
            start = datetime.combine(today, time(6, 0), zone) + timedelta(minutes=30 * index)
            db.session.add(Appointment(
                resident_id=person.id, counsellor_id=counsellor.id, mode="phone", starts_at=start.astimezone(UTC),
                ends_at=(start + timedelta(minutes=30)).astimezone(UTC), procedure="logement",
                needs=["lsf"] if index == 0 else []))
        db.session.commit()
        db.session.remove()


def login(page: Page, base_url: str) -> None:
    """Log in as the first demo counsellor through the login form, with the keyboard."""
    page.goto(base_url + "/login")
    page.locator("#email").focus()
    page.keyboard.type(COUNSELLOR_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(COUNSELLOR_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/dashboard"


def path_of(page: Page) -> str:
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize("path", ["/agenda", "/agenda/week", "/calendar", "/absences"],
                         ids=["day", "week", "calendar", "absences"])
def test_counsellor_pages_pass_the_audit(page: Page, base_url: str, audit: Audit, path: str) -> None:
    login(page, base_url)
    response = page.goto(base_url + path)
    assert response is not None
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if path == "/agenda":
        expect(page.locator("main table tbody tr")).to_have_count(3)
        expect(page.locator("main")).to_contain_text("Odile Testagenda")
    audit(page.context, path, ROLE)


def test_the_walk_in_desk_after_an_arrival_added_with_the_keyboard(page: Page, base_url: str, audit: Audit) -> None:
    login(page, base_url)
    page.goto(base_url + "/walk-ins")
    places = page.locator("main ul.agenda-list a")
    expect(places).to_have_count(2)  # the demo counsellor works at two help points
    with page.expect_navigation():
        places.first.click()
    page.locator("#display_name").focus()
    page.keyboard.type("Ticket 7")
    page.locator("#procedure").select_option("argent_impots")
    page.locator("#notes").focus()
    page.keyboard.type("Déclaration de revenus")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("main table tbody")).to_contain_text("Ticket 7")
    path = path_of(page)
    assert path.startswith("/walk-ins?help_point_id=")
    audit(page.context, path, ROLE)

    help_point_id = path.rsplit("=", 1)[1]
    audit(page.context, f"/help-points/{help_point_id}/day", ROLE)


def submit_absence_with_errors(page: Page, base_url: str) -> list[Request]:
    """Send the absence form with an end before its start (keyboard); the requests made."""
    login(page, base_url)
    page.goto(base_url + "/absences/new")
    page.locator("#starts_on").fill("2030-05-10")
    page.locator("#ends_on").fill("2030-05-09")
    page.locator("#reason").focus()
    page.keyboard.type("Formation")
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return requests


def test_the_absence_form_with_an_error_passes_axe_and_the_budgets(
    request: pytest.FixtureRequest, page: Page, browser: Browser, base_url: str
) -> None:
    requests = submit_absence_with_errors(page, base_url)

    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#ends_on-error")).to_be_visible()
    expect(page.locator("#ends_on")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#reason")).to_have_value("Formation")

    sent = [sent_request for sent_request in requests if not sent_request.url.startswith("data:")]
    dom_nodes = page.evaluate("document.getElementsByTagName('*').length")
    figures = PageFigures(ROLE, "/absences/new (errors)", 200, sum(map(received_bytes, sent)), len(sent), dom_nodes)
    request.config.stash.setdefault(FIGURES_KEY, []).append(figures)
    assert budget_problems(figures) == [], figures

    checker = browser.new_context(bypass_csp=True, locale="fr-FR")
    try:
        checked = checker.new_page()
        submit_absence_with_errors(checked, base_url)
        expect(checked.locator(".error-summary")).to_be_visible()
        check_axe(checked)
    finally:
        checker.close()


def test_the_calendar_address_is_shown_once_and_serves_the_feed(page: Page, base_url: str, browser: Browser) -> None:
    login(page, base_url)
    page.goto(base_url + "/calendar")
    with page.expect_navigation():
        page.locator("main form button.button").click()
    address = page.locator("#feed-url").input_value()
    assert address.endswith(".ics")
    feed = page.request.get(base_url + urlsplit(address).path)
    assert feed.status == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "Odile" in feed.text()
    assert "Testagenda" not in feed.text()
    page.goto(base_url + "/calendar")
    expect(page.locator("#feed-url")).to_have_count(0)

    checker = browser.new_context(bypass_csp=True, locale="fr-FR", storage_state=page.context.storage_state())
    try:
        checked = checker.new_page()
        checked.goto(base_url + "/calendar")
        with checked.expect_navigation():
            checked.locator("main form button.button").click()
        expect(checked.locator("#feed-url")).to_be_visible()
        check_axe(checked)
    finally:
        checker.close()
