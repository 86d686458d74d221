"""Error pages in the user's language, and JSON errors under /api/ (DESIGN.md section 4).

JSON shape: `{"error": {"code", "message", "fields": {"<field>": "<message>"}}}`.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template
from flask_babel import lazy_gettext as _l
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
    return error_response(429)


def _internal_error(error: Exception) -> tuple[Any, int]:
    db.session.rollback()
    logger.exception("unhandled error")
    return error_response(500)


def configure_errors(app: Flask) -> None:
    """Register the handlers: HTTP errors, rate limits, and any other exception as a 500."""
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
