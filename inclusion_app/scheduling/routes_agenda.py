"""Agendas (counsellor day and week, help point day), iCalendar feeds, absences, closures, and
the appointments to rebook; the walk-in desk's routes are in `routes_agenda_walk_ins`.

Thin routes: `agenda`, `agenda_walk_ins` and `agenda_calendar` hold the queries and rules; each
request commits once. Who sees what (DESIGN.md section 5): a counsellor sees and acts on their own
agenda; a phone agent reads any counsellor's agenda; managers enter closures and absences but never
see a resident's name or phone number. Every page works without JavaScript; state changes are POST
(CSRF checked in `security.check_access`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion_app.extensions import db, limiter
from inclusion_app.i18n import current_locale
from inclusion_app.inputs import page_number
from inclusion_app.models import Absence, Appointment, Closure, HelpPoint, User
from inclusion_app.scheduling import agenda, bp
from inclusion_app.scheduling import agenda_calendar as calendar_feeds
from inclusion_app.scheduling import agenda_walk_ins as walk_ins_service
from inclusion_app.scheduling.agenda_display import day_argument, help_sessions_of, render_page
from inclusion_app.scheduling.agenda_forms import (
    PERIOD_FIELDS,
    AbsenceForm,
    ClosureForm,
    PeriodForm,
)
from inclusion_app.scheduling.booking import BookingError, set_status
from inclusion_app.security import public, roles_required

AGENDA_READERS = ("counsellor", "phone_agent")
MANAGERS = ("manager", "admin")
ABSENCE_EDITORS = ("counsellor", "manager", "admin")

feed_limit = limiter.limit(lambda: str(current_app.config["PUBLIC_RATE_LIMIT"]), key_func=get_remote_address)


# ---------------------------------------------------------------- a counsellor's day and week


def _agenda_owner() -> Any:
    """The counsellor whose agenda is asked for: oneself for a counsellor (403 for anyone else's);
    `?counsellor_id=` for a phone agent (None when not chosen yet; 404 when unknown)."""
    wanted = request.args.get("counsellor_id", type=int)
    if current_user.role == "counsellor":
        if wanted is not None and wanted != current_user.id:
            abort(403)
        return current_user
    if wanted is None:
        return None
    return agenda.counsellor(wanted) or abort(404)


def _choose_counsellor(view: str, day: date) -> str:
    return render_page("choose_counsellor.html", view=view, day=day, counsellors=agenda.counsellor_choices())


@bp.route("/agenda")
@roles_required(*AGENDA_READERS)
def agenda_day() -> str:
    """A counsellor's appointments of one local day (`?date=`, default today), with quick actions for
    the counsellor; read-only for a phone agent (`?counsellor_id=`)."""
    day = day_argument()
    owner = _agenda_owner()
    if owner is None:
        return _choose_counsellor("scheduling.agenda_day", day)
    start, end = agenda.day_bounds(day)
    appointments = agenda.counsellor_appointments(owner.id, start, end)
    attended = [appointment.id for appointment in appointments if appointment.status == "attended"]
    return render_page(
        "day.html", counsellor=owner, day=day, today=agenda.local_date(agenda.now()), appointments=appointments,
        help_sessions=help_sessions_of("appointment_id", attended) if owner.id == current_user.id else {},
        absences=agenda.absences_between(owner.id, start, end),
        holidays=agenda.public_holidays(day, day, current_locale()),
        can_act=owner.id == current_user.id, counsellors=_counsellors_for_agent(),
    )


@bp.route("/agenda/week")
@roles_required(*AGENDA_READERS)
def agenda_week() -> str:
    """A counsellor's week (Monday to Sunday around `?date=`): appointments by day, weekly rules,
    absences and public holidays."""
    monday = agenda.week_start(day_argument())
    owner = _agenda_owner()
    if owner is None:
        return _choose_counsellor("scheduling.agenda_week", monday)
    start, end = agenda.day_bounds(monday, 7)
    appointments = agenda.counsellor_appointments(owner.id, start, end)
    return render_page(
        "week.html", counsellor=owner, monday=monday, days=agenda.by_local_day(appointments, monday, 7),
        count=len(appointments), rules=agenda.rules_in_week(owner.id, monday),
        absences=agenda.absences_between(owner.id, start, end),
        holidays=agenda.public_holidays(monday, monday + timedelta(days=6), current_locale()),
        today=agenda.local_date(agenda.now()), counsellors=_counsellors_for_agent(),
    )


def _counsellors_for_agent() -> list[tuple[int, str]]:
    return agenda.counsellor_choices() if current_user.role == "phone_agent" else []


@bp.route("/agenda/appointments/<int:appointment_id>/status", methods=["POST"])
@roles_required("counsellor")
def agenda_set_status(appointment_id: int) -> Response:
    """Mark one's own appointment attended or no-show (`status`), once it has started."""
    appointment = db.get_or_404(Appointment, appointment_id)
    if appointment.counsellor_id != current_user.id:
        abort(403)
    status = request.form.get("status", "")
    if status not in ("attended", "no_show"):
        abort(400)
    try:
        set_status(appointment, status, current_user, now=agenda.now())
    except BookingError as error:
        db.session.rollback()
        flash(error.fields.get("status", str(error)), "error")
    else:
        db.session.commit()
        flash(_("Marked as attended.") if status == "attended" else _("Marked as did not come."), "info")
    return redirect(url_for("scheduling.agenda_day", date=agenda.local_date(appointment.starts_at).isoformat()))


# ---------------------------------------------------------------- a help point's day


@bp.route("/help-points/<int:help_point_id>/day")
@roles_required(*AGENDA_READERS)
def help_point_day(help_point_id: int) -> str:
    """Every counsellor's appointments at a help point on a local day, its closures, and the
    walk-in queue summary (today only: walk-ins are same-day)."""
    help_point = db.get_or_404(HelpPoint, help_point_id)
    day = day_argument()
    start, end = agenda.day_bounds(day)
    moment = agenda.now()
    queue = walk_ins_service.queue(help_point.id, moment) if day == agenda.local_date(moment) else None
    return render_page(
        "help_point_day.html", help_point=help_point, day=day,
        appointments=agenda.help_point_appointments(help_point.id, start, end),
        closures=agenda.closures_between(help_point.id, start, end),
        queue=walk_ins_service.summarise(queue, moment) if queue is not None else None,
    )


# ---------------------------------------------------------------- absences and closures


def _attach_errors(form: PeriodForm, fields: dict[str, str]) -> None:
    for name, message in fields.items():
        field = form[PERIOD_FIELDS.get(name, name)]
        field.errors = [*field.errors, message]


def _own_or_managed(absence: Absence) -> Absence:
    if current_user.role == "counsellor" and absence.counsellor_id != current_user.id:
        abort(403)
    return absence


@bp.route("/absences")
@roles_required(*ABSENCE_EDITORS)
def absences() -> str:
    """Absences not over yet: one's own for a counsellor, everyone's for managers and admins."""
    mine = current_user.id if current_user.role == "counsellor" else None
    return render_page("absences.html", rows=agenda.future_absences(mine, page_number()))


@bp.route("/absences/new", methods=["GET", "POST"])
@roles_required(*ABSENCE_EDITORS)
def absence_new() -> str | Response:
    """Enter an absence (one's own; managers and admins choose the counsellor), then see the booked
    appointments it overlaps."""
    form = AbsenceForm()
    if current_user.role == "counsellor":
        del form.counsellor_id
    else:
        form.counsellor_id.choices = [(0, _("Choose a counsellor"))] + agenda.counsellor_choices()
    if form.validate_on_submit():
        starts, ends = form.period()
        who = current_user.id if current_user.role == "counsellor" else form.counsellor_id.data
        try:
            absence = agenda.add_absence(who, starts, ends, form.reason.data or "")
        except agenda.AgendaError as error:
            db.session.rollback()
            _attach_errors(form, error.fields)
        else:
            db.session.commit()
            flash(_("The absence is recorded."), "info")
            return redirect(url_for("scheduling.absence", absence_id=absence.id))
    return render_page("period_form.html", form=form, kind="absence")


@bp.route("/absences/<int:absence_id>")
@roles_required(*ABSENCE_EDITORS)
def absence(absence_id: int) -> str:
    """An absence and the booked appointments it overlaps, to rebook (names and phones only for the
    roles that may see them)."""
    found = _own_or_managed(db.get_or_404(Absence, absence_id))
    owner = db.session.get(User, found.counsellor_id)
    return render_page("period.html", kind="absence", period=found, owner=owner,
                       appointments=agenda.over_absence(found), personal=agenda.wants_personal_data(current_user.role))


@bp.route("/absences/<int:absence_id>/delete", methods=["POST"])
@roles_required(*ABSENCE_EDITORS)
def absence_delete(absence_id: int) -> Response:
    """Delete an absence that is not over."""
    found = _own_or_managed(db.get_or_404(Absence, absence_id))
    try:
        agenda.delete_absence(found)
    except agenda.PeriodOver:
        flash(_("This period is over: it stays on record."), "warning")
    else:
        db.session.commit()
        flash(_("The absence is deleted."), "info")
    return redirect(url_for("scheduling.absences"))


@bp.route("/closures")
@roles_required(*MANAGERS)
def closures() -> str:
    """Help point closures not over yet."""
    return render_page("closures.html", rows=agenda.future_closures(page_number()))


@bp.route("/closures/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def closure_new() -> str | Response:
    """Enter a help point closure, then see the booked appointments it overlaps."""
    form = ClosureForm()
    form.help_point_id.choices = [(0, _("Choose a help point"))] + agenda.help_point_choices()
    if form.validate_on_submit():
        starts, ends = form.period()
        try:
            closure = agenda.add_closure(form.help_point_id.data, starts, ends, form.reason.data or "")
        except agenda.AgendaError as error:
            db.session.rollback()
            _attach_errors(form, error.fields)
        else:
            db.session.commit()
            flash(_("The closure is recorded."), "info")
            return redirect(url_for("scheduling.closure", closure_id=closure.id))
    return render_page("period_form.html", form=form, kind="closure")


@bp.route("/closures/<int:closure_id>")
@roles_required(*MANAGERS)
def closure(closure_id: int) -> str:
    """A closure and the booked on-site appointments it overlaps (names for admins only)."""
    found = db.get_or_404(Closure, closure_id)
    return render_page("period.html", kind="closure", period=found,
                       place=db.session.get(HelpPoint, found.help_point_id), appointments=agenda.over_closure(found),
                       personal=agenda.wants_personal_data(current_user.role))


@bp.route("/closures/<int:closure_id>/delete", methods=["POST"])
@roles_required(*MANAGERS)
def closure_delete(closure_id: int) -> Response:
    """Delete a closure that is not over."""
    try:
        agenda.delete_closure(db.get_or_404(Closure, closure_id))
    except agenda.PeriodOver:
        flash(_("This period is over: it stays on record."), "warning")
    else:
        db.session.commit()
        flash(_("The closure is deleted."), "info")
    return redirect(url_for("scheduling.closures"))


@bp.route("/rebooking")
@roles_required("phone_agent")
def rebooking() -> str:
    """Booked appointments that overlap an absence or a closure: whom to call, and a link to move each."""
    return render_page("rebooking.html", rows=agenda.rebooking_page(page_number()))


# ---------------------------------------------------------------- the iCalendar feed


@bp.route("/calendar")
@roles_required("counsellor")
def calendar() -> str:
    """Whether one's calendar feed exists, with buttons to create a new address or end it."""
    return render_page("calendar.html", has_feed=current_user.calendar_token_hash is not None, feed_url=None)


@bp.route("/calendar/regenerate", methods=["POST"])
@roles_required("counsellor")
def calendar_regenerate() -> str:
    """Create a new secret address (the old one stops working) and show it, once."""
    token = calendar_feeds.new_token(current_user)
    db.session.commit()
    return render_page("calendar.html", has_feed=True, feed_url=calendar_feeds.feed_url(token))


@bp.route("/calendar/revoke", methods=["POST"])
@roles_required("counsellor")
def calendar_revoke() -> Response:
    """End one's calendar feed."""
    calendar_feeds.revoke(current_user)
    db.session.commit()
    flash(_("Your calendar address no longer works."), "info")
    return redirect(url_for("scheduling.calendar"))


@bp.route("/calendar/<token>.ics")
@public
@feed_limit
def calendar_feed(token: str) -> Response:
    """A counsellor's appointments as iCalendar (`text/calendar`); 404 for an unknown token."""
    owner = calendar_feeds.user_for_token(token)
    if owner is None:
        abort(404)
    response = Response(calendar_feeds.feed(owner, agenda.now()), content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


from inclusion_app.scheduling import routes_agenda_walk_ins  # noqa: E402,F401  (the walk-in desk's routes)
