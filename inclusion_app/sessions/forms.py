"""The one-screen help-session form: what was typed, as text, turned into the API JSON shape of
DESIGN.md section 4 for `services.create` / `services.update`, and their per-field errors (named by
API path, e.g. `unmet_rights.0.form`) put back next to each field.

No rule lives here: the services validate. The form only keeps what was typed (nothing is lost on
an error), leaves out the fieldset that does not apply (the workshop's for an individual session,
the person's for a workshop), and drops a blank unmet-right fieldset. HTML names are the API paths;
ids are the paths with `-` for `.` (`profile-birth_year`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from inclusion_app import vocabularies as v
from inclusion_app.models import Appointment, WalkIn
from inclusion_app.models.sessions import HelpSession, UnmetRight

DURATION_PRESETS = (15, 30, 45, 60, 90, 120)
DEFAULT_DURATION = "30"
SCALARS = ("type", "date", "duration", "duration_custom", "place_type", "help_point_id", "commune_code",
           "commune_name", "district_id", "precision", "autonomy", "outcome", "referral", "referral_structure",
           "resident_id", "appointment_id", "walk_in_id", "title", "level", "profile.birth_year", "profile.gender",
           "profile.social_status", "profile.first_visit", "participants.total",
           *(f"participants.genders.{code}" for code in v.GENDERS if code != "non_communique"))
LISTS = ("themes", "procedures", "equipment")
RIGHT_FIELDS = ("id", "right", "situation", "form", "reason", "action", "outcome", "follow_up_on")
#: A saved right whose "remove" box is ticked is left out of the list sent (the update removes it).
REMOVE = "remove"
RIGHT_DEFAULTS = {"outcome": "repere"}
MAX_RIGHT_ROWS = 20
INDIVIDUAL_ONLY = ("resident_id", "appointment_id", "walk_in_id", "autonomy", "outcome", "referral",
                   "referral_structure")
WORKSHOP_ONLY = ("title", "level")

LABELS: dict[str, Any] = {
    "type": _l("Kind of session"), "date": _l("Date"), "duration_minutes": _l("Duration"),
    "place_type": _l("Place"), "help_point_id": _l("Help point"), "commune_code": _l("Commune (INSEE code)"),
    "commune_name": _l("Commune name"), "district_id": _l("District where the person lives"),
    "themes": _l("Themes"), "procedures": _l("Administrative procedures"), "precision": _l("Precision"),
    "equipment": _l("Equipment used"), "autonomy": _l("Autonomy"), "outcome": _l("Outcome of the procedure"),
    "referral": _l("Referred to"), "referral_structure": _l("Name of the structure"),
    "resident_id": _l("Resident"), "appointment_id": _l("Appointment"), "walk_in_id": _l("Walk-in"),
    "title": _l("Title of the workshop"), "level": _l("Level"), "participants": _l("Participants"),
    "participants.total": _l("Number of participants"), "participants.genders": _l("Participants by gender"),
    "profile": _l("Profile"), "profile.birth_year": _l("Year of birth"), "profile.gender": _l("Gender"),
    "profile.social_status": _l("Social status"), "profile.first_visit": _l("First visit"),
    "unmet_rights": _l("Unmet rights"),
}
RIGHT_LABELS: dict[str, Any] = {
    "right": _l("Right concerned"), "situation": _l("Starting situation"), "form": _l("Form of non take-up"),
    "reason": _l("Reason"), "action": _l("Action taken"), "outcome": _l("Outcome"),
    "follow_up_on": _l("Follow up on"), "filed_on": _l("Outcome"), "opened_on": _l("Outcome"),
    "closed_on": _l("Outcome"), "notes": _l("Outcome"), "id": _l("Right concerned"),
}


def field_id(path: str) -> str:
    """The HTML id of a field named by its API path: `unmet_rights.0.form` → `unmet_rights-0-form`."""
    return path.replace(".", "-")


def _digits_or_text(text: str) -> int | str | None:
    """A typed number as an int, other text as typed (the services say what is wrong), "" as None."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdecimal() and len(text) <= 9 else text


@dataclass
class SessionForm:
    """The form's state: `values` (text as typed), `lists` (checked codes), `rights` (one dict of
    text per unmet-right fieldset shown), `errors` ({field id: message}) and `summary` (the error
    summary: (field id, label, message))."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=lambda: {name: [] for name in LISTS})
    rights: list[dict[str, str]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    summary: list[tuple[str, str, str]] = field(default_factory=list)
    sent_rows: list[int] = field(default_factory=list)

    # ------------------------------------------------------------ reading

    @classmethod
    def from_post(cls, data: MultiDict[str, str]) -> SessionForm:
        """The form as posted; `rights_count` says how many unmet-right fieldsets were shown."""
        form = cls(values={name: data.get(name, "") for name in SCALARS},
                   lists={name: data.getlist(name) for name in LISTS})
        count = min(max(_count(data.get("rights_count")), 1), MAX_RIGHT_ROWS)
        form.rights = [{name: data.get(f"unmet_rights.{index}.{name}", "") for name in (*RIGHT_FIELDS, REMOVE)}
                       for index in range(count)]
        return form

    @classmethod
    def blank(cls, day: date, help_point_id: int | None) -> SessionForm:
        """A new form: individual, today, 30 minutes, at the counsellor's help point, one blank right."""
        form = cls(values={name: "" for name in SCALARS})
        form.values.update(type="individuel", date=day.isoformat(), duration=DEFAULT_DURATION,
                           place_type="lieu_activite", help_point_id=str(help_point_id or ""),
                           **{"profile.gender": "non_communique", "profile.social_status": "non_communique"})
        form.add_right()
        return form

    def add_right(self) -> None:
        """One more blank unmet-right fieldset (at most 20)."""
        if len(self.rights) < MAX_RIGHT_ROWS:
            self.rights.append({name: RIGHT_DEFAULTS.get(name, "") for name in RIGHT_FIELDS})

    def set_duration(self, minutes: int) -> None:
        """Choose a preset when `minutes` is one, else type it in the custom field."""
        preset = minutes in DURATION_PRESETS
        self.values.update(duration=str(minutes) if preset else "autre", duration_custom="" if preset else str(minutes))

    def with_procedure(self, procedure: str | None) -> None:
        """Tick the administrative theme and `procedure` (an appointment's or walk-in's category)."""
        if procedure in v.PROCEDURES:
            self.lists["themes"] = [v.ADMINISTRATIVE_THEME]
            self.lists["procedures"] = [procedure]

    def prefill_appointment(self, appointment: Appointment, day: date, minutes: int) -> None:
        """Date, duration, place (on site: its help point; phone: remote), resident, district, procedure."""
        self.values.update(date=day.isoformat(), appointment_id=str(appointment.id),
                           resident_id=str(appointment.resident_id),
                           district_id=str(appointment.resident.district_id or ""))
        if appointment.mode == "on_site":
            self.values.update(place_type="lieu_activite", help_point_id=str(appointment.help_point_id or ""))
        else:
            self.values.update(place_type="a_distance", help_point_id="")
        self.set_duration(minutes)
        self.with_procedure(appointment.procedure)

    def prefill_walk_in(self, walk_in: WalkIn, day: date) -> None:
        """Date, the walk-in's help point, its resident (and their district), its procedure."""
        self.values.update(date=day.isoformat(), walk_in_id=str(walk_in.id), place_type="lieu_activite",
                           help_point_id=str(walk_in.help_point_id), resident_id=str(walk_in.resident_id or ""))
        if walk_in.resident is not None and walk_in.resident.district_id:
            self.values["district_id"] = str(walk_in.resident.district_id)
        self.with_procedure(walk_in.procedure)

    @classmethod
    def from_session(cls, session: HelpSession) -> SessionForm:
        """The form filled with a saved session (to edit it), each right with its id."""
        form = cls.blank(session.date, session.help_point_id)
        for name in SCALARS:
            value = _session_value(session, name)
            form.values[name] = "" if value is None else str(value)
        form.set_duration(session.duration_minutes)
        form.lists = {name: list(getattr(session, name) or []) for name in LISTS}
        form.rights = [_right_values(right) for right in session.unmet_rights] or form.rights
        return form

    # ------------------------------------------------------------ writing

    @property
    def is_workshop(self) -> bool:
        return self.values.get("type") == "collectif"

    def duration_minutes(self) -> int | str | None:
        """The custom minutes when typed, else the preset chosen."""
        custom = self.values.get("duration_custom", "").strip()
        preset = self.values.get("duration", "")
        return _digits_or_text(custom if custom or preset == "autre" else preset)

    def to_values(self) -> dict[str, Any]:
        """The API JSON shape (DESIGN.md section 4) of what was typed."""
        values: dict[str, Any] = {name: self.values.get(name, "").strip() or None for name in (
            "type", "date", "place_type", "commune_code", "commune_name", "autonomy", "outcome", "referral",
            "level")}
        values.update({name: _digits_or_text(self.values.get(name, "")) for name in (
            "help_point_id", "district_id", "resident_id", "appointment_id", "walk_in_id")})
        values.update(duration_minutes=self.duration_minutes(), precision=self.values.get("precision", ""),
                      referral_structure=self.values.get("referral_structure", ""),
                      title=self.values.get("title", ""), **{name: list(self.lists[name]) for name in LISTS})
        if self.is_workshop:
            values.update(participants=self._participants(), **{name: None for name in INDIVIDUAL_ONLY})
            values["referral_structure"] = ""
        else:
            values.update(profile=self._profile(), **{name: None for name in WORKSHOP_ONLY})
            values["title"] = ""
        values["unmet_rights"] = self._rights()
        if values["place_type"] != "lieu_activite":
            values["help_point_id"] = None  # without JavaScript the help point list is still sent
        return values

    def _profile(self) -> dict[str, Any]:
        first_visit = self.values.get("profile.first_visit", "")
        return {"birth_year": _digits_or_text(self.values.get("profile.birth_year", "")),
                "gender": self.values.get("profile.gender") or None,
                "social_status": self.values.get("profile.social_status") or None,
                "first_visit": {"oui": True, "non": False}.get(first_visit, first_visit or None)}

    def _participants(self) -> dict[str, Any]:
        genders = {code: _digits_or_text(self.values.get(f"participants.genders.{code}", ""))
                   for code in v.GENDERS if code != "non_communique"}
        counts: dict[str, Any] = {"total": _digits_or_text(self.values.get("participants.total", ""))}
        kept = {code: number for code, number in genders.items() if number is not None}
        if kept:
            counts["genders"] = kept
        return counts

    def _rights(self) -> list[dict[str, Any]]:
        """The unmet rights typed, blank fieldsets left out; `sent_rows` maps list index → fieldset."""
        self.sent_rows = []
        sent = []
        for row, right in enumerate(self.rights):
            if _is_blank(right) or right.get(REMOVE):
                continue
            self.sent_rows.append(row)
            item: dict[str, Any] = {name: right.get(name, "").strip() or None for name in RIGHT_FIELDS}
            item["id"] = _digits_or_text(right.get("id", ""))
            sent.append({name: value for name, value in item.items() if value is not None or name != "id"})
        return sent

    # ------------------------------------------------------------ errors

    def set_errors(self, fields: Mapping[str, str]) -> None:
        """Put the services' messages ({API path: message}) next to the fields, and in the summary."""
        for path, message in fields.items():
            target, label = self._place_of(path)
            if target not in self.errors:
                self.errors[target] = message
                self.summary.append((target, label, message))

    def _place_of(self, path: str) -> tuple[str, str]:
        """(field id, label) where the error of `path` is shown."""
        parts = path.split(".")
        sent = len(self.sent_rows)
        if parts[0] == "unmet_rights" and len(parts) >= 2 and parts[1].isdecimal() and int(parts[1]) < sent:
            row = self.sent_rows[int(parts[1])]
            name = parts[2] if len(parts) > 2 and parts[2] in RIGHT_LABELS else "right"
            shown = name if name in RIGHT_FIELDS and name != "id" else "outcome"
            return (field_id(f"unmet_rights.{row}.{shown}"),
                    _("Unmet right %(number)d: %(field)s", number=row + 1, field=RIGHT_LABELS[name]))
        if path.startswith("participants.genders"):
            return field_id("participants.genders.feminin"), str(LABELS["participants.genders"])
        if path.startswith("participants"):
            path = "participants.total"
        elif path == "profile":
            path = "profile.gender"
        return field_id(path), str(LABELS.get(path, LABELS.get(parts[0], path)))


def _count(text: str | None) -> int:
    return int(text) if text and text.isdecimal() and len(text) <= 3 else 1


def _is_blank(right: Mapping[str, str]) -> bool:
    return not any(value.strip() for name, value in right.items()
                   if name not in ("id", REMOVE) and value.strip() != RIGHT_DEFAULTS.get(name))


def _session_value(session: HelpSession, name: str) -> Any:
    """A saved session's value for the form field `name`."""
    if name.startswith("profile."):
        key = name.split(".", 1)[1]
        if key == "first_visit":
            return {True: "oui", False: "non", None: ""}[session.is_first_visit]
        return getattr(session, key)
    if name.startswith("participants."):
        counts: Any = session.participants or {}
        for key in name.split(".")[1:]:
            counts = counts.get(key) if isinstance(counts, Mapping) else None
        return counts
    if name in ("duration", "duration_custom"):
        return None
    return getattr(session, name)


def _right_values(right: UnmetRight) -> dict[str, str]:
    values = {name: getattr(right, name) for name in RIGHT_FIELDS}
    values["follow_up_on"] = right.follow_up_on.isoformat() if right.follow_up_on else ""
    return {name: "" if value is None else str(value) for name, value in values.items()}
