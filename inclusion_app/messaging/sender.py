"""One pass over the outbox (`flask send-due-messages`; every minute in `flask scheduler`).

A pass: (1) pending rows past `expires_at` become `expired`; (2) rows left in `sending` for more
than `STALE_AFTER` (a scheduler killed mid-batch) are reconciled (`reconcile.py`); (3) outside quiet
hours, due rows are claimed by batches and sent.

Claiming (DESIGN.md section 3): the due rows' ids are selected `FOR UPDATE SKIP LOCKED` on
PostgreSQL (SQLite serialises writers: every transaction there is `BEGIN IMMEDIATE`), then set to
`sending` by a conditional UPDATE (`… AND status = 'pending'`) naming this worker, and COMMITTED
before any provider call; at claim time a row whose appointment was cancelled is `cancelled`, one
whose appointment has started `expired`, one whose resident's channel changed `cancelled`. Each
provider answer is written (`sent` with the provider's id, a retry, or `failed`) and committed as
soon as it arrives, by a conditional UPDATE (`status = 'sending' AND claimed_by = me`). Calls run in
`OUTBOX_SEND_CONCURRENCY` threads; the database is only touched by the calling thread.

Guarantee: a message is never sent twice by us (a row is sent only by the worker that claimed it;
a crash leaves it in `sending`, never back in `pending`) and never silently lost (it ends `sent`,
`failed`, `expired`, `cancelled` or `review`).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from inclusion_app.extensions import db
from inclusion_app.messaging import timing
from inclusion_app.messaging.backends import (
    MailBackend,
    OutcomeUnknown,
    ProviderError,
    Sent,
    SmsBackend,
    mail_backend,
    sms_backend,
)
from inclusion_app.messaging.outbox import channel_for
from inclusion_app.models import Appointment, OutboundMessage, Resident
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.slots import local_zone

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
#: Provider calls per message at most (the first one included): with the backoff below, about
#: two hours of provider outage are ridden out before a message is `failed`.
MAX_ATTEMPTS = 8
#: Retry n waits BACKOFF_BASE × 2^(n-1), at most BACKOFF_MAX, never past the message's expiry.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
Outcome = Sent | ProviderError | OutcomeUnknown


@dataclass
class PassReport:
    """Counts of one pass, by what happened to the rows."""

    expired: int = 0
    cancelled: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    reconciled: int = 0
    review: int = 0
    quiet: bool = False

    def __str__(self) -> str:
        counts = ", ".join(f"{item.name} {getattr(self, item.name)}" for item in fields(self) if item.name != "quiet")
        return counts + (" (quiet hours: nothing sent)" if self.quiet else "")


@dataclass(frozen=True)
class Job:
    """What a thread needs to send one claimed row (plain values: no session in threads)."""

    id: int
    channel: str
    recipient: str
    subject: str
    body: str
    attempts: int
    expires_at: datetime | None
    resident_id: int | None
    ics: bytes | None = None


#: Provider calls per sending thread in one claim (see `send_due_messages`): 16 calls of at most
#: 30 s (the Twilio client's timeout) end before `reconcile.STALE_AFTER` (10 min).
CALLS_PER_THREAD = 16


def worker_name() -> str:
    """This process's name in `claimed_by`: host and process id."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}"


def send_due_messages(*, now: datetime | None = None, worker: str | None = None, batch_size: int = BATCH_SIZE,
                      should_stop: Callable[[], bool] | None = None) -> PassReport:
    """One pass over the outbox; commits as it goes (claims, then each answer). `now` freezes the
    clock (tests, benchmarks); `should_stop` is asked between batches (clean shutdown)."""
    from inclusion_app.messaging.reconcile import reconcile_stale

    clock = (lambda: now) if now is not None else utcnow
    worker = worker or worker_name()
    report = PassReport()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backends = sms_backend(app), mail_backend(app)  # a bad setting fails here, before any row is claimed
    report.expired += expire_overdue(clock())
    reconcile_stale(clock(), worker, report)
    quiet = timing.parse_quiet_hours(current_app.config.get("QUIET_HOURS"))
    concurrency = max(1, int(current_app.config.get("OUTBOX_SEND_CONCURRENCY", 8)))
    # A claim holds at most CALLS_PER_THREAD calls per thread, so that a slow provider (30 s
    # timeout) never keeps a claimed row waiting long enough to look abandoned (STALE_AFTER).
    size = min(batch_size, concurrency * CALLS_PER_THREAD)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="outbox") as pool:
        while should_stop is None or not should_stop():
            if timing.is_quiet(clock(), quiet, local_zone()):
                report.quiet = True
                break
            jobs = claim_batch(worker, clock(), size, report)
            if not jobs:
                break
            deliver(jobs, worker, pool, clock, report, backends)
    return report


def expire_overdue(now: datetime) -> int:
    """Pending rows past their `expires_at` become `expired` (never sent late); committed. Rows
    another scheduler holds locked at that moment are left to the next pass (SKIP LOCKED)."""
    overdue = (sa.select(OutboundMessage.id)
               .where(OutboundMessage.status == "pending", OutboundMessage.expires_at <= now)
               .with_for_update(skip_locked=True).scalar_subquery())
    result = db.session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.id.in_(overdue), OutboundMessage.status == "pending")
        .values(status="expired", updated_at=now, error_message="not sent before the appointment")
        .execution_options(synchronize_session=False))
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def claim_batch(worker: str, now: datetime, size: int, report: PassReport) -> list[Job]:
    """Claim up to `size` due rows for `worker`, close those no longer useful; committed.
    Returns the jobs to send, in due order."""
    ids = list(db.session.scalars(
        sa.select(OutboundMessage.id)
        .where(OutboundMessage.status == "pending", OutboundMessage.due_at <= now)
        .order_by(OutboundMessage.due_at, OutboundMessage.id).limit(size)
        .with_for_update(skip_locked=True)))
    claimed = set(db.session.scalars(
        sa.update(OutboundMessage)
        .where(OutboundMessage.id.in_(ids), OutboundMessage.status == "pending")
        .values(status="sending", claimed_by=worker, claimed_at=now, attempts=OutboundMessage.attempts + 1,
                updated_at=now)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False))) if ids else set()
    jobs = _jobs([i for i in ids if i in claimed], worker, now, report)
    db.session.commit()
    return jobs


def _jobs(ids: list[int], worker: str, now: datetime, report: PassReport) -> list[Job]:
    rows = db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.id.in_(ids))
                              .options(joinedload(OutboundMessage.appointment), joinedload(OutboundMessage.resident))
                              .execution_options(populate_existing=True)).all() if ids else []
    by_id = {row.id: row for row in rows}
    jobs = []
    for row in (by_id[i] for i in ids):
        closing = no_longer_useful(row, now)
        if closing is not None:
            _close(row.id, worker, closing[0], closing[1], now, report)
        else:
            jobs.append(Job(row.id, row.channel, row.recipient, row.subject, row.body, row.attempts, row.expires_at,
                            row.resident_id, _ics(row, now) if row.channel == "email" else None))
    return jobs


def no_longer_useful(row: OutboundMessage, now: datetime) -> tuple[str, str] | None:
    """(status, reason) when a claimed row must not be sent, else None."""
    appointment = row.appointment
    if (row.expires_at is not None and row.expires_at <= now) or (appointment and appointment.starts_at <= now):
        return "expired", "the appointment has started"
    if appointment is not None:
        cancelled = appointment.status.startswith("cancelled")
        if (row.kind == "cancellation") != cancelled or (not cancelled and appointment.status != "booked"):
            return "cancelled", f"appointment {appointment.status}"
    if row.resident is not None and channel_for(row.resident) != (row.channel, row.recipient):
        return "cancelled", "the resident's channel or contact changed"
    return None


def _ics(row: OutboundMessage, now: datetime) -> bytes | None:
    from inclusion_app.scheduling.agenda_calendar import appointments_ics

    appointment = row.appointment
    if appointment is None:
        return None
    events = [appointment]
    if row.kind == "change" and appointment.rescheduled_from_id is not None:
        previous = db.session.get(Appointment, appointment.rescheduled_from_id)
        events = [previous, appointment] if previous is not None else events
    return appointments_ics(events, now, row.language)


def deliver(jobs: list[Job], worker: str, pool: ThreadPoolExecutor, clock: Callable[[], datetime],
            report: PassReport, backends: tuple[SmsBackend, MailBackend]) -> None:
    """Send the claimed jobs through the pool; record and commit each answer as it arrives."""
    sms, mail = backends
    futures: dict[Future[Outcome], Job] = {pool.submit(_call, job, sms, mail): job for job in jobs}
    waiting: set[Future[Outcome]] = set(futures)
    while waiting:
        done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
        moment = clock()
        answers = [(futures[future], future.result()) for future in done]
        record_sent([(job, outcome) for job, outcome in answers if isinstance(outcome, Sent)], worker, moment,
                    report)
        for job, outcome in answers:
            if not isinstance(outcome, Sent):
                record(job, outcome, worker, moment, report)
        db.session.commit()


_table = cast(sa.Table, OutboundMessage.__table__)
#: One statement for every `sent` answer of a round (executemany): the common case, kept cheap.
_SENT = (sa.update(_table)
         .where(_table.c.id == sa.bindparam("b_id"), _table.c.status == "sending",
                _table.c.claimed_by == sa.bindparam("b_worker"))
         .values(status="sent", provider_id=sa.bindparam("b_provider_id"),
                 provider_status=sa.bindparam("b_provider_status"), sent_at=sa.bindparam("b_at"), error_code=None,
                 error_message="", updated_at=sa.bindparam("b_at")))


def record_sent(answers: list[tuple[Job, Sent]], worker: str, now: datetime, report: PassReport) -> None:
    """Write the `sent` answers of a round with their provider ids (conditional on this worker's claim)."""
    if not answers:
        return
    result = db.session.execute(_SENT, [
        {"b_id": job.id, "b_worker": worker, "b_provider_id": sent.provider_id[:64],
         "b_provider_status": sent.status[:20], "b_at": now} for job, sent in answers])
    report.sent += len(answers)
    written = getattr(result, "rowcount", -1)
    if written not in (len(answers), -1):
        logger.warning("%d sent message(s) were no longer held by this worker", len(answers) - written)


def _call(job: Job, sms: SmsBackend, mail: MailBackend) -> Outcome:
    """In a thread: one provider call; never raises."""
    try:
        if job.channel == "sms":
            return sms.send(job.recipient, job.body)
        return mail.send(job.recipient, job.subject, job.body, job.ics)
    except (ProviderError, OutcomeUnknown) as error:
        return error
    except Exception as error:  # an unexpected failure may have happened after the provider took it
        logger.exception("outbox message %s: unexpected error from the backend", job.id)
        return OutcomeUnknown(type(error).__name__)


def record(job: Job, outcome: Outcome, worker: str, now: datetime, report: PassReport) -> None:
    """Write one answer: sent, retry later, failed (flagging the number), or left for reconciliation."""
    if isinstance(outcome, Sent):
        record_sent([(job, outcome)], worker, now, report)
    elif isinstance(outcome, OutcomeUnknown):
        logger.warning("outbox message %s: outcome unknown (%s); left for reconciliation", job.id, outcome)
        _update(job.id, worker, error_message=f"outcome unknown: {outcome}"[:300], updated_at=now)
        report.unknown += 1
    elif outcome.permanent:
        _fail(job, outcome, worker, now, report)
    else:
        _retry(job, outcome, worker, now, report)


def _retry(job: Job, error: ProviderError, worker: str, now: datetime, report: PassReport) -> None:
    retry_at = now + min(BACKOFF_BASE * 2 ** (job.attempts - 1), BACKOFF_MAX)
    if job.attempts >= MAX_ATTEMPTS:
        _fail(job, error, worker, now, report)
        return
    if job.expires_at is not None and retry_at >= job.expires_at:
        _close(job.id, worker, "expired", error.message, now, report, error.code)
        return
    _update(job.id, worker, status="pending", due_at=retry_at, claimed_by=None, claimed_at=None,
            error_code=error.code, error_message=error.message, updated_at=now)
    report.retried += 1


def _fail(job: Job, error: ProviderError, worker: str, now: datetime, report: PassReport) -> None:
    logger.warning("outbox message %s failed: %s", job.id, error.message)
    _update(job.id, worker, status="failed", error_code=error.code, error_message=error.message, updated_at=now)
    report.failed += 1
    if error.problem and job.channel == "sms" and job.resident_id is not None:
        flag_number(job.resident_id, error.problem, now)


def flag_number(resident_id: int, problem: str, now: datetime) -> int:
    """Record that SMS cannot reach a resident's number (`problem`: invalid, opted_out, not_mobile,
    unreachable); their other pending SMS are cancelled. Returns how many were cancelled."""
    db.session.execute(sa.update(Resident).where(Resident.id == resident_id)
                       .values(sms_problem=problem, sms_problem_at=now)
                       .execution_options(synchronize_session=False))
    result = db.session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.resident_id == resident_id, OutboundMessage.channel == "sms",
               OutboundMessage.status == "pending")
        .values(status="cancelled", error_message=f"number problem: {problem}", updated_at=now)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _close(row_id: int, worker: str, status: str, reason: str, now: datetime, report: PassReport,
           code: str | None = None) -> None:
    _update(row_id, worker, status=status, error_code=code, error_message=reason[:300], updated_at=now)
    setattr(report, status, getattr(report, status) + 1)


def _update(row_id: int, worker: str, **values: object) -> None:
    """A conditional update of a row this worker holds in `sending`; a row it no longer holds (taken
    over by a reconciliation) is left alone, and logged."""
    result = db.session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.id == row_id, OutboundMessage.status == "sending",
               OutboundMessage.claimed_by == worker)
        .values(**values).execution_options(synchronize_session=False))
    if getattr(result, "rowcount", 1) != 1:
        logger.warning("outbox message %s was no longer held by this worker", row_id)
