"""Booking, moving and closing appointments (issue 4). Services only flush.

A start is booked only when the slot search offers it (`slots.is_free`); the database then
refuses a double booking by itself (exclusion constraints on PostgreSQL, triggers on SQLite, see
`models.scheduling.no_double_booking_sql`), which settles races between concurrent bookers: the
loser gets `SlotTaken` with the next free slots, whatever the engine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from babel.localedata import exists as locale_exists
from flask import current_app
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden

from inclusion_app.extensions import db
from inclusion_app.messaging import outbox
from inclusion_app.models import Appointment, HelpPoint, Resident, User
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.slots import InvalidSearch, Slot, earliest_slot, find_slots, is_free, local_date
from inclusion_app.vocabularies import NEEDS, PROCEDURES

FINAL_STATUSES = ("attended", "no_show", "cancelled_by_resident", "cancelled_by_service")
NEXT_SLOTS_OFFERED = 5
DEADLOCK_RETRIES = 4


class BookingError(ValueError):
    """Refused booking data: `fields` maps each field at fault to a message (HTTP 400)."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in fields.items()))
        self.fields = fields


class SlotTaken(Exception):
    """The slot is no longer free (HTTP 409 `slot_taken`); `next_slots` are the next free ones."""

    def __init__(self, next_slots: list[Slot]) -> None:
        super().__init__("slot taken")
        self.next_slots = next_slots


class ResidentBusy(Exception):
    """The resident already holds an appointment overlapping this one (HTTP 409 `conflict`)."""


@dataclass
class BookingRequest:
    """What to book: the resident, the start (aware), mode, place and the optional details."""

    resident_id: int
    start: datetime
    mode: str
    help_point_id: int | None = None
    counsellor_id: int | None = None
    procedure: str | None = None
    needs: Sequence[str] = field(default_factory=tuple)
    interpreter_language: str | None = None
    notes: str = ""


def validate(request: BookingRequest, now: datetime) -> Resident:
    """Check the request's own fields; return the resident. Raises BookingError."""
    errors: dict[str, str] = {}
    resident = db.session.get(Resident, request.resident_id)
    if resident is None or resident.merged_into_id is not None or resident.deleted_at is not None:
        errors["resident_id"] = _("This resident does not exist (or was merged or deleted).")
    if request.start.tzinfo is None:
        errors["start"] = _("Give the time with its offset, or as local time.")
    elif request.start <= now:
        errors["start"] = _("This time is in the past.")
    elif request.start > now + timedelta(days=_horizon_days()):
        errors["start"] = _("Appointments are booked at most %(days)s days ahead.", days=_horizon_days())
    _validate_place(request, resident, errors)
    _validate_details(request, errors)
    if errors:
        raise BookingError(errors)
    assert resident is not None  # noqa: S101 - guaranteed by the check above
    return resident


def _validate_place(request: BookingRequest, resident: Resident | None, errors: dict[str, str]) -> None:
    """Mode and place agree; the help point and the counsellor exist; a phone appointment needs a
    phone number to call."""
    if request.mode not in ("on_site", "phone"):
        errors["mode"] = _("Choose on site or by phone.")
    elif request.mode == "on_site" and request.help_point_id is None:
        errors["help_point_id"] = _("Choose the help point of an on-site appointment.")
    elif request.mode == "phone" and request.help_point_id is not None:
        errors["help_point_id"] = _("A phone appointment has no help point.")
    elif request.mode == "phone" and resident is not None and not resident.phone:
        errors["mode"] = _("This resident has no phone number: book on site, or add a number first.")
    help_point = db.session.get(HelpPoint, request.help_point_id) if request.help_point_id is not None else None
    if request.help_point_id is not None and (help_point is None or not help_point.is_active):
        errors["help_point_id"] = _("This help point does not exist or is closed.")
    counsellor = db.session.get(User, request.counsellor_id) if request.counsellor_id is not None else None
    if request.counsellor_id is not None and (counsellor is None or not counsellor.has_role("counsellor")):
        errors["counsellor_id"] = _("This counsellor does not exist.")


def _validate_details(request: BookingRequest, errors: dict[str, str]) -> None:
    procedure = request.procedure
    if procedure is not None and (not isinstance(procedure, str) or procedure not in PROCEDURES):
        errors["procedure"] = _("Unknown procedure category.")
    unknown = [need for need in request.needs if need not in NEEDS]
    if unknown:
        errors["needs"] = _("Unknown need: %(codes)s.", codes=", ".join(unknown))
    language = request.interpreter_language
    if language is not None and not isinstance(language, str):
        errors["interpreter_language"] = _("Use a two-letter language code (ISO 639-1), e.g. ar.")
    elif "interprete" in request.needs and not language:
        errors["interpreter_language"] = _("Say which language the interpreter speaks (e.g. ar, uk).")
    elif language and (len(language) != 2 or not locale_exists(language)):
        errors["interpreter_language"] = _("Use a two-letter language code (ISO 639-1), e.g. ar.")
    if len(request.notes) > 500:
        errors["notes"] = _("500 characters at most.")


def book(request: BookingRequest, booked_by: User | None, now: datetime | None = None, *,
         notify: bool = True) -> Appointment:
    """Book a free slot for a resident; a free counsellor is assigned when none is asked for.

    Records the earliest free slot the search offered now (`first_offered_at`) and, with `notify`,
    queues the confirmation and reminders in the outbox (same transaction). Raises BookingError
    (bad input), SlotTaken (not or no longer free) or ResidentBusy.
    """
    now = now or utcnow()
    resident = validate(request, now)
    lock_for_booking(RESIDENT_LOCK, request.resident_id)
    criteria: dict[str, Any] = {"mode": request.mode, "help_point_id": request.help_point_id,
                                "procedure": request.procedure, "needs": tuple(request.needs)}
    try:
        slot = is_free(request.start, counsellor_id=request.counsellor_id, now=now, **criteria)
        if slot is None:
            raise SlotTaken(next_slots(request, now))
        # What the search offered: any help point, the nearest the resident's district first.
        first = earliest_slot(date_from=local_date(now), days=_horizon_days(), now=now,
                              district_id=resident.district_id if request.mode == "on_site" else None,
                              **{**criteria, "help_point_id": None})
    except InvalidSearch as error:
        raise BookingError({error.field: error.message}) from error
    for counsellor_id in _candidates(slot, request.counsellor_id):
        appointment = _try_insert(request, slot, counsellor_id, booked_by, first, now)
        if appointment is not None:
            if notify:
                outbox.on_booked(appointment, now)
            return appointment
    raise SlotTaken(next_slots(request, now))


def _candidates(slot: Slot, wanted: int | None) -> list[int]:
    return [wanted] if wanted is not None else sorted(slot.counsellor_ids)


RESIDENT_LOCK, COUNSELLOR_LOCK = 1, 2


def lock_for_booking(kind: int, row_id: int) -> None:
    """Queue bookers of one resident or one counsellor behind each other (PostgreSQL only).

    A transaction-scoped advisory lock, always taken resident first then counsellors by
    ascending id, so that racing bookers wait in turn instead of deadlocking in the exclusion
    constraints' checks; the winner's committed row then makes the others' check fail at once.
    SQLite needs none: its transactions are serialised (`inclusion_app.sqlite`). The constraints
    stay the guarantee; the locks only make losing quick and clean.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:kind, :row_id)"), {"kind": kind, "row_id": row_id})


def _try_insert(request: BookingRequest, slot: Slot, counsellor_id: int, booked_by: User | None,
                first: Slot | None, now: datetime) -> Appointment | None:
    """Insert in a savepoint; None when the counsellor was just taken. Raises ResidentBusy.

    Two bookers racing for overlapping rows can deadlock inside PostgreSQL's exclusion checks
    (each waits for the other's uncommitted row); the one chosen as victim retries, and then
    meets the winner's committed row as a plain conflict.
    """
    lock_for_booking(COUNSELLOR_LOCK, counsellor_id)
    for attempt in range(DEADLOCK_RETRIES):
        appointment = _new_appointment(request, slot, counsellor_id, booked_by, first, now)
        try:
            with db.session.begin_nested():
                db.session.add(appointment)
            return appointment
        except sa.exc.IntegrityError as error:
            if overlap_of(error) == "resident":
                raise ResidentBusy() from error
            if overlap_of(error) == "counsellor":
                return None
            raise
        except sa.exc.OperationalError as error:
            if not is_deadlock(error) or attempt == DEADLOCK_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return None


def _new_appointment(request: BookingRequest, slot: Slot, counsellor_id: int, booked_by: User | None,
                     first: Slot | None, now: datetime) -> Appointment:
    return Appointment(
        resident_id=request.resident_id, counsellor_id=counsellor_id, help_point_id=slot.help_point_id,
        mode=slot.mode, starts_at=slot.start, ends_at=slot.end, status="booked", procedure=request.procedure,
        needs=list(request.needs), interpreter_language=request.interpreter_language, notes=request.notes,
        first_offered_at=first.start if first else slot.start, booked_by_id=booked_by.id if booked_by else None,
        booked_at=now,
    )


def is_deadlock(error: sa.exc.OperationalError) -> bool:
    """True for PostgreSQL's deadlock_detected (SQLSTATE 40P01)."""
    return getattr(error.orig, "sqlstate", None) == "40P01"


def overlap_of(error: sa.exc.IntegrityError) -> str | None:
    """`counsellor` or `resident` when the error is the database refusing a double booking."""
    text = str(error.orig)
    for who in ("counsellor", "resident"):
        if f"ex_appointments_{who}_overlap" in text or f"appointment_overlap:{who}" in text:
            return who
    return None


def next_slots(request: BookingRequest, now: datetime) -> list[Slot]:
    """The next free slots for the same search, from the day asked for (or today)."""
    start_day = max(local_date(request.start), local_date(now))
    days = _horizon_days() - (start_day - local_date(now)).days
    if days < 1:
        return []
    return find_slots(mode=request.mode, date_from=start_day, days=days, help_point_id=request.help_point_id,
                      procedure=request.procedure, needs=tuple(request.needs), now=now, limit=NEXT_SLOTS_OFFERED)


def _horizon_days() -> int:
    return int(current_app.config.get("BOOKING_HORIZON_DAYS", 60))


def set_status(appointment: Appointment, status: str, by: User | None, now: datetime | None = None, *,
               notify: bool = True) -> Appointment:
    """Close a booked appointment: attended, no_show or cancelled (final, with who and when).

    With `notify`, the outbox's pending messages of the appointment are cancelled and, for a
    cancellation, the cancellation message is queued (same transaction).

    Rules: attended / no-show once it has started, and only by its own counsellor; a cancellation
    only before it starts. The change is a conditional UPDATE (`status = 'booked'`), so that of
    two people closing or moving it at once, one only succeeds. Raises BookingError for an
    unknown status, a final status, or a rule broken, and NotAllowed for the wrong person.
    """
    now = now or utcnow()
    _check_status_change(appointment, status, by, now)
    result = db.session.execute(
        sa.update(Appointment).where(Appointment.id == appointment.id, Appointment.status == "booked")
        .values(status=status, status_changed_by_id=by.id if by else None, status_changed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(appointment)
    if getattr(result, "rowcount", 0) != 1:
        raise BookingError({"status": _("This appointment is already closed; its status is final.")})
    from inclusion_app.reports.facts import days_of, mark_dirty  # the reports count statuses by day

    mark_dirty(days_of(appointment))
    if notify:
        outbox.on_closed(appointment, now)
    return appointment


class NotAllowed(Forbidden):
    """This person may not make this change: answered as a 403 page or JSON error."""


def _check_status_change(appointment: Appointment, status: str, by: User | None, now: datetime) -> None:
    if status not in FINAL_STATUSES:
        raise BookingError({"status": _("Unknown status.")})
    if appointment.status != "booked":
        raise BookingError({"status": _("This appointment is already closed; its status is final.")})
    if status in ("attended", "no_show"):
        if appointment.starts_at > now:
            raise BookingError({"status": _("An appointment can be marked attended or missed once it has started.")})
        if by is not None and by.id != appointment.counsellor_id:
            raise NotAllowed()
    elif appointment.starts_at <= now:
        raise BookingError({"status": _("This appointment has started: mark it attended or missed instead.")})


def move(appointment: Appointment, new_start: datetime, by: User | None, *, help_point_id: int | None = None,
         counsellor_id: int | None = None, cancelled_by: str = "cancelled_by_service",
         now: datetime | None = None) -> Appointment:
    """Move a booked appointment: the old one is cancelled (history kept) and a new one booked,
    linked by `rescheduled_from_id`; the outbox cancels the old one's pending messages and queues
    the change and the new reminders. Raises BookingError, SlotTaken or ResidentBusy; on failure
    nothing changes."""
    now = now or utcnow()
    if appointment.status != "booked":
        raise BookingError({"status": _("Only a booked appointment can be moved.")})
    if appointment.starts_at <= now:
        raise BookingError({"status": _("This appointment has started: it can no longer be moved.")})
    request = BookingRequest(
        resident_id=appointment.resident_id, start=new_start, mode=appointment.mode,
        help_point_id=help_point_id if help_point_id is not None else appointment.help_point_id,
        counsellor_id=counsellor_id, procedure=appointment.procedure, needs=tuple(appointment.needs),
        interpreter_language=appointment.interpreter_language, notes=appointment.notes,
    )
    try:
        with db.session.begin_nested():
            set_status(appointment, cancelled_by, by, now, notify=False)
            new = book(request, by, now, notify=False)
            new.rescheduled_from_id = appointment.id
            # A move is not a new request: the delay indicator keeps the original booking's figures.
            new.booked_at, new.first_offered_at = appointment.booked_at, appointment.first_offered_at
            outbox.on_moved(appointment, new, now)
    except Exception:
        db.session.refresh(appointment)  # the savepoint rolled the cancellation back
        raise
    db.session.flush()
    return new
