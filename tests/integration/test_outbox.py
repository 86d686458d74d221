"""The outbox written by booking, moving and cancelling, in the same transaction (issue 5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.messaging import outbox
from inclusion_app.messaging.backends import sms_backend
from inclusion_app.messaging.sender import send_due_messages
from inclusion_app.models import Appointment, OutboundMessage
from inclusion_app.scheduling import booking
from tests.booking_helpers import local
from tests.outbox_factories import MONDAY, book, desk, messages, resident

#: Monday 4 January 2027, 10:00 in Paris: outside quiet hours.
MORNING = local(date(2027, 1, 4), 10)


def kinds(rows):
    return [(row.kind, row.status) for row in rows]


def test_booking_queues_a_confirmation_now_and_a_reminder_48_hours_before(app):
    person = resident("sms")
    appointment = book(person, desk(), now=MORNING)
    confirmation, reminder = messages(appointment_id=appointment.id)
    assert kinds([confirmation, reminder]) == [("confirmation", "pending"), ("reminder", "pending")]
    assert confirmation.channel == "sms"
    assert confirmation.recipient == person.phone
    assert confirmation.due_at == MORNING
    assert reminder.due_at == local(date(2027, 1, 9), 10)  # Saturday 10:00, 48 h before Monday 10:00
    assert confirmation.expires_at == reminder.expires_at == appointment.starts_at
    assert "ANNULER" in reminder.body
    assert len(reminder.body) <= 160
    assert confirmation.language == "fr"
    assert confirmation.subject == ""


def test_a_failed_booking_leaves_no_message(app):
    place = desk()
    book(resident("sms"), place, now=MORNING)
    with pytest.raises(booking.SlotTaken):
        book(resident("sms"), place, now=MORNING)
    assert len(messages()) == 2


def test_the_reminder_schedule_follows_the_setting(app):
    app.config["REMINDER_OFFSETS"] = "48h,3h"
    appointment = book(resident("sms"), desk(), now=MORNING)
    dues = [row.due_at for row in messages(appointment_id=appointment.id, kind="reminder")]
    # 3 h before 10:00 is 07:00, inside quiet hours (20:00-08:30): moved earlier, to Sunday 19:45.
    assert dues == [local(date(2027, 1, 9), 10), local(date(2027, 1, 10), 19, 45)]


def test_booked_inside_quiet_hours_the_confirmation_waits_until_they_end(app):
    evening = local(date(2027, 1, 4), 21, 10)
    appointment = book(resident("sms"), desk(), now=evening)
    confirmation = messages(appointment_id=appointment.id, kind="confirmation")[0]
    assert confirmation.due_at == local(date(2027, 1, 5), 8, 30)


def test_a_reminder_already_past_at_booking_is_not_queued(app):
    # Booked on Monday 11 at 07:00 for 10:00: the 48 h reminder's time is past; the confirmation suffices.
    appointment = book(resident("sms"), desk(), now=local(MONDAY, 7))
    assert kinds(messages(appointment_id=appointment.id)) == [("confirmation", "pending")]


@pytest.mark.parametrize("fields", [
    {"sms_consent": False},
    {"sms_problem": "opted_out"},
])
def test_no_sms_without_consent_or_with_a_number_problem(app, fields):
    book(resident("sms", **fields), desk(), now=MORNING)
    assert messages() == []


def test_a_resident_with_neither_mobile_nor_email_gets_no_message_and_the_slip_is_offered(app, client, login_as):
    person = resident("none")
    appointment = book(person, desk(), now=MORNING)
    db.session.commit()
    assert messages() == []
    login_as("phone_agent")
    page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    assert f"/appointments/{appointment.id}/slip" in page


def test_an_email_resident_gets_an_email_with_a_subject(app):
    person = resident("email")
    appointment = book(person, desk(), now=MORNING)
    confirmation = messages(appointment_id=appointment.id, kind="confirmation")[0]
    assert confirmation.channel == "email"
    assert confirmation.recipient == person.email
    assert confirmation.subject


def test_a_move_cancels_the_old_reminders_and_queues_a_change_and_new_reminders(app):
    person = resident("sms")
    place = desk()
    old = book(person, place, now=MORNING)
    send_due_messages(now=MORNING)  # the confirmation goes out
    db.session.commit()
    new = booking.move(old, local(date(2027, 1, 18), 10), None, now=MORNING + timedelta(hours=1))
    assert kinds(messages(appointment_id=old.id)) == [("confirmation", "sent"), ("reminder", "cancelled")]
    change, reminder = messages(appointment_id=new.id)
    assert kinds([change, reminder]) == [("change", "pending"), ("reminder", "pending")]
    assert reminder.due_at == local(date(2027, 1, 16), 10)
    assert "11" in change.body
    assert "18" in change.body


def test_a_move_before_anything_was_sent_confirms_the_new_time_instead(app):
    old = book(resident("sms"), desk(), now=MORNING)
    new = booking.move(old, local(date(2027, 1, 18), 10), None, now=MORNING)
    assert kinds(messages(appointment_id=old.id)) == [("confirmation", "cancelled"), ("reminder", "cancelled")]
    assert [row.kind for row in messages(appointment_id=new.id)] == ["confirmation", "reminder"]


def test_cancelled_after_the_reminder_was_queued_the_reminder_is_never_sent(app):
    appointment = book(resident("sms"), desk(), now=MORNING)
    send_due_messages(now=MORNING)
    booking.set_status(appointment, "cancelled_by_service", None, now=MORNING + timedelta(hours=2))
    db.session.commit()
    assert kinds(messages(appointment_id=appointment.id)) == [
        ("confirmation", "sent"), ("reminder", "cancelled"), ("cancellation", "pending")]
    report = send_due_messages(now=local(date(2027, 1, 9), 10))  # when the reminder was due
    assert report.sent == 1  # the cancellation only
    cancellation = messages(kind="cancellation")[0]
    sent = [record.body for record in sms_backend(app).sent]  # type: ignore[attr-defined]
    assert sent == [messages(kind="confirmation")[0].body, cancellation.body]
    assert cancellation.status == "sent"


def test_a_cancellation_before_anything_was_sent_sends_nothing(app):
    appointment = book(resident("sms"), desk(), now=MORNING)
    booking.set_status(appointment, "cancelled_by_resident", None, now=MORNING)
    assert kinds(messages()) == [("confirmation", "cancelled"), ("reminder", "cancelled")]


def test_a_reminder_whose_appointment_was_cancelled_behind_the_outbox_is_cancelled_at_claim(app):
    appointment = book(resident("sms"), desk(), now=MORNING)
    db.session.execute(sa.update(Appointment).where(Appointment.id == appointment.id)
                       .values(status="cancelled_by_service"))
    db.session.commit()
    report = send_due_messages(now=local(date(2027, 1, 9), 10))
    assert report.sent == 0
    assert report.cancelled == 2
    assert {row.status for row in messages()} == {"cancelled"}


def test_the_outbox_rows_are_written_in_the_bookings_transaction(app):
    book(resident("sms"), desk(), now=MORNING)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(OutboundMessage.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 0


def test_channel_rules(app):
    assert outbox.channel_for(resident("sms")) is not None
    assert outbox.channel_for(resident("sms", sms_problem="invalid")) is None
    assert outbox.channel_for(resident("email"))[0] == "email"  # type: ignore[index]
    assert outbox.channel_for(resident("none")) is None


def test_the_reminder_before_a_monday_after_the_october_change_is_on_saturday_at_the_same_wall_time(app):
    from tests import factories, scheduling_factories

    appointment = scheduling_factories.appointment(factories.user(), "2026-10-26 10:00",
                                                   help_point=factories.help_point(), who=resident("sms"))
    outbox.on_booked(appointment, scheduling_factories.local("2026-10-19 10:00"))
    reminder = messages(kind="reminder")[0]
    assert reminder.due_at == scheduling_factories.local("2026-10-24 10:00")  # 08:00 UTC, summer time
    assert appointment.starts_at - reminder.due_at == timedelta(hours=49)  # the night of the change is longer
