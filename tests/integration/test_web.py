"""Security headers, cookie flags, error pages and JSON errors, /health, public API files."""

import json
import re
from pathlib import Path

from config import TestConfig
from inclusion_app import create_app
from tests import factories
from tests.conftest import csrf_token_from


def test_security_headers_on_pages_and_api(client):
    for path in ("/", "/login", "/api/v1/openapi.json", "/nowhere"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_map_tile_host_is_added_to_img_src(app, client):
    app.config["MAP_TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert "img-src 'self' data: https://tiles.example.org" in client.get("/").headers["Content-Security-Policy"]


def test_session_cookie_is_httponly_and_samesite(client):
    client.get("/login")
    cookie = client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_production_cookies_are_secure():
    config = type("P", (TestConfig,), {"SESSION_COOKIE_SECURE": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app = create_app(config)
    response = app.test_client().get("/login")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_html_404_is_a_french_page(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found", "fields": {},
                                             "message": "Cette page n'existe pas ou a été déplacée."}}


def test_api_error_message_follows_the_language(client):
    client.set_cookie("lang", "en")
    assert client.get("/api/v1/me").get_json()["error"]["message"] == "You need to log in to see this page."


def test_wrong_method_on_the_api_is_json(client):
    response = client.post("/api/v1/openapi.json")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_health_reports_the_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_is_unreachable(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite'}"
    app = create_app(type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_pages_needing_the_database_are_503_when_it_is_unreachable(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite'}"
    client = create_app(type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url})).test_client()
    assert client.get("/help-points").status_code == 503
    assert client.get("/api/v1/lieux").get_json()["error"]["code"] == "unavailable"


def test_an_unexpected_error_shows_a_page_without_details(app, client):
    app.add_url_rule("/boom", "boom", _boom)
    app.view_functions["boom"]._access_public = True
    response = client.get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "<h1>Une erreur s'est produite de notre côté</h1>" in html
    assert "ZeroDivisionError" not in html


def _boom():
    return 1 / 0


def test_bearer_request_without_session_cookie_needs_no_csrf(app, client):
    from inclusion_app.auth.services import create_token

    token = create_token(factories.user())
    from inclusion_app.extensions import db

    db.session.commit()
    response = client.post("/language", data={"language": "en"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 302


def test_bearer_request_carrying_a_session_cookie_still_needs_csrf(app, client):
    from inclusion_app.auth.services import create_token
    from inclusion_app.extensions import db

    token = create_token(factories.user())
    db.session.commit()
    client.get("/login")  # sets the session cookie
    response = client.post("/language", data={"language": "en"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400


def test_revoked_or_unknown_token_is_401(app, client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


def test_api_rate_limit_per_token_answers_json_429(app, client):
    from inclusion_app.auth.services import create_token
    from inclusion_app.extensions import db

    app.config["API_RATE_LIMIT"] = "3 per minute"
    token = create_token(factories.user())
    db.session.commit()
    statuses = [client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = create_token(factories.user())
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_default_api_rate_limit_is_at_least_600_a_minute(app):
    count, _, period = app.config["API_RATE_LIMIT"].partition(" per ")
    assert period == "minute"
    assert int(count) >= 600


def test_districts_geojson_has_id_name_population(client):
    factories.district(name="Bel-Air", population=5400)
    factories.district(name="Gibauderie")
    from inclusion_app.extensions import db

    db.session.commit()
    data = client.get("/api/v1/districts.geojson").get_json()
    assert data["type"] == "FeatureCollection"
    by_name = {f["properties"]["name"]: f for f in data["features"]}
    assert by_name["Bel-Air"]["properties"]["population"] == 5400
    assert by_name["Gibauderie"]["properties"]["population"] is None
    assert all(isinstance(f["id"], int) and f["geometry"]["type"] == "Polygon" for f in data["features"])


def test_openapi_describes_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    routes = {re.sub(r"<(?:int:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")}
    assert routes == set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:int:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            assert {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}} <= set(spec["paths"][path]), rule


def test_openapi_file_is_valid_json():
    path = Path(__file__).resolve().parents[2] / "inclusion_app/api/openapi.json"
    assert json.loads(path.read_text())["info"]["title"]


def test_logged_in_pages_are_not_cached(client, login_as):
    login_as("admin")
    assert client.get("/dashboard").headers["Cache-Control"] == "no-store"
    html = client.get("/dashboard").get_data(as_text=True)
    assert csrf_token_from(html)
