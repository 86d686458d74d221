"""Reconciling rows left in `sending` (DESIGN.md section 3): a scheduler killed between claiming a
row and writing the provider's answer, or an answer that never came (read timeout).

Twilio's API has no idempotency key, so such a row is never re-sent blindly. After `STALE_AFTER`
(far longer than a provider call, bounded by the client's timeout) another scheduler takes the row
over (a conditional UPDATE, `SKIP LOCKED` on PostgreSQL, so one scheduler does it) and asks the
provider's own log (Twilio lists messages by recipient and date) for a message to that recipient
with that exact body since the claim: found, the row is `sent` with the provider's id; not found,
it goes to `review` for an admin to decide. When the log cannot be read, the row waits for the next
pass, and goes to `review` after `GIVE_UP_AFTER`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from inclusion_app.extensions import db
from inclusion_app.messaging.backends import LogUnavailable, mail_backend, sms_backend
from inclusion_app.models import OutboundMessage

if TYPE_CHECKING:
    from inclusion_app.messaging.sender import PassReport

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(hours=24)
#: The provider's log is searched from this long before the claim (clocks differ a little).
CLOCK_SLACK = timedelta(minutes=2)
BATCH = 100


@dataclass(frozen=True)
class Stale:
    """A row taken over for reconciliation: where and what it was sending, since when."""

    id: int
    channel: str
    recipient: str
    body: str
    since: datetime
    created_at: datetime


def reconcile_stale(now: datetime, worker: str, report: PassReport) -> None:
    """Settle every row in `sending` claimed more than `STALE_AFTER` before `now`; commits per batch."""
    while True:
        rows = take_over(now, worker)
        if not rows:
            return
        for row in rows:
            settle(row, now, report)
        db.session.commit()


def take_over(now: datetime, worker: str) -> list[Stale]:
    """Claim up to `BATCH` stale rows for this worker (claimed_at = now); committed."""
    cutoff = now - STALE_AFTER
    stale = db.session.execute(
        sa.select(OutboundMessage.id, OutboundMessage.channel, OutboundMessage.recipient, OutboundMessage.body,
                  OutboundMessage.claimed_at, OutboundMessage.created_at)
        .where(OutboundMessage.status == "sending", OutboundMessage.claimed_at < cutoff)
        .order_by(OutboundMessage.id).limit(BATCH).with_for_update(skip_locked=True)).all()
    if not stale:
        db.session.commit()
        return []
    taken = set(db.session.scalars(
        sa.update(OutboundMessage)
        .where(OutboundMessage.id.in_([row.id for row in stale]), OutboundMessage.status == "sending",
               OutboundMessage.claimed_at < cutoff)
        .values(claimed_by=worker, claimed_at=now, updated_at=now)
        .returning(OutboundMessage.id).execution_options(synchronize_session=False)))
    db.session.commit()
    return [Stale(row.id, row.channel, row.recipient, row.body, row.claimed_at - CLOCK_SLACK, row.created_at)
            for row in stale if row.id in taken]


def settle(row: Stale, now: datetime, report: PassReport) -> None:
    """Ask the provider's log about one row: `sent` with its id, or `review`; left for later when
    the log cannot be read (until `GIVE_UP_AFTER`)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backend = sms_backend(app) if row.channel == "sms" else mail_backend(app)
    try:
        provider_id = backend.find_sent(row.recipient, row.body, row.since)
    except LogUnavailable as error:
        if now - row.created_at < GIVE_UP_AFTER:
            logger.warning("outbox message %s: provider log unavailable (%s); retried later", row.id, error)
            return
        provider_id = None
    values: dict[str, object]
    if provider_id is not None:
        values = {"status": "sent", "provider_id": provider_id, "sent_at": row.since + CLOCK_SLACK,
                  "error_message": "reconciled with the provider's log"}
        report.reconciled += 1
    else:
        values = {"status": "review", "error_message": "interrupted while sending and not found in the "
                  "provider's log: check with the resident before sending again"}
        report.review += 1
        logger.warning("outbox message %s put in review", row.id)
    db.session.execute(sa.update(OutboundMessage)
                       .where(OutboundMessage.id == row.id, OutboundMessage.status == "sending")
                       .values(updated_at=now, **values).execution_options(synchronize_session=False))
