"""End-to-end: every page of each role in headless Chromium, audited against DESIGN.md section 7.

Each test has its own browser context. The interface is French by default, so the texts below
are the French ones of translations/fr.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.conftest import DEMO_LOGINS, check_axe, login_in_browser

pytestmark = pytest.mark.e2e

HOME_HEADING = "Être aidé pour ses démarches en ligne à Grand Poitiers"
HOME_HEADING_EN = "Help with online procedures in Grand Poitiers"
LOGIN_HEADING = "Connexion des professionnels"
WRONG_LOGIN = "Adresse e-mail ou mot de passe incorrect."

# role -> {path of each entry of the main menu: its page heading}; the landing page comes first.
LIEUX = {"/help-points": "Lieux de médiation numérique"}
MANAGE = {"/manage/help-points": "Gestion des lieux"}
BOOKING = {"/booking": "Réserver un rendez-vous"}
REPORTS = {"/rapports/couverture": "Couverture par quartier"}
FOLLOW_UP = "Droits non recourus à suivre"
AGENDA = {"/agenda": re.compile(r"^(Mon agenda, |Agendas des conseillers)")}
NAV_PAGES: dict[str, dict[str, str | re.Pattern[str]]] = {
    "counsellor": {"/dashboard": "Espace conseiller numérique", **BOOKING, **AGENDA,
                   "/walk-ins": re.compile(r"^Accueil sans rendez-vous"), "/accompagnements/": "Accompagnements",
                   "/accompagnements/suivi": FOLLOW_UP, "/absences": "Mes absences", **LIEUX},
    "phone_agent": {"/dashboard": "Accueil téléphonique", **BOOKING, **AGENDA,
                    "/rebooking": "Rendez-vous à replanifier", "/messages/to-call": "Usagers à appeler", **LIEUX},
    "manager": {"/dashboard": "Pilotage", "/absences": "Absences des conseillers",
                "/closures": "Fermetures des lieux",
                **LIEUX, **MANAGE, **REPORTS, "/territory/districts": "Quartiers et communes",
                "/messages/": "Messages"},
    "admin": {
        "/dashboard": "Administration",
        "/absences": "Absences des conseillers",
        "/closures": "Fermetures des lieux",
        **LIEUX,
        **MANAGE,
        **REPORTS,
        "/territory/districts": "Quartiers et communes",
        "/messages/": "Messages",
        "/messages/templates": "Modèles de messages",
        "/admin/users": "Comptes des agents",
    },
}

Audit = Callable[..., object]


def heading(page: Page) -> Locator:
    """The page's level-one heading."""
    return page.get_by_role("heading", level=1)


@pytest.mark.parametrize(
    ("path", "title", "status"),
    [("/", HOME_HEADING, 200), ("/login", LOGIN_HEADING, 200), ("/does-not-exist", "Page introuvable", 404)],
    ids=["home", "login", "not-found"],
)
def test_public_page(page: Page, context: BrowserContext, base_url: str, audit: Audit,
                     path: str, title: str, status: int) -> None:
    response = page.goto(base_url + path)
    assert response is not None
    assert response.status == status
    expect(heading(page)).to_have_text(title)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    audit(context, path, "public", status=status)


@pytest.mark.parametrize("role", list(NAV_PAGES))
def test_each_role_logs_in_and_every_page_of_its_menu_passes(page: Page, context: BrowserContext, base_url: str,
                                                             audit: Audit, role: str) -> None:
    pages = NAV_PAGES[role]
    login_in_browser(page, base_url, role)

    expect(page).to_have_url(base_url + "/dashboard")
    expect(heading(page)).to_have_text(pages["/dashboard"])
    audit(context, "/dashboard", role)

    menu = page.get_by_role("navigation", name="Menu principal")
    links = menu.get_by_role("link")
    assert sorted(links.evaluate_all("links => links.map(link => link.getAttribute('href'))")) == sorted(pages)
    for path, title in pages.items():
        if path == "/dashboard":
            continue
        link = menu.locator(f'a[href="{path}"]')
        link.click()
        expect(page).to_have_url(base_url + path)
        expect(heading(page)).to_have_text(title)
        expect(link).to_have_attribute("aria-current", "page")
        audit(context, path, role)


def test_language_switch_to_english_and_back(page: Page, context: BrowserContext, base_url: str,
                                             audit: Audit) -> None:
    page.goto(base_url + "/")
    expect(heading(page)).to_have_text(HOME_HEADING)

    page.get_by_role("button", name="English").click()
    expect(heading(page)).to_have_text(HOME_HEADING_EN)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(base_url + "/")
    audit(context, "/", "public (en)")

    page.get_by_role("button", name="Français").click()
    expect(heading(page)).to_have_text(HOME_HEADING)
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_logout(page: Page, base_url: str) -> None:
    login_in_browser(page, base_url, "counsellor")
    expect(heading(page)).to_have_text(NAV_PAGES["counsellor"]["/dashboard"])

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(base_url + "/")
    expect(heading(page)).to_have_text(HOME_HEADING)
    expect(page.get_by_role("status")).to_contain_text("Vous êtes déconnecté.")
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)

    page.goto(base_url + "/dashboard")
    expect(page).to_have_url(re.compile(re.escape(base_url + "/login?next=") + ".*dashboard"))
    expect(heading(page)).to_have_text(LOGIN_HEADING)


def fail_login(page: Page, base_url: str, email: str) -> None:
    """Type `email` and a wrong password in the login form and send it with Enter."""
    page.goto(base_url + "/login")
    page.get_by_label("Adresse e-mail").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type("not-the-password")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_wrong_password_shows_the_error_and_keeps_the_email(page: Page, browser: Browser, base_url: str) -> None:
    email = DEMO_LOGINS["phone_agent"][0]
    fail_login(page, base_url, email)

    expect(page).to_have_url(base_url + "/login")
    expect(heading(page)).to_have_text(LOGIN_HEADING)
    expect(page.get_by_role("alert")).to_contain_text(WRONG_LOGIN)
    expect(page.get_by_label("Adresse e-mail")).to_have_value(email)
    password = page.get_by_label("Mot de passe")
    expect(password).to_have_value("")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{password.get_attribute('aria-describedby')}")).to_contain_text(WRONG_LOGIN)

    # The form with its errors must pass axe-core too (in a context where axe may run).
    checker = browser.new_context(bypass_csp=True, locale="fr-FR")
    try:
        checked = checker.new_page()
        fail_login(checked, base_url, email)
        expect(checked.get_by_role("alert")).to_contain_text(WRONG_LOGIN)
        check_axe(checked)
    finally:
        checker.close()


@pytest.mark.parametrize("path", ["/", "/login", "/does-not-exist"])
def test_tab_reaches_the_skip_link_first_and_it_moves_focus_to_main(page: Page, base_url: str, path: str) -> None:
    page.goto(base_url + path)
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Aller au contenu")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box is not None, "the focused skip link must be shown"
    assert box["x"] >= 0
    assert box["y"] >= 0

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    expect(page).to_have_url(base_url + path + "#main")


def test_keyboard_alone_reaches_a_logged_in_page_of_the_menu(page: Page, base_url: str) -> None:
    """Manager: Tab through the header to the "Quartiers et communes" link and follow it with Enter."""
    login_in_browser(page, base_url, "manager")
    expect(heading(page)).to_have_text(NAV_PAGES["manager"]["/dashboard"])
    target = page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Quartiers et communes")
    for _ in range(10):
        page.keyboard.press("Tab")
        if target.evaluate("link => link === document.activeElement"):
            break
    expect(target).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(base_url + "/territory/districts")
    expect(heading(page)).to_have_text("Quartiers et communes")
