"""Pages of help sessions for counsellors: the one-screen log (new, edit), a session's page with
its unmet rights and audit trail, soft delete and restore. The history, the follow-up list and the
statistics are in `routes_lists`.

Thin routes: the form (`forms.SessionForm`) turns what was typed into the API shape, `services`
validate and write (flush only), each request commits once. Every page works without JavaScript;
changes are POST (CSRF checked in `security.check_access`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion_app import vocabularies
from inclusion_app.extensions import db
from inclusion_app.lieux.queries import district_choices
from inclusion_app.models import Resident
from inclusion_app.models.sessions import HelpSession
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.agenda_display import Display
from inclusion_app.scheduling.slots import local_date
from inclusion_app.security import roles_required
from inclusion_app.sessions import bp, pages, services
from inclusion_app.sessions.forms import DURATION_PRESETS, SessionForm, field_id
from inclusion_app.sessions.links import works_at

COUNSELLOR = "counsellor"
CHANGE_ACTIONS = {"created": _l("created"), "updated": _l("changed"), "deleted": _l("deleted"),
                  "restored": _l("restored")}


def render_page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render `templates/sessions/<template>` with the vocabularies (`v`), the unmet-right codes
    (`rights`), date formats (`show`) and today's local date."""
    return render_template(f"sessions/{template}", v=vocabularies, rights=services.right_codes(),
                           field_id=field_id, show=Display(), actions=CHANGE_ACTIONS, today=pages.today(),
                           short_date=short_date, **context), status


def short_date(day: date) -> str:
    """A date as the reader's language writes it briefly, e.g. "29/11/2026" (fr)."""
    return format_date(day, "short")


def _render_form(form: SessionForm, session: HelpSession | None = None, status: int = 200) -> tuple[str, int]:
    """The form page, with the help points and districts offered and the linked resident's name."""
    help_point_id = form.values.get("help_point_id", "")
    keep = int(help_point_id) if help_point_id.isdecimal() and len(help_point_id) <= 9 else None
    resident_id = form.values.get("resident_id", "")
    resident = db.session.get(Resident, int(resident_id)) if resident_id.isdecimal() and len(resident_id) <= 9 else None
    return render_page("form.html", status, form=form, session=session, presets=DURATION_PRESETS,
                       help_points=pages.help_point_choices(current_user, keep), districts=district_choices(),
                       resident=resident)


def _prefilled() -> SessionForm | Response:
    """A new form, prefilled from `?appointment_id=` (one's own) or `?walk_in_id=`; a redirect to
    the session already logged for it; 404 for an unknown (or another counsellor's) appointment."""
    mine = pages.counsellor_help_point_ids(current_user)
    form = SessionForm.blank(pages.today(), mine[0] if mine else None)
    appointment_id = request.args.get("appointment_id", type=int)
    walk_in_id = request.args.get("walk_in_id", type=int)
    link, found = (("appointment_id", appointment_id) if appointment_id is not None else ("walk_in_id", walk_in_id))
    if found is None:
        return form
    existing = pages.sessions_by_link(link, [found]).get(found)
    if existing is not None:
        flash(_("A help session is already logged for it."), "info")
        return redirect(url_for("sessions.detail", session_id=existing))
    if appointment_id is not None:
        appointment = pages.own_appointment(appointment_id, current_user) or abort(404)
        minutes = int((appointment.ends_at - appointment.starts_at) / timedelta(minutes=1))
        form.prefill_appointment(appointment, local_date(appointment.starts_at), minutes)
    else:
        walk_in = pages.walk_in(found) or abort(404)
        if walk_in.counsellor_id != current_user.id and not works_at(current_user, walk_in.help_point):
            abort(404)  # another structure's desk: who came there is not this counsellor's business
        form.prefill_walk_in(walk_in, local_date(walk_in.arrived_at))
    return form


@bp.route("/nouveau", methods=["GET", "POST"])
@roles_required(COUNSELLOR)
def new() -> Response | tuple[str, int]:
    """Log a help session in one screen (prefilled from `?appointment_id=` or `?walk_in_id=`).
    POST `action=add_right` shows one more unmet-right fieldset, keeping everything typed."""
    if request.method == "GET":
        form = _prefilled()
        return form if isinstance(form, Response) else _render_form(form)
    form = SessionForm.from_post(request.form)
    if request.form.get("action") == "add_right":
        form.add_right()
        return _render_form(form)
    try:
        session = services.create(form.to_values(), current_user, pages.today())
    except services.SessionError as error:
        db.session.rollback()
        form.set_errors(error.fields)
        return _render_form(form, status=400)
    db.session.commit()
    flash(_("The help session is saved."), "info")
    return redirect(url_for("sessions.detail", session_id=session.id))


def _readable_or_404(session_id: int) -> HelpSession:
    return pages.readable(session_id, current_user) or abort(404)


def _editable(session_id: int) -> HelpSession:
    """The session when the counsellor may change it (their own); 404 when they cannot read it, 403
    when it is a colleague's."""
    session = _readable_or_404(session_id)
    if not services.can_edit(current_user, session):
        abort(403)
    return session


@bp.route("/<int:session_id>")
@roles_required(COUNSELLOR)
def detail(session_id: int) -> tuple[str, int]:
    """A session: its fields, unmet rights, audit trail, and the actions its counsellor may take."""
    session = _readable_or_404(session_id)
    return render_page("detail.html", session=session, changes=pages.changes(session.id),
                       can_edit=services.can_edit(current_user, session))


@bp.route("/<int:session_id>/modifier", methods=["GET", "POST"])
@roles_required(COUNSELLOR)
def edit(session_id: int) -> Response | tuple[str, int]:
    """Edit one's own session in the same form, prefilled (a deleted one must be restored first)."""
    session = _editable(session_id)
    if session.deleted_at is not None:
        abort(404)
    if request.method == "GET":
        return _render_form(SessionForm.from_session(session), session)
    form = SessionForm.from_post(request.form)
    if request.form.get("action") == "add_right":
        form.add_right()
        return _render_form(form, session)
    try:
        services.update(session, form.to_values(), current_user, pages.today())
    except services.SessionError as error:
        db.session.rollback()
        form.set_errors(error.fields)
        return _render_form(form, _readable_or_404(session_id), status=400)
    db.session.commit()
    flash(_("The changes are saved."), "info")
    return redirect(url_for("sessions.detail", session_id=session.id))


@bp.route("/<int:session_id>/supprimer", methods=["GET", "POST"])
@roles_required(COUNSELLOR)
def delete(session_id: int) -> Response | tuple[str, int]:
    """Ask to confirm (GET), then delete (POST): the session leaves the lists and the figures but
    stays on record, and can be restored."""
    session = _editable(session_id)
    if session.deleted_at is not None:
        return redirect(url_for("sessions.detail", session_id=session.id))
    if request.method == "GET":
        return render_page("delete.html", session=session)
    services.delete(session, current_user, utcnow())
    db.session.commit()
    flash(_("The help session is deleted. You can restore it from this page."), "info")
    return redirect(url_for("sessions.detail", session_id=session.id))


@bp.route("/<int:session_id>/restaurer", methods=["POST"])
@roles_required(COUNSELLOR)
def restore(session_id: int) -> Response:
    """Restore one's deleted session (refused when its appointment or walk-in was logged again)."""
    session = _editable(session_id)
    if session.deleted_at is not None:
        try:
            services.restore(session, current_user, utcnow())
        except services.SessionError as error:
            db.session.rollback()
            flash(" ".join(error.fields.values()), "error")
            return redirect(url_for("sessions.detail", session_id=session.id))
        db.session.commit()
        flash(_("The help session is restored."), "info")
    return redirect(url_for("sessions.detail", session_id=session.id))


from inclusion_app.sessions import routes_lists  # noqa: E402,F401  (history, follow-up, statistics)
