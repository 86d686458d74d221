"""Residents: validation, phone in any writing, search, probable duplicates, merge, and the API."""

from __future__ import annotations

import pytest

from inclusion_app.auth.services import create_token
from inclusion_app.extensions import db
from inclusion_app.residents import services
from tests import factories


def resident(**fields):
    data = {"first_name": "Hélène", "last_name": "Dupré", "phone": "06 12 34 56 78", **fields}
    row, _ = services.create_resident(data)
    return row


@pytest.fixture
def token(app):
    value = create_token(factories.user(role="phone_agent"))
    db.session.commit()
    return {"Authorization": f"Bearer {value}"}


@pytest.mark.parametrize(
    ("typed", "e164", "mobile"),
    [
        ("06 12 34 56 78", "+33612345678", True),
        ("+33612345678", "+33612345678", True),
        ("0033 6 12 34 56 78", "+33612345678", True),
        ("05.49.52.67.66", "+33549526766", False),
        ("0639 01 23 45", "+262639012345", True),
        ("0690 12 34 56", "+590690123456", True),
    ],
)
def test_phone_is_stored_in_e164_with_its_mobile_flag(app, typed, e164, mobile):
    row = resident(phone=typed)
    assert (row.phone, row.phone_is_mobile) == (e164, mobile)


def test_invalid_input_is_refused_field_by_field_in_french(app):
    with pytest.raises(services.ResidentError) as caught:
        services.create_resident({"first_name": "", "last_name": "X", "phone": "12345", "email": "nope",
                                  "reminder_channel": "pigeon"})
    fields = caught.value.fields
    assert set(fields) == {"first_name", "phone", "email", "reminder_channel"}
    assert fields["phone"].startswith("Ce numéro de téléphone n'est pas valide")


def test_sms_reminders_need_a_mobile_and_email_reminders_an_address(app):
    with pytest.raises(services.ResidentError) as sms:
        resident(phone="05 49 52 67 66", reminder_channel="sms")
    assert "mobile" in sms.value.fields["reminder_channel"]
    with pytest.raises(services.ResidentError) as email:
        resident(reminder_channel="email")
    assert "e-mail" in email.value.fields["reminder_channel"]
    assert resident(reminder_channel="sms", sms_consent=True).sms_consent_at is not None


def test_search_by_phone_in_any_writing_and_by_name_without_accents(app):
    helene = resident()
    resident(first_name="Marc", last_name="Durand", phone="07 81 23 45 99")
    db.session.commit()
    for typed in ("0612345678", "+33 6 12 34 56 78", "06.12.34.56.78", "612345678"):
        assert db.session.scalars(services.search_query(typed)).all() == [helene]
    assert db.session.scalars(services.search_query("helene dupre")).all() == [helene]
    assert db.session.scalars(services.search_query("DUPRÉ")).all() == [helene]
    assert db.session.scalars(services.search_query("dupre hel")).all() == [helene]
    assert db.session.scalars(services.search_query("inconnu")).all() == []


def test_probable_duplicates_are_listed_and_never_block(app):
    first = resident()
    _, duplicates = services.create_resident({"first_name": "Helene", "last_name": "DUPRE", "phone": ""})
    assert duplicates == [first.id]
    _, by_phone = services.create_resident({"first_name": "Autre", "last_name": "Nom", "phone": "0612345678"})
    assert first.id in by_phone


def test_merge_keeps_history_and_hides_the_merged_resident(app):
    keep = resident(phone="")
    other = resident(first_name="Helene", phone="07 81 23 45 67", email="h@example.org")
    services.merge_residents(keep, other)
    db.session.commit()
    assert other.merged_into_id == keep.id
    assert keep.phone == "+33781234567"
    assert keep.email == "h@example.org"
    assert services.get_visible(other.id) is None
    assert db.session.scalars(services.search_query("helene")).all() == [keep]


def test_api_create_search_get_patch(client, token):
    created = client.post("/api/v1/residents", headers=token, json={
        "first_name": "Aïcha", "last_name": "Benali", "phone": "0639 01 23 45", "reminder_channel": "sms"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["phone"] == "+262639012345"
    assert body["phone_is_mobile"] is True
    assert body["possible_duplicates"] == []
    found = client.get("/api/v1/residents?q=aicha", headers=token).get_json()
    assert found["total"] == 1
    assert found["items"][0]["id"] == body["id"]
    patched = client.patch(f"/api/v1/residents/{body['id']}", headers=token, json={"email": "a@example.org"})
    assert patched.get_json()["email"] == "a@example.org"


def test_api_bad_phone_is_a_400_on_the_field_and_nothing_is_created(client, token):
    response = client.post("/api/v1/residents", headers=token, json={
        "first_name": "A", "last_name": "B", "phone": "0123"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert "phone" in error["fields"]
    assert client.get("/api/v1/residents", headers=token).get_json()["total"] == 0


def test_api_sms_without_mobile_is_a_400_on_reminder_channel(client, token):
    response = client.post("/api/v1/residents", headers=token, json={
        "first_name": "A", "last_name": "B", "phone": "05 49 52 67 66", "reminder_channel": "sms"})
    assert response.status_code == 400
    assert list(response.get_json()["error"]["fields"]) == ["reminder_channel"]


def test_api_non_json_body_and_bad_pagination_are_400(client, token):
    assert client.post("/api/v1/residents", headers=token, data="x").status_code == 400
    response = client.get("/api/v1/residents?per_page=500", headers=token)
    assert response.status_code == 400
    assert "per_page" in response.get_json()["error"]["fields"]


def test_api_unknown_or_merged_resident_is_404(client, token):
    assert client.get("/api/v1/residents/999", headers=token).status_code == 404


def test_managers_never_see_residents(client, login_as):
    login_as("manager")
    assert client.get("/api/v1/residents").status_code == 403


def test_api_list_gives_each_residents_probable_duplicates(client, token):
    first = resident()
    second = resident(phone="07 81 23 45 67")
    other = resident(first_name="Zoé", last_name="Autre", phone="07 81 23 45 68")
    db.session.commit()
    items = {item["id"]: item for item in client.get("/api/v1/residents", headers=token).get_json()["items"]}
    assert items[first.id]["possible_duplicates"] == [second.id]
    assert items[second.id]["possible_duplicates"] == [first.id]
    assert items[other.id]["possible_duplicates"] == []


def test_a_search_of_symbols_only_matches_nobody(app):
    resident()
    db.session.commit()
    for typed in ("%", "'", "_", "--"):
        assert db.session.scalars(services.search_query(typed)).all() == []
