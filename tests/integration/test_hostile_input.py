"""Regressions found by a review from a fresh clone: hostile or odd input never gives a 500."""

from __future__ import annotations

import json

import pytest

from inclusion_app.auth.services import create_token
from inclusion_app.extensions import db
from inclusion_app.seed import DEMO_LIEUX
from tests import factories
from tests.conftest import csrf_token_from


@pytest.fixture
def bearer(app):
    value = create_token(factories.user(role="phone_agent"))
    db.session.commit()
    return {"Authorization": f"Bearer {value}"}


@pytest.mark.parametrize("role", ["manager", "admin", "counsellor"])
def test_unknown_pages_and_wrong_methods_are_error_pages_for_every_role(client, login_as, role):
    login_as(role)
    assert client.get("/nowhere").status_code == 404
    assert client.get("/logout").status_code == 405


def test_a_nul_byte_on_the_login_form_is_a_clear_400(client):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "a\x00@b.fr", "password": "x", "csrf_token": token})
    assert response.status_code == 400
    assert "caractère de contrôle" in response.get_data(as_text=True)


def test_a_nul_byte_in_api_json_names_the_field(client, bearer):
    response = client.post("/api/v1/residents", headers=bearer, json={"first_name": "A\u0000", "last_name": "B"})
    assert response.status_code == 400
    assert "first_name" in response.get_json()["error"]["fields"]


def test_deeply_nested_json_is_a_400(client, bearer):
    body = "[" * 50_000 + "]" * 50_000
    response = client.post("/api/v1/residents", headers={**bearer, "Content-Type": "application/json"}, data=body)
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/help-points/2147483648", "/help-points/99999999999999999999999",
                                  "/api/v1/residents/99999999999999999999"])
def test_ids_beyond_the_database_range_are_404(client, bearer, path):
    assert client.get(path, headers=bearer).status_code == 404


@pytest.mark.parametrize("query", ["page=99999999999999999999", "per_page=1.5", "page=true"])
def test_pagination_out_of_range_is_a_400(client, bearer, query):
    assert client.get(f"/api/v1/residents?{query}", headers=bearer).status_code == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [("last_name", ["x"]), ("notes", {"x": 1}), ("first_name", 123), ("district_id", True),
     ("district_id", 99999999999999999999999), ("sms_consent", "maybe-not-a-bool") ],
)
def test_residents_api_refuses_wrong_types_on_the_field(client, bearer, field, value):
    data = {"first_name": "A", "last_name": "B", field: value}
    response = client.post("/api/v1/residents", headers=bearer, json=data)
    if field == "sms_consent":  # text is read as a yes/no answer, as a form would send it
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_reimport_keeps_what_a_manager_edited(app):
    from inclusion_app.lieux.manage_services import save_help_point
    from inclusion_app.models import HelpPoint

    source = DEMO_LIEUX[0]
    run(app, "import-lieux", str(source))
    help_point = db.session.query(HelpPoint).filter_by(lieu_id="627b56dead1bdb06edc4920e").one()
    help_point.nom = "Mairie annexe de Gençay (nom corrigé)"
    save_help_point(help_point, {**_record(help_point)}, {"is_active": True})
    db.session.commit()
    output = run(app, "import-lieux", str(source)).output
    db.session.expire_all()
    assert db.session.get(HelpPoint, help_point.id).nom == "Mairie annexe de Gençay (nom corrigé)"
    assert "not overwritten" in output
    assert "1 edited by hand and kept" in output


def _record(help_point):
    from inclusion_app.lieux.standard import FIELD_NAMES

    record = {name: getattr(help_point, name) for name in FIELD_NAMES if name != "id"}
    record["id"] = help_point.lieu_id
    return record


def test_a_forced_format_that_contradicts_the_file_is_refused(app):
    result = run(app, "import-lieux", str(DEMO_LIEUX[0]), "--format", "france-services")
    assert result.exit_code == 1
    assert "looks like cartographie, not france-services" in result.output


@pytest.mark.parametrize(("name", "content"), [
    ("header-only.csv", "id,pivot,nom,commune,code_postal,adresse,date_maj\n"),
    ("empty-list.json", "[]"),
])
def test_a_readable_file_without_records_reads_zero_and_exits_zero(app, tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    result = run(app, "import-lieux", str(path))
    assert result.exit_code == 0, result.output
    assert "0 read" in result.output


def test_deeply_nested_json_file_is_unreadable_not_a_traceback(app, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 50_000 + "]" * 50_000)
    result = run(app, "import-lieux", str(path))
    assert result.exit_code == 1
    assert "nested too deeply" in result.output


def test_a_nul_inside_an_imported_record_is_dropped_not_a_crash(app, tmp_path):
    records = json.loads(DEMO_LIEUX[0].read_text())[:1]
    records[0]["nom"] = "Mairie\u0000 annexe"
    path = tmp_path / "nul.json"
    path.write_text(json.dumps(records))
    result = run(app, "import-lieux", str(path))
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output


@pytest.mark.parametrize("value", ["²", "³", "١٢"])  # str.isdigit() is True for these; int() refuses the first two
def test_unicode_digits_in_an_id_are_no_500(client, login_as, value):
    login_as("counsellor")
    for path in (f"/help-points?district_id={value}", f"/accompagnements/nouveau?appointment_id={value}",
                 f"/accompagnements/nouveau?help_point_id={value}&resident_id={value}"):
        assert client.get(path).status_code in (200, 400, 404), path
