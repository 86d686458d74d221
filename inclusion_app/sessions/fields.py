"""Field readers for help-session input: each reads one value of the API JSON shape, records a
message under the field's path when it is not valid, and never raises on a bad type.

`Checker.errors` maps API field paths (`duration_minutes`, `unmet_rights.0.form`,
`participants.total`) to messages in the request's language, so that every error of a form or a
JSON body is reported at once, next to its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _

from inclusion_app.inputs import MAX_ID


class Checker:
    """Collects per-field errors while values are read."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, path: str, message: str) -> None:
        """Record `message` for `path` (the first message of a field wins)."""
        self.errors.setdefault(path, message)

    def integer(self, value: Any, path: str, low: int, high: int) -> int | None:
        """A whole number within [low, high], from an int or a string of digits; None on error.

        A boolean, a float with a fraction, a list or a huge number is refused with a message.
        """
        number = _as_int(value)
        if number is None:
            self.fail(path, _("Give a whole number."))
            return None
        if not low <= number <= high:
            self.fail(path, _("Give a number between %(low)s and %(high)s.", low=low, high=high))
            return None
        return number

    def identifier(self, value: Any, path: str) -> int | None:
        """An optional id (1 … 2**31 - 1): None when absent or on error."""
        if value in (None, ""):
            return None
        return self.integer(value, path, 1, MAX_ID)

    def day(self, value: Any, path: str) -> date | None:
        """A date from `YYYY-MM-DD` (or a `date`); None on error or when absent."""
        if isinstance(value, date):
            return value
        if isinstance(value, str) and value.strip():
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(path, _("Use a date such as 2026-12-01."))
        return None

    def optional_day(self, value: Any, path: str) -> date | None:
        """`day` for a value that may be absent (None or empty)."""
        return None if value in (None, "") else self.day(value, path)

    def code(self, value: Any, vocabulary: Mapping[str, Any], path: str, *, required: bool = False) -> str | None:
        """A code of `vocabulary`; None when absent (an error if `required`) or unknown."""
        if value in (None, ""):
            if required:
                self.fail(path, _("Choose a value."))
            return None
        if not isinstance(value, str) or value not in vocabulary:
            self.fail(path, _("Unknown code: choose one of the listed values."))
            return None
        return value

    def codes(self, value: Any, vocabulary: Mapping[str, Any], path: str) -> list[str]:
        """A list of distinct codes of `vocabulary`, in the order given (absent: empty list)."""
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            self.fail(path, _("Give a list of codes."))
            return []
        unknown = [item for item in value if not isinstance(item, str) or item not in vocabulary]
        if unknown:
            self.fail(path, _("Unknown code: choose one of the listed values."))
            return []
        return list(dict.fromkeys(value))

    def text(self, value: Any, path: str, limit: int) -> str:
        """A stripped text of at most `limit` characters (absent: empty)."""
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(path, _("Give a text."))
            return ""
        if len(value.strip()) > limit:
            self.fail(path, _("Keep this under %(limit)s characters.", limit=limit))
            return ""
        return value.strip()

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        """A JSON object (absent: empty)."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(path, _("Give an object."))
            return {}
        return value

    def boolean(self, value: Any, path: str) -> bool | None:
        """True, False or None (absent); the strings "true"/"false" are read too."""
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "on", ""):
            return None if value == "" else value.lower() in ("true", "1", "on")
        self.fail(path, _("Give true or false."))
        return None


def _as_int(value: Any) -> int | None:
    """An int from an int, an integral float or a string of digits, else None (bounded to avoid
    converting absurdly long digit strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, str) and len(value.strip()) <= 15:
        text = value.strip()
        if re.fullmatch(r"-?[0-9]+", text):
            return int(text)
    return None
