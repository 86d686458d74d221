"""API views: the current account, the OpenAPI description, public district data."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app, jsonify
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion_app.api import bp
from inclusion_app.extensions import limiter
from inclusion_app.lieux import export
from inclusion_app.models import ROLES
from inclusion_app.security import public, roles_required
from inclusion_app.territory.services import districts_feature_collection

OPENAPI_PATH = Path(__file__).with_name("openapi.json")


def _public_rate_limit() -> str:
    return str(current_app.config["PUBLIC_RATE_LIMIT"])


public_limit = limiter.limit(_public_rate_limit, key_func=get_remote_address)


@bp.route("/me")
@roles_required(*ROLES)
def me() -> Response:
    """The authenticated account: `{"id", "email", "name", "role", "structures": [names]}`."""
    return jsonify(
        id=current_user.id,
        email=current_user.email,
        name=current_user.name,
        role=current_user.role,
        structures=[structure.name for structure in current_user.structures],
    )


@bp.route("/openapi.json")
@public
@public_limit
def openapi() -> Response:
    """The OpenAPI 3 description of this API."""
    return jsonify(_openapi_spec())


@cache
def _openapi_spec() -> dict[str, Any]:
    """The OpenAPI file, read once per process."""
    spec: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return spec


@bp.route("/lieux")
@public
@public_limit
def lieux_json() -> Response:
    """Public open data: every published help point, national standard v1.0.2, as JSON."""
    return Response(export.render("json"), mimetype="application/json")


@bp.route("/lieux.csv")
@public
@public_limit
def lieux_csv() -> Response:
    """Public open data as the standard's CSV."""
    response = Response(export.render("csv"), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=lieux-mediation-numerique.csv"
    return response


@bp.route("/lieux.geojson")
@public
@public_limit
def lieux_geojson() -> Response:
    """Public open data as GeoJSON points (null geometry for a help point without coordinates)."""
    return Response(export.render("geojson"), mimetype="application/geo+json")


@bp.route("/districts.geojson")
@public
@public_limit
def districts_geojson() -> Response:
    """Public: every district as a GeoJSON Feature with `id`, `properties.name`, `properties.population`."""
    response = jsonify(districts_feature_collection())
    response.mimetype = "application/geo+json"
    return response
