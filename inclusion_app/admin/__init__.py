"""Administration: staff accounts, roles, lockouts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from inclusion_app.admin import routes  # noqa: E402,F401
