"""Errors raised by API views, turned into the JSON error shape of DESIGN.md section 4."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from inclusion_app.errors import error_response


class ApiError(Exception):
    """An API error: HTTP `status`, machine `code`, human `message`, per-field messages.

    Fields are named by their path (`unmet_rights.0.form`); messages are in the request's language.
    """

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.extra: dict[str, object] = {}


def _handle(error: ApiError) -> tuple[Any, int]:
    response, status = error_response(error.status, error.code, error.message, error.fields)
    if error.extra:
        body = response.get_json()
        body.update(error.extra)
        response.set_data(json.dumps(body))
    return response, status


def register_api_errors(app: Flask) -> None:
    """Register the ApiError handler on the app."""
    app.register_error_handler(ApiError, _handle)
