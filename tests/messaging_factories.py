"""Rows of the outbox and of the phone line's calls for the tests of the messaging pages."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import OutboundMessage, ReminderCall
from inclusion_app.models.types import utcnow

_counter = itertools.count(1)


def message(**fields: Any) -> OutboundMessage:
    """An SMS reminder, pending, due now, to a unique French mobile number (fields override)."""
    number = next(_counter)
    now = utcnow()
    values: dict[str, Any] = {
        "kind": "reminder", "channel": "sms", "recipient": f"+336{number:08d}", "language": "fr",
        "body": f"Rappel de votre RDV {number}", "status": "pending", "due_at": now,
        "expires_at": now + timedelta(days=2), "created_at": now, "updated_at": now,
    }
    values.update(fields)
    row = OutboundMessage(**values)
    db.session.add(row)
    db.session.flush()
    return row


def call(appointment_id: int, outcome: str, at: datetime | None = None, by_id: int | None = None) -> ReminderCall:
    """A recorded reminder call."""
    row = ReminderCall(appointment_id=appointment_id, outcome=outcome, called_at=at or utcnow(), called_by_id=by_id)
    db.session.add(row)
    db.session.flush()
    return row


def count_queries(action: Callable[[], Any]) -> int:
    """The number of SQL statements `action()` runs."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)
