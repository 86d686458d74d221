"""District import (GeoJSON) and publication. Services only flush."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity, make_valid

from inclusion_app.extensions import db
from inclusion_app.models import District, HelpPoint
from inclusion_app.text import fold

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
    problem = _geometry_problem(geometry)
    if problem:
        report.rejected.append((index, "geometry", problem))
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


def _geometry_problem(geometry: dict[str, Any]) -> str | None:
    """Why a GeoJSON polygon cannot be used (unreadable, empty, invalid), or None."""
    try:
        polygon = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError) as error:
        return f"unreadable coordinates ({error})"
    if polygon.is_empty:
        return "empty polygon"
    if not polygon.is_valid:
        return f"invalid polygon: {explain_validity(polygon)}"
    return None


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
    return sorted(db.session.scalars(sa.select(District)), key=lambda district: fold(district.name))


class DistrictLocator:
    """Finds the district containing a point, with shapely and an STR-tree over the polygons.

    Built once from every district (a few dozen polygons): `locate(longitude, latitude)` answers
    the district id, or None when no polygon contains the point (outside the territory).
    """

    def __init__(self, districts: list[tuple[int, str]]) -> None:
        self._ids = [district_id for district_id, _ in districts]
        self._shapes: list[BaseGeometry] = [_usable_shape(geometry) for _, geometry in districts]
        self._tree = STRtree(self._shapes)

    @classmethod
    def from_database(cls) -> DistrictLocator:
        """A locator over every district in the database."""
        rows = db.session.execute(sa.select(District.id, District.geometry).order_by(District.id)).tuples()
        return cls(list(rows))

    def locate(self, longitude: float, latitude: float) -> int | None:
        """The id of the district whose polygon contains the point (WGS 84 degrees), or None."""
        point = Point(longitude, latitude)
        for index in self._tree.query(point, predicate="intersects"):
            return self._ids[int(index)]
        return None


def _usable_shape(geometry_json: str) -> BaseGeometry:
    polygon = shape(json.loads(geometry_json))
    return polygon if polygon.is_valid else make_valid(polygon)


def assign_district(help_point: HelpPoint, locator: DistrictLocator | None = None) -> None:
    """Set `district_id` and `is_outside_territory` of a help point from its coordinates.

    Without coordinates the point has no district and is not said to be outside (it is unmapped).
    """
    if help_point.latitude is None or help_point.longitude is None:
        help_point.district_id, help_point.is_outside_territory = None, False
        return
    locator = locator or DistrictLocator.from_database()
    help_point.district_id = locator.locate(help_point.longitude, help_point.latitude)
    help_point.is_outside_territory = help_point.district_id is None


def assign_all_help_points() -> int:
    """Re-assign every help point to its district (after districts change); return how many moved."""
    locator = DistrictLocator.from_database()
    moved = 0
    for help_point in db.session.scalars(sa.select(HelpPoint)):
        before = (help_point.district_id, help_point.is_outside_territory)
        assign_district(help_point, locator)
        moved += before != (help_point.district_id, help_point.is_outside_territory)
    db.session.flush()
    return moved
