"""End-to-end: the demo manager's help-point pages in headless Chromium, audited (axe-core, budgets).

Field ids are the standard's names, so the tests find fields by id whatever the interface language;
the messages of the standard's checks are French by default.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.e2e.conftest import FIGURES_KEY, PageFigures, budget_problems, check_axe, login_in_browser, received_bytes

pytestmark = pytest.mark.e2e

Audit = Callable[..., object]
LIST = "/manage/help-points"
NEW = "/manage/help-points/new"
DUPLICATES = "/manage/help-points/duplicates"


@pytest.mark.parametrize("path", [LIST, NEW, DUPLICATES, "/manage/help-points/1/edit"],
                         ids=["list", "new", "duplicates", "edit"])
def test_manager_pages_pass_the_audit(page: Page, base_url: str, audit: Audit, path: str) -> None:
    login_in_browser(page, base_url, "manager")
    response = page.goto(base_url + path)
    assert response is not None
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    audit(page.context, path, "manager")


def test_list_search_works_with_the_keyboard(page: Page, base_url: str) -> None:
    login_in_browser(page, base_url, "manager")
    page.goto(base_url + LIST)
    rows = page.locator("tbody th[scope=row]")
    expect(rows).to_have_count(25)
    page.locator("#q").focus()
    page.keyboard.type("Poitiers")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=Poitiers" in page.url
    expect(page.locator("caption")).to_contain_text("Poitiers")


def submit_with_errors(page: Page, base_url: str) -> list[Request]:
    """Fill the new form with a bad phone, postcode and hours (keyboard), send it; the requests made."""
    login_in_browser(page, base_url, "manager")
    page.goto(base_url + NEW)
    for field, value in (("#nom", "Espace numérique test"), ("#adresse", "1 place du Maréchal Leclerc"),
                         ("#code_postal", "86A00"), ("#commune", "Poitiers"), ("#telephone", "01 23"),
                         ("#horaires", "lundi 9h-12h")):
        page.locator(field).focus()
        page.keyboard.type(value)
    page.locator("#services-0").focus()
    page.keyboard.press("Space")
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    page.locator("#horaires").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return requests


def test_new_form_with_errors_keeps_the_values_and_passes_axe_and_the_budgets(
    request: pytest.FixtureRequest, page: Page, browser: Browser, base_url: str
) -> None:
    requests = submit_with_errors(page, base_url)

    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#telephone-error")).to_contain_text("Numéro de téléphone invalide")
    expect(page.locator("#code_postal-error")).to_contain_text("86A00 n'est pas un code valide")
    expect(page.locator("#horaires-error")).to_contain_text("hors syntaxe OpenStreetMap")
    expect(page.locator("#telephone")).to_have_value("01 23")
    expect(page.locator("#telephone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#nom")).to_have_value("Espace numérique test")
    expect(page.locator("#services-0")).to_be_checked()
    page.locator(".error-summary a[href='#telephone']").click()
    expect(page).to_have_url(base_url + NEW + "#telephone")

    sent = [request for request in requests if not request.url.startswith("data:")]
    dom_nodes = page.evaluate("document.getElementsByTagName('*').length")
    figures = PageFigures("manager", NEW + " (errors)", 200, sum(map(received_bytes, sent)), len(sent), dom_nodes)
    request.config.stash.setdefault(FIGURES_KEY, []).append(figures)
    assert budget_problems(figures) == [], figures

    checker = browser.new_context(bypass_csp=True, locale="fr-FR")
    try:
        checked = checker.new_page()
        submit_with_errors(checked, base_url)
        expect(checked.locator(".error-summary")).to_be_visible()
        check_axe(checked)
    finally:
        checker.close()
