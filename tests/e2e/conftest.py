"""Browser tests: a live server with the demo data, headless Chromium, and a page audit.

The live server runs the app on a temporary SQLite file seeded with `seed_demo(demo_passwords=True)`
(24 districts, one account per role). Chromium is Debian's (/usr/bin/chromium) driven by
Playwright, launched as /work/shared/RECIPES.md says; when it cannot start the tests are skipped,
or fail with CI=true.

`audit(context, path, role)` checks one page against DESIGN.md section 7: no CSP violation and
no JavaScript error (page loaded with the CSP enforced), zero axe-core violations (WCAG 2.0/2.1 A
and AA, and RGAA), at most 60 KB and 5 requests, EcoIndex grade A. The figures of every audited
page are printed in a table at the end of the run.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, Request, sync_playwright
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from inclusion_app.extensions import db
from inclusion_app.seed import DEMO_USERS, seed_demo
from tests.conftest import IN_CI, build_app
from tests.e2e.ecoindex import ecoindex

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

# DESIGN.md section 7, pages without a map. 1 KB = 1024 bytes, as in the EcoIndex method.
MAX_KB = 60
MAX_REQUESTS = 5
REQUIRED_GRADE = "A"

# The axe-core bundled with axe-playwright-python 0.1.8 is 4.12.1. Its axe.min.js tags 67 rules
# "RGAAv4" (the RGAA 4 mapping: area-alt, aria-*, bypass, color-contrast, region, skip-link,
# table-duplicate-name, …), each also with "RGAA-<criterion>" such as "RGAA-3.2.1"; there is no
# lower-case "rgaa" tag. runOnly tags are OR-ed, so adding "RGAAv4" runs those rules too (its
# experimental ones stay off, as axe runs experimental rules only when asked for that tag).
# The tag is read from the bundled file so that a version without it is not asked for it.
AXE = Axe()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RGAA_TAGS = sorted(set(re.findall(r'"(RGAAv\d+)"', AXE.axe_script)))
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS + RGAA_TAGS}}

CSP_MARKERS = ("Content Security Policy", "Refused to")
# The error Chromium logs for a document served with an error status (the 404 page itself).
FAILED_DOCUMENT = "Failed to load resource: the server responded with a status of"

# role -> (email, password) of the demo accounts
DEMO_LOGINS = {role: (email, password) for role, email, _name, _structures, password in DEMO_USERS}

FIGURES_KEY = pytest.StashKey[list["PageFigures"]]()


# ---------------------------------------------------------------- the live server

class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without the one-line log per request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on a temporary SQLite file with the demo data, login rate limit raised."""
    database = tmp_path_factory.mktemp("e2e") / "e2e.sqlite"
    app = build_app(f"sqlite:///{database}", LOGIN_RATE_LIMIT="1000 per minute")
    with app.app_context():
        db.create_all()
        seed_demo(demo_passwords=True)
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_app: Flask) -> Iterator[str]:
    """`http://127.0.0.1:<port>` of the live server, served from a daemon thread."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, live_app, threaded=True,
                                         request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


# ---------------------------------------------------------------- the browser

def _unavailable(reason: str) -> None:
    """Skip the browser tests, or fail them in CI where they must run."""
    if IN_CI:
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's driver for the session."""
    try:
        driver = sync_playwright().start()
    except Exception as error:  # any start failure means "no browser here"
        _unavailable(f"Playwright did not start ({error})")
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Headless Debian Chromium, launched as RECIPES.md says (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception as error:
        _unavailable(f"Chromium did not start ({error})")
    yield chromium
    chromium.close()


@dataclass
class ConsoleWatch:
    """CSP violations, JavaScript errors and console errors seen on the pages it is attached to.

    Chromium also logs "Failed to load resource" for a document served with an error status (the
    404 page); that one is the test's business (it checks the status), not a console problem.
    """

    problems: list[str] = field(default_factory=list)
    documents: set[str] = field(default_factory=set)

    def attach(self, page: Page) -> None:
        """Listen to the page's console, its uncaught errors and its document requests."""
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("request", self._on_request)

    def _on_request(self, request: Request) -> None:
        if request.is_navigation_request():
            self.documents.add(request.url)

    def _on_page_error(self, error: Exception) -> None:
        self.problems.append(f"JavaScript error: {error}")

    def _on_console(self, message: ConsoleMessage) -> None:
        text, url = message.text, message.location.get("url")
        if any(marker in text for marker in CSP_MARKERS):
            self.problems.append(f"CSP violation: {text}")
        elif message.type == "error" and not (text.startswith(FAILED_DOCUMENT) and url in self.documents):
            self.problems.append(f"console error: {text} ({url})")


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A new browser context (own cookies and cache) for each test, CSP enforced."""
    browser_context = browser.new_context(locale="fr-FR")
    yield browser_context
    browser_context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page of the test's context; a CSP violation or JavaScript error on it fails the test."""
    browser_page = context.new_page()
    watch = ConsoleWatch()
    watch.attach(browser_page)
    yield browser_page
    if watch.problems:
        pytest.fail("problems in the browser console:\n  " + "\n  ".join(watch.problems))


def login_in_browser(page: Page, base_url: str, role: str) -> None:
    """Log in as the demo account of `role` through the real form, with the keyboard."""
    email, password = DEMO_LOGINS[role]
    page.goto(base_url + "/login")
    page.get_by_label("Adresse e-mail").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


# ---------------------------------------------------------------- the page audit

@dataclass(frozen=True)
class PageFigures:
    """What one page weighs: bytes are response headers + encoded bodies as received by Chromium."""

    role: str
    path: str
    status: int
    transferred_bytes: int
    requests: int
    dom_nodes: int

    @property
    def kb(self) -> float:
        return self.transferred_bytes / 1024

    @property
    def score(self) -> float:
        return ecoindex(self.dom_nodes, self.requests, self.kb).score

    @property
    def grade(self) -> str:
        return ecoindex(self.dom_nodes, self.requests, self.kb).grade


def measure(context: BrowserContext, url: str, role: str, path: str, watch: ConsoleWatch) -> PageFigures:
    """Load `url` in a new context with `context`'s cookies (cold cache, CSP enforced) and weigh it.

    Requests are every request but `data:` URLs; bytes are what `Request.sizes()` reports (the
    response header bytes plus the body bytes as sent, i.e. compressed when the server compresses).
    """
    cold = context.browser.new_context(storage_state=context.storage_state(), locale="fr-FR")
    try:
        audited = cold.new_page()
        watch.attach(audited)
        requests: list[Request] = []
        # A lambda, not `requests.append`: Playwright cannot wrap a built-in method as a handler.
        audited.on("request", lambda request: requests.append(request))
        response = audited.goto(url, wait_until="load")
        assert response is not None, f"no response for {url}"
        requests = [request for request in requests if not request.url.startswith("data:")]
        dom_nodes = audited.evaluate("document.getElementsByTagName('*').length")
        return PageFigures(role, path, response.status, sum(map(received_bytes, requests)), len(requests), dom_nodes)
    finally:
        cold.close()


def received_bytes(request: Request) -> int:
    """Bytes of the response to `request` (headers + body as sent), once fully received; 0 if none."""
    response = request.response()
    if response is None:
        return 0
    response.finished()
    sizes = request.sizes()
    return int(sizes["responseHeadersSize"] + sizes["responseBodySize"])


def axe_violations(context: BrowserContext, url: str) -> list[dict[str, Any]]:
    """axe-core's violations on `url`, loaded in a `bypass_csp` context with `context`'s cookies."""
    checker = context.browser.new_context(storage_state=context.storage_state(), bypass_csp=True, locale="fr-FR")
    try:
        checked = checker.new_page()
        checked.goto(url, wait_until="load")
        return list(AXE.run(checked, options=AXE_OPTIONS).response["violations"])
    finally:
        checker.close()


def describe_violations(violations: list[dict[str, Any]]) -> list[str]:
    """One line per violation and element: rule id, impact, target selector, help."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"axe {violation['id']} ({violation['impact']}): {target} – {violation['help']} "
                         f"[{violation['helpUrl']}]")
    return lines


def check_axe(page: Page) -> None:
    """Fail with a readable list when axe-core finds violations on `page` (a `bypass_csp` context)."""
    problems = describe_violations(AXE.run(page, options=AXE_OPTIONS).response["violations"])
    if problems:
        pytest.fail(f"{page.url}:\n  " + "\n  ".join(problems), pytrace=False)


def budget_problems(figures: PageFigures) -> list[str]:
    """The budgets of DESIGN.md section 7 for a page without a map that this page exceeds."""
    problems = []
    if figures.kb > MAX_KB:
        problems.append(f"weight {figures.kb:.1f} KB > {MAX_KB} KB")
    if figures.requests > MAX_REQUESTS:
        problems.append(f"{figures.requests} requests > {MAX_REQUESTS}")
    if figures.grade != REQUIRED_GRADE:
        problems.append(f"EcoIndex {figures.score:.1f} grade {figures.grade}, not {REQUIRED_GRADE}")
    return problems


@pytest.fixture
def audit(request: pytest.FixtureRequest, base_url: str) -> Callable[..., PageFigures]:
    """`audit(context, path, role, status=200)`: check one page, record its figures, fail on problems.

    The page is loaded with `context`'s cookies (login, language) in fresh contexts: one with the
    CSP enforced for the console and the figures, one with `bypass_csp=True` for axe-core.
    """
    recorded = request.config.stash.setdefault(FIGURES_KEY, [])

    def _audit(context: BrowserContext, path: str, role: str, status: int = 200) -> PageFigures:
        url = base_url + path
        watch = ConsoleWatch()
        figures = measure(context, url, role, path, watch)
        recorded.append(figures)
        problems = [] if figures.status == status else [f"HTTP status {figures.status}, expected {status}"]
        problems += watch.problems + budget_problems(figures)
        problems += describe_violations(axe_violations(context, url))
        if problems:
            pytest.fail(f"{path} ({role}):\n  " + "\n  ".join(problems), pytrace=False)
        return figures

    return _audit


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the figures of every audited page (also under `pytest -q`)."""
    figures = config.stash.get(FIGURES_KEY, [])
    if not figures:
        return
    terminalreporter.write_sep("=", "page figures (DESIGN.md section 7: ≤ 60 KB, ≤ 5 requests, EcoIndex A)")
    header = f"{'role':<12} {'path':<22} {'status':>6} {'KB':>7} {'requests':>8} {'DOM':>5} {'EcoIndex':>8} grade"
    terminalreporter.write_line(header)
    for page_figures in figures:
        terminalreporter.write_line(
            f"{page_figures.role:<12} {page_figures.path:<22} {page_figures.status:>6} {page_figures.kb:>7.1f} "
            f"{page_figures.requests:>8} {page_figures.dom_nodes:>5} {page_figures.score:>8.1f} {page_figures.grade}"
        )
    terminalreporter.write_line("KB: response headers + bodies as transferred (1 KB = 1024 bytes), cold cache.")
