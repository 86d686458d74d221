"""Help points (lieux de médiation numérique): the national standard, imports, map, list, management."""

from flask import Blueprint

bp = Blueprint("lieux", __name__)

from inclusion_app.lieux import manage_routes, routes  # noqa: E402,F401
