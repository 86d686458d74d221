"""The walk-in desk (accueil sans rendez-vous): today's queue at a help point, for counsellors.

Thin routes over `agenda_walk_ins`; each request commits once. The page works without JavaScript:
no automatic refresh (a "refresh" link instead), every change is a POST (CSRF checked in
`security.check_access`) followed by a redirect to the queue.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion_app.extensions import db
from inclusion_app.models import HelpPoint, WalkIn
from inclusion_app.scheduling import agenda, bp
from inclusion_app.scheduling import agenda_walk_ins as walk_ins_service
from inclusion_app.scheduling.agenda_display import Display, help_sessions_of, render_page
from inclusion_app.scheduling.agenda_forms import WalkInForm, procedure_choices
from inclusion_app.security import roles_required


def _walk_in_page(help_point: HelpPoint | None, form: WalkInForm | None = None) -> str:
    """The desk page: the choice of a help point and, once chosen, its queue and the arrival form
    (`form` given back with its errors after a refused POST)."""
    moment = agenda.now()
    mine = walk_ins_service.counsellor_help_points(current_user.id)
    place_query = request.args.get("place", "").strip()
    context: dict[str, Any] = {
        "help_point": help_point, "mine": mine, "place_query": place_query,
        "places": walk_ins_service.find_help_points(place_query),
    }
    if help_point is not None:
        queue = walk_ins_service.queue(help_point.id, moment)
        form = form or WalkInForm(formdata=None, help_point_id=help_point.id, q=request.args.get("q", ""))
        query = (form.q.data or "").strip()
        residents = walk_ins_service.find_residents(query)
        form.resident_id.choices = [("", _("Not registered: name only"))] + [
            (str(person.id), f"{person.first_name} {person.last_name}, {Display.phone(person.phone)}")
            for person in residents]
        form.procedure.choices = procedure_choices()
        context.update(queue=queue, summary=walk_ins_service.summarise(queue, moment), form=form,
                       query=query, residents=residents,
                       waited={walk_in.id: walk_ins_service.waited_minutes(walk_in, moment) for walk_in in queue},
                       help_sessions=help_sessions_of("walk_in_id", [item.id for item in queue
                                                                     if item.status == "served"]))
    return render_page("walk_ins.html", **context)


@bp.route("/walk-ins")
@roles_required("counsellor")
def walk_ins() -> str:
    """Today's walk-in queue at a help point (`?help_point_id=`; the counsellor's only help point by
    default), with a form to add an arrival (`?q=` finds a registered resident)."""
    help_point_id = request.args.get("help_point_id", type=int)
    if help_point_id is not None:
        return _walk_in_page(db.get_or_404(HelpPoint, help_point_id))
    mine = walk_ins_service.counsellor_help_points(current_user.id)
    return _walk_in_page(mine[0] if len(mine) == 1 else None)


def _queue_url(help_point_id: int) -> str:
    return url_for("scheduling.walk_ins", help_point_id=help_point_id)


def _posted_help_point() -> HelpPoint:
    help_point_id = request.form.get("help_point_id", type=int)
    if help_point_id is None:
        abort(400)
    return db.get_or_404(HelpPoint, help_point_id)


@bp.route("/walk-ins/new", methods=["POST"])
@roles_required("counsellor")
def walk_in_add() -> str | Response:
    """Add an arrival to today's queue; the page again with the errors when refused."""
    help_point = _posted_help_point()
    form = WalkInForm()
    if form.validate():
        try:
            walk_ins_service.add(help_point, display_name=form.display_name.data or "", resident_id=form.resident(),
                                 procedure=form.procedure.data or None, notes=form.notes.data or "",
                                 by=current_user, at=agenda.now())
        except walk_ins_service.WalkInError as error:
            db.session.rollback()
            for name, message in error.fields.items():
                form[name].errors = [*form[name].errors, message]
        else:
            db.session.commit()
            flash(_("Added to the queue."), "info")
            return redirect(_queue_url(help_point.id))
    return _walk_in_page(help_point, form)


@bp.route("/walk-ins/call-next", methods=["POST"])
@roles_required("counsellor")
def walk_in_call_next() -> Response:
    """Call the person waiting longest at the help point posted."""
    help_point = _posted_help_point()
    called = walk_ins_service.call_next(help_point.id, current_user, agenda.now())
    db.session.commit()
    flash(_("Called: see “With you now”.") if called else _("Nobody is waiting."), "info" if called else "warning")
    return redirect(_queue_url(help_point.id))


@bp.route("/walk-ins/<int:walk_in_id>/status", methods=["POST"])
@roles_required("counsellor")
def walk_in_status(walk_in_id: int) -> Response:
    """Change a walk-in's status (`status`: called, served or left); a refused change is explained."""
    walk_in = db.get_or_404(WalkIn, walk_in_id)
    status = request.form.get("status", "")
    try:
        walk_ins_service.change_status(walk_in, status, current_user, agenda.now())
    except walk_ins_service.WalkInError as error:
        db.session.rollback()
        flash(error.fields["status"], "error")
    else:
        db.session.commit()
        messages = {"called": _("Called: see “With you now”."), "served": _("Marked as served."),
                    "left": _("Marked as left.")}
        flash(messages[status], "info")
    return redirect(_queue_url(walk_in.help_point_id))
