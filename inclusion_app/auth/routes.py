"""Login and logout pages."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from inclusion_app.auth import bp
from inclusion_app.auth.forms import LoginForm
from inclusion_app.auth.services import authenticate
from inclusion_app.extensions import db, limiter
from inclusion_app.models import ROLES
from inclusion_app.security import public, roles_required, safe_next_url


def _login_rate_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate_limit, methods=["POST"], key_func=get_remote_address)
def login() -> str | Response:
    """Show the login form; on success go to `next` (within this site) or the role's landing page."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    result = authenticate(form.email.data or "", form.password.data or "")
    if result.user is None:
        db.session.commit()
        if result.locked_until is not None:
            when = format_datetime(result.locked_until, "short")
            message = _("Too many failed attempts for this account. Try again after %(when)s.", when=when)
            form.password.errors.append(message)
        else:
            form.password.errors.append(_("Email address or password incorrect."))
        return render_template("auth/login.html", form=form)
    session.clear()
    login_user(result.user)
    session.permanent = True
    db.session.commit()
    return redirect(safe_next_url(form.next.data) or url_for("main.dashboard"))


@bp.route("/logout", methods=["POST"])
@roles_required(*ROLES)
def logout() -> Response:
    """End the session and return to the public home page."""
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.home"))
