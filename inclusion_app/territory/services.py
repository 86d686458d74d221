"""District import (GeoJSON) and publication. Services only flush."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import District

POLYGON_TYPES = {"Polygon", "MultiPolygon"}
DEMO_DATA = Path(__file__).resolve().parent.parent / "demo_data"
DEMO_DISTRICTS = DEMO_DATA / "territory" / "grand-poitiers-districts-approx.geojson"


class UnreadableGeoJSON(ValueError):
    """The file is not JSON, or not a GeoJSON FeatureCollection."""


@dataclass
class DistrictImportReport:
    """Counts of an import, and one `(feature index, field, reason)` per rejected feature."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)


def read_feature_collection(path: Path) -> list[dict[str, Any]]:
    """Return the features of a GeoJSON FeatureCollection file.

    Raises UnreadableGeoJSON when the file cannot be read, is not JSON or has no `features` list.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableGeoJSON(f"{path}: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise UnreadableGeoJSON(f"{path}: not a GeoJSON FeatureCollection")
    return data["features"]


def import_districts(
    features: list[dict[str, Any]], name_property: str = "name", population_property: str | None = None
) -> DistrictImportReport:
    """Upsert districts keyed on their name; every bad feature is reported, the good ones kept.

    A feature needs a non-empty `name_property` and a Polygon or MultiPolygon geometry; the
    population, when `population_property` is given, must be a non-negative integer (else it is
    left empty and reported).
    """
    report = DistrictImportReport()
    existing = {district.name: district for district in db.session.scalars(sa.select(District))}
    for index, feature in enumerate(features):
        values = _district_values(index, feature, name_property, population_property, report)
        if values is not None:
            _upsert(existing, values, report)
    db.session.flush()
    return report


def _district_values(
    index: int, feature: Any, name_property: str, population_property: str | None, report: DistrictImportReport
) -> dict[str, Any] | None:
    feature = feature if isinstance(feature, dict) else {}
    properties = feature.get("properties") or {}
    geometry = feature.get("geometry")
    name = str(properties.get(name_property) or "").strip()
    if not name:
        report.rejected.append((index, name_property, "missing name"))
        return None
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGON_TYPES:
        report.rejected.append((index, "geometry", "not a Polygon or MultiPolygon"))
        return None
    values = {
        "name": name[:200],
        "kind": properties.get("kind"),
        "code_insee": properties.get("code_insee"),
        "commune": properties.get("commune"),
        "geometry": json.dumps(geometry, separators=(",", ":")),
    }
    if population_property:
        values["population"] = _population(index, properties.get(population_property), population_property, report)
    return values


def _population(index: int, raw: Any, prop: str, report: DistrictImportReport) -> int | None:
    if raw in (None, ""):
        return None
    try:
        population = int(str(raw).replace(" ", ""))
    except ValueError:
        population = -1
    if population < 0:
        report.rejected.append((index, prop, f"population {raw!r} is not a non-negative integer; left empty"))
        return None
    return population


def _upsert(existing: dict[str, District], values: dict[str, Any], report: DistrictImportReport) -> None:
    district = existing.get(values["name"])
    if district is None:
        district = District(**values)
        db.session.add(district)
        existing[district.name] = district
        report.created += 1
        return
    changed = {key: value for key, value in values.items() if getattr(district, key) != value}
    for key, value in changed.items():
        setattr(district, key, value)
    if changed:
        report.updated += 1
    else:
        report.unchanged += 1


def districts_feature_collection() -> dict[str, Any]:
    """All districts as a GeoJSON FeatureCollection (DESIGN.md section 4, districts.geojson)."""
    rows = db.session.execute(
        sa.select(
            District.id, District.name, District.kind, District.code_insee, District.population, District.geometry
        ).order_by(District.name)
    ).all()
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": row.id,
                "properties": {"name": row.name, "kind": row.kind, "code_insee": row.code_insee,
                               "population": row.population},
                "geometry": json.loads(row.geometry),
            }
            for row in rows
        ],
    }


def list_districts() -> list[District]:
    """Every district, by name."""
    return list(db.session.scalars(sa.select(District).order_by(District.name)))
