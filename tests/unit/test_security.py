"""Safe redirects and the production secret check (no database)."""

import pytest

from config import ProductionConfig
from inclusion_app import create_app
from inclusion_app.security import safe_next_url


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/dashboard", "/dashboard"),
        ("/admin/users?page=2", "/admin/users?page=2"),
        ("https://evil.example/", None),
        ("//evil.example/x", None),
        ("/\\evil.example", None),
        ("\\\\evil.example", None),
        ("javascript:alert(1)", None),
        ("/ok\r\nLocation: x", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next_url_keeps_only_paths_of_this_site(target, expected):
    assert safe_next_url(target) == expected


def test_production_refuses_a_missing_secret_key():
    config = type("P", (ProductionConfig,), {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_production_refuses_a_short_secret_key():
    config = type("P", (ProductionConfig,), {"SECRET_KEY": "short", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError, match="at least 32"):
        create_app(config)


def test_production_starts_with_a_strong_secret_key():
    config = type("P", (ProductionConfig,), {"SECRET_KEY": "x" * 48, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app = create_app(config)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DEMO_PASSWORDS"] is False
