"""The Twilio backend: the official client against a local fake server (no network)."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta

import pytest

from inclusion_app.messaging.backends import LogUnavailable, OutcomeUnknown, ProviderError, sms_backend
from inclusion_app.messaging.sender import send_due_messages
from inclusion_app.messaging.twilio_sms import TwilioSms
from inclusion_app.models import Resident
from tests.booking_helpers import local
from tests.outbox_factories import (
    ACCOUNT_SID,
    SERVICE_SID,
    FakeTwilio,
    book,
    desk,
    messages,
    mobile,
    resident,
    twilio_settings,
)

MORNING = local(date(2027, 1, 4), 10)


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


def backend(fake, **overrides):
    return TwilioSms(twilio_settings(fake, **overrides))


def test_the_sender_posts_to_e164_with_the_body_and_the_status_callback(app, fake):
    app.config.update(twilio_settings(fake))
    person = resident("sms")
    book(person, desk(), now=MORNING)
    assert send_due_messages(now=MORNING).sent == 1
    [request] = fake.requests
    form = request["form"]
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert form["To"] == person.phone
    assert form["To"].startswith("+33")
    assert form["Body"] == messages(kind="confirmation")[0].body
    assert form["StatusCallback"] == "https://rdv.example.fr/webhooks/twilio/status"
    assert form["MessagingServiceSid"] == SERVICE_SID
    assert "From" not in form
    assert request["auth"].startswith("Basic ")
    row = messages(kind="confirmation")[0]
    assert row.provider_id == request["sid"]
    assert row.provider_status == "queued"


def test_without_a_messaging_service_the_sender_number_is_used(fake):
    sent = backend(fake, TWILIO_MESSAGING_SERVICE_SID=None, TWILIO_FROM="+33757000000").send(mobile(), "Bonjour")
    form = fake.created()[0]
    assert form["From"] == "+33757000000"
    assert "MessagingServiceSid" not in form
    assert sent.provider_id == fake.requests[0]["sid"]


def test_missing_credentials_are_refused(fake):
    with pytest.raises(ValueError, match="TWILIO_ACCOUNT_SID"):
        backend(fake, TWILIO_AUTH_TOKEN=None)


@pytest.mark.parametrize(("status", "code", "permanent", "problem"), [
    (400, 21211, True, "invalid"),
    (400, 21610, True, "opted_out"),
    (400, 21614, True, "not_mobile"),
    (400, 30005, True, "invalid"),
    (400, 30006, True, "unreachable"),
    (400, 21408, True, None),
    (400, 12345, True, None),
    (429, 20429, False, None),
    (400, 30001, False, None),
    (500, None, False, None),
    (503, 20503, False, None),
])
def test_twilio_errors_are_mapped(fake, status, code, permanent, problem):
    number = mobile()
    fake.errors[number] = (status, code)
    with pytest.raises(ProviderError) as caught:
        backend(fake).send(number, "Bonjour")
    assert caught.value.permanent is permanent
    assert caught.value.problem == problem
    assert caught.value.code == str(code or status)


def test_a_refused_connection_is_transient():
    with socket.socket() as probe:  # a free local port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "x", "TWILIO_FROM": "+33757000000",
                "TWILIO_API_BASE_URL": f"http://127.0.0.1:{port}", "PUBLIC_BASE_URL": "https://rdv.example.fr"}
    with pytest.raises(ProviderError) as caught:
        TwilioSms(settings).send(mobile(), "Bonjour")
    assert caught.value.permanent is False


def test_a_request_left_unanswered_is_an_unknown_outcome(fake, monkeypatch):
    from inclusion_app.messaging import twilio_sms

    monkeypatch.setattr(twilio_sms, "TIMEOUT_SECONDS", 0.5)
    fake.hang_account = ACCOUNT_SID
    with pytest.raises(OutcomeUnknown):
        backend(fake).send(mobile(), "Bonjour")
    assert len(fake.created()) == 1  # it did reach the provider: retrying blindly could send it twice


def test_a_permanent_error_through_the_sender_flags_the_resident(app, fake, db):
    app.config.update(twilio_settings(fake))
    person = resident("sms")
    fake.errors[person.phone] = (400, 21610)
    book(person, desk(), now=MORNING)
    assert send_due_messages(now=MORNING).failed == 1
    db.session.expire_all()
    assert db.session.get(Resident, person.id).sms_problem == "opted_out"
    assert messages(kind="confirmation")[0].error_code == "21610"


def test_the_providers_log_is_searched_by_recipient_and_body(fake):
    sms = backend(fake)
    number = mobile()
    sent = sms.send(number, "Rappel : lundi 10h")
    since = datetime.now(UTC) - timedelta(minutes=5)
    assert sms.find_sent(number, "Rappel : lundi 10h", since) == sent.provider_id
    assert sms.find_sent(number, "Autre texte", since) is None
    assert sms.find_sent(mobile(), "Rappel : lundi 10h", since) is None
    get = [r for r in fake.requests if r["method"] == "GET"]
    assert get
    assert "To=%2B33" in get[0]["path"]
    assert "DateSent%3E=" in get[0]["path"]


def test_an_unreadable_log_is_reported():
    settings = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "x", "TWILIO_FROM": "+33757000000",
                "TWILIO_API_BASE_URL": "http://127.0.0.1:9", "PUBLIC_BASE_URL": "https://rdv.example.fr"}
    with pytest.raises(LogUnavailable):
        TwilioSms(settings).find_sent(mobile(), "x", datetime.now(UTC))


def test_the_backend_is_chosen_by_configuration(app, fake):
    app.config.update(twilio_settings(fake))
    assert isinstance(sms_backend(app), TwilioSms)
