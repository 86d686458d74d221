"""Login form: success per role, clear messages on bad input, lockout, throttling, logout."""

import re

import pytest
import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import AccountLockout
from tests import factories
from tests.conftest import build_app, csrf_token_from, login


@pytest.mark.parametrize(
    ("role", "heading"),
    [
        ("counsellor", "Espace conseiller numérique"),
        ("phone_agent", "Accueil téléphonique"),
        ("manager", "Pilotage"),
        ("admin", "Administration"),
    ],
)
def test_each_role_lands_on_its_own_page(client, role, heading):
    user = factories.user(role=role)
    db.session.commit()
    response = login(client, user.email, factories.PASSWORD, follow=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in html


def test_empty_form_says_what_is_missing_in_french(client):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "", "password": "", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Saisissez votre adresse e-mail." in html
    assert "Saisissez votre mot de passe." in html


def test_unknown_user_and_wrong_password_get_the_same_message(client):
    user = factories.user()
    db.session.commit()
    unknown = login(client, "nobody@example.org", "whatever-password").get_data(as_text=True)
    wrong = login(client, user.email, "wrong-password").get_data(as_text=True)
    assert "Adresse e-mail ou mot de passe incorrect." in unknown
    assert "Adresse e-mail ou mot de passe incorrect." in wrong


def test_typed_email_is_kept_after_an_error(client):
    html = login(client, "someone@example.org", "bad").get_data(as_text=True)
    assert 'value="someone@example.org"' in html


def test_lockout_after_five_failures_refuses_even_the_right_password(client):
    user = factories.user()
    db.session.commit()
    for _ in range(5):
        login(client, user.email, "wrong-password")
    html = login(client, user.email, factories.PASSWORD).get_data(as_text=True)
    assert "Trop d&#39;essais infructueux pour ce compte" in html
    assert "_user_id" not in (client.get_cookie("session").value if client.get_cookie("session") else "")


def test_lockout_is_kept_in_the_database_across_workers(app, database_url):
    email = factories.user().email  # read before another app's context is pushed
    db.session.commit()
    for _ in range(5):
        login(app.test_client(), email, "wrong-password")
    other_worker = build_app(database_url)
    with other_worker.app_context():
        html = login(other_worker.test_client(), email, factories.PASSWORD).get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()
    assert "Trop d&#39;essais infructueux pour ce compte" in html


def test_success_resets_the_failure_count(client):
    user = factories.user()
    db.session.commit()
    for _ in range(4):
        login(client, user.email, "wrong-password")
    assert login(client, user.email, factories.PASSWORD).status_code == 302
    assert db.session.scalar(sa.select(AccountLockout).where(AccountLockout.email == user.email)) is None


def test_fifty_attempts_end_in_a_clear_rate_limit_message_never_a_500(client):
    statuses = []
    for attempt in range(50):
        response = login(client, f"user{attempt % 3}@example.org", "wrong-password")
        statuses.append(response.status_code)
    assert 500 not in statuses
    assert statuses[:10] == [200] * 10
    assert set(statuses[10:]) == {429}
    message = r"Trop de tentatives depuis votre connexion\. Patientez [12] minutes? puis réessayez\."
    assert re.search(message, response.get_data(as_text=True))


def test_next_is_followed_within_the_site_only(client):
    user = factories.user(role="admin")
    db.session.commit()
    token = csrf_token_from(client.get("/login?next=/admin/users").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                           "csrf_token": token, "next": "/admin/users"})
    assert response.headers["Location"] == "/admin/users"


def test_next_to_another_site_is_ignored(client):
    user = factories.user()
    db.session.commit()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                           "csrf_token": token, "next": "//evil.example/"})
    assert response.headers["Location"] == "/dashboard"


def test_login_without_csrf_token_is_refused_with_a_message(client):
    user = factories.user()
    db.session.commit()
    client.get("/login")
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Ce formulaire a expiré" in response.get_data(as_text=True)


def test_logout_needs_a_post_with_csrf(client, login_as):
    login_as("counsellor")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    token = csrf_token_from(client.get("/dashboard").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.headers["Location"] == "/"
    assert client.get("/dashboard").status_code == 302


def test_disabled_account_cannot_log_in(client):
    user = factories.user()
    user.is_active = False
    db.session.commit()
    html = login(client, user.email, factories.PASSWORD).get_data(as_text=True)
    assert "Adresse e-mail ou mot de passe incorrect." in html
