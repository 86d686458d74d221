"""Parsing helpers of the API: JSON bodies, pagination, dates and datetimes (DESIGN.md section 4)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, request
from flask_babel import gettext as _

from inclusion_app.api.errors import ApiError
from inclusion_app.extensions import db
from inclusion_app.inputs import MAX_ID

MAX_PER_PAGE = 200


def invalid(fields: dict[str, str], message: str | None = None) -> ApiError:
    """A 400 `validation_error` naming the fields at fault."""
    return ApiError(400, "validation_error", message or _("Some fields are not valid."), fields)


def json_body() -> dict[str, Any]:
    """The request's JSON object. Raises a 400 ApiError when the body is not a JSON object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise invalid({"body": _("Send a JSON object.")}, _("The body must be a JSON object."))
    return data


def parse_datetime(value: Any, field: str) -> datetime:
    """An aware datetime from ISO 8601; without an offset it is local time in `TIMEZONE`.

    Raises a 400 ApiError on `field` otherwise.
    """
    try:
        moment = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise invalid({field: _("Use an ISO 8601 date and time, e.g. 2026-12-01T09:30:00+01:00.")}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
    return moment


def parse_date(value: Any, field: str) -> date:
    """A date from `YYYY-MM-DD`. Raises a 400 ApiError on `field` otherwise."""
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise invalid({field: _("Use a date such as 2026-12-01.")}) from None


def parse_int(value: Any, field: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer within bounds (at most those of a database INTEGER). Raises a 400 ApiError on
    `field` otherwise; a boolean or a float with a fraction is not a whole number."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise invalid({field: _("Give a whole number.")})
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise invalid({field: _("Give a whole number.")}) from None
    minimum = -MAX_ID if minimum is None else minimum
    maximum = MAX_ID if maximum is None else maximum
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise invalid({field: _("Give a number between %(low)s and %(high)s.", low=minimum, high=maximum)})
    return number


def optional_int(value: Any, field: str) -> int | None:
    """None for a missing or null value, else `parse_int`."""
    return None if value in (None, "") else parse_int(value, field)


def paginate(query: sa.Select[Any], to_json: Any) -> dict[str, Any]:
    """`{"items", "page", "per_page", "total"}` for `query`, from `?page=&per_page=` (≤ 200)."""
    page = parse_int(request.args.get("page", 1), "page", 1)
    per_page = parse_int(request.args.get("per_page", 50), "per_page", 1, MAX_PER_PAGE)
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    return {"items": [to_json(item) for item in result.items], "page": page, "per_page": per_page,
            "total": result.total}
