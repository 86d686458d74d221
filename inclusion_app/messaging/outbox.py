"""Writing the outbox: the messages an appointment's booking, move or cancellation queues (issue 5).

Called by `scheduling.booking` inside the booking's own transaction (services flush only), so that
an appointment and its messages are committed together or not at all (DESIGN.md section 3).

Rules:
- the channel is the resident's `reminder_channel`: SMS only with `sms_consent`, a mobile number and
  no `sms_problem` (opted out, invalid…); email when the channel is email and an address is known;
  otherwise nothing is queued (the printed slip, and the phone line's list, take over);
- at booking: a confirmation, due at once (or when quiet hours end), and one reminder per
  `REMINDER_OFFSETS` (default 48 h before, local wall time, moved earlier out of quiet hours);
  a reminder whose time is already past when booking (booked 3 h before) is not queued: the
  confirmation, sent at once, says the same;
- on a move: the old appointment's pending messages are cancelled; the new one gets a change
  message (a confirmation instead when the resident was never told of the old one) and its reminders;
- on a cancellation (or any closing): pending messages are cancelled; a cancellation message is
  queued only when the resident was told of the appointment (a message reached the provider);
- every message expires at the appointment's start: never sent after it has begun.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from inclusion_app.extensions import db
from inclusion_app.messaging import timing
from inclusion_app.models import Appointment, OutboundMessage, Resident
from inclusion_app.scheduling.slots import local_zone

logger = logging.getLogger(__name__)

#: Statuses meaning the resident may have received the message.
TOLD_STATUSES = ("sending", "sent", "delivered", "review")
#: How far back a chain of moves is followed to find what the resident was told.
MAX_CHAIN = 20


def channel_for(resident: Resident | None) -> tuple[str, str] | None:
    """(channel, recipient) for `resident`: ("sms", E.164) or ("email", address); None when no
    message can be sent (channel `none`, no consent, no mobile, a number problem, merged or deleted)."""
    if resident is None or resident.deleted_at is not None or resident.merged_into_id is not None:
        return None
    if resident.reminder_channel == "sms":
        if resident.sms_consent and resident.phone_is_mobile and resident.phone and not resident.sms_problem:
            return "sms", resident.phone
        return None
    if resident.reminder_channel == "email" and resident.email:
        return "email", resident.email
    return None


def on_booked(appointment: Appointment, now: datetime) -> list[OutboundMessage]:
    """Queue the confirmation and the reminders of a new appointment; return the rows (flushed)."""
    return _queue_notice_and_reminders(appointment, "confirmation", now)


def on_moved(old: Appointment, new: Appointment, now: datetime) -> list[OutboundMessage]:
    """Cancel `old`'s pending messages; queue a change (or, when the resident never heard of `old`,
    a confirmation) and the reminders of `new`."""
    cancel_pending(old.id, "moved", now)
    told = last_told_start(old)
    kind = "change" if told is not None else "confirmation"
    return _queue_notice_and_reminders(new, kind, now, previous_start=told)


def on_closed(appointment: Appointment, now: datetime) -> list[OutboundMessage]:
    """After a status change: cancel pending messages; for a cancellation the resident was told
    of, queue the cancellation message."""
    cancel_pending(appointment.id, appointment.status, now)
    if not appointment.status.startswith("cancelled") or channel_for(appointment.resident) is None:
        return []
    if not was_told(appointment):
        return []
    row = _message(appointment, "cancellation", _notice_due(now), now)
    return _added([row])


def cancel_pending(appointment_id: int, reason: str, now: datetime) -> int:
    """Cancel the pending messages of an appointment; return how many."""
    result = db.session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.appointment_id == appointment_id, OutboundMessage.status == "pending")
        .values(status="cancelled", error_message=f"appointment {reason}"[:300], updated_at=now)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def was_told(appointment: Appointment) -> bool:
    """True when a message about this appointment, or one it was moved from, reached the provider."""
    return last_told_start(appointment) is not None


def last_told_start(appointment: Appointment) -> datetime | None:
    """The start the resident last heard of: that of the latest appointment of the chain of moves
    ending at `appointment` whose message reached the provider; None if they heard of none."""
    chain: list[Appointment] = []
    current: Appointment | None = appointment
    while current is not None and len(chain) < MAX_CHAIN:
        chain.append(current)
        previous = current.rescheduled_from_id
        current = db.session.get(Appointment, previous) if previous is not None else None
    told = set(db.session.scalars(sa.select(OutboundMessage.appointment_id).where(
        OutboundMessage.appointment_id.in_([a.id for a in chain]), OutboundMessage.status.in_(TOLD_STATUSES))))
    return next((a.starts_at for a in chain if a.id in told), None)


def number_opted_out(phone: str) -> bool:
    """True when any resident with this number (E.164) replied STOP: the opt-out is the number's,
    not one record's (a duplicate or a relative sharing the phone must not get SMS either)."""
    return db.session.scalar(sa.select(sa.exists().where(Resident.phone == phone,
                                                         Resident.sms_problem == "opted_out"))) is True


def _queue_notice_and_reminders(appointment: Appointment, kind: str, now: datetime, *,
                                previous_start: datetime | None = None) -> list[OutboundMessage]:
    channel = channel_for(appointment.resident)
    if channel is None or (channel[0] == "sms" and number_opted_out(channel[1])):
        return []
    rows = [_message(appointment, kind, _notice_due(now), now, previous_start=previous_start)]
    quiet, zone = _quiet(), local_zone()
    for offset in reminder_offsets():
        due = timing.reminder_due(appointment.starts_at, offset, quiet, zone)
        if due > now:
            rows.append(_message(appointment, "reminder", due, now))
    return _added(rows)


def _message(appointment: Appointment, kind: str, due: datetime, now: datetime, *,
             previous_start: datetime | None = None) -> OutboundMessage:
    from inclusion_app.messaging.texts import render

    resident = appointment.resident
    channel, recipient = channel_for(resident) or ("", "")
    rendered = render(kind, appointment, channel, resident.language, previous_start=previous_start)
    return OutboundMessage(
        kind=kind, channel=channel, appointment_id=appointment.id, resident_id=resident.id, recipient=recipient,
        language=resident.language, subject=rendered.subject[:200], body=rendered.body, status="pending",
        due_at=due, expires_at=appointment.starts_at, attempts=0, created_at=now, updated_at=now)


def _added(rows: list[OutboundMessage]) -> list[OutboundMessage]:
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _notice_due(now: datetime) -> datetime:
    return timing.notice_due(now, _quiet(), local_zone())


def _quiet() -> timing.QuietHours | None:
    return timing.parse_quiet_hours(current_app.config.get("QUIET_HOURS"))


def reminder_offsets() -> list[timedelta]:
    """The offsets of `REMINDER_OFFSETS` (default 48 h), longest first. Raises ValueError."""
    return timing.parse_offsets(current_app.config.get("REMINDER_OFFSETS", "48h"))


def on_contact_changed(resident: Resident, before: tuple[str, str] | None, now: datetime) -> list[OutboundMessage]:
    """After a resident's channel or contact changed (`before` was `channel_for` then): cancel the
    pending messages that went to the old one and, when there is a new one, queue a confirmation
    and the reminders of each upcoming booked appointment on it (a corrected number would
    otherwise lose its reminders silently)."""
    after = channel_for(resident)
    if after == before:
        return []
    db.session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.resident_id == resident.id, OutboundMessage.status == "pending")
        .values(status="cancelled", error_message="the resident's channel or contact changed", updated_at=now)
        .execution_options(synchronize_session=False))
    if after is None:
        return []
    upcoming = db.session.scalars(sa.select(Appointment).where(
        Appointment.resident_id == resident.id, Appointment.status == "booked", Appointment.starts_at > now))
    return [row for appointment in upcoming for row in on_booked(appointment, now)]
