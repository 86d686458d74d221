"""What a fresh reviewer found in the outbox (issue 5), each case with its regression test."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from config import TestConfig
from inclusion_app import create_app
from inclusion_app.extensions import db
from inclusion_app.messaging import sender
from inclusion_app.messaging.backends import ProviderError, redact_contacts
from inclusion_app.messaging.outbox_admin import failure_burst
from inclusion_app.messaging.reconcile import STALE_AFTER
from inclusion_app.messaging.sender import send_due_messages
from inclusion_app.messaging.texts import SmsParts, sms_text
from inclusion_app.messaging.twilio_sms import TIMEOUT_SECONDS
from inclusion_app.models import OutboundMessage
from inclusion_app.residents.services import update_resident
from inclusion_app.scheduling import booking
from tests.booking_helpers import local
from tests.integration.test_webhooks import INBOUND, hooks, post  # noqa: F401 (fixture)
from tests.outbox_factories import book, desk, messages, resident

MORNING = local(date(2027, 1, 4), 10)


def test_a_provider_error_quoting_the_number_is_stored_without_it():
    error = ProviderError("21211", "The 'To' number +33600000011 is not a valid phone number.", permanent=True)
    assert "+336" not in error.message
    assert redact_contacts("550 <ana@example.org> rejected") == "550 <•••> rejected"


def test_a_corrected_number_lifts_the_flag_and_gets_the_reminders_again(app):
    person = resident("sms", sms_problem="invalid")
    appointment = book(person, desk(), now=MORNING)
    assert messages(appointment_id=appointment.id) == []  # the flagged number gets nothing
    update_resident(person, {"phone": "06 99 88 77 66"})
    assert person.sms_problem is None
    rows = messages(appointment_id=appointment.id)
    assert [(row.kind, row.status, row.recipient) for row in rows] == [
        ("confirmation", "pending", "+33699887766"), ("reminder", "pending", "+33699887766")]


def test_changing_the_number_after_booking_moves_the_pending_reminder_to_the_new_one(app):
    person = resident("sms")
    appointment = book(person, desk(), now=MORNING)
    send_due_messages(now=MORNING)
    update_resident(person, {"phone": "06 99 88 77 66"})
    pending = [row for row in messages(appointment_id=appointment.id) if row.status == "pending"]
    assert {row.kind for row in pending} == {"confirmation", "reminder"}
    assert {row.recipient for row in pending} == {"+33699887766"}


def test_a_bad_sms_setting_fails_before_any_row_is_claimed(app):
    book(resident("sms"), desk(), now=MORNING)
    db.session.commit()
    app.config["SMS_BACKEND"] = "Twilio"  # a typo
    with pytest.raises(ValueError):  # noqa: PT011 (the backend factory's own message)
        send_due_messages(now=MORNING)
    db.session.rollback()
    assert {row.status for row in messages()} == {"pending"}


def test_a_number_that_said_stop_gets_nothing_even_on_another_record(app):
    stopped = resident("sms", sms_consent=False, sms_problem="opted_out")
    relative = resident("sms", phone=stopped.phone)
    book(relative, desk(), now=MORNING)
    assert messages() == []


def test_retries_after_provider_errors_raise_the_banner(app):
    for number in range(12):
        db.session.add(OutboundMessage(kind="reminder", channel="sms", recipient=f"+3361234{number:04d}", body="x",
                                       status="pending", due_at=MORNING + timedelta(minutes=5), attempts=1,
                                       error_code="20003", updated_at=MORNING))
    db.session.flush()
    burst = failure_burst(MORNING + timedelta(minutes=1))
    assert burst is not None


@pytest.mark.parametrize("number", ["+49 1512 3456789", "+55 11 98765 4321", "+86 138 1234 5678"])
def test_a_phone_appointment_sms_to_a_long_foreign_number_still_fits(app, number):
    parts = SmsParts(when="dim. 28 fevr. a 14h30", old="", name="", street="", town="", number=number,
                     phone="05 49 11 11 11")
    with app.test_request_context():
        for kind in ("confirmation", "reminder"):
            assert len(sms_text(kind, "phone", parts)) <= 160


def test_a_second_move_tells_the_time_the_resident_last_heard(app):
    person, place = resident("sms"), desk()
    first = book(person, place, now=MORNING)
    send_due_messages(now=MORNING)
    second = booking.move(first, local(date(2027, 1, 11), 10, 30), None, now=MORNING)
    third = booking.move(second, local(date(2027, 1, 11), 11), None, now=MORNING)
    [change] = messages(appointment_id=third.id, kind="change")
    assert "10h00" in change.body or "10:00" in change.body  # the first time, the only one they were told
    assert "10h30" not in change.body
    assert "10:30" not in change.body


def test_a_repeated_inbound_reply_changes_nothing_more(hooks, client):  # noqa: F811
    person = resident("sms")
    book(person, desk(), now=MORNING)
    send_due_messages(now=MORNING)
    db.session.commit()
    params = {"From": person.phone, "Body": "ANNULER", "MessageSid": "SM" + "a" * 32}
    assert post(client, INBOUND, params).status_code == 200
    again = post(client, INBOUND, params)
    assert again.status_code == 200
    assert "<Message>" not in again.get_data(as_text=True)


def test_a_quiet_hours_setting_that_does_not_parse_stops_the_app_at_start():
    with pytest.raises(RuntimeError, match="QUIET_HOURS"):
        create_app(type("Bad", (TestConfig,), {"QUIET_HOURS": "20:00-8:30"}))
    with pytest.raises(RuntimeError, match="REMINDER_OFFSETS"):
        create_app(type("Bad", (TestConfig,), {"REMINDER_OFFSETS": "48h, 2 days"}))


def test_a_huge_page_number_is_no_500(client, login_as):
    login_as("admin")
    assert client.get("/messages/?page=99999999999999999999").status_code == 200


def test_a_claim_is_small_enough_for_a_slow_provider(app, monkeypatch):
    sizes = []
    monkeypatch.setattr(sender, "claim_batch", lambda worker, now, size, report: sizes.append(size) or [])
    app.config["OUTBOX_SEND_CONCURRENCY"] = 2
    send_due_messages(now=MORNING, batch_size=200)
    assert sizes == [2 * sender.CALLS_PER_THREAD]
    # Each thread's calls (30 s timeout each) are all answered before another scheduler may take over.
    assert timedelta(seconds=sender.CALLS_PER_THREAD * TIMEOUT_SECONDS) < STALE_AFTER


def test_a_pass_stops_when_quiet_hours_begin(app, monkeypatch):
    for _number in range(3):
        book(resident("sms"), desk(), now=MORNING)
    db.session.commit()
    moments = iter([local(date(2027, 1, 4), 19, 59)] * 3 + [local(date(2027, 1, 4), 20, 1)] * 100)
    monkeypatch.setattr(sender, "utcnow", lambda: next(moments))
    app.config["OUTBOX_SEND_CONCURRENCY"] = 1
    monkeypatch.setattr(sender, "CALLS_PER_THREAD", 1)
    report = send_due_messages()
    assert report.quiet
    assert report.sent < 3


