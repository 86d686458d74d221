"""Error pages in the user's language, and JSON errors under /api/ (DESIGN.md section 4).

JSON shape: `{"error": {"code", "message", "fields": {"<field>": "<message>"}}}`.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, render_template
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from inclusion_app.extensions import db
from inclusion_app.security import is_api_request

logger = logging.getLogger(__name__)

ERROR_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

ERROR_TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please log in"),
    403: _l("Access refused"),
    404: _l("Page not found"),
    405: _l("Action not allowed"),
    409: _l("Conflict"),
    413: _l("File too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("Service unavailable"),
}

ERROR_MESSAGES = {
    400: _l("Please check what you sent and try again."),
    401: _l("You need to log in to see this page."),
    403: _l("Your account does not give access to this page."),
    404: _l("This page does not exist or has moved."),
    405: _l("This address does not accept this action."),
    409: _l("This change conflicts with another one. Reload and try again."),
    413: _l("The file sent is too large."),
    429: _l("Too many attempts from your connection. Please wait a minute and try again."),
    500: _l("The error has been recorded. Please try again in a moment."),
    503: _l("The service is temporarily unavailable. Please try again in a moment."),
}

CSRF_MESSAGE = _l("This form has expired or was not sent from this site. Reload the page and try again.")


def error_response(
    status: int,
    code: str | None = None,
    message: str | None = None,
    fields: dict[str, str] | None = None,
) -> tuple[Any, int]:
    """Return a JSON error under /api/, else the HTML error page, with `status`."""
    if code == "csrf":
        code, message = "validation_error", str(CSRF_MESSAGE)
    text = message or str(ERROR_MESSAGES.get(status, ERROR_MESSAGES[400]))
    if is_api_request():
        body = {"error": {"code": code or ERROR_CODES.get(status, "error"), "message": text,
                          "fields": fields or {}}}
        return jsonify(body), status
    title = ERROR_TITLES.get(status, ERROR_TITLES[400])
    return render_template("errors/error.html", status=status, title=title, message=text), status


def _http_error(error: HTTPException) -> tuple[Any, int]:
    status = error.code or 500
    return error_response(status)


def _rate_limited(error: RateLimitExceeded) -> tuple[Any, int]:
    """429 saying how long to wait (the limit's own reset time, in minutes)."""
    from inclusion_app.extensions import limiter

    current = limiter.current_limit
    minutes = max(1, math.ceil((current.reset_at - time.time()) / 60)) if current else 1
    message = ngettext(
        "Too many attempts from your connection. Please wait %(num)d minute and try again.",
        "Too many attempts from your connection. Please wait %(num)d minutes and try again.",
        minutes,
    )
    return error_response(429, message=str(message))


UNAVAILABLE_SIGNS = ("unable to open", "database is locked", "could not connect", "connection", "timeout",
                     "server closed", "terminating", "the database system is")


def _database_unavailable(error: sa.exc.DBAPIError) -> tuple[Any, int]:
    """503 when the database cannot be reached or is busy (never a 500 for that); any other
    database error (a schema out of date, a bug) stays a logged 500."""
    text = str(error.orig).lower()
    if not error.connection_invalidated and not any(sign in text for sign in UNAVAILABLE_SIGNS):
        return _internal_error(error)
    db.session.rollback()
    logger.error("database unavailable: %s", type(error).__name__)
    return error_response(503)


def _internal_error(error: Exception) -> tuple[Any, int]:
    db.session.rollback()
    logger.exception("unhandled error")
    return error_response(500)


def configure_errors(app: Flask) -> None:
    """Register the handlers: HTTP errors, rate limits, and any other exception as a 500."""
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.register_error_handler(sa.exc.OperationalError, _database_unavailable)
    app.register_error_handler(sa.exc.InterfaceError, _database_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
