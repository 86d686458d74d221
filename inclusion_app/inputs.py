"""Guards on every request's input, before any view: what no form or API should ever accept.

- A NUL or other C0 control character (but tab and line breaks) in a query argument, a form field
  or a JSON string: PostgreSQL cannot store a NUL, and no person types one. 400 naming the field.
- JSON nested deeper than `MAX_JSON_DEPTH`, or too deep for the parser: 400.
- Path integers beyond a 32-bit signed integer (the range of the database's INTEGER ids): the
  `int` URL converter refuses them, so such an id is a 404 instead of a database error.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the range of the database's INTEGER ids
MAX_JSON_DEPTH = 32
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ISO_YEAR = re.compile(r"^\s*(\d{4})-\d{2}-\d{2}")
YEARS = range(1900, 2201)  # dates outside are typing errors, and overflow date arithmetic


MAX_PAGE = 100_000


def page_number() -> int:
    """The request's `?page=`, from 1 to MAX_PAGE (junk → 1; a huge one would overflow the
    database's offset)."""
    from flask import request

    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def out_of_range(name: str, value: str) -> str | None:
    """A message when a field holds a date outside 1900–2200, or an id beyond INTEGER, else None."""
    year = ISO_YEAR.match(value)
    if year and int(year.group(1)) not in YEARS:
        return _("Give a date between 1900 and 2200.")
    if (name == "id" or name.endswith("_id")) and value.strip().isdecimal() and int(value) > MAX_ID:
        return _("This identifier does not exist.")
    return None


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` limited to 0 … 2**31 - 1."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def _bad_field(value: Any, path: str, depth: int = 0) -> str | None:
    """The path of the first string holding a forbidden character (or nested too deep), else None."""
    if depth > MAX_JSON_DEPTH:
        return path or "body"
    if isinstance(value, str):
        return path or "body" if FORBIDDEN.search(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and FORBIDDEN.search(key):
            return f"{path}.{key}".strip(".")
        found = _bad_field(item, f"{path}.{key}".strip("."), depth + 1)
        if found:
            return found
    return None


def check_inputs() -> ResponseReturnValue | None:
    """before_request: refuse forbidden characters and over-deep JSON with a 400."""
    from inclusion_app.errors import error_response

    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if FORBIDDEN.search(name) or FORBIDDEN.search(value):
                return error_response(400, "validation_error", _("The text sent holds a control character."),
                                      {name: _("Remove the control character.")})
            if (message := out_of_range(name, value)) is not None:
                return error_response(400, "validation_error", message, {name: message})
    if request.is_json:
        try:
            data = request.get_json(silent=True)
        except RecursionError:
            return error_response(400, "validation_error", _("The JSON sent is nested too deeply."))
        field = _bad_field(data, "")
        if field:
            return error_response(400, "validation_error", _("The text sent holds a control character."),
                                  {field: _("Remove the control character, or nest less deeply.")})
        ranged = ((key, out_of_range(key, value)) for key, value in data.items()
                  if isinstance(value, str)) if isinstance(data, dict) else ()
        for key, message in ranged:
            if message is not None:
                return error_response(400, "validation_error", message, {key: message})
    return None


def configure_inputs(app: Flask) -> None:
    """Install the bounded integer converter (before any route) and the input check."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(check_inputs)
