"""Unmet rights (non-recours) detected in a help session, and their follow-up.

Codes: ODENORE typology (Observatoire des non-recours aux droits et services) as DESIGN.md
section 4 lists them; the rights are `vocabularies.RIGHTS` plus the city's own, from the setting
`UNMET_RIGHTS_EXTRA` ("code:Label,code:Label"). Rules:
- `right`, `form` and `reason` required; `situation`, `action`, `outcome` (default `repere`) codes;
- `detected_on` is the session's date; `filed_on`, `opened_on`, `closed_on` may not be before it
  nor after today, and keep their order (filed ≤ opened, filed ≤ closed);
- `outcome` `deposee` without `filed_on`: the claim is taken as filed on the session's date for a
  right logged with the session, and today for a right already recorded (a later follow-up or an
  edit of the session): a documented choice, so that a filing is never without its date;
- `outcome` `ouvert` needs `opened_on` (an opening is the organisation's decision, with its own date);
- `follow_up_on` is any date from detection on (usually in the future).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _

from inclusion_app import vocabularies as v
from inclusion_app.models.sessions import UnmetRight
from inclusion_app.sessions.fields import Checker

MAX_RIGHTS = 20
EXTRA_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FIELDS = ("right", "situation", "form", "reason", "action", "outcome", "filed_on", "opened_on", "closed_on",
          "follow_up_on", "notes")
OUTCOME_DATES = ("filed_on", "opened_on", "closed_on")


def right_codes() -> dict[str, Any]:
    """{code: label} of the rights offered: `vocabularies.RIGHTS`, then `UNMET_RIGHTS_EXTRA`
    ("code:Label,code:Label"; a malformed or duplicate code is skipped). The extra labels are the
    city's own text, not translated."""
    codes: dict[str, Any] = dict(v.RIGHTS)
    extra = str(current_app.config.get("UNMET_RIGHTS_EXTRA") or "") if has_app_context() else ""
    for item in extra.split(","):
        code, _sep, label = item.partition(":")
        code = code.strip()
        if EXTRA_CODE.match(code) and code not in codes:
            codes[code] = label.strip() or code
    return codes


def right_to_dict(right: UnmetRight) -> dict[str, Any]:
    """The API shape of an unmet right; dates as `YYYY-MM-DD` or null."""
    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return {"id": right.id, "right": right.right, "situation": right.situation, "form": right.form,
            "reason": right.reason, "action": right.action, "outcome": right.outcome,
            "detected_on": day(right.detected_on), "filed_on": day(right.filed_on),
            "opened_on": day(right.opened_on), "closed_on": day(right.closed_on),
            "follow_up_on": day(right.follow_up_on), "notes": right.notes}


def clean_rights(check: Checker, value: Any, detected_on: date | None, today: date,
                 existing: Mapping[int, UnmetRight]) -> list[dict[str, Any]]:
    """The list `unmet_rights` (absent: empty). An item with the `id` of one of `existing` updates
    that right (its fields not given are kept); an item without `id` is a new right."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > MAX_RIGHTS:
        check.fail("unmet_rights", _("Give a list of at most %(count)s rights.", count=MAX_RIGHTS))
        return []
    cleaned: list[dict[str, Any]] = []
    seen: set[int] = set()
    for index, item in enumerate(value):
        path = f"unmet_rights.{index}"
        values = check.mapping(item, path)
        right_id = check.identifier(values.get("id"), f"{path}.id")
        if right_id is not None and right_id not in existing:
            check.fail(f"{path}.id", _("This right is not one of this session's."))
            continue
        if right_id is not None and right_id in seen:
            check.fail(f"{path}.id", _("This right is already in the list."))
            continue
        if right_id is not None:
            seen.add(right_id)
        base = right_to_dict(existing[right_id]) if right_id is not None else {}
        filed_by_default = today if right_id is not None else detected_on
        row = clean_right(check, {**base, **values}, path, detected_on, today, default_filed_on=filed_by_default)
        cleaned.append({**row, "id": right_id})
    return cleaned


def clean_right(check: Checker, values: Mapping[str, Any], path: str, detected_on: date | None, today: date,
                default_filed_on: date | None) -> dict[str, Any]:
    """One right's columns (without `detected_on`), errors under `path` (`unmet_rights.0`)."""
    row: dict[str, Any] = {
        "right": check.code(values.get("right"), right_codes(), f"{path}.right", required=True),
        "situation": check.code(values.get("situation"), v.RIGHT_SITUATIONS, f"{path}.situation"),
        "form": check.code(values.get("form"), v.NON_TAKE_UP_FORMS, f"{path}.form", required=True),
        "reason": check.code(values.get("reason"), v.NON_TAKE_UP_REASONS, f"{path}.reason", required=True),
        "action": check.code(values.get("action"), v.RIGHT_ACTIONS, f"{path}.action"),
        "outcome": check.code(values.get("outcome"), v.RIGHT_OUTCOMES, f"{path}.outcome") or "repere",
        "follow_up_on": check.optional_day(values.get("follow_up_on"), f"{path}.follow_up_on"),
        "notes": check.text(values.get("notes"), f"{path}.notes", 300),
    }
    for field in OUTCOME_DATES:
        row[field] = check.optional_day(values.get(field), f"{path}.{field}")
    if row["outcome"] == "deposee" and row["filed_on"] is None and f"{path}.filed_on" not in check.errors:
        row["filed_on"] = default_filed_on
    _check_dates(check, row, path, detected_on, today)
    return row


def _check_dates(check: Checker, row: dict[str, Any], path: str, detected_on: date | None, today: date) -> None:
    for field in OUTCOME_DATES:
        when = row[field]
        if when is not None and when > today:
            check.fail(f"{path}.{field}", _("This date cannot be after today."))
        elif when is not None and detected_on is not None and when < detected_on:
            check.fail(f"{path}.{field}", _("This date cannot be before the right was detected."))
    follow_up = row["follow_up_on"]
    if follow_up is not None and detected_on is not None and follow_up < detected_on:
        check.fail(f"{path}.follow_up_on", _("The follow-up date cannot be before the right was detected."))
    if row["outcome"] == "ouvert" and row["opened_on"] is None:
        check.fail(f"{path}.opened_on", _("Give the date the right was opened."))
    filed = row["filed_on"]
    for later in ("opened_on", "closed_on"):
        if filed is not None and row[later] is not None and row[later] < filed:
            check.fail(f"{path}.{later}", _("This date cannot be before the claim was filed."))
