"""Administration pages: staff accounts and lockouts."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from inclusion_app.admin import bp
from inclusion_app.admin.services import current_lockouts, users_page
from inclusion_app.auth.services import unlock
from inclusion_app.extensions import db
from inclusion_app.security import roles_required


@bp.route("/users")
@roles_required("admin")
def users() -> str:
    """Staff accounts (paginated) and the login names locked now."""
    page = request.args.get("page", 1, type=int) or 1
    return render_template("admin/users.html", users=users_page(max(page, 1)), lockouts=current_lockouts())


@bp.route("/lockouts/unlock", methods=["POST"])
@roles_required("admin")
def unlock_login() -> Response:
    """Lift the lockout of a login name."""
    email = request.form.get("email", "")
    if unlock(email):
        db.session.commit()
        flash(_("The login %(email)s is unlocked.", email=email), "info")
    else:
        flash(_("This login was not locked."), "warning")
    return redirect(url_for("admin.users"))
