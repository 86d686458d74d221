"""Rules about residents: validation, search by phone or name, probable duplicates, merge.

Services only flush. Messages are in the request's language (Flask-Babel); a refused input
raises `ResidentError` with one message per field, named as in the API (DESIGN.md section 4).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from babel.localedata import exists as locale_exists
from flask_babel import gettext as _

from inclusion_app import vocabularies
from inclusion_app.extensions import db
from inclusion_app.inputs import MAX_ID
from inclusion_app.models import Appointment, District, HelpSession, Resident, User, WalkIn
from inclusion_app.models.types import utcnow
from inclusion_app.phones import InvalidPhone, parse_phone, phone_search_variants
from inclusion_app.text import fold

REMINDER_CHANNELS = tuple(vocabularies.REMINDER_CHANNELS)
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EDITABLE = ("first_name", "last_name", "phone", "email", "language", "reminder_channel", "sms_consent",
            "district_id", "notes")


class ResidentError(ValueError):
    """Refused resident data: `fields` maps each field at fault to a message for the user."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in fields.items()))
        self.fields = fields


def clean(data: Mapping[str, Any], current: Resident | None = None) -> dict[str, Any]:
    """Validate resident data (all of it for a creation, or the fields given for an update).

    Phone in any usual writing → E.164 with its mobile flag; `reminder_channel` `sms` needs a
    mobile and `email` an address. Raises ResidentError listing every field at fault.
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in EDITABLE:
        if name in data or current is None:
            _clean_field(name, data.get(name), values, errors)
    merged = {name: getattr(current, name) for name in ("phone_is_mobile", "email")} if current else {}
    merged.update(values)
    channel = values.get("reminder_channel", current.reminder_channel if current else "none")
    _check_channel(channel, merged, errors)
    if errors:
        raise ResidentError(errors)
    return values


TEXT_FIELDS = ("first_name", "last_name", "phone", "email", "language", "reminder_channel", "notes")


def _clean_field(name: str, raw: Any, values: dict[str, Any], errors: dict[str, str]) -> None:
    cleaner = _CLEANERS[name]
    if raw is not None and name in TEXT_FIELDS and not isinstance(raw, str):
        errors[name] = _("Give text.")
        return
    try:
        values.update(cleaner(raw))
    except ValueError as error:
        errors[name] = str(error)


def _name(field: str) -> Any:
    def cleaner(raw: Any) -> dict[str, Any]:
        text = " ".join(str(raw or "").split())
        if not text:
            raise ValueError(_("Enter the first name.") if field == "first_name" else _("Enter the last name."))
        if len(text) > 100:
            raise ValueError(_("100 characters at most."))
        return {field: text}

    return cleaner


def _phone(raw: Any) -> dict[str, Any]:
    text = str(raw or "").strip()
    if not text:
        return {"phone": None, "phone_is_mobile": False}
    try:
        info = parse_phone(text)
    except InvalidPhone:
        raise ValueError(_("This is not a valid phone number (for example 06 12 34 56 78).")) from None
    return {"phone": info.e164, "phone_is_mobile": info.is_mobile}


def _email(raw: Any) -> dict[str, Any]:
    text = str(raw or "").strip().lower()
    if text and (len(text) > 254 or not EMAIL_PATTERN.match(text)):
        raise ValueError(_("This is not a valid email address."))
    return {"email": text or None}


def _language(raw: Any) -> dict[str, Any]:
    text = str(raw or "fr").strip().lower()
    if not LANGUAGE_PATTERN.match(text) or not locale_exists(text):
        raise ValueError(_("Use a language code such as fr or en."))
    return {"language": text}


def _channel(raw: Any) -> dict[str, Any]:
    text = str(raw or "none").strip()
    if text not in REMINDER_CHANNELS:
        raise ValueError(_("Choose SMS, email or none (printed slip)."))
    return {"reminder_channel": text}


def _consent(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        raw = raw.strip().lower() in ("1", "true", "on", "yes", "oui", "y")
    if raw is not None and not isinstance(raw, bool):
        raise ValueError(_("Give true or false."))
    return {"sms_consent": bool(raw)}


def _district(raw: Any) -> dict[str, Any]:
    if raw is None or raw == "":
        return {"district_id": None}
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip().isdecimal():
        raise ValueError(_("Unknown district."))
    district_id = int(raw)
    if district_id > MAX_ID or db.session.get(District, district_id) is None:
        raise ValueError(_("Unknown district."))
    return {"district_id": district_id}


def _notes(raw: Any) -> dict[str, Any]:
    text = str(raw or "").strip()
    if len(text) > 500:
        raise ValueError(_("500 characters at most: keep notes short."))
    return {"notes": text}


_CLEANERS = {"first_name": _name("first_name"), "last_name": _name("last_name"), "phone": _phone,
             "email": _email, "language": _language, "reminder_channel": _channel, "sms_consent": _consent,
             "district_id": _district, "notes": _notes}


def _check_channel(channel: str, values: Mapping[str, Any], errors: dict[str, str]) -> None:
    if channel == "sms" and not values.get("phone_is_mobile") and "phone" not in errors:
        errors["reminder_channel"] = _("SMS reminders need a mobile phone number.")
    if channel == "email" and not values.get("email") and "email" not in errors:
        errors["reminder_channel"] = _("Email reminders need an email address.")


def create_resident(data: Mapping[str, Any], created_by: User | None = None) -> tuple[Resident, list[int]]:
    """Register a resident; return it and the ids of probable duplicates (never blocking).

    Raises ResidentError for invalid data.
    """
    values = clean(data)
    resident = Resident(**values, search_name=fold(f"{values['first_name']} {values['last_name']}"),
                        created_by_id=created_by.id if created_by else None)
    _stamp_consent(resident, values)
    duplicates = possible_duplicates(resident)
    db.session.add(resident)
    db.session.flush()
    return resident, duplicates


def update_resident(resident: Resident, data: Mapping[str, Any]) -> Resident:
    """Change some fields of a resident. A new phone number clears the old one's SMS problem; a
    changed channel or contact re-addresses the messages of upcoming appointments (outbox). Raises
    ResidentError for invalid data."""
    from inclusion_app.messaging import outbox  # messages follow the resident's contact details

    values = clean(data, current=resident)
    before = outbox.channel_for(resident)
    old_phone = resident.phone
    for name, value in values.items():
        setattr(resident, name, value)
    if resident.phone != old_phone:
        resident.sms_problem = resident.sms_problem_at = None  # the problem was the old number's
    resident.search_name = fold(f"{resident.first_name} {resident.last_name}")
    _stamp_consent(resident, values)
    db.session.flush()
    outbox.on_contact_changed(resident, before, utcnow())
    return resident


def _stamp_consent(resident: Resident, values: Mapping[str, Any]) -> None:
    if "sms_consent" in values:
        if values["sms_consent"] and resident.sms_consent_at is None:
            resident.sms_consent_at = utcnow()
        elif not values["sms_consent"]:
            resident.sms_consent_at = None


def _visible() -> sa.ColumnElement[bool]:
    return sa.and_(Resident.merged_into_id.is_(None), Resident.deleted_at.is_(None))


def possible_duplicates(resident: Resident) -> list[int]:
    """Ids of other visible residents with the same phone, the same email or the same folded name."""
    same = [Resident.search_name == resident.search_name]
    if resident.phone:
        same.append(Resident.phone == resident.phone)
    if resident.email:
        same.append(Resident.email == resident.email)
    query = sa.select(Resident.id).where(_visible(), sa.or_(*same)).order_by(Resident.id).limit(20)
    if resident.id is not None:
        query = query.where(Resident.id != resident.id)
    return list(db.session.scalars(query))


def duplicates_of_many(residents: list[Resident]) -> dict[int, list[int]]:
    """`possible_duplicates` for a page of residents in one query: id → ids of the others."""
    if not residents:
        return {}
    names = {resident.search_name for resident in residents}
    phones = {resident.phone for resident in residents if resident.phone}
    emails = {resident.email for resident in residents if resident.email}
    conditions = [Resident.search_name.in_(names)]
    conditions += [Resident.phone.in_(phones)] if phones else []
    conditions += [Resident.email.in_(emails)] if emails else []
    query = sa.select(Resident.id, Resident.search_name, Resident.phone, Resident.email).where(
        _visible(), sa.or_(*conditions)).order_by(Resident.id)
    by_key: dict[tuple[str, str], list[int]] = {}
    for other in db.session.execute(query):
        for key in (("name", other.search_name), ("phone", other.phone), ("email", other.email)):
            if key[1]:
                by_key.setdefault(key, []).append(other.id)
    return {resident.id: _matches(resident, by_key) for resident in residents}


def _matches(resident: Resident, by_key: dict[tuple[str, str], list[int]]) -> list[int]:
    keys = [("name", resident.search_name), ("phone", resident.phone or ""), ("email", resident.email or "")]
    ids = {other for key in keys for other in by_key.get(key, ()) if other != resident.id}
    return sorted(ids)[:20]


def search_query(text: str) -> sa.Select[tuple[Resident]]:
    """Visible residents matching `text`: a phone in any writing, or words of the name (accents,
    case and order ignored), by last name then first name."""
    query = sa.select(Resident).where(_visible()).order_by(Resident.last_name, Resident.first_name, Resident.id)
    text = text.strip()
    if not text:
        return query
    variants = phone_search_variants(text) if sum(char.isdigit() for char in text) >= 6 else []
    if variants:
        return query.where(Resident.phone.in_(variants))
    if not fold(text):  # only punctuation or symbols ("%", "'"): matches nobody, not everybody
        return query.where(sa.false())
    for word in fold(text).split():
        query = query.where(Resident.search_name.contains(word, autoescape=True))
    return query


def get_visible(resident_id: int) -> Resident | None:
    """The resident with this id unless merged away or deleted."""
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.merged_into_id is not None or resident.deleted_at is not None:
        return None
    return resident


class MergeConflict(ValueError):
    """The two residents hold overlapping appointments: merging would put one person in two places."""


def merge_residents(keep: Resident, other: Resident) -> Resident:
    """Merge `other` into `keep`: appointments, help sessions and walk-ins move to `keep` (so the
    reports count one person served), `keep`'s empty fields are filled from `other`, and `other`
    is hidden (merged_into_id), never deleted. Raises ValueError for the same resident twice, and
    MergeConflict when both hold overlapping appointments."""
    if keep.id == other.id:
        raise ValueError(_("Choose two different residents."))
    for name in ("phone", "email", "district_id"):
        if getattr(keep, name) is None and getattr(other, name) is not None:
            setattr(keep, name, getattr(other, name))
            if name == "phone":
                keep.phone_is_mobile = other.phone_is_mobile
    from inclusion_app.reports.facts import days_of, mark_dirty  # the reports count by the resident's district

    moved = db.session.scalars(sa.select(Appointment).where(Appointment.resident_id == other.id))
    mark_dirty(day for appointment in moved for day in days_of(appointment))
    mark_dirty(db.session.scalars(sa.select(HelpSession.date).where(HelpSession.resident_id == other.id)))
    for model in (HelpSession, WalkIn):
        db.session.execute(sa.update(model).where(model.resident_id == other.id).values(resident_id=keep.id)
                           .execution_options(synchronize_session=False))
    try:
        with db.session.begin_nested():
            db.session.execute(sa.update(Appointment).where(Appointment.resident_id == other.id)
                               .values(resident_id=keep.id).execution_options(synchronize_session=False))
    except sa.exc.IntegrityError:
        raise MergeConflict(_("These two residents have appointments at the same time: cancel one first.")) from None
    other.merged_into_id = keep.id
    db.session.flush()
    return keep


def to_json(resident: Resident, duplicates: list[int] | None = None) -> dict[str, Any]:
    """The API shape of a resident (DESIGN.md section 4)."""
    return {
        "id": resident.id, "first_name": resident.first_name, "last_name": resident.last_name,
        "phone": resident.phone, "phone_is_mobile": resident.phone_is_mobile, "email": resident.email,
        "language": resident.language, "reminder_channel": resident.reminder_channel,
        "sms_consent": resident.sms_consent, "district_id": resident.district_id, "notes": resident.notes,
        "possible_duplicates": duplicates if duplicates is not None else possible_duplicates(resident),
    }
