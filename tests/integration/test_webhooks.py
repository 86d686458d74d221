"""Twilio's webhooks: signatures (valid, forged, missing, behind a TLS proxy), delivery statuses,
and replies STOP / START / ANNULER."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from inclusion_app.extensions import db
from inclusion_app.messaging.sender import send_due_messages
from inclusion_app.models import Appointment, Resident
from tests.booking_helpers import local
from tests.outbox_factories import AUTH_TOKEN, book, desk, messages, resident, sign

BASE = "https://rdv.example.fr"
MORNING = local(date(2027, 1, 4), 10)
STATUS, INBOUND = "/webhooks/twilio/status", "/webhooks/twilio/inbound"


@pytest.fixture
def hooks(app, monkeypatch):
    """The app configured for Twilio's callbacks, its clock frozen at MORNING for the webhooks."""
    from inclusion_app.messaging import webhooks

    app.config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=BASE, SERVICE_PHONE="+33549000000")
    monkeypatch.setattr(webhooks, "utcnow", lambda: MORNING)
    return app


def post(client, path, params, signature=None, **kwargs):
    headers = {} if signature is False else {"X-Twilio-Signature": signature or sign(BASE + path, params)}
    return client.post(path, data=params, headers=headers, **kwargs)


def sent_confirmation(person):
    """Book for `person` and send the confirmation; return (appointment, its row)."""
    appointment = book(person, desk(), now=MORNING)
    send_due_messages(now=MORNING)
    return appointment, messages(appointment_id=appointment.id, kind="confirmation")[0]


@pytest.mark.parametrize("path", [STATUS, INBOUND])
def test_a_forged_or_missing_signature_is_refused_and_changes_nothing(hooks, client, path):
    person = resident("sms")
    params = {"MessageSid": "SMx", "MessageStatus": "delivered", "From": person.phone, "Body": "STOP"}
    assert post(client, path, params, signature="bm90IHRoZSByaWdodCBvbmU=").status_code == 403
    assert post(client, path, params, signature=False).status_code == 403
    assert post(client, path, params, signature=sign(BASE + path, params, "another-token")).status_code == 403
    tampered = sign(BASE + path, params)
    assert post(client, path, {**params, "Body": "START"}, signature=tampered).status_code == 403
    db.session.expire_all()
    assert db.session.get(Resident, person.id).sms_consent is True


@pytest.mark.parametrize("path", [STATUS, INBOUND])
def test_a_valid_signature_is_accepted_without_csrf_token_behind_a_tls_proxy(hooks, client, path):
    # The app sees http://localhost/…; Twilio signed https://rdv.example.fr/… (PUBLIC_BASE_URL).
    params = {"MessageSid": "SMunknown", "MessageStatus": "sent", "From": "+33611111111", "Body": "Bonjour"}
    response = post(client, path, params, base_url="http://127.0.0.1:8000")
    assert response.status_code == 200
    assert "X-Twilio-Signature" not in response.headers


def test_without_a_configured_token_every_callback_is_refused(hooks, client):
    hooks.config["TWILIO_AUTH_TOKEN"] = None
    params = {"MessageSid": "SMx", "MessageStatus": "delivered"}
    assert post(client, STATUS, params).status_code == 403


def test_delivery_statuses_are_recorded_and_delivered_is_never_downgraded(hooks, client):
    _, row = sent_confirmation(resident("sms"))
    db.session.commit()
    params = {"MessageSid": row.provider_id, "MessageStatus": "delivered"}
    for _ in range(2):  # a repeated callback is harmless
        assert post(client, STATUS, params).status_code == 200
    late = {"MessageSid": row.provider_id, "MessageStatus": "sent"}
    assert post(client, STATUS, late).status_code == 200
    failed = {"MessageSid": row.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert post(client, STATUS, failed).status_code == 200
    db.session.expire_all()
    row = messages(id=row.id)[0]
    assert (row.status, row.provider_status, row.delivered_at) == ("delivered", "delivered", MORNING)


def test_an_undelivered_message_with_a_permanent_code_flags_the_number(hooks, client):
    person = resident("sms")
    _, row = sent_confirmation(person)
    db.session.commit()
    params = {"MessageSid": row.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30006"}
    assert post(client, STATUS, params).status_code == 200
    db.session.expire_all()
    assert messages(id=row.id)[0].status == "undelivered"
    assert messages(id=row.id)[0].error_code == "30006"
    assert db.session.get(Resident, person.id).sms_problem == "unreachable"
    assert messages(kind="reminder")[0].status == "cancelled"


def test_a_callback_for_an_unknown_message_is_acknowledged(hooks, client):
    assert post(client, STATUS, {"MessageSid": "SMnobody", "MessageStatus": "delivered"}).status_code == 200
    assert post(client, STATUS, {"MessageStatus": "delivered"}).status_code == 400


def test_stop_opts_out_then_a_new_booking_sends_no_sms(hooks, client):
    person = resident("sms")
    book(person, desk(), now=MORNING)
    db.session.commit()
    response = post(client, INBOUND, {"From": person.phone, "Body": " Stop "})
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert "<Message>" not in response.get_data(as_text=True)
    db.session.expire_all()
    opted = db.session.get(Resident, person.id)
    assert (opted.sms_problem, opted.sms_consent) == ("opted_out", False)
    assert {row.status for row in messages()} == {"cancelled"}
    book(opted, desk(), day=date(2027, 1, 18), now=MORNING)
    assert [row.status for row in messages()] == ["cancelled", "cancelled"]


@pytest.mark.parametrize("word", ["ARRÊT", "arret", "STOPALL", "Unsubscribe"])
def test_french_and_english_opt_out_words(hooks, client, word):
    person = resident("sms")
    db.session.commit()
    post(client, INBOUND, {"From": person.phone, "Body": word})
    db.session.expire_all()
    assert db.session.get(Resident, person.id).sms_problem == "opted_out"


def test_start_opts_back_in(hooks, client):
    person = resident("sms", sms_consent=False, sms_problem="opted_out")
    db.session.commit()
    assert post(client, INBOUND, {"From": person.phone, "Body": "START"}).status_code == 200
    db.session.expire_all()
    back = db.session.get(Resident, person.id)
    assert (back.sms_problem, back.sms_consent, back.sms_consent_at) == (None, True, MORNING)


def test_annuler_cancels_the_only_upcoming_appointment_and_confirms_by_sms(hooks, client):
    person = resident("sms")
    appointment, _ = sent_confirmation(person)
    db.session.commit()
    response = post(client, INBOUND, {"From": person.phone, "Body": "Annuler"})
    assert response.status_code == 200
    assert "<Message>" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "cancelled_by_resident"
    assert [row.status for row in messages(kind="cancellation")] == ["pending"]
    assert messages(kind="reminder")[0].status == "cancelled"


def test_annuler_with_several_appointments_asks_to_call(hooks, client):
    person = resident("sms")
    place = desk()
    book(person, place, now=MORNING)
    book(person, place, day=date(2027, 1, 18), now=MORNING)
    db.session.commit()
    response = post(client, INBOUND, {"From": person.phone, "Body": "ANNULER"})
    text = response.get_data(as_text=True)
    assert "<Message>" in text
    assert "05 49 00 00 00" in text
    db.session.expire_all()
    assert {row.status for row in db.session.scalars(db.select(Appointment))} == {"booked"}


def test_a_reply_from_an_unknown_number_does_nothing(hooks, client):
    response = post(client, INBOUND, {"From": "+33600000001", "Body": "ANNULER"})
    assert response.status_code == 200
    assert "<Message>" not in response.get_data(as_text=True)


def test_a_past_appointment_is_not_cancelled_by_reply(hooks, client, monkeypatch):
    from inclusion_app.messaging import webhooks

    person = resident("sms")
    appointment = book(person, desk(), now=MORNING)
    db.session.commit()
    monkeypatch.setattr(webhooks, "utcnow", lambda: appointment.starts_at + timedelta(minutes=5))
    post(client, INBOUND, {"From": person.phone, "Body": "ANNULER"})
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "booked"
