"""Routes of the home, landing, language and health pages (thin: services do the work)."""

from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion_app.extensions import db
from inclusion_app.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_MAX_AGE
from inclusion_app.main import bp
from inclusion_app.main.services import dashboard_context, database_ok
from inclusion_app.models import ROLES
from inclusion_app.security import public, roles_required, safe_next_url


@bp.route("/")
@public
def home() -> str | Response:
    """Public home page; staff who are logged in go to their landing page."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/home.html")


@bp.route("/dashboard")
@roles_required(*ROLES)
def dashboard() -> str:
    """The landing page of the logged-in user's role."""
    context = dashboard_context(current_user)
    return render_template(f"main/dashboard_{current_user.role}.html", **context)


@bp.route("/language", methods=["POST"])
@public
def set_language() -> Response:
    """Switch the interface language (cookie, and the account's preference when logged in)."""
    language = request.form.get("language", "")
    target = safe_next_url(request.form.get("next")) or url_for("main.home")
    response = redirect(target)
    if language in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_MAX_AGE, samesite="Lax",
            httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
        if current_user.is_authenticated:
            current_user.language = language
            db.session.commit()
    return response


@bp.route("/health")
@public
def health() -> tuple[Response, int]:
    """200 `{"status": "ok", "database": "ok"}`; 503 only when the database is unreachable."""
    if database_ok():
        return jsonify(status="ok", database="ok"), 200
    return jsonify(status="error", database="unreachable"), 503
