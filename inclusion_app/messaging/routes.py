"""Staff pages about messages: the outbox (admin, manager), the SMS templates (admin), the phone
line's "to call" list (phone agent), and the failure banner shown to admins on every page.

Routes parse input, call one service and render or redirect; the rules are in `outbox_admin`,
`template_samples` and `to_call`. Managers see phone numbers and addresses masked, never a name.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion_app.extensions import db
from inclusion_app.inputs import page_number
from inclusion_app.lieux.display import phone_display
from inclusion_app.messaging import labels, outbox_admin, template_samples, to_call
from inclusion_app.messaging.forms import CallForm, MessageFilterForm, TextCheckForm
from inclusion_app.models import OutboundMessage
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.booking import BookingError
from inclusion_app.scheduling.slots import local_date
from inclusion_app.security import roles_required

logger = logging.getLogger(__name__)

bp = Blueprint("messages", __name__, url_prefix="/messages")


DEFAULT_DAYS = 30


@bp.route("/")
@roles_required("admin", "manager")
def outbox() -> str:
    """Messages, newest first, with filters, counts by status and the reason of each failure."""
    form = MessageFilterForm(formdata=request.args)
    if not request.args.get("date_from") and not request.args.get("recipient"):
        # The last 30 days unless asked otherwise: the page and its counts stay fast at city scale.
        form.date_from.data = local_date(utcnow()) - timedelta(days=DEFAULT_DAYS)
    form.validate()
    is_admin = current_user.role == "admin"
    filters = form.filters(with_recipient=is_admin)
    return render_template(
        "messaging/outbox.html", form=form, is_admin=is_admin, now=utcnow(),
        messages=outbox_admin.messages_page(filters, page_number()), counts=outbox_admin.status_counts(filters),
        labels=labels, show=lambda recipient: outbox_admin.shown_recipient(recipient, current_user.role),
        can_send_again=outbox_admin.can_send_again, query_args=_query_args(),
    )


def _query_args() -> dict[str, str]:
    return {key: value for key, value in request.args.items() if key != "page" and value}


@bp.route("/<int:message_id>/review", methods=["POST"])
@roles_required("admin")
def review(message_id: int) -> Response:
    """An admin's decision on a message in review: `action` = `mark_sent` or `send_again`."""
    message = db.get_or_404(OutboundMessage, message_id)
    action = request.form.get("action", "")
    try:
        if action == "mark_sent":
            outbox_admin.mark_sent(message, current_user)
            flash(_("Message %(id)d is marked as sent.", id=message_id), "info")
        elif action == "send_again":
            outbox_admin.send_again(message, current_user)
            flash(_("Message %(id)d will be sent again in the next minute.", id=message_id), "info")
        else:
            abort(400)
        db.session.commit()
    except outbox_admin.ReviewError as error:
        db.session.rollback()
        flash(str(error), "warning")
    return redirect(url_for("messages.outbox", status="review"))


@bp.route("/templates")
@roles_required("admin")
def templates() -> str:
    """Each SMS template rendered for the worst case, with its counts; and a text checker (GET)."""
    form = TextCheckForm(formdata=request.args if "text" in request.args else None)
    check = template_samples.check_text(form.text.data) if "text" in request.args and form.validate() else None
    place = template_samples.longest_help_point()
    return render_template("messaging/templates.html", form=form, check=check, place=place,
                           samples=template_samples.samples(place), labels=labels)


@bp.route("/to-call")
@roles_required("phone_agent")
def to_call_list() -> str:
    """Upcoming appointments of residents who receive no SMS nor email: to remind by phone."""
    include_reached = request.args.get("all") == "1"
    rows = to_call.to_call_page(page_number(), include_reached=include_reached)
    return render_template("messaging/to_call.html", rows=rows, include_reached=include_reached,
                           labels=labels, place_name=to_call.place_name, days=to_call.DAYS_AHEAD,
                           phone_display=phone_display)


@bp.route("/to-call/<int:appointment_id>", methods=["POST"])
@roles_required("phone_agent")
def record_call(appointment_id: int) -> Response:
    """Record the outcome of a reminder call (`cancelled` also cancels the appointment)."""
    form = CallForm()
    if not form.validate():
        flash(_("Choose the outcome of the call."), "warning")
        return redirect(url_for("messages.to_call_list"))
    try:
        to_call.record_call(appointment_id, form.outcome.data or "", current_user)
        db.session.commit()
        flash(_("The outcome of the call is recorded."), "info")
    except (to_call.CallError, BookingError) as error:
        db.session.rollback()
        flash(str(error) if isinstance(error, to_call.CallError) else "; ".join(error.fields.values()), "warning")
    return redirect(url_for("messages.to_call_list") + f"#call-{appointment_id}")


@bp.app_context_processor
def failure_banner() -> dict[str, Any]:
    """`failure_burst` for the base template: a `Burst` for an admin when failures burst, else None.
    One query, only for admins; a database error leaves the banner out (the page still renders)."""
    if not (current_user and current_user.is_authenticated and current_user.role == "admin"):
        return {"failure_burst": None}
    try:
        return {"failure_burst": outbox_admin.failure_burst()}
    except sa.exc.SQLAlchemyError:
        logger.warning("failure banner skipped: the outbox could not be read")
        return {"failure_burst": None}
