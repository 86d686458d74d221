"""API of help sessions (DESIGN.md section 4) and of the code lists (`/vocabularies`).

Help sessions are for counsellors only (DESIGN.md section 5): a counsellor reads their own
sessions and their structures', and writes their own. A session the user cannot read is a 404.
`PATCH` is partial: fields not sent keep their value; `profile` is merged key by key;
`unmet_rights`, when sent, is the whole new list, where an item carrying the `id` of one of the
session's rights updates that right (fields not sent are kept), an item without `id` adds a right,
and a right left out is removed. `DELETE` soft-deletes (204); the row stays in the audit trail.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from inclusion_app import vocabularies as v
from inclusion_app.api import bp
from inclusion_app.api.common import invalid, json_body, paginate, parse_date
from inclusion_app.api.errors import ApiError
from inclusion_app.extensions import db
from inclusion_app.models import ROLES
from inclusion_app.models.sessions import HelpSession
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.slots import local_date
from inclusion_app.security import roles_required
from inclusion_app.sessions import services

COUNSELLOR = ("counsellor",)
VOCABULARIES = {
    "session_types": v.SESSION_TYPES, "place_types": v.PLACE_TYPES, "themes": v.THEMES,
    "procedures": v.PROCEDURES, "equipment": v.EQUIPMENT, "autonomy": v.AUTONOMY,
    "session_outcomes": v.SESSION_OUTCOMES, "referrals": v.REFERRALS, "workshop_levels": v.WORKSHOP_LEVELS,
    "genders": v.GENDERS, "social_statuses": v.SOCIAL_STATUSES, "age_bands": v.AGE_BANDS,
    "right_situations": v.RIGHT_SITUATIONS, "non_take_up_forms": v.NON_TAKE_UP_FORMS,
    "non_take_up_reasons": v.NON_TAKE_UP_REASONS, "right_actions": v.RIGHT_ACTIONS,
    "right_outcomes": v.RIGHT_OUTCOMES, "modes": v.MODES, "needs": v.NEEDS,
    "appointment_statuses": v.APPOINTMENT_STATUSES, "reminder_channels": v.REMINDER_CHANNELS,
}


def json_list_holds(column: Any, code: str) -> sa.ColumnElement[bool]:
    """True when a JSON list of codes holds `code` (portable: the list's text holds `"code"`)."""
    return sa.cast(column, sa.Text).contains(f'"{code}"', autoescape=True)


def _filtered(query: sa.Select[tuple[HelpSession]]) -> sa.Select[tuple[HelpSession]]:
    """Apply `?date_from=&date_to=&type=&theme=` (dates inclusive); unknown codes are a 400."""
    args = request.args
    if args.get("date_from"):
        query = query.where(HelpSession.date >= parse_date(args["date_from"], "date_from"))
    if args.get("date_to"):
        query = query.where(HelpSession.date <= parse_date(args["date_to"], "date_to"))
    for name, vocabulary in (("type", v.SESSION_TYPES), ("theme", v.THEMES)):
        if args.get(name) and args[name] not in vocabulary:
            raise invalid({name: _("Unknown code: choose one of the listed values.")})
    if args.get("type"):
        query = query.where(HelpSession.type == args["type"])
    if args.get("theme"):
        query = query.where(json_list_holds(HelpSession.themes, args["theme"]))
    return query


def _session_or_404(session_id: int) -> HelpSession:
    session = db.session.get(HelpSession, session_id)
    if session is None or not services.can_read(current_user, session):
        raise ApiError(404, "not_found", _("This help session does not exist."))
    return session


def _editable(session_id: int) -> HelpSession:
    session = _session_or_404(session_id)
    if not services.can_edit(current_user, session):
        raise ApiError(403, "forbidden", _("Only the counsellor who logged this session may change it."))
    return session


@bp.route("/help-sessions", methods=["GET"])
@roles_required(*COUNSELLOR)
def help_sessions_list() -> Response:
    """The sessions the counsellor may read, newest first, paginated and filtered."""
    query = _filtered(services.visible_sessions(current_user)).options(selectinload(HelpSession.unmet_rights))
    return jsonify(paginate(query, services.to_dict))


@bp.route("/help-sessions", methods=["POST"])
@roles_required(*COUNSELLOR)
def help_sessions_create() -> tuple[Response, int]:
    """Log a session; 201 with the session, or 400 naming every field at fault."""
    try:
        session = services.create(json_body(), current_user, local_date(utcnow()))
    except services.SessionError as error:
        raise invalid(error.fields) from error
    db.session.commit()
    return jsonify(services.to_dict(session)), 201


@bp.route("/help-sessions/<int:session_id>", methods=["GET"])
@roles_required(*COUNSELLOR)
def help_sessions_get(session_id: int) -> Response:
    """One session."""
    return jsonify(services.to_dict(_session_or_404(session_id)))


@bp.route("/help-sessions/<int:session_id>", methods=["PATCH"])
@roles_required(*COUNSELLOR)
def help_sessions_update(session_id: int) -> Response:
    """Change some fields of one's own session (see the module docstring for `unmet_rights`)."""
    session = _editable(session_id)
    try:
        services.update(session, json_body(), current_user, local_date(utcnow()))
    except services.SessionError as error:
        raise invalid(error.fields) from error
    db.session.commit()
    return jsonify(services.to_dict(session))


@bp.route("/help-sessions/<int:session_id>", methods=["DELETE"])
@roles_required(*COUNSELLOR)
def help_sessions_delete(session_id: int) -> tuple[str, int]:
    """Soft-delete one's own session; 204."""
    services.delete(_editable(session_id), current_user, utcnow())
    db.session.commit()
    return "", 204


def _labelled(codes: dict[str, Any]) -> list[dict[str, str]]:
    """[{"code", "label_fr", "label_en"}] in the list's order."""
    labels: dict[str, dict[str, str]] = {code: {"code": code} for code in codes}
    for language in ("fr", "en"):
        with force_locale(language):
            for code, label in codes.items():
                labels[code][f"label_{language}"] = str(label)
    return list(labels.values())


@bp.route("/vocabularies", methods=["GET"])
@roles_required(*ROLES)
def vocabularies() -> Response:
    """Every code list with its French and English labels: {"themes": [{"code", "label_fr",
    "label_en"}], …}; `rights` includes the city's own (`UNMET_RIGHTS_EXTRA`)."""
    lists = {name: _labelled(codes) for name, codes in VOCABULARIES.items()}
    lists["rights"] = _labelled(services.right_codes())
    return jsonify(lists)
