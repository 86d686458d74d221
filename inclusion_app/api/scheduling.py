"""API of slots and appointments (DESIGN.md section 4)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion_app.api import bp
from inclusion_app.api.common import (
    invalid,
    json_body,
    optional_int,
    paginate,
    parse_date,
    parse_datetime,
    parse_int,
)
from inclusion_app.api.errors import ApiError
from inclusion_app.extensions import db
from inclusion_app.models import ROLES, Appointment
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling import booking, slots
from inclusion_app.security import roles_required

BOOKERS = ("counsellor", "phone_agent")


@bp.route("/slots")
@roles_required(*ROLES)
def slots_search() -> Response:
    """Free slots, earliest first: `?mode=&date_from=&days=&help_point_id=&district_id=&procedure=&needs=`."""
    args = request.args
    horizon = int(current_app.config.get("BOOKING_HORIZON_DAYS", 60))
    needs = tuple(code for code in args.get("needs", "").split(",") if code)
    try:
        found = slots.find_slots(
            mode=args.get("mode", "on_site"),
            date_from=(parse_date(args["date_from"], "date_from") if args.get("date_from")
                       else slots.local_date(utcnow())),
            days=parse_int(args.get("days", horizon), "days", 1, horizon),
            help_point_id=optional_int(args.get("help_point_id"), "help_point_id"),
            district_id=optional_int(args.get("district_id"), "district_id"),
            procedure=args.get("procedure") or None, needs=needs,
        )
    except slots.InvalidSearch as error:
        raise invalid({error.field: str(error)}) from error
    return jsonify(slots=[slot.to_json(slots.local_zone()) for slot in found])


def appointment_json(appointment: Appointment) -> dict[str, Any]:
    """The API shape of an appointment (DESIGN.md section 4)."""
    zone = slots.local_zone()
    return {
        "id": appointment.id, "status": appointment.status, "mode": appointment.mode,
        "start": appointment.starts_at.astimezone(zone).isoformat(),
        "end": appointment.ends_at.astimezone(zone).isoformat(),
        "help_point_id": appointment.help_point_id, "counsellor_id": appointment.counsellor_id,
        "resident_id": appointment.resident_id, "procedure": appointment.procedure,
        "needs": list(appointment.needs), "interpreter_language": appointment.interpreter_language,
        "rescheduled_from_id": appointment.rescheduled_from_id,
    }


def _booking_request(data: dict[str, Any]) -> booking.BookingRequest:
    needs = data.get("needs") or []
    if not isinstance(needs, list) or not all(isinstance(code, str) for code in needs):
        raise invalid({"needs": _("Give a list of need codes.")})
    return booking.BookingRequest(
        resident_id=parse_int(data.get("resident_id"), "resident_id"),
        start=parse_datetime(data.get("start"), "start"),
        mode=str(data.get("mode") or ""),
        help_point_id=optional_int(data.get("help_point_id"), "help_point_id"),
        counsellor_id=optional_int(data.get("counsellor_id"), "counsellor_id"),
        procedure=data.get("procedure") or None, needs=tuple(needs),
        interpreter_language=data.get("interpreter_language") or None, notes=str(data.get("notes") or ""),
    )


def _slot_taken(error: booking.SlotTaken) -> ApiError:
    zone = slots.local_zone()
    message = _("This slot was just taken: here are the next ones.")
    fields = {"start": message}
    api_error = ApiError(409, "slot_taken", message, fields)
    api_error.extra = {"next_slots": [slot.to_json(zone) for slot in error.next_slots]}
    return api_error


def _busy() -> ApiError:
    return ApiError(409, "conflict", _("This resident already has an appointment at that time."),
                    {"start": _("This resident already has an appointment at that time.")})


@contextmanager
def booking_errors_as_api_errors() -> Iterator[None]:
    """Turn the booking service's errors into API errors: 400 with fields, 409 `slot_taken`
    (with the next slots) or 409 `conflict`."""
    try:
        yield
    except booking.BookingError as error:
        raise invalid(error.fields) from error
    except booking.SlotTaken as error:
        raise _slot_taken(error) from error
    except booking.ResidentBusy as error:
        raise _busy() from error


@bp.route("/appointments", methods=["POST"])
@roles_required(*BOOKERS)
def appointments_create() -> tuple[Response, int]:
    """Book an appointment on a resident's behalf; 409 `slot_taken` or `conflict`."""
    with booking_errors_as_api_errors():
        appointment = booking.book(_booking_request(json_body()), current_user)
    db.session.commit()
    return jsonify(appointment_json(appointment)), 201


@bp.route("/appointments", methods=["GET"])
@roles_required(*BOOKERS)
def appointments_list() -> Response:
    """Appointments, by start, filtered by `?resident_id=&counsellor_id=&help_point_id=&status=&date_from=&date_to=`."""
    args = request.args
    query = sa.select(Appointment).order_by(Appointment.starts_at, Appointment.id)
    for name in ("resident_id", "counsellor_id", "help_point_id"):
        if args.get(name):
            query = query.where(getattr(Appointment, name) == parse_int(args[name], name))
    if args.get("status"):
        query = query.where(Appointment.status == args["status"])
    query = _date_filter(query, args)
    return jsonify(paginate(query, appointment_json))


def _date_filter(query: sa.Select[Any], args: Any) -> sa.Select[Any]:
    from datetime import datetime, time, timedelta

    zone = slots.local_zone()
    if args.get("date_from"):
        start = datetime.combine(parse_date(args["date_from"], "date_from"), time(0), zone)
        query = query.where(Appointment.starts_at >= start)
    if args.get("date_to"):
        end = datetime.combine(parse_date(args["date_to"], "date_to") + timedelta(days=1), time(0), zone)
        query = query.where(Appointment.starts_at < end)
    return query


def _appointment_or_404(appointment_id: int) -> Appointment:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        raise ApiError(404, "not_found", _("This appointment does not exist."))
    return appointment


@bp.route("/appointments/<int:appointment_id>", methods=["GET"])
@roles_required(*BOOKERS)
def appointments_get(appointment_id: int) -> Response:
    """One appointment."""
    return jsonify(appointment_json(_appointment_or_404(appointment_id)))


@bp.route("/appointments/<int:appointment_id>", methods=["PATCH"])
@roles_required(*BOOKERS)
def appointments_update(appointment_id: int) -> Response:
    """`{"status"}` closes a booked appointment; `{"start", …}` moves it (history kept)."""
    appointment = _appointment_or_404(appointment_id)
    data = json_body()
    with booking_errors_as_api_errors():
        if "start" in data:
            appointment = booking.move(
                appointment, parse_datetime(data["start"], "start"), current_user,
                help_point_id=optional_int(data.get("help_point_id"), "help_point_id"),
                counsellor_id=optional_int(data.get("counsellor_id"), "counsellor_id"),
            )
        elif "status" in data:
            booking.set_status(appointment, str(data["status"]), current_user)
        else:
            raise invalid({"status": _("Send a status, or a new start to move the appointment.")})
    db.session.commit()
    return jsonify(appointment_json(appointment))
