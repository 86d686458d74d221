"""Rules of the managers' help-point pages: check, create, update, deactivate, merge, dismiss.

A help point typed in a form is checked by `standard.normalise_record`, exactly as the importer
checks a file (national standard v1.0.2). What the importer repairs silently is, on a form, an
error for the manager to fix (a phone number that is not valid is refused, not cleared), except
the harmless normalisations of `HARMLESS_REPAIRS`. Services only flush; the route commits.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from inclusion_app.extensions import db
from inclusion_app.lieux import standard
from inclusion_app.models import HelpPoint, HelpPointDuplicate, Structure, User
from inclusion_app.models.types import utcnow
from inclusion_app.territory.services import assign_district

logger = logging.getLogger(__name__)

HELP_POINTS_PER_PAGE = 25
DUPLICATES_PER_PAGE = 10
#: Repairs that only rewrite what was typed in its standard form; any other repair is an error.
HARMLESS_REPAIRS = frozenset({"phone_reformatted", "pivot_missing", "id_generated", "url_repaired", "date_defaulted"})
#: Flagged issues that a form refuses (an import keeps the record and reports them).
REFUSED_FLAGS = frozenset({"hours_invalid", "required_missing"})
#: List fields of the model (JSON lists): the standard's pipe-separated lists.
MODEL_LIST_FIELDS = standard.LIST_FIELDS
#: Scalar fields a merge copies into the kept help point when it has none (coordinates go as a pair).
MERGE_SCALAR_FIELDS = tuple(
    name for name in standard.FIELD_NAMES
    if name not in MODEL_LIST_FIELDS and name not in {"id", "nom", "pivot", "latitude", "longitude", "date_maj"}
)  # fmt: skip
#: Form fields named differently from the standard's.
ISSUE_FIELDS = {"id": "lieu_id"}
_ACTION_SEPARATORS = {"fr": " : ", "en": ": "}


class DuplicateAlreadyResolved(Exception):
    """The pair was merged or dismissed meanwhile."""


@dataclass
class CheckedHelpPoint:
    """The result of `check_help_point`: the normalised record (None when refused) and the errors
    per form field (`lieu_id` for the standard's `id`), in the user's language."""

    record: standard.LieuRecord | None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, field_name: str, message: str) -> None:
        messages = self.errors.setdefault(field_name, [])
        if message not in messages:
            messages.append(message)


def local_today() -> date:
    """Today's date in the service's time zone (config `TIMEZONE`, Europe/Paris by default)."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def check_help_point(values: Mapping[str, Any], lang: str, help_point: HelpPoint | None = None) -> CheckedHelpPoint:
    """Check what a manager typed (the standard's field names, see `HelpPointForm.standard_values`).

    `lang` is "fr" or "en" (the messages of `standard.Issue`). `help_point` is the one being edited,
    None for a new one. Errors: every issue of `normalise_record` but `HARMLESS_REPAIRS` and flags
    other than `REFUSED_FLAGS`; a coordinate given without the other; an id used by another help point.
    """
    raw = dict(values)
    name_missing = not _filled(raw.get("nom"))
    if name_missing:
        raw["nom"] = "-"  # so that the other fields are checked in the same pass
    one_coordinate = _check_coordinates_pair(raw)
    if one_coordinate:
        raw["latitude"] = raw["longitude"] = None
    record, issues = standard.normalise_record(raw, today=local_today())
    checked = CheckedHelpPoint(record)
    if name_missing:
        checked.add("nom", _("Enter the name of the help point."))
    if one_coordinate:
        checked.add(one_coordinate, _("Enter both the latitude and the longitude, or neither."))
    for issue in issues:
        target = _form_field(issue.field)
        if issue.code == "required_missing" and target in checked.errors:
            continue  # a value typed but refused above: its own message says why
        if is_refused(issue, raw):
            checked.add(target, form_message(issue, lang))
    if record is not None and not checked.errors:
        _check_identifier_is_free(record, raw, help_point, checked)
    if checked.errors:
        checked.record = None
    return checked


def is_refused(issue: standard.Issue, raw: Mapping[str, Any]) -> bool:
    """True when `issue` makes a typed help point wrong (see the module's docstring).

    A postcode or INSEE code whose only repair was removing spaces or upper-casing is harmless.
    """
    if issue.severity == standard.REJECTED:
        return True
    if issue.severity == standard.FLAGGED:
        return issue.code in REFUSED_FLAGS
    if issue.code == "code_repaired":
        return re.sub(r"\s", "", str(raw.get(issue.field) or "")).upper() != issue.params.get("repaired")
    return issue.code not in HARMLESS_REPAIRS


def form_message(issue: standard.Issue, lang: str) -> str:
    """The issue's message in `lang`, without the import's action (": cleared", ": kept as text"…),
    since a form keeps what was typed: `"phone number not valid: cleared"` → `"Phone number not valid."`.
    The parser's technical detail of invalid hours is left out (the form shows an example instead)."""
    text = issue.message(lang)
    head, separator, _action = text.rpartition(_ACTION_SEPARATORS.get(lang, ": "))
    text = head if separator else text
    if issue.code == "hours_invalid":
        text = re.sub(r"\s*\([^()]*\)$", "", text)
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "…", "?", "!")) else text + "."


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _check_coordinates_pair(raw: Mapping[str, Any]) -> str | None:
    """The coordinate left empty when only the other one is typed, else None."""
    latitude, longitude = _filled(raw.get("latitude")), _filled(raw.get("longitude"))
    if latitude == longitude:
        return None
    return "longitude" if latitude else "latitude"


def _form_field(issue_field: str) -> str:
    """The form field showing an issue: `lieu_id` for the standard's `id`, the name for any other
    issue not tied to a field of the standard."""
    if issue_field not in standard.FIELD_NAMES:
        return "nom"
    return ISSUE_FIELDS.get(issue_field, issue_field)


def _check_identifier_is_free(
    record: standard.LieuRecord, raw: Mapping[str, Any], help_point: HelpPoint | None, checked: CheckedHelpPoint
) -> None:
    query = sa.select(HelpPoint.nom).where(HelpPoint.lieu_id == record["id"])
    if help_point is not None:
        query = query.where(HelpPoint.id != help_point.id)
    other_name = db.session.scalar(query.limit(1))
    if other_name is None:
        return
    if _filled(raw.get("id")):
        checked.add("lieu_id", _("This identifier is already used by the help point %(name)s.", name=other_name))
    else:
        checked.add("nom", _("A help point with this name and address already exists: %(name)s.", name=other_name))


def save_help_point(help_point: HelpPoint | None, record: standard.LieuRecord, local: Mapping[str, Any]) -> HelpPoint:
    """Create (`help_point` None) or update a help point from a checked record and local data.

    `local`: `structure_id` (int or None), `counsellor_ids` (list of user ids), `is_active` (bool).
    The district is then set from the coordinates. Flushes; the unique `lieu_id` is held by the
    database (IntegrityError on a race with another save).
    """
    if help_point is None:
        help_point = HelpPoint()
        db.session.add(help_point)
    apply_record(help_point, record)
    help_point.structure_id = local.get("structure_id")
    help_point.counsellors = _counsellors(local.get("counsellor_ids") or [])
    help_point.is_active = bool(local.get("is_active", True))
    help_point.edited_at = utcnow()
    db.session.flush()
    assign_district(help_point)
    db.session.flush()
    logger.info("help point %s saved from the management form", help_point.id)
    return help_point


def apply_record(help_point: HelpPoint, record: standard.LieuRecord) -> None:
    """Copy a normalised record (`standard.normalise_record`) into the model's fields."""
    for name in standard.FIELD_NAMES:
        value = record.get(name)
        if name == "id":
            help_point.lieu_id = str(value)
        elif name in MODEL_LIST_FIELDS:
            setattr(help_point, name, list(value or []))
        else:
            setattr(help_point, name, value)
    help_point.has_valid_hours = True  # a form refuses hours that are not valid


def _counsellors(user_ids: list[int]) -> list[User]:
    if not user_ids:
        return []
    return list(db.session.scalars(sa.select(User).where(User.id.in_(user_ids)).order_by(User.name)))


def set_active(help_point: HelpPoint, is_active: bool) -> None:
    """Deactivate (hidden from the public map and the open data; nothing deleted) or reactivate."""
    help_point.is_active = is_active
    db.session.flush()


def help_points_page(search: str | None, page: int, per_page: int = HELP_POINTS_PER_PAGE) -> Pagination:
    """Every help point, inactive ones included, by name; `search` matches (case-insensitively) a
    part of the name, address, postcode, commune or identifier."""
    query = (sa.select(HelpPoint).options(joinedload(HelpPoint.district))
             .order_by(sa.func.lower(HelpPoint.nom), HelpPoint.id))
    if search and search.strip():
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", search.strip()) + "%"
        columns = (HelpPoint.nom, HelpPoint.adresse, HelpPoint.code_postal, HelpPoint.commune, HelpPoint.lieu_id)
        query = query.where(sa.or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def structure_choices() -> list[tuple[int, str]]:
    """Every structure as (id, name), by name."""
    return [(row.id, row.name) for row in db.session.execute(sa.select(Structure.id, Structure.name)
                                                             .order_by(Structure.name))]


def counsellor_choices(help_point: HelpPoint | None = None) -> list[tuple[int, str]]:
    """Active counsellors as (id, name), by name, plus those already at `help_point` (kept on save)."""
    condition = sa.and_(User.role == "counsellor", User.is_active.is_(True))
    current = [user.id for user in help_point.counsellors] if help_point is not None else []
    if current:
        condition = sa.or_(condition, User.id.in_(current))
    rows = db.session.execute(sa.select(User.id, User.name).where(condition).order_by(User.name, User.id))
    return [(row.id, row.name) for row in rows]


def open_duplicates_page(page: int, per_page: int = DUPLICATES_PER_PAGE) -> Pagination:
    """Probable duplicates still to decide (status `open`), oldest first, both help points loaded."""
    query = (
        sa.select(HelpPointDuplicate)
        .where(HelpPointDuplicate.status == "open")
        .options(joinedload(HelpPointDuplicate.help_point), joinedload(HelpPointDuplicate.other))
        .order_by(HelpPointDuplicate.created_at, HelpPointDuplicate.id)
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def open_duplicates_count() -> int:
    """How many probable duplicate pairs are still to decide."""
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(HelpPointDuplicate).where(HelpPointDuplicate.status == "open")
    )
    return int(count or 0)


def dismiss_duplicate(duplicate: HelpPointDuplicate) -> None:
    """Mark an open pair as not the same place (`dismissed`). Raises DuplicateAlreadyResolved."""
    _resolve(duplicate, "dismissed")
    db.session.flush()


def merge_duplicate(duplicate: HelpPointDuplicate, keep_id: int) -> HelpPoint:
    """Merge an open pair into the help point `keep_id` (one of the two) and return it.

    The kept point gets every list value of the other it lacks, each of its empty fields that the
    other fills (coordinates as a pair, a real SIRET/RNA over 00000000000000, the structure) and the
    other's counsellors; its `date_maj` becomes today. The other is deactivated, nothing is deleted,
    and the pair is marked `merged`. Raises ValueError when `keep_id` is not in the pair, and
    DuplicateAlreadyResolved when the pair is no longer open.
    """
    if keep_id not in (duplicate.help_point_id, duplicate.other_id):
        raise ValueError(f"help point {keep_id} is not in duplicate pair {duplicate.id}")
    _resolve(duplicate, "merged")
    kept, absorbed = (
        (duplicate.help_point, duplicate.other) if keep_id == duplicate.help_point_id
        else (duplicate.other, duplicate.help_point)
    )  # fmt: skip
    moved_place = copy_missing_values(kept, absorbed)
    kept.counsellors = kept.counsellors + [user for user in absorbed.counsellors if user not in kept.counsellors]
    absorbed.counsellors = []
    absorbed.is_active = False
    kept.date_maj = local_today()
    kept.edited_at = utcnow()
    db.session.flush()
    if moved_place:
        assign_district(kept)
        db.session.flush()
    logger.info("duplicate %s merged: help point %s kept, %s deactivated", duplicate.id, kept.id, absorbed.id)
    return kept


def _resolve(duplicate: HelpPointDuplicate, status: str) -> None:
    if duplicate.status != "open":
        raise DuplicateAlreadyResolved(duplicate.id)
    duplicate.status = status
    duplicate.resolved_at = utcnow()


def copy_missing_values(kept: HelpPoint, other: HelpPoint) -> bool:
    """Copy into `kept` the list values and the filled fields of `other` that it lacks (see
    `merge_duplicate`); True when the coordinates were copied (the district must be set again)."""
    for name in sorted(MODEL_LIST_FIELDS):
        current = list(getattr(kept, name) or [])
        extra = [value for value in getattr(other, name) or [] if value not in current]
        if extra:
            setattr(kept, name, current + extra)  # a new list: JSON columns track assignment only
    for name in MERGE_SCALAR_FIELDS:
        if not _filled(getattr(kept, name)) and _filled(getattr(other, name)):
            setattr(kept, name, getattr(other, name))
            if name == "horaires":
                kept.has_valid_hours = other.has_valid_hours
    if kept.pivot in (None, "", standard.PIVOT_UNKNOWN) and other.pivot not in (None, "", standard.PIVOT_UNKNOWN):
        kept.pivot = other.pivot
    if kept.structure_id is None:
        kept.structure_id = other.structure_id
    if kept.is_mapped or not other.is_mapped:
        return False
    kept.latitude, kept.longitude = other.latitude, other.longitude
    return True


def duplicate_for_merge(duplicate_id: int) -> HelpPointDuplicate | None:
    """The pair with both help points and their counsellors loaded, or None."""
    return db.session.scalar(
        sa.select(HelpPointDuplicate)
        .where(HelpPointDuplicate.id == duplicate_id)
        .options(
            joinedload(HelpPointDuplicate.help_point).selectinload(HelpPoint.counsellors),
            joinedload(HelpPointDuplicate.other).selectinload(HelpPoint.counsellors),
        )
    )
