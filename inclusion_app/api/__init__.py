"""The JSON API under /api/v1 (DESIGN.md section 4): same services as the pages, no rules of its own."""

from flask import Blueprint, current_app

from inclusion_app.extensions import limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _api_rate_limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


limiter.limit(_api_rate_limit)(bp)

from inclusion_app.api import help_sessions, reports, residents, routes, scheduling  # noqa: E402,F401
