"""End-to-end: the messaging pages in headless Chromium, audited (axe-core, budgets): the outbox
(admin and manager), the SMS templates and the text checker (admin), the phone line's list.

This module adds to the live server's demo data: 60 messages updated two hours ago (so that no
failure banner shows on other tests' pages), and one appointment tomorrow at 06:00 (before every
demo availability rule) of a resident with a landline only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, HelpPoint, OutboundMessage, User
from inclusion_app.residents.services import create_resident
from tests.e2e.conftest import PageFigures, login_in_browser

pytestmark = pytest.mark.e2e

Audit = Callable[..., PageFigures]
STATUSES = ("sent", "delivered", "failed", "undelivered", "review", "pending")
CODES = {"failed": "21614", "undelivered": "30003"}


@pytest.fixture(scope="module", autouse=True)
def messaging_rows(live_app: Flask) -> None:
    """The messages and the landline resident's appointment, created once."""
    with live_app.app_context():
        earlier = datetime.now(UTC) - timedelta(hours=2)
        for index in range(60):  # 10 of each status: a full page of rows to review too
            status = STATUSES[index % len(STATUSES)]
            db.session.add(OutboundMessage(
                kind="reminder", channel="sms", recipient=f"+3367100{index:04d}", language="fr",
                body="Rappel de votre RDV le mar. 8 déc. à 14h30.", status=status, due_at=earlier,
                expires_at=earlier + timedelta(days=3), error_code=CODES.get(status),
                error_message="Provider error" if status in CODES else "", created_at=earlier, updated_at=earlier))
        for index in range(10):
            db.session.add(OutboundMessage(
                kind="confirmation", channel="email", recipient=f"personne{index}@example.org", language="en",
                subject="Your appointment", body="Your appointment is confirmed.", status="review", due_at=earlier,
                expires_at=earlier + timedelta(days=3), created_at=earlier, updated_at=earlier))
        _landline_appointment(live_app)
        db.session.commit()
        db.session.remove()


def _landline_appointment(live_app: Flask) -> None:
    counsellor = db.session.scalar(sa.select(User).where(User.role == "counsellor").order_by(User.id).limit(1))
    place = db.session.scalar(sa.select(HelpPoint).order_by(HelpPoint.id).limit(1))
    assert counsellor is not None
    assert place is not None
    person = create_resident({"first_name": "Odette", "last_name": "Testappel", "phone": "05 49 71 00 00"})[0]
    zone = ZoneInfo(live_app.config["TIMEZONE"])
    start = datetime.combine(datetime.now(zone).date() + timedelta(days=1), time(6, 0), zone)
    db.session.add(Appointment(resident_id=person.id, counsellor_id=counsellor.id, help_point_id=place.id,
                               mode="on_site", starts_at=start.astimezone(UTC),
                               ends_at=(start + timedelta(minutes=30)).astimezone(UTC)))


@pytest.mark.parametrize("path", ["/messages/", "/messages/?status=review", "/messages/?page=2",
                                  "/messages/templates", "/messages/templates?text=L%E2%80%99accueil"],
                         ids=["outbox", "review", "page-2", "templates", "check"])
def test_admin_messaging_pages_pass_the_audit(page: Page, base_url: str, audit: Audit, path: str) -> None:
    login_in_browser(page, base_url, "admin")
    response = page.goto(base_url + path)
    assert response is not None
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    audit(page.context, path, "admin")


def test_manager_outbox_passes_the_audit_with_numbers_masked(page: Page, base_url: str, audit: Audit) -> None:
    login_in_browser(page, base_url, "manager")
    page.goto(base_url + "/messages/")
    expect(page.locator("main table tbody")).to_contain_text("•• •• ••")
    expect(page.locator("main table tbody")).not_to_contain_text("+3367100")
    audit(page.context, "/messages/", "manager")


def test_phone_line_records_a_call_with_the_keyboard(page: Page, base_url: str, audit: Audit) -> None:
    login_in_browser(page, base_url, "phone_agent")
    page.goto(base_url + "/messages/to-call")
    row = page.locator("main tbody tr", has_text="Odette Testappel")
    expect(row).to_contain_text("05 49 71 00 00")
    audit(page.context, "/messages/to-call", "phone_agent")
    before = row.locator("td").nth(2).inner_text()
    row.locator("button[value=no_answer]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    row = page.locator("main tbody tr", has_text="Odette Testappel")
    expect(row).to_be_visible()
    expect(row.locator("td").nth(2)).not_to_have_text(before)
    audit(page.context, "/messages/to-call", "phone_agent")


def test_the_failure_banner_passes_the_audit(page: Page, base_url: str, audit: Audit, live_app: Flask) -> None:
    """A burst of failures now: admins see the banner on every page; removed afterwards so that
    the other tests' pages stay as they were."""
    with live_app.app_context():
        now = datetime.now(UTC)
        rows = [OutboundMessage(kind="reminder", channel="sms", recipient=f"+3367200{index:04d}", language="fr",
                                body="Rappel", status="failed", error_code="30002", due_at=now, created_at=now,
                                updated_at=now) for index in range(12)]
        db.session.add_all(rows)
        db.session.commit()
        ids = [row.id for row in rows]
        db.session.remove()
    try:
        login_in_browser(page, base_url, "admin")
        page.goto(base_url + "/dashboard")
        banner = page.get_by_role("alert")
        expect(banner).to_be_visible()
        expect(banner.get_by_role("link")).to_have_attribute("href", "/messages/?status=failed")
        audit(page.context, "/dashboard", "admin")
    finally:
        with live_app.app_context():
            db.session.execute(sa.delete(OutboundMessage).where(OutboundMessage.id.in_(ids)))
            db.session.commit()
            db.session.remove()
