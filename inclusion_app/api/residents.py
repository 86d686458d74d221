"""API of residents (DESIGN.md section 4): personal data, for counsellors, the phone line and admins."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion_app.api import bp
from inclusion_app.api.common import invalid, json_body, paginate
from inclusion_app.api.errors import ApiError
from inclusion_app.extensions import db
from inclusion_app.residents import services as residents
from inclusion_app.security import roles_required

PERSONAL_DATA = ("counsellor", "phone_agent", "admin")


@bp.route("/residents", methods=["GET"])
@roles_required(*PERSONAL_DATA)
def residents_list() -> Response:
    """Residents matching `?q=` (a phone in any writing, or name words, accents ignored), paginated."""
    query = residents.search_query(request.args.get("q", ""))
    page = paginate(query, lambda resident: resident)
    duplicates = residents.duplicates_of_many(page["items"])
    page["items"] = [residents.to_json(resident, duplicates[resident.id]) for resident in page["items"]]
    return jsonify(page)


@bp.route("/residents", methods=["POST"])
@roles_required(*PERSONAL_DATA)
def residents_create() -> tuple[Response, int]:
    """Register a resident; 201 with `possible_duplicates` listed (never blocking)."""
    try:
        resident, duplicates = residents.create_resident(json_body(), created_by=current_user)
    except residents.ResidentError as error:
        raise invalid(error.fields) from error
    db.session.commit()
    return jsonify(residents.to_json(resident, duplicates)), 201


def _resident_or_404(resident_id: int) -> Any:
    resident = residents.get_visible(resident_id)
    if resident is None:
        raise ApiError(404, "not_found", _("This resident does not exist (or was merged or deleted)."))
    return resident


@bp.route("/residents/<int:resident_id>", methods=["GET"])
@roles_required(*PERSONAL_DATA)
def residents_get(resident_id: int) -> Response:
    """One resident."""
    return jsonify(residents.to_json(_resident_or_404(resident_id)))


@bp.route("/residents/<int:resident_id>", methods=["PATCH"])
@roles_required(*PERSONAL_DATA)
def residents_update(resident_id: int) -> Response:
    """Change some fields of a resident."""
    resident = _resident_or_404(resident_id)
    try:
        residents.update_resident(resident, json_body())
    except residents.ResidentError as error:
        raise invalid(error.fields) from error
    db.session.commit()
    return jsonify(residents.to_json(resident))
