"""End-to-end: the public list, map and detail pages of help points, in headless Chromium.

The live server holds the demo data (the Vienne's help points, Grand Poitiers' districts). Pages are
found by ids, roles and the help points' own names, so the tests hold whatever the interface
language. The map page is not bound by the 60 KB budget of pages without a map (DESIGN.md section
7) but must still reach EcoIndex A, with no tile loaded until the user asks for the background map.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote_plus

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Request, Route, expect

from inclusion_app.extensions import db
from inclusion_app.models import HelpPoint
from tests.e2e.conftest import (
    FIGURES_KEY,
    REQUIRED_GRADE,
    ConsoleWatch,
    PageFigures,
    axe_violations,
    describe_violations,
    login_in_browser,
    measure,
)

pytestmark = pytest.mark.e2e

Audit = Callable[..., PageFigures]
LIST = "/help-points"
MAP = "/help-points/map"
SERVICE = "Aide aux démarches administratives"
# A 1×1 transparent PNG served instead of the real tiles (the tests never leave the machine).
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
MAP_MAX_REQUESTS = 5


@pytest.fixture(scope="module")
def demo_points(live_app: Flask) -> list[dict[str, Any]]:
    """The active demo help points: id, nom, is_mapped."""
    with live_app.app_context():
        rows = db.session.scalars(sa.select(HelpPoint).where(HelpPoint.is_active.is_(True))).all()
        points = [{"id": row.id, "nom": row.nom, "is_mapped": row.is_mapped} for row in rows]
        db.session.remove()
    assert len(points) > 20, "the demo data should fill more than one page of the list"
    return points


@pytest.fixture
def no_js_page(browser: Browser) -> Iterator[Page]:
    """A page with JavaScript turned off."""
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    yield context.new_page()
    context.close()


@pytest.fixture
def map_audit(request: pytest.FixtureRequest, base_url: str) -> Callable[..., PageFigures]:
    """`map_audit(context, path, role)`: like `audit`, with the map page's budget: EcoIndex A, at most
    5 requests (page, app.css, leaflet.css, leaflet.js, map.js), no tile, no console problem, no axe
    violation; the 60 KB bound of pages without a map does not apply."""
    recorded = request.config.stash.setdefault(FIGURES_KEY, [])

    def _audit(context: BrowserContext, path: str, role: str) -> PageFigures:
        watch = ConsoleWatch()
        figures = measure(context, base_url + path, role, path, watch)
        recorded.append(figures)
        problems = [] if figures.status == 200 else [f"HTTP status {figures.status}"]
        problems += watch.problems
        if figures.requests > MAP_MAX_REQUESTS:
            problems.append(f"{figures.requests} requests > {MAP_MAX_REQUESTS}")
        if figures.grade != REQUIRED_GRADE:
            problems.append(f"EcoIndex {figures.score:.1f} grade {figures.grade}, not {REQUIRED_GRADE}")
        problems += describe_violations(axe_violations(context, base_url + path))
        if problems:
            pytest.fail(f"{path} ({role}):\n  " + "\n  ".join(problems), pytrace=False)
        return figures

    return _audit


def map_data(page: Page) -> dict[str, Any]:
    return json.loads(page.locator("#map-data").text_content() or "{}")


def result_links(page: Page) -> list[str]:
    return page.locator("ol.results h3 a").all_text_contents()


def tile_requests(page: Page) -> list[Request]:
    """Requests to the tile server made by `page` from now on; each gets a blank PNG."""
    seen: list[Request] = []

    def serve(route: Route) -> None:
        seen.append(route.request)
        route.fulfill(status=200, body=PNG, content_type="image/png")

    page.route("https://tile.openstreetmap.org/**", serve)
    return seen


# ---------------------------------------------------------------- audits

@pytest.mark.parametrize(
    "path",
    [LIST, LIST + "?page=3", f"{LIST}?service={quote_plus(SERVICE)}&open_on=0", LIST + "?q=zzzz"],
    ids=["list", "last-page", "filtered", "empty"],
)
def test_list_pages_pass_the_audit(context: BrowserContext, audit: Audit, path: str) -> None:
    audit(context, path, "public")


def test_list_and_map_pass_the_audit_for_staff(page: Page, context: BrowserContext, base_url: str,
                                                audit: Audit, map_audit: Audit) -> None:
    login_in_browser(page, base_url, "counsellor")
    audit(context, LIST, "counsellor")
    map_audit(context, MAP, "counsellor")


def test_detail_pages_pass_the_audit(page: Page, context: BrowserContext, base_url: str, audit: Audit,
                                     demo_points: list[dict[str, Any]]) -> None:
    path = f"{LIST}/{demo_points[0]['id']}"
    audit(context, path, "public")
    login_in_browser(page, base_url, "manager")
    audit(context, path, "manager")


def test_the_map_page_gets_grade_a_without_loading_tiles(context: BrowserContext, map_audit: Audit) -> None:
    figures = map_audit(context, MAP, "public")
    assert figures.requests <= MAP_MAX_REQUESTS


def test_pages_in_english_pass_the_audit(context: BrowserContext, base_url: str, audit: Audit,
                                         map_audit: Audit) -> None:
    context.add_cookies([{"name": "lang", "value": "en", "url": base_url}])
    audit(context, LIST, "public (en)")
    map_audit(context, MAP, "public (en)")


# ---------------------------------------------------------------- the list

def test_the_list_is_paginated_and_the_filters_work_with_the_keyboard(page: Page, base_url: str,
                                                                      demo_points: list[dict[str, Any]]) -> None:
    page.goto(base_url + LIST)
    expect(page.locator("ol.results > li")).to_have_count(20)
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.locator("a[rel=next]").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("ol.results")).to_have_attribute("start", "21")

    page.locator("#q").focus()
    page.keyboard.type("poitiers")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=poitiers" in page.url
    names = result_links(page)
    assert names
    assert len(names) < len(demo_points)
    for item in page.locator("ol.results > li").all():
        expect(item).to_contain_text(re.compile("poitiers", re.I))


def test_the_list_and_its_filters_work_without_javascript(no_js_page: Page, base_url: str) -> None:
    no_js_page.goto(base_url + LIST)
    everything = no_js_page.locator("#results-heading").text_content()
    no_js_page.locator("#support").select_option("Surdité")
    no_js_page.locator("form.filters button[type=submit]").click()
    no_js_page.wait_for_load_state()

    assert "support=Surdit" in no_js_page.url
    expect(no_js_page.locator("#support")).to_have_value("Surdité")
    assert no_js_page.locator("#results-heading").text_content() != everything


def test_a_detail_page_shows_the_weekly_hours(page: Page, base_url: str, demo_points: list[dict[str, Any]]) -> None:
    page.goto(base_url + LIST)
    first = page.locator("ol.results h3 a").first
    name = first.text_content()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name or "")
    section = page.locator("section[aria-labelledby=hours-heading]")
    expect(section).to_be_visible()
    if section.locator("table").count():
        expect(section.locator("tbody tr")).to_have_count(7)
        expect(section.locator("tr[aria-current=date]")).to_have_count(1)


# ---------------------------------------------------------------- the map

def test_the_map_draws_districts_and_markers_as_vectors_and_tiles_only_on_request(
        page: Page, base_url: str, demo_points: list[dict[str, Any]]) -> None:
    tiles = tile_requests(page)
    page.goto(base_url + MAP)
    data = map_data(page)

    assert len(data["points"]) == sum(point["is_mapped"] for point in demo_points)
    expect(page.locator("#map path.leaflet-interactive")).to_have_count(len(data["points"]))
    assert page.locator("#map path").count() >= len(data["points"]) + len(data["districts"])
    expect(page.locator(".leaflet-tile-pane img")).to_have_count(0)
    assert tiles == []

    button = page.locator("#map-tiles")
    off_label = button.text_content()
    button.click()
    expect(page.locator(".leaflet-tile-pane img").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    assert tiles, "the background map was turned on but no tile was asked for"
    assert button.text_content() != off_label

    button.click()
    expect(page.locator(".leaflet-tile-pane img")).to_have_count(0)
    expect(button).to_have_text(off_label or "")


def test_markers_are_reachable_and_usable_with_the_keyboard(page: Page, base_url: str) -> None:
    page.goto(base_url + MAP)
    first = map_data(page)["points"][0]
    page.locator("#map").focus()

    page.keyboard.press("Tab")
    marker = page.locator("#map path.leaflet-interactive").first
    expect(marker).to_be_focused()
    expect(marker).to_have_attribute("aria-label", first["nom"])

    page.keyboard.press("Enter")
    link = page.locator(".leaflet-popup a", has_text=first["nom"])
    expect(link).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    expect(marker).to_be_focused()

    page.keyboard.press("Enter")
    expect(link).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base_url}{LIST}/{first['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(first["nom"])


def test_the_detail_page_links_to_its_point_on_the_map(page: Page, base_url: str,
                                                      demo_points: list[dict[str, Any]]) -> None:
    point = next(point for point in demo_points if point["is_mapped"])
    page.goto(f"{base_url}{LIST}/{point['id']}")
    page.locator(f'a[href="{MAP}#point-{point["id"]}"]').click()

    expect(page.locator(".leaflet-popup a", has_text=point["nom"])).to_be_visible()


def test_the_map_filters_and_links_to_the_same_list(page: Page, base_url: str) -> None:
    page.goto(base_url + MAP)
    everything = len(map_data(page)["points"])
    page.locator("#service").select_option(SERVICE)
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()

    filtered = len(map_data(page)["points"])
    expect(page.locator("#map path.leaflet-interactive")).to_have_count(filtered)
    assert 0 < filtered <= everything
    page.locator("#map-summary a").click()
    expect(page).to_have_url(re.compile(re.escape(LIST) + r"\?service="))
    expect(page.locator("#service")).to_have_value(SERVICE)


def test_without_javascript_the_map_page_points_to_the_list(no_js_page: Page, base_url: str) -> None:
    no_js_page.goto(base_url + MAP)

    expect(no_js_page.locator("#map-tiles")).to_be_hidden()
    fallback = no_js_page.locator("#map a")
    expect(fallback).to_be_visible()
    fallback.click()
    no_js_page.wait_for_load_state()
    assert no_js_page.url == base_url + LIST
    expect(no_js_page.locator("ol.results > li")).to_have_count(20)
