"""Charts drawn on the server as small SVG (no charting JavaScript): bars and a choropleth map.

Each chart is decoration beside its data table, which stays the accessible source of the figures.
The map projects longitude/latitude with an equirectangular projection scaled by the cosine of
the mean latitude (good enough at a city's scale) and simplifies polygons (shapely, tolerance
about 30 m) so that 24 districts weigh a few kilobytes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from inclusion_app.extensions import db
from inclusion_app.models import District
from inclusion_app.reports.tables import Table, cell_text

MAP_WIDTH = 600
CLASSES = 5
TOLERANCE_DEGREES = 0.0003


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value as text, and its width in percent of the longest (0 for a
    hidden or missing value)."""

    label: str
    text: str
    percent: float


def bars(table: Table) -> list[Bar]:
    """The bars of a table's chart column (empty when the table has no chart)."""
    if not table.chart:
        return []
    values = table.column(table.chart)
    labels = [row[0] for row in table.rows]
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    top = max(numbers, default=0) or 1
    return [Bar(str(label), cell_text(value), round(100 * value / top, 1) if value in numbers else 0.0)
            for label, value in zip(labels, values, strict=True)]


@dataclass(frozen=True)
class Area:
    """A district on the map: SVG path data, its colour class (0–4, or -1 without a figure), title."""

    path: str
    level: int
    title: str


@dataclass(frozen=True)
class ChoroplethMap:
    """The map: its areas, the SVG height for MAP_WIDTH, and the legend as (class, text) pairs."""

    areas: list[Area]
    height: int
    legend: list[tuple[int, str]]


def choropleth(rows: list[dict[str, Any]], indicator: str) -> ChoroplethMap | None:
    """A choropleth of the coverage rows on `indicator`, in CLASSES quantile classes; None when
    no district has a polygon."""
    geometries = _geometries()
    shapes = {row["district_id"]: geometries[row["district_id"]] for row in rows if row["district_id"] in geometries}
    if not shapes:
        return None
    project, height = _projection(list(shapes.values()))
    values = [row[indicator] for row in rows if row["district_id"] in shapes]
    bounds = _breaks([v for v in values if _is_number(v)])
    areas = [Area(_path(shapes[row["district_id"]], project), _level(row[indicator], bounds),
                  f"{row['name']} : {cell_text(row[indicator]) or '—'}")
             for row in rows if row["district_id"] in shapes]
    legend = [(index, f"{low:g} – {high:g}") for index, (low, high) in enumerate(bounds)]
    return ChoroplethMap(areas, height, legend)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _geometries() -> dict[int, BaseGeometry]:
    rows = db.session.execute(sa.select(District.id, District.geometry))
    return {district_id: shape(json.loads(text)).simplify(TOLERANCE_DEGREES) for district_id, text in rows}


def _projection(shapes: list[BaseGeometry]) -> tuple[Any, int]:
    min_x = min(s.bounds[0] for s in shapes)
    min_y = min(s.bounds[1] for s in shapes)
    max_x = max(s.bounds[2] for s in shapes)
    max_y = max(s.bounds[3] for s in shapes)
    stretch = math.cos(math.radians((min_y + max_y) / 2))
    scale = MAP_WIDTH / max((max_x - min_x) * stretch, 1e-9)
    height = math.ceil((max_y - min_y) * scale) or 1

    def project(x: float, y: float) -> tuple[float, float]:
        return round((x - min_x) * stretch * scale, 1), round((max_y - y) * scale, 1)

    return project, height


def _path(geometry: BaseGeometry, project: Any) -> str:
    polygons = list(geometry.geoms) if hasattr(geometry, "geoms") else [geometry]
    parts = []
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            points = [project(x, y) for x, y, *_rest in ring.coords]
            parts.append("M" + "L".join(f"{x:g} {y:g}" for x, y in points) + "Z")
    return "".join(parts)


def _breaks(values: list[float]) -> list[tuple[float, float]]:
    """Up to CLASSES (low, high) quantile classes of the published values."""
    if not values:
        return []
    ordered = sorted(values)
    cuts = sorted({ordered[min(len(ordered) - 1, (len(ordered) * k) // CLASSES)] for k in range(1, CLASSES)})
    edges = [ordered[0], *[c for c in cuts if ordered[0] < c < ordered[-1]], ordered[-1]]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)] or [(ordered[0], ordered[0])]


def _level(value: Any, bounds: list[tuple[float, float]]) -> int:
    if not _is_number(value) or not bounds:
        return -1
    for index, (_low, high) in enumerate(bounds):
        if value <= high:
            return index
    return len(bounds) - 1
