"""The outbox of messages to residents (SMS and email), and what the scheduler needs around it.

DESIGN.md section 3: booking, moving or cancelling an appointment writes `OutboundMessage` rows in
the same transaction; a separate scheduler process claims due rows and sends them. A row follows
`pending → sending → sent → delivered | undelivered | failed`, or ends `cancelled`, `expired` or
`review` (found in `sending` after a crash and not found in the provider's log: an admin decides).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion_app.extensions import Model
from inclusion_app.models.people import Resident, User
from inclusion_app.models.scheduling import Appointment
from inclusion_app.models.types import UTCDateTime, utcnow

MESSAGE_KINDS = ("confirmation", "reminder", "change", "cancellation")
MESSAGE_CHANNELS = ("sms", "email")
MESSAGE_STATUSES = ("pending", "sending", "sent", "delivered", "undelivered", "failed", "cancelled", "expired",
                    "review")
CALL_OUTCOMES = ("called", "no_answer", "cancelled")


class OutboundMessage(Model):
    """One SMS or email to a resident, written in the booking's transaction, sent by the scheduler.

    `recipient` is E.164 for SMS, an address for email; `body` (and `subject` for email) is rendered
    in `language` when queued. `due_at` is the earliest time to send (UTC; pushed later by a retry
    or by quiet hours); `expires_at` the time after which it is no longer useful (the appointment's
    start for a reminder): a row still pending then becomes `expired`, never sent late.
    `attempts` counts provider calls; `claimed_by`/`claimed_at` name the scheduler that holds a row
    in `sending`. `provider_id` is the provider's id (Twilio's message SID); `error_code` the
    provider's code (Twilio 21211, 21610…) and `error_message` its reason.
    """

    __tablename__ = "outbound_messages"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('confirmation', 'reminder', 'change', 'cancellation')", name="kind"),
        sa.CheckConstraint("channel IN ('sms', 'email')", name="channel"),
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'delivered', 'undelivered', 'failed', "
                           "'cancelled', 'expired', 'review')", name="status"),
        sa.Index("ix_outbound_messages_status_due", "status", "due_at"),
        sa.Index("ix_outbound_messages_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    channel: Mapped[str] = mapped_column(sa.String(10))
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id", ondelete="SET NULL"),
                                                       index=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residents.id", ondelete="SET NULL"), index=True)
    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    language: Mapped[str] = mapped_column(sa.String(8), default="fr")
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text())
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    provider_status: Mapped[str | None] = mapped_column(sa.String(20))
    error_code: Mapped[str | None] = mapped_column(sa.String(20))
    error_message: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    appointment: Mapped[Appointment | None] = relationship()
    resident: Mapped[Resident | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutboundMessage {self.id} {self.kind} {self.channel} {self.status}>"


class JobLease(Model):
    """A lease that lets one scheduler among several run a periodic job once (DESIGN.md section 3).

    `name` is the job's name; `holder` the scheduler holding it until `expires_at` (UTC);
    `last_run_on` the local date of the last complete run of a nightly job.
    """

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    holder: Mapped[str | None] = mapped_column(sa.String(100))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_on: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ReminderCall(Model):
    """A call made by the phone line to remind a resident who has neither a mobile nor an email.

    `outcome` is `called` (reminded), `no_answer` or `cancelled` (the resident cancelled on the
    phone; the appointment is cancelled by the same action).
    """

    __tablename__ = "reminder_calls"
    __table_args__ = (sa.CheckConstraint("outcome IN ('called', 'no_answer', 'cancelled')", name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(12))
    called_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    called_by: Mapped[User | None] = relationship()


class InboundMessage(Model):
    """A resident's reply already handled, by the provider's id (Twilio `MessageSid`): a repeated
    callback of the same reply is acknowledged and changes nothing."""

    __tablename__ = "inbound_messages"

    provider_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
