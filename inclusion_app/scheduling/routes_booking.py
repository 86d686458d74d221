"""Pages of the phone line and the desk: find a resident, a slot, book; slips; residents' links.

The booking flow, for counsellors and phone-line agents, each step one page that works without
JavaScript and with the keyboard alone (DESIGN.md sections 1 and 7):

1. `/booking`: find the resident by phone (any writing) or name, or register them;
2. `/booking/resident/<id>`: the need (mode, procedure, needs, district, help point), a GET form;
3. `/booking/resident/<id>/slots`: the free slots, a week of days with slots a page; each slot is a
   submit button of one POST form, which books (`booking.book`) and leads to
4. `/appointments/<id>`: what to read back, cancel, move, attendance, and the printable slip.

`/rdv/<token>` is the resident's own page (no account), reached from a signed link. Routes parse
and render; rules live in `booking`, `residents.services`, and the queries in `pages`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion_app.extensions import db, limiter
from inclusion_app.i18n import LANGUAGE_COOKIE, current_locale
from inclusion_app.inputs import MAX_ID
from inclusion_app.lieux.display import phone_display
from inclusion_app.lieux.queries import district_choices
from inclusion_app.models import Appointment, Resident
from inclusion_app.residents.services import ResidentError, create_resident, get_visible, update_resident
from inclusion_app.scheduling import booking, bp, links, pages
from inclusion_app.scheduling.agenda_display import help_sessions_of
from inclusion_app.scheduling.booking_forms import NeedForm, ResidentForm, ResidentSearchForm, add_field_errors
from inclusion_app.scheduling.documents import documents_to_bring
from inclusion_app.scheduling.slots import InvalidSearch, Slot
from inclusion_app.security import public, roles_required
from inclusion_app.vocabularies import APPOINTMENT_STATUSES, MODES, NEEDS, PROCEDURES, REMINDER_CHANNELS

BOOKERS = ("counsellor", "phone_agent")
#: Statuses a counsellor records once the appointment has started (not the phone line).
ATTENDANCE = ("attended", "no_show")
STATUS_DONE = {
    "attended": _l("Recorded: the resident came."),
    "no_show": _l("Recorded: the resident did not come."),
    "cancelled_by_resident": _l("The appointment is cancelled (asked by the resident)."),
    "cancelled_by_service": _l("The appointment is cancelled (by the service)."),
}

resident_link_limit = limiter.limit(lambda: str(current_app.config["PUBLIC_RATE_LIMIT"]),
                                    key_func=get_remote_address)


def _template_helpers() -> dict[str, Any]:
    return {"day_words": pages.day_words, "time_words": pages.time_words, "when_words": pages.when_words,
            "phone_display": phone_display, "language_name": pages.language_name, "slot_value": pages.slot_value,
            "minutes_between": pages.minutes_between, "MODES": MODES, "NEEDS": NEEDS, "PROCEDURES": PROCEDURES,
            "APPOINTMENT_STATUSES": APPOINTMENT_STATUSES, "REMINDER_CHANNELS": REMINDER_CHANNELS}


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(f"scheduling/{template}", **_template_helpers(), **context), status


def _resident_or_404(resident_id: int) -> Resident:
    resident = get_visible(resident_id)
    if resident is None:
        abort(404)
    return resident


def _appointment_or_404(appointment_id: int) -> Appointment:
    appointment = pages.appointment_details(appointment_id)
    if appointment is None:
        abort(404)
    return appointment


# ---------------------------------------------------------------- 1. the resident

@bp.route("/booking")
@roles_required(*BOOKERS)
def booking_start() -> tuple[str, int]:
    """Find a resident (`?q=` a phone in any writing or a name), or register a new one."""
    search = ResidentSearchForm(formdata=request.args)
    query = (search.q.data or "").strip() if search.validate() else ""
    results, more = pages.search_residents(query) if query else ([], False)
    prefill = {"phone": query} if sum(char.isdigit() for char in query) >= 6 else {}
    form = ResidentForm(data=prefill, districts=district_choices())
    return _render_start(search, form, query, results, more)


def _render_start(search: ResidentSearchForm, form: ResidentForm, query: str, results: list[Resident],
                  more: bool, status: int = 200) -> tuple[str, int]:
    names = pages.district_names([person.district_id for person in results])
    return _render("booking/start.html", status, search=search, form=form, query=query, results=results,
                   more=more, district_names=names)


@bp.route("/booking/residents", methods=["POST"])
@roles_required(*BOOKERS)
def booking_create_resident() -> Response | tuple[str, int]:
    """Register a resident and go on to the need; on error the form comes back as typed."""
    form = ResidentForm(districts=district_choices())
    if form.validate():
        try:
            resident, duplicates = create_resident(form.resident_data(), created_by=current_user)
        except ResidentError as error:
            add_field_errors(form, error.fields)
        else:
            db.session.commit()
            flash(_("%(name)s is registered.", name=f"{resident.first_name} {resident.last_name}"), "info")
            return redirect(url_for("scheduling.booking_need", resident_id=resident.id,
                                    new=1 if duplicates else None))
    return _render_start(ResidentSearchForm(formdata=None), form, "", [], False)


@bp.route("/booking/resident/<int:resident_id>/edit", methods=["GET", "POST"])
@roles_required(*BOOKERS)
def booking_resident_edit(resident_id: int) -> Response | tuple[str, int]:
    """Correct a resident's contact data (phone, reminders…), then back to their need."""
    resident = _resident_or_404(resident_id)
    form = ResidentForm.for_resident(resident, district_choices(), formdata=request.form if request.form else None)
    if request.method == "POST" and form.validate():
        try:
            update_resident(resident, form.resident_data())
        except ResidentError as error:
            db.session.rollback()
            add_field_errors(form, error.fields)
        else:
            db.session.commit()
            flash(_("The resident's details are saved."), "info")
            return redirect(url_for("scheduling.booking_need", resident_id=resident.id))
    return _render("booking/resident_edit.html", resident=resident, form=form)


@bp.route("/booking/resident/<int:resident_id>/use/<int:other_id>", methods=["POST"])
@roles_required(*BOOKERS)
def booking_use_existing(resident_id: int, other_id: int) -> Response:
    """"It is the same person": merge the record just created into the existing one, go on with it."""
    new, keep = _resident_or_404(resident_id), _resident_or_404(other_id)
    try:
        pages.use_existing_resident(new, keep)
    except ValueError as error:  # ResidentInUse, or the same resident twice
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("scheduling.booking_need", resident_id=new.id))
    db.session.commit()
    flash(_("Booking for %(name)s; the record just created was merged into theirs.",
            name=f"{keep.first_name} {keep.last_name}"), "info")
    return redirect(url_for("scheduling.booking_need", resident_id=keep.id))


# ---------------------------------------------------------------- 2. the need

def _need_form(resident: Resident, formdata: Any) -> NeedForm:
    help_points = pages.bookable_help_points(pages.local_today(pages.now()))
    return NeedForm(formdata=formdata, data={"district_id": str(resident.district_id or "")},
                    districts=district_choices(), help_points=help_points)


def _render_need(resident: Resident, form: NeedForm, status: int = 200) -> tuple[str, int]:
    duplicates = pages.duplicates_of(resident) if request.args.get("new") else []
    names = pages.district_names([resident.district_id])
    return _render("booking/need.html", status, resident=resident, form=form, flags=pages.resident_flags(resident),
                   duplicates=duplicates, district_name=names.get(resident.district_id or 0),
                   upcoming=pages.upcoming_appointments(resident.id, pages.now()))


@bp.route("/booking/resident/<int:resident_id>")
@roles_required(*BOOKERS)
def booking_need(resident_id: int) -> tuple[str, int]:
    """The resident's details and flags, and the need form (a GET form to the slots)."""
    resident = _resident_or_404(resident_id)
    return _render_need(resident, _need_form(resident, request.args if "mode" in request.args else None))


# ---------------------------------------------------------------- 3. the slots

def _date_arg(name: str) -> date:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return pages.local_today(pages.now())


def _moving(resident: Resident, need: pages.Need) -> Appointment | None:
    """The booked appointment of `?move=`, to move to the chosen slot; 404 when it is not one of
    the resident's booked appointments in the need's mode."""
    appointment_id = request.values.get("move", type=int)
    if appointment_id is None:
        return None
    appointment = db.session.get(Appointment, appointment_id) if 0 < appointment_id <= MAX_ID else None
    if (appointment is None or appointment.resident_id != resident.id or appointment.status != "booked"
            or appointment.mode != need.mode):
        abort(404)
    return appointment


@bp.route("/booking/resident/<int:resident_id>/slots")
@roles_required(*BOOKERS)
def booking_slots(resident_id: int) -> tuple[str, int]:
    """Free slots for the need, grouped by day, 7 days with slots a page (`?from=YYYY-MM-DD`)."""
    resident = _resident_or_404(resident_id)
    form = _need_form(resident, request.args)
    if not (form.validate() & form.check_resident(resident)):
        return _render_need(resident, form)
    need = form.need()
    moving = _moving(resident, need)
    try:
        page = pages.slot_page(need, _date_arg("from"), pages.now())
    except InvalidSearch as error:
        add_field_errors(form, {error.field: error.message})
        return _render_need(resident, form)
    return _render_slots(resident, need, page, moving)


def _render_slots(resident: Resident, need: pages.Need, page: pages.SlotPage, moving: Appointment | None,
                  problem: str | None = None, status: int = 200) -> tuple[str, int]:
    places = pages.district_names([need.district_id])

    def slots_url(day: date | None = None) -> str:
        args = need.query_args()
        args.update({"move": moving.id if moving else None, "from": day.isoformat() if day else None})
        return url_for("scheduling.booking_slots", resident_id=resident.id, **args)

    return _render("booking/slots.html", status, resident=resident, need=need, page=page, moving=moving,
                   problem=problem, near=places.get(need.district_id or 0), slots_url=slots_url)


def _taken_page(slots: list[Slot]) -> pages.SlotPage:
    days = pages.group_by_day(slots)
    first = days[0].day if days else pages.local_today(pages.now())
    return pages.SlotPage(days, first, days[-1].day if days else first, None, None)


def _chosen_slot() -> tuple[Any, int | None]:
    choice = pages.parse_slot_value(request.form.get("slot"))
    if choice is None:
        abort(400)
    return choice


@bp.route("/booking/resident/<int:resident_id>/book", methods=["POST"])
@roles_required(*BOOKERS)
def booking_book(resident_id: int) -> Response | tuple[str, int]:
    """Book the slot of the button pressed (`slot`), with the need in the form's hidden fields."""
    resident = _resident_or_404(resident_id)
    form = _need_form(resident, request.form)
    if not (form.validate() & form.check_resident(resident)):
        return _render_need(resident, form, 400)
    need = form.need()
    start, help_point_id = _chosen_slot()
    wanted = booking.BookingRequest(resident_id=resident.id, start=start, mode=need.mode, help_point_id=help_point_id,
                                    procedure=need.procedure, needs=need.needs,
                                    interpreter_language=need.interpreter_language)
    try:
        appointment = booking.book(wanted, current_user, now=pages.now())
    except booking.SlotTaken as error:
        db.session.rollback()
        return _render_slots(resident, need, _taken_page(error.next_slots), None,
                             _("This slot was just taken: here are the next ones."), 409)
    except booking.ResidentBusy:
        db.session.rollback()
        return _render_busy(resident, need, start, None)
    except booking.BookingError as error:
        db.session.rollback()
        add_field_errors(form, error.fields)
        return _render_need(resident, form, 400)
    db.session.commit()
    flash(_("Appointment booked. Read the confirmation back to the resident."), "info")
    return redirect(url_for("scheduling.appointment_detail", appointment_id=appointment.id))


def _render_busy(resident: Resident, need: pages.Need, start: Any, moving: Appointment | None) -> tuple[str, int]:
    page = pages.slot_page(need, pages.local_today(start), pages.now())
    return _render_slots(resident, need, page, moving, _("This resident already has an appointment at that time."),
                         409)


# ---------------------------------------------------------------- 4. the appointment

def _need_of(appointment: Appointment) -> pages.Need:
    return pages.Need(mode=appointment.mode, procedure=appointment.procedure, needs=tuple(appointment.needs),
                      interpreter_language=appointment.interpreter_language,
                      district_id=appointment.resident.district_id)


@bp.route("/appointments/<int:appointment_id>")
@roles_required(*BOOKERS)
def appointment_detail(appointment_id: int) -> tuple[str, int]:
    """An appointment: what to read back, details, and the actions its status allows."""
    appointment = _appointment_or_404(appointment_id)
    moment = pages.now()
    started = pages.is_past_start(appointment, moment)
    return _render("booking/appointment.html", appointment=appointment, resident=appointment.resident,
                   need=_need_of(appointment), started=started, replacement=pages.replacement_of(appointment),
                   can_record=current_user.role == "counsellor" and started,
                   link=links.resident_link(appointment) if appointment.status == "booked" and not started else None,
                   documents=documents_to_bring(appointment.procedure), cancel_phone=_cancel_phone(appointment),
                   flags=pages.resident_flags(appointment.resident), help_session_id=_help_session_of(appointment))


def _help_session_of(appointment: Appointment) -> int | None:
    """The help session logged for an attended appointment (counsellors only), or None."""
    if appointment.status != "attended" or current_user.role != "counsellor":
        return None
    return help_sessions_of("appointment_id", [appointment.id]).get(appointment.id)


@bp.route("/appointments/<int:appointment_id>/status", methods=["POST"])
@roles_required(*BOOKERS)
def appointment_status(appointment_id: int) -> Response:
    """Cancel (by the resident or the service), or record attendance (counsellors, once started)."""
    appointment = _appointment_or_404(appointment_id)
    status = request.form.get("status", "")
    if status in ATTENDANCE and current_user.role != "counsellor":
        abort(403)
    try:
        booking.set_status(appointment, status, current_user, now=pages.now())
    except booking.BookingError as error:
        db.session.rollback()
        flash(" ".join(error.fields.values()), "error")
    else:
        db.session.commit()
        flash(str(STATUS_DONE[status]), "info")
    return redirect(url_for("scheduling.appointment_detail", appointment_id=appointment_id))


@bp.route("/appointments/<int:appointment_id>/move", methods=["POST"])
@roles_required(*BOOKERS)
def appointment_move(appointment_id: int) -> Response | tuple[str, int]:
    """Move a booked appointment to the slot of the button pressed; the old one is cancelled
    (`asked_by`: the resident, or the service) and linked to the new one."""
    appointment = _appointment_or_404(appointment_id)
    start, help_point_id = _chosen_slot()
    cancelled_by = "cancelled_by_service" if request.form.get("asked_by") == "service" else "cancelled_by_resident"
    need = _need_of(appointment)
    try:
        new = booking.move(appointment, start, current_user, help_point_id=help_point_id, cancelled_by=cancelled_by,
                           now=pages.now())
    except booking.SlotTaken as error:
        db.session.rollback()
        return _render_slots(appointment.resident, need, _taken_page(error.next_slots), appointment,
                             _("This slot was just taken: here are the next ones."), 409)
    except booking.ResidentBusy:
        db.session.rollback()
        return _render_busy(appointment.resident, need, start, appointment)
    except booking.BookingError as error:
        db.session.rollback()
        flash(" ".join(error.fields.values()), "error")
        return redirect(url_for("scheduling.appointment_detail", appointment_id=appointment_id))
    db.session.commit()
    flash(_("Appointment moved. Read the new confirmation back to the resident."), "info")
    return redirect(url_for("scheduling.appointment_detail", appointment_id=new.id))


def _cancel_phone(appointment: Appointment) -> str | None:
    """The number a resident calls to cancel: the service's (`SERVICE_PHONE`), else the help point's."""
    number = current_app.config.get("SERVICE_PHONE") or (appointment.help_point.telephone
                                                         if appointment.help_point else None)
    return phone_display(number) if number else None


@bp.route("/appointments/<int:appointment_id>/slip")
@roles_required(*BOOKERS)
def appointment_slip(appointment_id: int) -> tuple[str, int]:
    """The printable slip, in the resident's language when the interface has it (`?lang=` to choose)."""
    appointment = _appointment_or_404(appointment_id)
    languages = current_app.config["LANGUAGES"]
    language = request.args.get("lang") or appointment.resident.language
    with force_locale(language if language in languages else current_locale()):
        return _render("booking/slip.html", appointment=appointment, resident=appointment.resident,
                       link=links.resident_link(appointment), documents=documents_to_bring(appointment.procedure),
                       cancel_phone=_cancel_phone(appointment), languages=languages)


# ---------------------------------------------------------------- the resident's own page

@bp.route("/rdv/<token>", methods=["GET", "POST"])
@public
@resident_link_limit
def resident_appointment(token: str) -> Response | tuple[str, int]:
    """A resident's appointment from their signed link: see it, and cancel it (`?cancel=1` asks to
    confirm, the POST cancels). 404 for a bad link, 410 once the appointment has started."""
    moment = pages.now()
    try:
        appointment = links.appointment_for(token, moment)
    except links.LinkInvalid:
        return _render("public/link_problem.html", 404, problem="invalid", cancel_phone=_service_phone())
    except links.LinkExpired:
        return _render("public/link_problem.html", 410, problem="expired", cancel_phone=_service_phone())
    with force_locale(_resident_language(appointment.resident)):
        if request.method == "POST":
            if appointment.status == "booked":
                booking.set_status(appointment, "cancelled_by_resident", None, now=moment)
                db.session.commit()
                flash(_("Your appointment is cancelled. Thank you for letting us know."), "info")
            return redirect(url_for("scheduling.resident_appointment", token=token))
        return _render("public/appointment.html", appointment=appointment, first_name=appointment.resident.first_name,
                       confirm=request.args.get("cancel") == "1" and appointment.status == "booked",
                       replacement=pages.replacement_of(appointment), cancel_phone=_cancel_phone(appointment),
                       documents=documents_to_bring(appointment.procedure), token=token)


def _service_phone() -> str | None:
    number = current_app.config.get("SERVICE_PHONE")
    return phone_display(number) if number else None


def _resident_language(resident: Resident) -> str:
    """The language chosen on the page (cookie), else the resident's when the interface has it."""
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return str(chosen)
    return resident.language if resident.language in languages else str(current_app.config["BABEL_DEFAULT_LOCALE"])
