"""District × code grids: one suppression for the territory and every district filter.

A breakdown published for the territory (sessions by outcome, say) is the sum of the same
breakdown in each district, and each district can be asked for alone with the district filter.
Suppressed one request at a time, the territory's figure minus the other districts' would give
a district's hidden cell back. So a breakdown is suppressed once, as a grid of every district
(rows, then `None` for what lies in no district) by code (columns): the territory reads the
column totals, a district filter its row. Row totals shared with another table (sessions by
district in the coverage report, rights detected by district) are passed as `margins` and taken
as published there (`reports.suppression.Grid`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import District
from inclusion_app.reports import facts
from inclusion_app.reports.suppression import Count, Grid, grid_from, series

Cells = dict[tuple[Any, str], int]


def codes_found(known: Iterable[str], found: Iterable[Any]) -> list[str]:
    """The vocabulary's codes, then any other code found in the data (keys `code` or
    `(district, code)`), so that a breakdown's lines add up to its total."""
    extra = (key[1] if isinstance(key, tuple) else key for key in found)
    return list(dict.fromkeys([*known, *extra]))


def district_keys() -> list[Any]:
    """Every district id, by name, then None (residents without a district, places outside any)."""
    return [*db.session.scalars(sa.select(District.id).order_by(District.name)), None]


def read_by_district(f: Any, metrics: Sequence[str]) -> dict[str, Cells]:
    """True counts of the territory in the period of `f` (its district filter ignored):
    {metric: {(district id or None, code): value}}."""
    cells: dict[str, Cells] = {metric: defaultdict(int) for metric in metrics}
    for (district, metric, code), value in facts.read(replace(f, district_id=None), metrics, by_district=True).items():
        cells[metric][(district or None, code)] += value
    return cells


def read_months_by_district(f: Any, metric: str) -> Cells:
    """{(district id or None, "YYYY-MM"): value} of one metric over the territory in the period."""
    months = facts.read_months(replace(f, district_id=None), metric, by_district=True)
    return {(district or None, month): value for (district, month), value in months.items()}


def margins(by_district: Mapping[Any, Count], total: Count) -> dict[Any, Count]:
    """Grid margins from a published series by district and its total."""
    return {**{("row", key): shown for key, shown in by_district.items()}, "total": total}


def district_series(cells: Cells, keys: Sequence[Any]) -> tuple[dict[Any, Count], Count]:
    """A count by district (the code '' of `cells`) as published: {district key: count}, total."""
    return series({district: value for (district, _code), value in cells.items()}, keys)


def protect_grid(cells: Cells, keys: Sequence[Any], codes: Sequence[str], **options: Any) -> Grid:
    """The suppressed district × code grid (`options`: Grid's row_totals, grand_total, margins)."""
    return grid_from(((district, code, value) for (district, code), value in cells.items()), keys, codes,
                     **options)


def line(f: Any, grid: Grid) -> tuple[dict[Any, Count], Count | None]:
    """What the filter `f` publishes of a grid: a district's row and its total, or the territory's
    column totals and grand total (None where the grid has no such total)."""
    if f.district_id:
        row = {code: grid.shown((f.district_id, code)) for code in grid.columns}
        return row, grid.shown(("row", f.district_id)) if grid.row_totals else None
    column = {code: grid.shown(("column", code)) for code in grid.columns}
    return column, grid.shown("total") if grid.grand_total else None


