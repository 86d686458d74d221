"""Managers' and admins' pages to create, edit and deactivate help points, and to merge duplicates.

Paths under `/manage/help-points`; every view is for the roles `manager` and `admin`. Each form
works without JavaScript; state changes are POST only (CSRF checked in `security.check_access`).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from inclusion_app.extensions import db
from inclusion_app.i18n import current_locale
from inclusion_app.inputs import page_number
from inclusion_app.lieux import bp, manage_services
from inclusion_app.lieux.manage_forms import HOURS_EXAMPLE, HelpPointForm, SearchForm, form_data
from inclusion_app.models import HelpPoint, HelpPointDuplicate
from inclusion_app.security import roles_required

MANAGERS = ("manager", "admin")


@bp.route("/manage/help-points")
@roles_required(*MANAGERS)
def manage_list() -> str:
    """Every help point, inactive ones included, 25 a page, with a search box (`?q=`)."""
    search = SearchForm(formdata=request.args)
    query = search.q.data if search.validate() else None
    return render_template(
        "lieux/manage/list.html",
        search=search,
        query=query or "",
        help_points=manage_services.help_points_page(query, page_number()),
        duplicates_count=manage_services.open_duplicates_count(),
    )


@bp.route("/manage/help-points/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def manage_new() -> str | Response:
    """Create a help point; on success go to its page, else show the form again with the errors."""
    form = _form(None)
    if form.is_submitted() and (help_point := _save(form, None)) is not None:
        flash(_("The help point %(name)s is created.", name=help_point.nom), "info")
        return redirect(url_for("lieux.manage_edit", help_point_id=help_point.id))
    return _render_form(form, None)


@bp.route("/manage/help-points/<int:help_point_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def manage_edit(help_point_id: int) -> str | Response:
    """Edit a help point; the same checks as a new one."""
    help_point = db.get_or_404(HelpPoint, help_point_id)
    form = _form(help_point)
    if form.is_submitted() and _save(form, help_point) is not None:
        flash(_("The help point %(name)s is saved.", name=help_point.nom), "info")
        return redirect(url_for("lieux.manage_edit", help_point_id=help_point.id))
    return _render_form(form, help_point)


@bp.route("/manage/help-points/<int:help_point_id>/deactivate", methods=["POST"])
@roles_required(*MANAGERS)
def manage_deactivate(help_point_id: int) -> Response:
    """Hide a help point from the public map and the open data (nothing is deleted)."""
    help_point = db.get_or_404(HelpPoint, help_point_id)
    manage_services.set_active(help_point, False)
    db.session.commit()
    flash(_("The help point %(name)s is deactivated: it no longer appears on the map or in the open data.",
            name=help_point.nom), "info")
    return redirect(url_for("lieux.manage_edit", help_point_id=help_point.id))


@bp.route("/manage/help-points/<int:help_point_id>/reactivate", methods=["POST"])
@roles_required(*MANAGERS)
def manage_reactivate(help_point_id: int) -> Response:
    """Show a deactivated help point again."""
    help_point = db.get_or_404(HelpPoint, help_point_id)
    manage_services.set_active(help_point, True)
    db.session.commit()
    flash(_("The help point %(name)s is active again.", name=help_point.nom), "info")
    return redirect(url_for("lieux.manage_edit", help_point_id=help_point.id))


@bp.route("/manage/help-points/duplicates")
@roles_required(*MANAGERS)
def manage_duplicates() -> str:
    """Probable duplicates still to decide, 10 a page, each with merge and dismiss buttons."""
    duplicates = manage_services.open_duplicates_page(page_number())
    return render_template("lieux/manage/duplicates.html", duplicates=duplicates)


@bp.route("/manage/help-points/duplicates/<int:duplicate_id>/merge", methods=["POST"])
@roles_required(*MANAGERS)
def manage_merge(duplicate_id: int) -> Response:
    """Merge a pair into the help point posted as `keep`; the other is deactivated."""
    duplicate = manage_services.duplicate_for_merge(duplicate_id)
    keep_id = request.form.get("keep", type=int)
    if duplicate is None:
        abort(404)
    if keep_id is None:
        abort(400)
    try:
        kept = manage_services.merge_duplicate(duplicate, keep_id)
    except ValueError:
        abort(400)
    except manage_services.DuplicateAlreadyResolved:
        flash(_("This pair was already handled."), "warning")
        return redirect(url_for("lieux.manage_duplicates"))
    db.session.commit()
    flash(_("Merged into %(name)s; the other help point is deactivated.", name=kept.nom), "info")
    return redirect(url_for("lieux.manage_duplicates"))


@bp.route("/manage/help-points/duplicates/<int:duplicate_id>/dismiss", methods=["POST"])
@roles_required(*MANAGERS)
def manage_dismiss(duplicate_id: int) -> Response:
    """Mark a pair as two different places; both stay as they are."""
    duplicate = db.get_or_404(HelpPointDuplicate, duplicate_id)
    try:
        manage_services.dismiss_duplicate(duplicate)
    except manage_services.DuplicateAlreadyResolved:
        flash(_("This pair was already handled."), "warning")
        return redirect(url_for("lieux.manage_duplicates"))
    db.session.commit()
    flash(_("The two help points are kept as different places."), "info")
    return redirect(url_for("lieux.manage_duplicates"))


def _form(help_point: HelpPoint | None) -> HelpPointForm:
    form = HelpPointForm(data=form_data(help_point, manage_services.local_today()))
    form.set_choices(manage_services.structure_choices(), manage_services.counsellor_choices(help_point))
    return form


def _save(form: HelpPointForm, help_point: HelpPoint | None) -> HelpPoint | None:
    """Check the form and the standard's rules; save and commit when both pass, else None (the
    errors are on the form's fields)."""
    form_is_valid = form.validate()
    checked = manage_services.check_help_point(form.standard_values(), current_locale(), help_point)
    for name, messages in checked.errors.items():
        if not form[name].errors:
            form[name].errors = list(messages)
    if not form_is_valid or checked.record is None:
        return None
    try:
        saved = manage_services.save_help_point(help_point, checked.record, form.local_values())
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        form.lieu_id.errors = [_("This identifier is already used by another help point.")]
        return None
    return saved


def _render_form(form: HelpPointForm, help_point: HelpPoint | None) -> str:
    return render_template("lieux/manage/form.html", form=form, help_point=help_point, hours_example=HOURS_EXAMPLE)
