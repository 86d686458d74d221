"""Staff authentication: login form, lockout, API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from inclusion_app.auth import routes  # noqa: E402,F401
