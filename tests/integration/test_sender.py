"""The sender's pass over the outbox, with the memory backends: claims, retries, failures, expiry,
quiet hours, reconciliation after a crash, and the CLI command."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes

import pytest
import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.messaging import sender
from inclusion_app.messaging.backends import ProviderError, mail_backend, sms_backend
from inclusion_app.messaging.reconcile import STALE_AFTER
from inclusion_app.messaging.sender import MAX_ATTEMPTS, claim_batch, send_due_messages
from inclusion_app.models import OutboundMessage, Resident
from tests.booking_helpers import local
from tests.outbox_factories import book, desk, messages, resident

MORNING = local(date(2027, 1, 4), 10)
SATURDAY = local(date(2027, 1, 9), 10)  # when the 48 h reminders of Monday 11, 10:00 are due


def sms(app):
    return sms_backend(app)


def test_due_messages_are_sent_once_and_the_others_wait(app):
    person = resident("sms")
    book(person, desk(), now=MORNING)
    report = send_due_messages(now=MORNING)
    assert (report.sent, report.expired) == (1, 0)
    confirmation, reminder = messages()
    assert confirmation.status == "sent"
    assert confirmation.provider_id.startswith("SM")
    assert confirmation.attempts == 1
    assert confirmation.sent_at == MORNING
    assert reminder.status == "pending"
    assert send_due_messages(now=MORNING).sent == 0
    assert [record.to for record in sms(app).sent] == [person.phone]


def test_nothing_is_sent_in_quiet_hours_and_late_messages_expire(app):
    book(resident("sms"), desk(), now=MORNING)
    night = local(date(2027, 1, 4), 22)
    report = send_due_messages(now=night)
    assert report.quiet
    assert report.sent == 0
    after = local(date(2027, 1, 11), 10, 1)  # the appointment has started
    assert send_due_messages(now=after).expired == 2
    assert {row.status for row in messages()} == {"expired"}
    assert sms(app).sent == []


def test_a_transient_error_is_retried_with_backoff_then_sent(app):
    person = resident("sms")
    book(person, desk(), now=MORNING)
    sms(app).fail_next(person.phone, ProviderError("20429", "too many requests", permanent=False))
    report = send_due_messages(now=MORNING)
    assert report.retried == 1
    row = messages(kind="confirmation")[0]
    assert (row.status, row.attempts, row.error_code) == ("pending", 1, "20429")
    assert row.due_at == MORNING + sender.BACKOFF_BASE
    assert row.claimed_by is None
    assert send_due_messages(now=MORNING + timedelta(seconds=30)).sent == 0  # not yet
    assert send_due_messages(now=MORNING + timedelta(minutes=1)).sent == 1
    assert messages(kind="confirmation")[0].attempts == 2


def test_retries_are_bounded(app):
    person = resident("sms")
    book(person, desk(), now=MORNING)
    error = ProviderError(None, "Twilio unreachable", permanent=False)
    sms(app).fail_next(person.phone, *([error] * MAX_ATTEMPTS))
    moment = MORNING
    for _ in range(MAX_ATTEMPTS):
        send_due_messages(now=moment)
        moment += sender.BACKOFF_MAX
    row = messages(kind="confirmation")[0]
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)


def test_a_retry_is_never_scheduled_past_the_appointment(app):
    person = resident("sms")
    appointment = book(person, desk(), now=MORNING)
    send_due_messages(now=MORNING)  # the confirmation
    sms(app).fail_next(person.phone, ProviderError("30001", "queue overflow", permanent=False))
    send_due_messages(now=appointment.starts_at - timedelta(seconds=30))  # the scheduler was down till now
    reminder = messages(kind="reminder")[0]
    assert (reminder.status, reminder.error_code) == ("expired", "30001")


def test_a_permanent_error_fails_without_retry_and_flags_the_number(app):
    person = resident("sms")
    book(person, desk(), now=MORNING)
    sms(app).fail_next(person.phone, ProviderError("21614", "not a mobile", permanent=True, problem="not_mobile"))
    report = send_due_messages(now=MORNING)
    assert report.failed == 1
    assert kinds_and_statuses() == [("confirmation", "failed"), ("reminder", "cancelled")]
    db.session.expire_all()
    flagged = db.session.get(Resident, person.id)
    assert flagged.sms_problem == "not_mobile"
    assert flagged.sms_problem_at == MORNING
    assert sms(app).calls == 1


def kinds_and_statuses():
    return [(row.kind, row.status) for row in messages()]


def test_an_email_carries_the_appointment_as_ics(app):
    person = resident("email")
    appointment = book(person, desk(), now=MORNING)
    assert send_due_messages(now=MORNING).sent == 1
    record = mail_backend(app).sent[0]  # type: ignore[attr-defined]
    assert record.to == person.email
    assert record.subject
    assert b"BEGIN:VEVENT" in record.ics
    assert f"appointment-{appointment.id}@".encode() in record.ics
    assert messages(kind="confirmation")[0].provider_id.startswith("mail-")


def test_the_smtp_message_has_the_ics_attached():
    from inclusion_app.messaging.backends import email_message

    raw = email_message("rdv@ville.fr", "a@example.org", "Rendez-vous", "Bonjour", b"BEGIN:VCALENDAR\r\n").as_bytes()
    parts = [part.get_content_type() for part in message_from_bytes(raw).walk()]
    assert "text/calendar" in parts
    assert "text/plain" in parts


def test_two_workers_never_claim_the_same_row(app):
    for _ in range(5):
        book(resident("sms"), desk(), now=MORNING)
    db.session.commit()
    first = claim_batch("worker-a", MORNING, 3, sender.PassReport())
    second = claim_batch("worker-b", MORNING, 10, sender.PassReport())
    assert len(first) == 3
    assert len(second) == 2
    assert not {job.id for job in first} & {job.id for job in second}
    holders = db.session.execute(sa.select(OutboundMessage.claimed_by, sa.func.count())
                                 .where(OutboundMessage.status == "sending").group_by(OutboundMessage.claimed_by))
    assert dict(holders.all()) == {"worker-a": 3, "worker-b": 2}


def test_a_row_left_in_sending_is_reconciled_with_the_providers_log_never_resent(app):
    person = resident("sms")
    book(person, desk(), now=MORNING)
    db.session.commit()
    [job] = claim_batch("crashed", MORNING, 10, sender.PassReport())
    provider_id = sms(app).send(job.recipient, job.body).provider_id  # sent, then the process died
    assert send_due_messages(now=MORNING + timedelta(minutes=1)).reconciled == 0  # not stale yet
    report = send_due_messages(now=MORNING + STALE_AFTER + timedelta(seconds=1))
    assert (report.reconciled, report.review, report.sent) == (1, 0, 0)
    row = messages(kind="confirmation")[0]
    assert (row.status, row.provider_id) == ("sent", provider_id)
    assert sms(app).calls == 1


def test_a_row_left_in_sending_and_unknown_to_the_provider_goes_to_review(app):
    book(resident("sms"), desk(), now=MORNING)
    db.session.commit()
    claim_batch("crashed", MORNING, 10, sender.PassReport())  # claimed, then the process died
    report = send_due_messages(now=MORNING + STALE_AFTER + timedelta(minutes=1))
    assert (report.review, report.sent) == (1, 0)
    assert messages(kind="confirmation")[0].status == "review"
    assert sms(app).calls == 0


def test_an_unknown_outcome_is_left_for_reconciliation(app):
    from inclusion_app.messaging.backends import OutcomeUnknown

    person = resident("sms")
    book(person, desk(), now=MORNING)

    def timeout(to, body):
        raise OutcomeUnknown("ReadTimeout")

    sms(app).script = timeout
    report = send_due_messages(now=MORNING)
    assert report.unknown == 1
    assert messages(kind="confirmation")[0].status == "sending"
    sms(app).script = None
    assert send_due_messages(now=MORNING + timedelta(minutes=2)).sent == 0  # never re-sent blindly
    assert send_due_messages(now=MORNING + STALE_AFTER + timedelta(minutes=1)).review == 1


def test_a_changed_number_cancels_the_queued_sms(app):
    person = resident("sms")
    book(person, desk(), now=MORNING)
    person.phone = "+33699999999"
    db.session.commit()
    report = send_due_messages(now=MORNING)
    assert report.cancelled == 1
    assert report.sent == 0


def test_the_cli_command_runs_one_pass(app):
    app.config["QUIET_HOURS"] = ""  # whatever the hour the test runs at
    person = resident("sms")
    now = datetime.now(UTC)
    db.session.add(OutboundMessage(kind="reminder", channel="sms", resident_id=person.id, recipient=person.phone,
                                   body="Rappel", due_at=now - timedelta(minutes=1),
                                   expires_at=now + timedelta(days=1)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-due-messages"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert messages()[0].status == "sent"


VICTIM_SID = "AC" + "9" * 32
CONCURRENT_MESSAGES = 2000


def test_two_schedulers_and_one_killed_mid_batch_never_send_twice_nor_lose_a_message(app, database_url):
    """PostgreSQL only: three processes send 2,000 due SMS through Twilio's client to a fake
    provider; the third is killed (SIGKILL) while the provider holds its requests. After a
    reconciliation pass, every message is `sent` (received once) or in `review` (never received)."""
    import multiprocessing
    import os
    import signal
    import time

    from tests.outbox_factories import ACCOUNT_SID, FakeTwilio, sender_loop, twilio_settings

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the concurrency of schedulers is tested on PostgreSQL (SKIP LOCKED)")
    started = time.monotonic()
    now = datetime.now(UTC)
    db.session.execute(sa.insert(OutboundMessage), [
        {"kind": "reminder", "channel": "sms", "recipient": f"+336{n:08d}", "body": f"Message {n}", "status": "pending",
         "due_at": now - timedelta(minutes=1), "expires_at": now + timedelta(days=1), "language": "fr"}
        for n in range(CONCURRENT_MESSAGES)])
    db.session.commit()
    spawn = multiprocessing.get_context("spawn")
    with FakeTwilio() as fake:
        fake.hang_account, fake.hang_after = VICTIM_SID, 60
        victim = spawn.Process(target=sender_loop, args=(database_url, fake.url, VICTIM_SID))
        workers = [spawn.Process(target=sender_loop, args=(database_url, fake.url, ACCOUNT_SID)) for _ in range(2)]
        for process in (victim, *workers):
            process.start()
        assert fake.hanging.wait(60), "the third scheduler never reached the provider"
        time.sleep(0.3)  # its other threads' requests arrive and hang too
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(10)
        for process in workers:
            process.join(60)
            assert process.exitcode == 0
        db.session.expire_all()
        app.config.update(twilio_settings(fake), QUIET_HOURS="")
        report = send_due_messages(now=datetime.now(UTC) + timedelta(minutes=15))  # the reconciliation pass
        received = fake.counts_by_body()
        sids = {request["form"]["Body"]: request["sid"] for request in fake.requests if request["method"] == "POST"}
    rows = db.session.execute(sa.select(OutboundMessage.body, OutboundMessage.status, OutboundMessage.provider_id,
                                        OutboundMessage.claimed_by)).all()
    assert len(rows) == CONCURRENT_MESSAGES
    assert max(received.values()) == 1, "a message reached the provider twice"
    assert {row.status for row in rows} <= {"sent", "review"}
    for row in rows:
        if row.status == "sent":
            assert row.provider_id == sids[row.body]
        else:
            assert received[row.body] == 0  # in review: never reached the provider, never resent
    victim_received = sum(1 for request in fake.requests if request.get("account") == VICTIM_SID)
    assert victim_received > fake.hang_after
    # The killed scheduler's rows were settled: found in the provider's log (sent), or put in review.
    # (A claim holds at most 4 calls per thread, so few rows are left claimed but never sent.)
    assert report.reconciled + report.review >= 1
    assert time.monotonic() - started < 60
