"""End-to-end: the phone line books for a new resident, on site and by phone, in headless Chromium.

The demo phone agent (`accueil@demo.inclusion.test`) works with the keyboard: fields are reached
by focus and typed into, radios and checkboxes toggled with Space, forms sent with Enter. Every
page of the flow is audited (axe-core, 60 KB, 5 requests, EcoIndex A); the slip is checked under
the print stylesheet (navigation hidden, one A4 page), and the resident's own page as public.
Fields and buttons are found by id, name and value, so the tests hold whatever the language.
The live server's clock is the real one; the demo counsellors have weekly availability from a week
ago on (`inclusion_app.seed.DEMO_AVAILABILITY`), so free slots exist whatever the day.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from inclusion_app.extensions import db
from inclusion_app.models import Appointment
from tests.e2e.conftest import PageFigures, login_in_browser

pytestmark = pytest.mark.e2e

Audit = Callable[..., PageFigures]
PHONE = "06 71 23 45 67"


def path_of(page: Page) -> str:
    """The current path and query string of the page."""
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def type_into(page: Page, selector: str, text: str) -> None:
    """Focus a field and type `text` with the keyboard."""
    page.locator(selector).focus()
    page.keyboard.type(text)


def press_enter_on(page: Page, selector: str) -> None:
    """Focus an element (a button, a link, a field) and press Enter, waiting for the next page."""
    page.locator(selector).first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def register_resident(page: Page, base_url: str, audit: Audit, context: BrowserContext) -> str:
    """Search a number nobody has, register the resident with the keyboard; the need page's path."""
    page.goto(base_url + "/booking")
    audit(context, "/booking", "phone_agent")
    type_into(page, "#q", PHONE)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#results-heading")).to_be_visible()
    expect(page.locator("ul.people a")).to_have_count(0)
    audit(context, path_of(page), "phone_agent")
    expect(page.locator("#phone")).to_have_value(PHONE)  # the number searched is kept for the new resident

    type_into(page, "#first_name", "Inès")
    page.keyboard.press("Tab")
    page.keyboard.type("Lefèvre")
    page.locator("#reminder_channel-0").focus()  # SMS
    page.keyboard.press("Space")
    page.locator("#sms_consent").focus()
    page.keyboard.press("Space")
    page.locator("#district_id").select_option(label="Trois-Cités")
    press_enter_on(page, "#first_name")  # Enter in a field sends its form
    expect(page).to_have_url(re.compile(r"/booking/resident/\d+"))
    return path_of(page)


def find_and_book(page: Page, context: BrowserContext, audit: Audit, mode: str) -> str:
    """From the need page: choose the mode (keyboard), a procedure, send; audit the slots; book the
    first slot with Enter. Returns the appointment page's path."""
    page.locator(f"#mode-{0 if mode == 'on_site' else 1}").focus()
    page.keyboard.press("Space")
    page.locator("#procedure").select_option("argent_impots")
    press_enter_on(page, "form[method=get] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/slots\?"))
    audit(context, path_of(page), "phone_agent")
    first = page.locator("button.slot").first
    expect(first).to_be_visible()
    label = first.get_attribute("aria-label") or ""
    assert first.inner_text() in label  # the visible time is part of the accessible name
    press_enter_on(page, "button.slot")
    expect(page).to_have_url(re.compile(r"/appointments/\d+$"))
    expect(page.locator(".readback")).to_be_visible()
    audit(context, path_of(page), "phone_agent")
    return path_of(page)


def test_a_phone_agent_books_on_site_and_by_phone_for_a_new_resident(page: Page, context: BrowserContext,
                                                                     base_url: str, audit: Audit,
                                                                     browser: Browser, live_app: Flask) -> None:
    login_in_browser(page, base_url, "phone_agent")
    need_path = register_resident(page, base_url, audit, context)
    expect(page.locator(".flags")).to_have_count(0)  # mobile, SMS agreed, district known: nothing to flag
    audit(context, need_path, "phone_agent")

    on_site = find_and_book(page, context, audit, "on_site")
    check_slip(page, context, base_url, audit, on_site)

    page.goto(base_url + need_path)
    phone = find_and_book(page, context, audit, "phone")
    expect(page.locator(".readback")).to_contain_text(PHONE)

    check_counsellor_sees_it(browser, base_url, live_app, int(on_site.rsplit("/", 1)[1]))
    page.goto(base_url + on_site)
    link = page.locator("a.long-link").get_attribute("href") or ""
    check_resident_page(browser, base_url, audit, urlsplit(link).path)
    assert phone != on_site


def check_counsellor_sees_it(browser: Browser, base_url: str, live_app: Flask, appointment_id: int) -> None:
    """The counsellor booked logs in, finds the appointment in the day's agenda, creates their
    calendar address and finds the appointment in the iCalendar feed."""
    with live_app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment is not None
        email = appointment.counsellor.email
        day = appointment.starts_at.astimezone(ZoneInfo(live_app.config["TIMEZONE"])).date().isoformat()
        db.session.remove()
    counsellor = browser.new_context(locale="fr-FR")
    try:
        agenda = counsellor.new_page()
        agenda.goto(base_url + "/login")
        agenda.get_by_label("Adresse e-mail").fill(email)
        agenda.get_by_label("Mot de passe").fill("demo-conseiller")
        with agenda.expect_navigation():
            agenda.get_by_label("Mot de passe").press("Enter")
        agenda.goto(f"{base_url}/agenda?date={day}")
        expect(agenda.locator("main")).to_contain_text("Lefèvre")
        agenda.goto(base_url + "/calendar")
        with agenda.expect_navigation():
            agenda.locator("form[action$='/calendar/regenerate'] button").click()
        feed = urlsplit(agenda.locator("#feed-url").input_value()).path
        response = counsellor.request.get(base_url + feed)
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/calendar")
        assert f"UID:appointment-{appointment_id}@" in response.text()
    finally:
        counsellor.close()


def check_slip(page: Page, context: BrowserContext, base_url: str, audit: Audit, appointment_path: str) -> None:
    """Open the slip from the appointment page with the keyboard, audit it, and print it."""
    press_enter_on(page, f'a[href="{appointment_path}/slip"]')
    expect(page.locator(".slip h1")).to_be_visible()
    audit(context, appointment_path + "/slip", "phone_agent")
    navigation = page.locator(".site-header nav")
    expect(navigation).to_be_visible()
    page.emulate_media(media="print")
    expect(navigation).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".no-print").first).to_be_hidden()
    expect(page.locator(".slip-when")).to_be_visible()
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=False)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1, "the slip must print on one A4 page"
    page.emulate_media(media="screen")
    expect(navigation).to_be_visible()


def check_resident_page(browser: Browser, base_url: str, audit: Audit, path: str) -> None:
    """The resident's own page, anonymous: audited, then the confirmation step audited too."""
    assert path.startswith("/rdv/")
    anonymous = browser.new_context(locale="fr-FR")
    try:
        visitor = anonymous.new_page()
        response = visitor.goto(base_url + path)
        assert response is not None
        assert response.status == 200
        expect(visitor.get_by_role("navigation", name="Menu principal")).to_have_count(0)
        expect(visitor.locator("main")).not_to_contain_text("Lefèvre")
        expect(visitor.locator("main")).not_to_contain_text(PHONE)
        audit(anonymous, path, "public")
        press_enter_on(visitor, f'a[href="{path}?cancel=1"]')
        audit(anonymous, path + "?cancel=1", "public")
        press_enter_on(visitor, "form.confirm button[type=submit]")
        expect(visitor).to_have_url(base_url + path)
        expect(visitor.locator("a.button")).to_have_count(0)  # cancelled: nothing left to cancel
        audit(anonymous, path, "public")
    finally:
        anonymous.close()


def test_a_bad_resident_link_is_a_light_accessible_404(context: BrowserContext, audit: Audit) -> None:
    audit(context, "/rdv/not-a-real-token", "public", status=404)
