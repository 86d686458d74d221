"""Public home page, the landing page of each role, the language switch and the health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from inclusion_app.main import routes  # noqa: E402,F401
