"""The phone line's "to call" list: residents who will receive no SMS nor email for an appointment
in the next days, to be reminded by a call (issue 5), and the outcome the agent records.

A resident is on the list when the outbox sends them nothing (`outbox.channel_for` is None): no
reminder channel, SMS chosen without consent, a number the provider refused (`sms_problem`), or
no mobile. The list covers booked appointments from now to the end of the local day
`DAYS_AHEAD` days after today (today's remaining, tomorrow, the day after). An appointment whose
last call reached the resident leaves the list (shown again with `include_reached`); one with no
answer stays, with its last outcome. Reads: one query for the page and one count.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, contains_eager

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, HelpPoint, ReminderCall, Resident, User
from inclusion_app.models.messaging import CALL_OUTCOMES
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling import booking
from inclusion_app.scheduling.agenda import Page
from inclusion_app.scheduling.slots import local_zone

DAYS_AHEAD = 2
#: Rows a page (DOM size for EcoIndex grade A, DESIGN.md section 7).
PER_PAGE = 20


class CallError(ValueError):
    """The outcome cannot be recorded (unknown outcome, appointment not on the list any more)."""


def window(now: datetime) -> tuple[datetime, datetime]:
    """(now, end of the local day `DAYS_AHEAD` days after today), aware."""
    zone = local_zone()
    last_day = now.astimezone(zone).date() + timedelta(days=DAYS_AHEAD + 1)
    return now, datetime.combine(last_day, time(), zone)


def _silent() -> sa.ColumnElement[bool]:
    """Residents to whom the outbox sends nothing (mirrors `outbox.channel_for`)."""
    sms_ok = sa.and_(Resident.reminder_channel == "sms", Resident.sms_consent, Resident.phone_is_mobile,
                     Resident.phone.is_not(None), Resident.sms_problem.is_(None))
    email_ok = sa.and_(Resident.reminder_channel == "email", Resident.email.is_not(None))
    return sa.and_(Resident.deleted_at.is_(None), sa.not_(sa.or_(sms_ok, email_ok)))


def to_call_page(page: int, now: datetime | None = None, *, include_reached: bool = False) -> Page[Any]:
    """One page of rows (Appointment with resident and help point loaded, last ReminderCall or
    None), soonest first; two queries (the count and the page) whatever the page holds."""
    start, end = window(now or utcnow())
    latest = sa.select(sa.func.max(ReminderCall.id)).where(ReminderCall.appointment_id == Appointment.id) \
        .correlate(Appointment).scalar_subquery()
    last = aliased(ReminderCall)
    where = [Appointment.status == "booked", Appointment.starts_at >= start, Appointment.starts_at < end, _silent()]
    if not include_reached:
        where.append(sa.or_(last.id.is_(None), last.outcome != "called"))
    base = sa.select(Appointment, last).join(Appointment.resident).outerjoin(last, last.id == latest).where(*where)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(page, 1), pages)
    query = (base.outerjoin(Appointment.help_point)
             .options(contains_eager(Appointment.resident), contains_eager(Appointment.help_point))
             .order_by(Appointment.starts_at, Appointment.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    return Page([tuple(row) for row in db.session.execute(query)], page, pages, total)


def record_call(appointment_id: int, outcome: str, by: User, now: datetime | None = None) -> ReminderCall:
    """Record a call's `outcome` (called, no_answer, cancelled) for an appointment of the list;
    `cancelled` also cancels the appointment (`booking.set_status`, which queues the messages).
    Flushes only. Raises CallError, or booking.BookingError when the cancellation is refused."""
    now = now or utcnow()
    if outcome not in CALL_OUTCOMES:
        raise CallError(_("Choose the outcome of the call."))
    appointment = db.session.get(Appointment, appointment_id)
    start, end = window(now)
    if appointment is None or appointment.status != "booked" or not start <= appointment.starts_at < end:
        raise CallError(_("This appointment is no longer on the list: it was moved, cancelled or has started."))
    if outcome == "cancelled":
        booking.set_status(appointment, "cancelled_by_resident", by, now)
    call = ReminderCall(appointment_id=appointment.id, outcome=outcome, called_by_id=by.id, called_at=now)
    db.session.add(call)
    db.session.flush()
    return call


def place_name(help_point: HelpPoint | None) -> str:
    """The place of an appointment of the list: the help point's name, or "Phone appointment"."""
    return help_point.nom if help_point is not None else _("Phone appointment")
