"""Appointments: availability, slot search, booking on residents' behalf, agendas, walk-ins."""

from flask import Blueprint

bp = Blueprint("scheduling", __name__)

from inclusion_app.scheduling import routes_agenda, routes_booking  # noqa: E402,F401
