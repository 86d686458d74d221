"""Validation of a help session as La Coop de la médiation numérique (ANCT) does it, on the API
JSON shape of DESIGN.md section 4. `clean_session` returns column values or raises SessionError
with every field at fault, named by its API path.

Rules (La Coop's CRA forms, and issue 6):
- `date` required, a real date, from 2020-01-01 (La Coop opened in 2024; earlier dates are typing
  errors) up to today; `duration_minutes` a whole number of 1 to 720 (12 hours);
- `type`, `place_type` codes; at least one theme; `help_point_id` required (and active) for
  `lieu_activite`; `commune_code` (INSEE, 5 characters: digits, or 2A/2B for Corsica) required for
  `domicile` and `autre`;
- `procedures` and `precision` (≤ 300 characters) only with the theme
  `aide_aux_demarches_administratives` (refused otherwise, as La Coop's form does);
- `referral` only with the outcome `oriente_vers_structure`, and required then (La Coop's
  "structure de redirection");
- `collectif`: `title` required, `level` a code, `participants.total` from 2, breakdowns (by age
  band, gender, social status) summing to at most the total; no resident, appointment, walk-in,
  profile, autonomy or outcome (a workshop records no identity);
- `individuel`: no `participants`, `title` or `level`;
- `profile.birth_year` from today's year − 110 to today's year.
Links (resident, appointment, walk-in) are checked in `links.py`; unmet rights in `rights.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _

from inclusion_app import vocabularies as v
from inclusion_app.extensions import db
from inclusion_app.models import District, HelpPoint
from inclusion_app.sessions.fields import Checker

EARLIEST_DATE = date(2020, 1, 1)
MAX_DURATION_MINUTES = 720
MAX_PARTICIPANTS = 500
INSEE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
WORKSHOP_ONLY = ("title", "level", "participants")
INDIVIDUAL_ONLY = ("resident_id", "appointment_id", "walk_in_id", "autonomy", "outcome", "referral")
BREAKDOWNS = {"age_bands": v.AGE_BANDS, "genders": v.GENDERS, "social_statuses": v.SOCIAL_STATUSES}


def clean_core(check: Checker, values: Mapping[str, Any], today: date) -> dict[str, Any]:
    """Date, duration, type, place, themes, procedures, equipment: the fields every session has."""
    when = check.day(values.get("date"), "date") if values.get("date") not in (None, "") else None
    if values.get("date") in (None, ""):
        check.fail("date", _("Give the date of the session."))
    elif when is not None and when > today:
        check.fail("date", _("The date cannot be after today."))
    elif when is not None and when < EARLIEST_DATE:
        check.fail("date", _("The date cannot be before %(day)s.", day=EARLIEST_DATE.isoformat()))
    duration = check.integer(values.get("duration_minutes"), "duration_minutes", 1, MAX_DURATION_MINUTES)
    if values.get("duration_minutes") in (None, ""):
        check.errors["duration_minutes"] = _("Give the duration in minutes.")
    themes = check.codes(values.get("themes"), v.THEMES, "themes")
    if not themes and "themes" not in check.errors:
        check.fail("themes", _("Choose at least one theme."))
    return {
        "date": when, "duration_minutes": duration, "themes": themes,
        "type": check.code(values.get("type"), v.SESSION_TYPES, "type", required=True),
        "place_type": check.code(values.get("place_type"), v.PLACE_TYPES, "place_type", required=True),
        "equipment": _equipment(check, values.get("equipment")),
        **_procedures(check, values, themes),
    }


def _equipment(check: Checker, value: Any) -> list[str]:
    equipment = check.codes(value, v.EQUIPMENT, "equipment")
    if "aucun" in equipment and len(equipment) > 1:
        check.fail("equipment", _("“No equipment” cannot be combined with a device."))
    return equipment


def _procedures(check: Checker, values: Mapping[str, Any], themes: list[str]) -> dict[str, Any]:
    """Procedure categories and precision, allowed only with the administrative-procedures theme."""
    procedures = check.codes(values.get("procedures"), v.PROCEDURES, "procedures")
    precision = check.text(values.get("precision"), "precision", 300)
    if v.ADMINISTRATIVE_THEME not in themes:
        message = _("Only with the theme “Help with administrative procedures”.")
        if procedures:
            check.fail("procedures", message)
        if precision:
            check.fail("precision", message)
    return {"procedures": procedures, "precision": precision}


def clean_place(check: Checker, values: Mapping[str, Any], place_type: str | None,
                previous_help_point_id: int | None) -> dict[str, Any]:
    """Help point (required and active for `lieu_activite`), commune (required for `domicile` and
    `autre`), district (must exist). A help point kept from before may have been closed since."""
    help_point_id = check.identifier(values.get("help_point_id"), "help_point_id")
    if help_point_id is not None and help_point_id != previous_help_point_id:
        point = db.session.get(HelpPoint, help_point_id)
        if point is None or not point.is_active:
            check.fail("help_point_id", _("This help point does not exist or is closed."))
    if place_type == "lieu_activite" and help_point_id is None and "help_point_id" not in check.errors:
        check.fail("help_point_id", _("Choose the help point where the session took place."))
    if place_type != "lieu_activite" and help_point_id is not None and "help_point_id" not in check.errors:
        check.fail("help_point_id", _("A help point is recorded only for a session at a help point."))
    commune_code = check.text(values.get("commune_code"), "commune_code", 5).upper()
    if commune_code and not INSEE_CODE.match(commune_code):
        check.fail("commune_code", _("Give the commune's INSEE code: 5 digits (2A or 2B then 3 digits in Corsica)."))
    if place_type in ("domicile", "autre") and not commune_code and "commune_code" not in check.errors:
        check.fail("commune_code", _("Give the commune where the session took place."))
    district_id = check.identifier(values.get("district_id"), "district_id")
    if district_id is not None and db.session.get(District, district_id) is None:
        check.fail("district_id", _("This district does not exist."))
    return {"help_point_id": help_point_id, "commune_code": commune_code or None, "district_id": district_id,
            "commune_name": check.text(values.get("commune_name"), "commune_name", 100) or None}


def clean_outcome(check: Checker, values: Mapping[str, Any]) -> dict[str, Any]:
    """Autonomy, outcome of the procedure, referral (required with, and only with, a referral)."""
    outcome = check.code(values.get("outcome"), v.SESSION_OUTCOMES, "outcome")
    referral = check.code(values.get("referral"), v.REFERRALS, "referral")
    referral_structure = check.text(values.get("referral_structure"), "referral_structure", 200)
    if outcome == "oriente_vers_structure" and referral is None and "referral" not in check.errors:
        check.fail("referral", _("Choose the structure the person was referred to."))
    if outcome != "oriente_vers_structure":
        message = _("Only when the person was referred to another structure.")
        if referral is not None:
            check.fail("referral", message)
        if referral_structure:
            check.fail("referral_structure", message)
    return {"autonomy": check.code(values.get("autonomy"), v.AUTONOMY, "autonomy"), "outcome": outcome,
            "referral": referral, "referral_structure": referral_structure}


def clean_profile(check: Checker, values: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The anonymous profile: birth year (today's year − 110 … today's year), gender, social
    status (default `non_communique`), first visit (true, false or unknown)."""
    profile = check.mapping(values.get("profile"), "profile")
    birth_year = profile.get("birth_year")
    year = (None if birth_year in (None, "")
            else check.integer(birth_year, "profile.birth_year", today.year - 110, today.year))
    return {
        "birth_year": year,
        "gender": check.code(profile.get("gender"), v.GENDERS, "profile.gender") or "non_communique",
        "social_status": (check.code(profile.get("social_status"), v.SOCIAL_STATUSES, "profile.social_status")
                          or "non_communique"),
        "is_first_visit": check.boolean(profile.get("first_visit"), "profile.first_visit"),
    }


def clean_workshop(check: Checker, values: Mapping[str, Any], session_type: str | None) -> dict[str, Any]:
    """Title, level and participant counts of a collective workshop; refused for an individual one."""
    if session_type != "collectif":
        for field in WORKSHOP_ONLY:
            if values.get(field) not in (None, "", {}):
                check.fail(field, _("Only for a collective workshop."))
        return {"title": "", "level": None, "participants": None, "participants_total": None}
    for field in INDIVIDUAL_ONLY:
        if values.get(field) not in (None, "", {}):
            check.fail(field, _("A collective workshop records no identity: leave this empty."))
    profile = values.get("profile")
    if profile not in (None, "") and (not isinstance(profile, Mapping) or any(
            item not in (None, "", "non_communique") for item in profile.values())):
        check.fail("profile", _("A collective workshop records no identity: leave this empty."))
    title = check.text(values.get("title"), "title", 200)
    if not title and "title" not in check.errors:
        check.fail("title", _("Give the title of the workshop."))
    participants = _participants(check, values.get("participants"))
    return {"title": title, "level": check.code(values.get("level"), v.WORKSHOP_LEVELS, "level"),
            "participants": participants, "participants_total": participants.get("total") if participants else None}


def _participants(check: Checker, value: Any) -> dict[str, Any] | None:
    """Counts only: {"total": n ≥ 2, "age_bands"?: {band: n}, "genders"?: {…}, "social_statuses"?: {…}},
    each breakdown summing to at most the total."""
    counts = check.mapping(value, "participants")
    total = check.integer(counts.get("total"), "participants.total", 2, MAX_PARTICIPANTS)
    cleaned: dict[str, Any] = {"total": total}
    for name, vocabulary in BREAKDOWNS.items():
        breakdown = check.mapping(counts.get(name), f"participants.{name}")
        numbers = {code: check.integer(number, f"participants.{name}.{code}", 0, MAX_PARTICIPANTS)
                   for code, number in breakdown.items()}
        if any(code not in vocabulary for code in numbers):
            check.fail(f"participants.{name}", _("Unknown code: choose one of the listed values."))
        kept = {code: number for code, number in numbers.items() if number}
        if total is not None and sum(kept.values()) > total:
            check.fail(f"participants.{name}", _("The counts add up to more than the total of participants."))
        if kept:
            cleaned[name] = kept
    return cleaned if total is not None else None
