"""The `flask` commands of DESIGN.md section 4: create-user, create-token, seed-demo, import-districts."""

import json

import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import AvailabilityRule, District, HelpPoint, Structure, User
from tests import factories


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_create_user_with_password_from_stdin_and_two_structures(app):
    result = run(app, "create-user", "--email", "Ana@Example.org", "--name", "Ana Lopez", "--role", "counsellor",
                 "--structure", "Médiathèque", "--structure", "Centre social", "--password-stdin",
                 input="a-long-enough-password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "ana@example.org"))
    assert user.role == "counsellor"
    assert sorted(s.name for s in user.structures) == ["Centre social", "Médiathèque"]
    assert user.password_hash != "a-long-enough-password"


def test_create_user_refuses_bad_input_with_a_clear_message(app):
    cases = [
        (["--email", "not-an-email", "--role", "admin"], "valid email"),
        (["--email", "x@example.org", "--role", "boss"], "Invalid value for '--role'"),
    ]
    for args, message in cases:
        result = run(app, "create-user", "--name", "X", *args, "--password-stdin", input="a-long-enough-password\n")
        assert result.exit_code != 0
        assert message in result.output
    short = run(app, "create-user", "--email", "y@example.org", "--name", "Y", "--role", "admin",
                "--password-stdin", input="short\n")
    assert "at least 12 characters" in short.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_create_user_refuses_an_email_already_used(app):
    factories.user(email="taken@example.org")
    db.session.commit()
    result = run(app, "create-user", "--email", "TAKEN@example.org", "--name", "Z", "--role", "admin",
                 "--password-stdin", input="a-long-enough-password\n")
    assert result.exit_code != 0
    assert "already uses this email" in result.output


def test_create_token_prints_it_alone_on_the_last_line_and_it_authenticates(app, client):
    user = factories.user(role="manager")
    db.session.commit()
    result = run(app, "create-token", "--email", user.email)
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 40
    assert " " not in token
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["role"] == "manager"
    assert "Set-Cookie" not in response.headers


def test_token_is_stored_hashed(app):
    user = factories.user()
    db.session.commit()
    token = run(app, "create-token", "--email", user.email).output.strip().splitlines()[-1]
    stored = db.session.execute(sa.text("SELECT token_hash FROM api_tokens")).scalar_one()
    assert token not in stored


def test_create_token_for_unknown_email_fails_clearly(app):
    result = run(app, "create-token", "--email", "ghost@example.org")
    assert result.exit_code != 0
    assert "no account has this email address" in result.output


def test_seed_demo_is_idempotent(app):
    first = run(app, "seed-demo")
    second = run(app, "seed-demo")
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert db.session.scalar(sa.select(sa.func.count(District.id))) == 24
    roles = db.session.scalars(sa.select(User.role).order_by(User.role)).all()
    assert roles == ["admin", "counsellor", "counsellor", "counsellor", "manager", "phone_agent"]
    assert db.session.scalar(sa.select(sa.func.count(Structure.id))) == 7
    assert db.session.scalar(sa.select(sa.func.count(HelpPoint.id))) == 58
    assert db.session.scalar(sa.select(sa.func.count(AvailabilityRule.id))) == 15


def test_import_districts_reports_bad_features_and_keeps_good_ones(app, tmp_path):
    square = factories.SQUARE
    features = [
        {"type": "Feature", "properties": {"nom": "Centre", "pop": "12 000"}, "geometry": square},
        {"type": "Feature", "properties": {"nom": ""}, "geometry": square},
        {"type": "Feature", "properties": {"nom": "Point"}, "geometry": {"type": "Point", "coordinates": [0, 0]}},
        {"type": "Feature", "properties": {"nom": "Nord", "pop": "beaucoup"}, "geometry": square},
    ]
    path = tmp_path / "d.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = run(app, "import-districts", str(path), "--name-property", "nom", "--population-property", "pop")
    assert result.exit_code == 0, result.output
    assert "feature 1: nom: missing name" in result.output
    assert "feature 2: geometry: not a Polygon or MultiPolygon" in result.output
    assert "feature 3: pop:" in result.output
    assert "2 created, 0 updated, 0 unchanged, 3 reported" in result.output
    populations = dict(db.session.execute(sa.select(District.name, District.population)).tuples().all())
    assert populations == {"Centre": 12000, "Nord": None}
    again = run(app, "import-districts", str(path), "--name-property", "nom", "--population-property", "pop")
    assert "0 created, 0 updated, 2 unchanged" in again.output


def test_import_districts_unreadable_file_fails_clearly(app, tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text("{not json")
    result = run(app, "import-districts", str(path))
    assert result.exit_code != 0
    assert "broken.geojson" in result.output


def test_unlock_login_lifts_a_lockout(app):
    from inclusion_app.auth.services import authenticate

    user = factories.user(role="admin")
    db.session.commit()
    for _ in range(5):
        authenticate(user.email, "wrong-password")
    db.session.commit()
    assert authenticate(user.email, factories.PASSWORD).locked_until is not None
    result = run(app, "unlock-login", "--email", user.email.upper())
    assert result.output.strip() == "Unlocked."
    assert authenticate(user.email, factories.PASSWORD).user is not None
