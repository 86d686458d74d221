"""Open data of help points in the national standard v1.0.2: CSV, JSON and GeoJSON.

Every active help point whose required fields are complete is published, with every field of the
standard in its order; internal data (district, structure, counsellors) never is. A help point
kept with a required field missing (an import can keep such a record) is left out until a manager
completes it, so that the file always validates against the schema.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.lieux.standard import FIELD_NAMES, missing_required, to_standard_row
from inclusion_app.models import HelpPoint

FORMATS = ("csv", "json", "geojson")
NUMBER_FIELDS = ("latitude", "longitude")


def published_records() -> Iterator[dict[str, Any]]:
    """The records to publish, by id: dicts in v1.0.2 field names (lists as lists, dates as dates)."""
    query = sa.select(HelpPoint).where(HelpPoint.is_active.is_(True)).order_by(HelpPoint.id)
    for help_point in db.session.scalars(query.execution_options(yield_per=500)):
        record = {name: getattr(help_point, name) for name in FIELD_NAMES if name != "id"}
        record["id"] = help_point.lieu_id
        if not missing_required(record):
            yield record


def _json_object(record: dict[str, Any]) -> dict[str, Any]:
    """One record as the standard's JSON: the CSV cells (lists joined with `|`), numbers as
    numbers, empty fields left out."""
    row = to_standard_row(record)
    data: dict[str, Any] = {name: row[name] for name in FIELD_NAMES if row[name] != ""}
    for name in NUMBER_FIELDS:
        if record.get(name) is not None:
            data[name] = record[name]
    return data


def to_csv() -> str:
    """The CSV file: header of every field in the standard's order, comma-separated, UTF-8."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(FIELD_NAMES), lineterminator="\n")
    writer.writeheader()
    for record in published_records():
        writer.writerow(to_standard_row(record))
    return buffer.getvalue()


def to_json_list() -> list[dict[str, Any]]:
    """The JSON file: a list of objects, one per help point."""
    return [_json_object(record) for record in published_records()]


def to_geojson() -> dict[str, Any]:
    """A GeoJSON FeatureCollection; a help point without coordinates has a null geometry."""
    features = []
    for record in published_records():
        has_point = record.get("latitude") is not None and record.get("longitude") is not None
        geometry = {"type": "Point", "coordinates": [record["longitude"], record["latitude"]]} if has_point else None
        features.append({"type": "Feature", "id": record["id"], "geometry": geometry,
                         "properties": _json_object(record)})
    return {"type": "FeatureCollection", "features": features}


def render(fmt: str) -> str:
    """The open-data file in `fmt` (`csv`, `json` or `geojson`) as text. Raises ValueError otherwise."""
    if fmt == "csv":
        return to_csv()
    if fmt == "json":
        return json.dumps(to_json_list(), ensure_ascii=False, indent=1)
    if fmt == "geojson":
        return json.dumps(to_geojson(), ensure_ascii=False)
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
