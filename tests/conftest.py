"""Fixtures shared by every test: `app`, `db`, `client`, `login_as(role)`, factories.

Every test that asks for `app` runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL
too. The schema is created once per engine and session; each test starts from empty tables.
With CI=true a missing TEST_DATABASE_URL is a failure, not a skip.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient

from config import TestConfig
from inclusion_app import create_app
from inclusion_app.extensions import db as _db
from tests import factories

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
ENGINES = ["sqlite", "postgresql"]
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(autouse=True)
def _no_real_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that would open a network connection to a real SMS or email provider."""
    import smtplib
    import socket

    real_create_connection = socket.create_connection

    def guarded(address: Any, *args: Any, **kwargs: Any) -> Any:
        host = str(address[0])
        if host not in {"127.0.0.1", "localhost", "::1"}:
            pytest.fail(f"a test tried to reach {host}: use the memory backends")
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    monkeypatch.setattr(smtplib.SMTP, "connect", lambda *a, **k: pytest.fail("a test tried to use SMTP"))


@pytest.fixture(scope="session", params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of the test database of one engine (one param per engine)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run")
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    return POSTGRES_URL


class IsolatedClient(FlaskClient):
    """A test client whose requests each get a fresh `g`, as in production.

    The `app` fixture keeps an app context pushed so that tests can use the database; Flask
    reuses that context for the client's requests, which would share `g` (the CSRF token cache,
    Flask-Login's user) between requests and between clients.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        context = _cv_app.get(None)
        if context is None:
            return super().open(*args, **kwargs)
        saved = context.g
        context.g = self.application.app_ctx_globals_class()
        try:
            return super().open(*args, **kwargs)
        finally:
            context.g = saved


def make_config(database_url: str, **overrides: Any) -> type[TestConfig]:
    """A TestConfig subclass on `database_url` with `overrides`."""
    return type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})


def build_app(database_url: str, **overrides: Any) -> Flask:
    """The app on `database_url`, with the isolating test client."""
    app = create_app(make_config(database_url, **overrides))
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def _schema(database_url: str) -> Iterator[str]:
    """Create the tables once per engine (from the models; migrations are tested apart)."""
    app = create_app(make_config(database_url))
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        _db.engine.dispose()
    return database_url


def empty_tables() -> None:
    """Delete every row of every table (children first)."""
    tables = list(reversed(_db.metadata.sorted_tables))
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        _db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(table.delete())
    _db.session.commit()


@pytest.fixture
def app(_schema: str) -> Iterator[Flask]:
    """The app on one engine, inside an app context, with empty tables."""
    app = build_app(_schema)
    with app.app_context():
        empty_tables()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Any:
    """The Flask-SQLAlchemy object, bound to the test app."""
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = CSRF_PATTERN.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str, follow: bool = False) -> Any:
    """Post the login form as a browser would (with the page's CSRF token)."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       follow_redirects=follow)


@pytest.fixture
def login_as(app: Flask, client: FlaskClient) -> Callable[..., Any]:
    """`login_as(role, **fields)`: create a user of that role and log the test client in as them."""

    def _login_as(role: str, **fields: Any) -> Any:
        user = factories.user(role=role, **fields)
        _db.session.commit()
        response = login(client, user.email, factories.PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login_as


@pytest.fixture
def repo_root() -> Path:
    """The repository's root folder."""
    return Path(__file__).resolve().parent.parent
