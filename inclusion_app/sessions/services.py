"""Rules of help sessions (accompagnements) and of the unmet rights detected in them (issue 6).

Services only flush; the request commits. Input is the API JSON shape of DESIGN.md section 4
(the pages convert their form into it), validated in one place (`validation`, `links`, `rights`);
`SessionError.fields` names every field at fault by its API path. Who reads what (DESIGN.md
section 5): a counsellor reads their own sessions and those of their structures, and edits only
their own. Every change leaves a `HelpSessionChange` row: `created`, `updated` ({field: [old, new]}
with codes; free text is recorded as changed, never copied), `deleted`, `restored`.

Derived, never typed: `age_band` (La Coop's bands from the birth year, on the session's date);
`district_id` when not given (the linked resident's district, else the help point's);
`structure_id` (the help point's structure when the counsellor belongs to it, else the
counsellor's first structure); each right's `detected_on` (the session's date).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from inclusion_app.extensions import db
from inclusion_app.models import HelpPoint, Resident, User, user_structures
from inclusion_app.models.sessions import HelpSession, HelpSessionChange, UnmetRight
from inclusion_app.sessions import validation
from inclusion_app.sessions.fields import Checker
from inclusion_app.sessions.links import ALREADY_LOGGED, already_logged, clean_links
from inclusion_app.sessions.rights import clean_right, clean_rights, right_codes, right_to_dict

__all__ = ["SessionError", "age_band", "can_edit", "can_read", "create", "delete", "restore", "right_codes",
           "to_dict", "update", "update_right", "visible_sessions"]

logger = logging.getLogger(__name__)

# Free-text columns: an update records that they changed, never their text.
FREE_TEXT = {"precision", "referral_structure", "title", "commune_name", "notes"}
AUDITED = ("date", "duration_minutes", "type", "place_type", "help_point_id", "commune_code", "district_id",
           "themes", "procedures", "equipment", "autonomy", "outcome", "referral", "resident_id",
           "appointment_id", "walk_in_id", "birth_year", "gender", "social_status", "is_first_visit", "level",
           "participants", *sorted(FREE_TEXT - {"notes"}))
# (upper age limit exclusive, band) from La Coop's trancheAgeFromAnneeNaissance.
AGE_LIMITS = ((12, "moins_de_douze"), (18, "douze_dix_huit"), (25, "dix_huit_vingt_quatre"),
              (40, "vingt_cinq_trente_neuf"), (60, "quarante_cinquante_neuf"), (70, "soixante_soixante_neuf"))


class SessionError(ValueError):
    """Invalid values; `fields` maps API field paths ("duration_minutes", "unmet_rights.0.form",
    "profile.birth_year", "participants.total") to messages in the user's language."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(fields))
        self.fields = fields


def create(values: Mapping[str, Any], by: User, today: date) -> HelpSession:
    """Validate `values` (API JSON shape) and add a session logged by `by`; flush; audit
    `created`. `today` is the local date (no date after it). Raises SessionError."""
    columns, rights = _clean(values, by, today, None)
    session = HelpSession(counsellor_id=by.id, **columns)
    _derive(session, by)
    _set_rights(session, rights)
    _flush_once_per_link(session, add=True)
    _audit(session, "created", {}, by)
    logger.info("help session %s created by user %s", session.id, by.id)
    return session


def _flush_once_per_link(session: HelpSession, add: bool = False) -> None:
    """Flush in a savepoint; the database's unique indexes on the live sessions' appointment and
    walk-in (two counsellors saving at once) become a SessionError on that field."""
    try:
        with db.session.begin_nested():
            if add:
                db.session.add(session)
            db.session.flush()
    except sa.exc.IntegrityError as error:
        field = "walk_in_id" if "walk_in" in str(error.orig) else "appointment_id"
        raise SessionError({field: str(ALREADY_LOGGED[field])}) from None


def update(session: HelpSession, values: Mapping[str, Any], by: User, today: date) -> HelpSession:
    """Apply `values` over the session's current values (a partial PATCH or a whole form);
    `profile` and `participants` are merged key by key; `unmet_rights`, when given, is the new list (items with an
    `id` update that right, others are added, rights not listed are removed). A new resident or
    help point without a `district_id` derives the district again. Flush; audit the changed
    fields. Raises SessionError."""
    current = to_dict(session)
    merged = {**current, **values}
    for name in ("profile", "participants"):  # merged key by key: a form that shows a part keeps the rest
        if isinstance(values.get(name), Mapping) and isinstance(current.get(name), Mapping):
            merged[name] = {**current[name], **values[name]}
    if "unmet_rights" not in values:
        merged["unmet_rights"] = current["unmet_rights"]
    columns, rights = _clean(merged, by, today, session)
    if "district_id" not in values and (columns["resident_id"], columns["help_point_id"]) != (
            session.resident_id, session.help_point_id):
        columns["district_id"] = None  # derived again from the new resident or help point
    before = _snapshot(session)
    for name, value in columns.items():
        setattr(session, name, value)
    _derive(session, by)
    _set_rights(session, rights)
    _flush_once_per_link(session)
    changes = _diff(before, _snapshot(session))
    if changes:
        _audit(session, "updated", changes, by)
    return session


def delete(session: HelpSession, by: User, at: datetime) -> None:
    """Soft delete (the row stays, hidden from lists and reports); audit `deleted`; flush.
    Its appointment or walk-in may then be logged again."""
    session.deleted_at, session.deleted_by_id = at, by.id
    _audit(session, "deleted", {}, by, at)
    db.session.flush()


def restore(session: HelpSession, by: User, at: datetime) -> None:
    """Undo a soft delete; audit `restored`; flush. Raises SessionError on `appointment_id` or
    `walk_in_id` when another live session has been logged for it meanwhile."""
    for field in ALREADY_LOGGED:
        value = getattr(session, field)
        if value is not None and already_logged(field, value, session):
            raise SessionError({field: str(ALREADY_LOGGED[field])})
    session.deleted_at, session.deleted_by_id = None, None
    _audit(session, "restored", {}, by, at)
    db.session.flush()


def visible_sessions(user: User) -> sa.Select[tuple[HelpSession]]:
    """Sessions `user` may read, not deleted, newest first: their own and their structures'
    (DESIGN.md section 5). Other roles see none."""
    if user.role != "counsellor":
        return sa.select(HelpSession).where(sa.false())
    # The structure ids are read first: a literal list lets the database use both indexes (own
    # sessions, structures' sessions) instead of scanning every session (city scale: 500,000).
    structures = list(db.session.scalars(sa.select(user_structures.c.structure_id)
                                         .where(user_structures.c.user_id == user.id)))
    whose = (sa.or_(HelpSession.counsellor_id == user.id, HelpSession.structure_id.in_(structures)) if structures
             else HelpSession.counsellor_id == user.id)
    return (sa.select(HelpSession).where(HelpSession.deleted_at.is_(None), whose)
            .order_by(HelpSession.date.desc(), HelpSession.id.desc()))


def can_read(user: User, session: HelpSession) -> bool:
    """True when `user` (a counsellor) may read `session`: theirs or their structures', not deleted."""
    if user.role != "counsellor" or session.deleted_at is not None:
        return False
    return session.counsellor_id == user.id or session.structure_id in {s.id for s in user.structures}


def can_edit(user: User, session: HelpSession) -> bool:
    """True when `user` may edit, delete or restore `session`: their own sessions only."""
    return user.role == "counsellor" and session.counsellor_id == user.id


def to_dict(session: HelpSession) -> dict[str, Any]:
    """The API shape of DESIGN.md section 4: dates `YYYY-MM-DD`, `created_at`/`updated_at` ISO 8601
    in UTC, lists of codes, `participants` counts (null for an individual session)."""
    return {
        "id": session.id, "counsellor_id": session.counsellor_id, "structure_id": session.structure_id,
        "date": session.date.isoformat(), "duration_minutes": session.duration_minutes, "type": session.type,
        "place_type": session.place_type, "themes": list(session.themes or []),
        "help_point_id": session.help_point_id, "commune_code": session.commune_code,
        "commune_name": session.commune_name, "district_id": session.district_id,
        "procedures": list(session.procedures or []), "precision": session.precision or "",
        "equipment": list(session.equipment or []), "autonomy": session.autonomy, "outcome": session.outcome,
        "referral": session.referral, "referral_structure": session.referral_structure or "",
        "resident_id": session.resident_id, "appointment_id": session.appointment_id,
        "walk_in_id": session.walk_in_id,
        "profile": {"birth_year": session.birth_year, "gender": session.gender,
                    "social_status": session.social_status, "first_visit": session.is_first_visit},
        "age_band": session.age_band, "title": session.title or "", "level": session.level,
        "participants": session.participants,
        "unmet_rights": [right_to_dict(right) for right in session.unmet_rights],
        "created_at": _iso(session.created_at), "updated_at": _iso(session.updated_at),
    }


def age_band(birth_year: int | None, on: date) -> str:
    """La Coop's age band of someone born in `birth_year`, on the date `on`: age = year difference
    (the birth year alone is known); < 12, 12–17, 18–24, 25–39, 40–59, 60–69, 70 and over;
    `non_communique` without a birth year or with one after `on`. Source: La Coop de la médiation
    numérique, `trancheAgeFromAnneeNaissance`."""
    if birth_year is None or birth_year > on.year:
        return "non_communique"
    age = on.year - birth_year
    return next((band for limit, band in AGE_LIMITS if age < limit), "soixante_dix_plus")


def update_right(right: UnmetRight, values: Mapping[str, Any], by: User, today: date) -> UnmetRight:
    """Follow-up of an unmet right: `outcome`, `filed_on`, `opened_on`, `closed_on`, `follow_up_on`,
    `action`, `notes` over its current values (`deposee` without `filed_on`: filed today). Flush;
    audit an `updated` row on the session ({"unmet_rights.<id>.<field>": [old, new]}). Raises
    SessionError with paths such as `filed_on`."""
    check = Checker()
    current = right_to_dict(right)
    row = clean_right(check, {**current, **values}, "", right.detected_on, today, default_filed_on=today)
    if check.errors:
        raise SessionError({path.lstrip("."): message for path, message in check.errors.items()})
    changes = {f"unmet_rights.{right.id}.{name}": [current[name], _plain(value)]
               for name, value in row.items() if _plain(value) != current[name] and name != "notes"}
    for name, value in row.items():
        setattr(right, name, value)
    db.session.flush()
    if changes:
        _audit(right.session, "updated", changes, by)
    return right


def _clean(values: Mapping[str, Any], by: User, today: date,
           previous: HelpSession | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """All columns and rights from `values`, or SessionError with every field at fault."""
    if not isinstance(values, Mapping):
        raise SessionError({"body": _("Send a JSON object.")})
    check = Checker()
    columns = validation.clean_core(check, values, today)
    columns.update(validation.clean_place(check, values, columns["place_type"],
                                          previous.help_point_id if previous else None))
    columns.update(validation.clean_outcome(check, values))
    columns.update(validation.clean_profile(check, values, today))
    columns.update(validation.clean_workshop(check, values, columns["type"]))
    columns.update(clean_links(check, values, by, previous))
    existing = {right.id: right for right in previous.unmet_rights} if previous else {}
    rights = clean_rights(check, values.get("unmet_rights"), columns["date"], today, existing)
    if check.errors:
        raise SessionError(check.errors)
    return columns, rights


def _derive(session: HelpSession, by: User) -> None:
    """Age band, district (when not given) and structure, from the session's other values."""
    session.age_band = age_band(session.birth_year, session.date)
    point = db.session.get(HelpPoint, session.help_point_id) if session.help_point_id else None
    if session.district_id is None:
        resident = db.session.get(Resident, session.resident_id) if session.resident_id else None
        session.district_id = ((resident.district_id if resident else None)
                               or (point.district_id if point else None))
    mine = [structure.id for structure in by.structures]
    if point is not None and point.structure_id in mine:
        session.structure_id = point.structure_id
    elif session.structure_id not in mine:
        session.structure_id = mine[0] if mine else None


def _set_rights(session: HelpSession, rights: list[dict[str, Any]]) -> None:
    """Replace the session's rights by `rights` (kept rows updated in place); `detected_on` is
    the session's date."""
    existing = {right.id: right for right in session.unmet_rights}
    kept: list[UnmetRight] = []
    for row in rights:
        right = existing.get(row.pop("id")) or UnmetRight()
        for name, value in row.items():
            setattr(right, name, value)
        right.detected_on = session.date
        kept.append(right)
    session.unmet_rights = kept


RIGHT_AUDITED = ("right", "situation", "form", "reason", "action", "outcome", "filed_on", "opened_on", "closed_on",
                 "follow_up_on")


def _snapshot(session: HelpSession) -> dict[str, Any]:
    values = {name: _plain(getattr(session, name)) for name in AUDITED}
    # Every coded field of each right (never its notes): an edit of a reason or a date is audited.
    values["unmet_rights"] = sorted(
        ":".join(str(_plain(getattr(right, name)) or "") for name in RIGHT_AUDITED) for right in session.unmet_rights)
    return values


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} of the fields that changed; free text is shown as changed, not copied."""
    return {name: (["…", "…"] if name in FREE_TEXT else [before[name], after[name]])
            for name in after if before[name] != after[name]}


def _audit(session: HelpSession, action: str, changes: dict[str, Any], by: User,
           at: datetime | None = None) -> None:
    row = HelpSessionChange(session_id=session.id, action=action, changes=changes, changed_by_id=by.id)
    if at is not None:
        row.changed_at = at
    db.session.add(row)


def _plain(value: Any) -> Any:
    """A JSON-storable copy of a column value (dates as ISO text, lists copied)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
