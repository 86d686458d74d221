"""Lists of help sessions for counsellors: the history (filters, 20 a page), the "to follow up"
list of unmet rights with a small form each, and one's own statistics for a period.

Thin routes over `pages` (queries), `stats` (aggregates) and `services.update_right`; each request
runs a bounded number of queries, whatever the number of sessions.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from inclusion_app import vocabularies as v
from inclusion_app.extensions import db
from inclusion_app.inputs import page_number
from inclusion_app.security import roles_required
from inclusion_app.sessions import bp, pages, services, stats
from inclusion_app.sessions.routes import COUNSELLOR, render_page

SCOPES = ("all", "mine", "structures", "deleted")
FOLLOW_UP_OUTCOMES = ("deposee", "ouvert", "refuse", "abandonne", "inconnu")
#: The date typed with an outcome goes to this column of the right.
OUTCOME_DATE = {"deposee": "filed_on", "ouvert": "opened_on", "refuse": "closed_on", "abandonne": "closed_on"}


def _day(args: MultiDict[str, str], name: str, errors: dict[str, str]) -> date | None:
    """A `YYYY-MM-DD` argument, None when absent; a message in `errors` when not a date."""
    text = args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Use a date such as 2026-12-01.")
        return None


def _code(args: MultiDict[str, str], name: str, vocabulary: Any, errors: dict[str, str]) -> str:
    value = args.get(name, "").strip()
    if value and value not in vocabulary:
        errors[name] = _("Choose one of the options offered.")
        return ""
    return value


def history_filters(args: MultiDict[str, str]) -> pages.HistoryFilters:
    """The history's filters from the query string; a bad value is dropped with a message."""
    errors: dict[str, str] = {}
    filters = pages.HistoryFilters(
        date_from=_day(args, "date_from", errors), date_to=_day(args, "date_to", errors),
        type=_code(args, "type", v.SESSION_TYPES, errors), theme=_code(args, "theme", v.THEMES, errors),
        procedure=_code(args, "procedure", v.PROCEDURES, errors),
        outcome=_code(args, "outcome", v.SESSION_OUTCOMES, errors),
        scope=_code(args, "scope", SCOPES, errors) or "all", with_rights=args.get("with_rights") == "1")
    filters.errors = errors
    return filters


@bp.route("/")
@roles_required(COUNSELLOR)
def history() -> tuple[str, int]:
    """One's sessions and one's structures' (`services.visible_sessions`), newest first, filtered by
    period, type, theme, procedure, outcome, whose (`scope`) and `with_rights`; 20 a page."""
    filters = history_filters(request.args)
    found = db.paginate(pages.history_query(current_user, filters), page=page_number(), per_page=pages.PER_PAGE,
                        error_out=False, count=True)
    return render_page("history.html", 400 if filters.errors else 200, filters=filters, found=found,
                       scopes=SCOPES)


@bp.route("/suivi")
@roles_required(COUNSELLOR)
def follow_up() -> tuple[str, int]:
    """Unmet rights to follow up: follow-up date come, outcome not final; oldest first, 20 a page."""
    return _follow_up_page()


def _follow_up_page(failed: dict[str, Any] | None = None, status: int = 200) -> tuple[str, int]:
    found = db.paginate(pages.follow_up_query(current_user, pages.today()), page=page_number(), per_page=pages.PER_PAGE,
                        error_out=False, count=True)
    return render_page("follow_up.html", status, found=found, outcomes=FOLLOW_UP_OUTCOMES,
                       failed=failed or {})


def follow_up_values(form: MultiDict[str, str]) -> dict[str, Any]:
    """The follow-up form as `services.update_right` takes it: `outcome` with its date in the
    matching column (filed, opened or closed), and `follow_up_on` (empty: none)."""
    outcome = form.get("outcome", "").strip()
    values: dict[str, Any] = {"follow_up_on": form.get("follow_up_on", "").strip() or None}
    if outcome:
        values["outcome"] = outcome
        on = form.get("on", "").strip()
        if on and outcome in OUTCOME_DATE:
            values[OUTCOME_DATE[outcome]] = on
    return values


@bp.route("/suivi/<int:right_id>", methods=["POST"])
@roles_required(COUNSELLOR)
def follow_up_update(right_id: int) -> Response | tuple[str, int]:
    """Record the outcome of an unmet right (with its date) and a new follow-up date; the list again
    with the messages next to that right's fields when refused."""
    right = pages.visible_right(right_id, current_user) or abort(404)
    if not services.can_edit(current_user, right.session):
        abort(403)  # a colleague's right: readable, not editable (DESIGN.md section 5)
    outcome = request.form.get("outcome", "")
    if outcome and outcome not in FOLLOW_UP_OUTCOMES:
        return _follow_up_page({"id": right_id, "form": request.form,
                                "errors": {"outcome": _("Choose one of the options offered.")}}, 400)
    try:
        services.update_right(right, follow_up_values(request.form), current_user, pages.today())
    except services.SessionError as error:
        db.session.rollback()
        errors = {("on" if name in OUTCOME_DATE.values() else name): message for name, message in error.fields.items()}
        return _follow_up_page({"id": right_id, "form": request.form, "errors": errors}, 400)
    db.session.commit()
    flash(_("The follow-up is recorded."), "info")
    return redirect(url_for("sessions.follow_up", page=page_number()))


def _period(args: MultiDict[str, str]) -> tuple[date, date, dict[str, str]]:
    """`date_from` and `date_to` (default: this month up to its last day); messages for bad ones."""
    errors: dict[str, str] = {}
    today = pages.today()
    first_of_month = today.replace(day=1)
    next_month = (first_of_month.replace(year=today.year + 1, month=1) if today.month == 12
                  else first_of_month.replace(month=today.month + 1))
    first = _day(args, "date_from", errors) or first_of_month
    last = _day(args, "date_to", errors) or date.fromordinal(next_month.toordinal() - 1)
    if last < first:
        errors["date_to"] = _("The end of the period cannot be before its start.")
        last = first
    return first, last, errors


@bp.route("/statistiques")
@roles_required(COUNSELLOR)
def statistics() -> tuple[str, int]:
    """One's own activity for a period (`?date_from=&date_to=`, default this month): sessions,
    people, hours, themes, procedures, outcomes, autonomy, age bands, genders, unmet rights."""
    first, last, errors = _period(request.args)
    activity = stats.activity(current_user.id, first, last)
    return render_page("statistics.html", 400 if errors else 200, first=first, last=last, errors=errors,
                       activity=activity, outcome_codes=list(v.RIGHT_OUTCOMES))
