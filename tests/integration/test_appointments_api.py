"""The JSON API of slots and appointments (DESIGN.md section 4), on the real clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from inclusion_app.auth.services import create_token
from inclusion_app.extensions import db
from tests import factories
from tests.booking_helpers import counsellor_at, local, resident


@pytest.fixture
def bearer(app):
    value = create_token(factories.user(role="phone_agent"))
    db.session.commit()
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture
def setup(app):
    """A help point with a counsellor on Mondays 09:00–12:00, a resident, next-but-one Monday."""
    place = factories.help_point()
    counsellor = counsellor_at(place)
    person = resident()
    db.session.commit()
    today = date.today()
    monday = today + timedelta(days=7 - today.weekday() + 7)
    return place, counsellor, person, monday


def test_slots_are_listed_earliest_first_with_offsets(client, bearer, setup):
    place, counsellor, _, monday = setup
    data = client.get(f"/api/v1/slots?mode=on_site&date_from={monday}&days=1", headers=bearer).get_json()
    starts = [slot["start"] for slot in data["slots"]]
    assert starts[0] == local(monday, 9).isoformat()
    assert starts == sorted(starts)
    assert data["slots"][0] == {"start": local(monday, 9).isoformat(), "end": local(monday, 9, 30).isoformat(),
                                "mode": "on_site", "help_point_id": place.id, "counsellor_id": counsellor.id}


def test_slots_beyond_the_horizon_is_a_400_on_days(client, bearer):
    response = client.get("/api/v1/slots?days=61", headers=bearer)
    assert response.status_code == 400
    assert "days" in response.get_json()["error"]["fields"]


def test_book_read_list_close_and_move(client, bearer, setup):
    place, counsellor, person, monday = setup
    payload = {"resident_id": person.id, "start": local(monday, 10).isoformat(), "mode": "on_site",
               "help_point_id": place.id, "procedure": "logement"}
    created = client.post("/api/v1/appointments", json=payload, headers=bearer)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["status"], body["counsellor_id"], body["procedure"]) == ("booked", counsellor.id, "logement")
    assert client.get(f"/api/v1/appointments/{body['id']}", headers=bearer).get_json() == body
    listed = client.get(f"/api/v1/appointments?resident_id={person.id}", headers=bearer).get_json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    moved = client.patch(f"/api/v1/appointments/{body['id']}", headers=bearer,
                         json={"start": f"{monday}T11:00:00"}).get_json()  # no offset: local time
    assert moved["start"] == local(monday, 11).isoformat()
    assert moved["rescheduled_from_id"] == body["id"]
    old = client.get(f"/api/v1/appointments/{body['id']}", headers=bearer).get_json()
    assert old["status"] == "cancelled_by_service"
    closed = client.patch(f"/api/v1/appointments/{moved['id']}", headers=bearer,
                          json={"status": "cancelled_by_resident"})
    assert closed.get_json()["status"] == "cancelled_by_resident"
    again = client.patch(f"/api/v1/appointments/{moved['id']}", headers=bearer, json={"status": "attended"})
    assert again.status_code == 400


def test_a_taken_slot_is_a_409_with_the_next_slots(client, bearer, setup):
    place, _, person, monday = setup
    other = resident(phone="07 81 23 45 67")
    db.session.commit()
    payload = {"start": local(monday, 10).isoformat(), "mode": "on_site", "help_point_id": place.id}
    assert client.post("/api/v1/appointments", json={**payload, "resident_id": person.id},
                       headers=bearer).status_code == 201
    response = client.post("/api/v1/appointments", json={**payload, "resident_id": other.id}, headers=bearer)
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"]["code"] == "slot_taken"
    assert body["next_slots"][0]["start"] == local(monday, 9).isoformat()


@pytest.mark.parametrize(
    ("change", "field"),
    [({"mode": "video"}, "mode"), ({"procedure": "nope"}, "procedure"), ({"needs": ["x"]}, "needs"),
     ({"start": "demain"}, "start"), ({"resident_id": "abc"}, "resident_id"),
     ({"help_point_id": None}, "help_point_id")],
)
def test_bad_booking_input_is_a_400_on_the_field(client, bearer, setup, change, field):
    place, _, person, monday = setup
    payload = {"resident_id": person.id, "start": local(monday, 10).isoformat(), "mode": "on_site",
               "help_point_id": place.id, **change}
    response = client.post("/api/v1/appointments", json=payload, headers=bearer)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_unknown_appointment_is_404_and_managers_are_refused(client, bearer, login_as):
    assert client.get("/api/v1/appointments/999", headers=bearer).status_code == 404
    token = create_token(factories.user(role="manager"))
    db.session.commit()
    assert client.get("/api/v1/appointments", headers={"Authorization": f"Bearer {token}"}).status_code == 403
