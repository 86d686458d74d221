"""Help sessions (accompagnements): the one-screen log, history, statistics, follow-up of unmet
rights, and the CSV export in La Coop's columns (DESIGN.md sections 4 and 6; issue 6).

Rules live in `services.py`; the pages (`routes.py`, `routes_export.py`) and the API
(`inclusion_app.api.help_sessions`) only call them.
"""

from flask import Blueprint

bp = Blueprint("sessions", __name__, url_prefix="/accompagnements")

from inclusion_app.sessions import routes, routes_export  # noqa: E402,F401
