"""The territory: districts and, later, where help points lie in them."""

from flask import Blueprint

bp = Blueprint("territory", __name__, url_prefix="/territory")

from inclusion_app.territory import routes  # noqa: E402,F401
