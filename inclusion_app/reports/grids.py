"""Grids of the territory: one suppression for the territory, every district and every help point.

A breakdown published for the territory (sessions by outcome, say) is the sum of the same
breakdown in each district, and each district can be asked for alone with the district filter.
Suppressed one request at a time, the territory's figure minus the other districts' would give
a district's hidden cell back. So a breakdown is suppressed once, as a grid of every district
(rows, then `None` for what lies in no district) by code (columns): the territory reads the
column totals, a district filter its row. Row totals shared with another table (sessions by
district in the coverage report, rights detected by district) are passed as `margins` and taken
as published there (`reports.suppression.Grid`).

Help points cut the territory another way (what happened at each help point, then `None` for
what happened at none: phone, home, remote): with a help point filter, the breakdown is also
suppressed as a grid of every help point by code, whose column totals and grand total are the
territory's as published (margins), so that the territory minus the other help points gives
nothing hidden back either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import District, HelpPoint
from inclusion_app.reports import facts
from inclusion_app.reports.suppression import Count, Grid, Hidden, grid_from, is_small

Cells = dict[tuple[Any, str], int]
T = TypeVar("T")
Margins = dict[Any, Count]


def codes_found(known: Iterable[str], found: Iterable[Any]) -> list[str]:
    """The vocabulary's codes, then any other code found in the data (keys `code` or
    `(district, code)`), so that a breakdown's lines add up to its total."""
    extra = (key[1] if isinstance(key, tuple) else key for key in found)
    return list(dict.fromkeys([*known, *extra]))


def margins(by_key: Mapping[Any, Count], total: Count) -> Margins:
    """Grid margins (row totals and grand total) from a published series by row and its total."""
    return {**{("row", key): shown for key, shown in by_key.items()}, "total": total}


def column_margins(grid: Grid) -> Margins:
    """The column totals (and grand total) of a suppressed grid as published, as margins."""
    published: Margins = {("column", code): grid.shown(("column", code)) for code in grid.columns}
    if grid.grand_total:
        published["total"] = grid.shown("total")
    return published


def protect_grid(cells: Cells, keys: Sequence[Any], codes: Sequence[str], **options: Any) -> Grid:
    """The suppressed grid of rows `keys` × `codes` (`options`: Grid's row_totals, grand_total,
    margins)."""
    return grid_from(((key, code, value) for (key, code), value in cells.items()), keys, codes, **options)


Series = Mapping[str, tuple[dict[Any, Count], Count]]


def small_differences_in_series(inner: Series, inner_raw: Mapping[str, Mapping[Any, int]], outer: Series,
                                outer_raw: Mapping[str, Mapping[Any, int]]) -> dict[str, list[Any]]:
    """{cut: keys (or "total")} published in two series, one counting a part of the other
    (attended within booked), whose difference is a small count: the part must be hidden, or
    the two published figures would give the difference back. `*_raw`: true counts {cut: {key: n}}."""
    found: dict[str, list[Any]] = {}
    for cut, (shown, total) in inner.items():
        pairs = [*((key, shown[key], outer[cut][0][key]) for key in shown), ("total", total, outer[cut][1])]
        found[cut] = [key for key, part, whole in pairs if isinstance(part, int) and isinstance(whole, int)
                      and is_small(_raw(outer_raw[cut], key) - _raw(inner_raw[cut], key))]
    return found


def _raw(counts: Mapping[Any, int], key: Any) -> int:
    return sum(counts.values()) if key == "total" else counts.get(key, 0)


def _small_differences_in_grids(inner: Grid, outer: Grid) -> list[Any]:
    """Keys published in both grids whose difference (outer - inner) is a small count."""
    keys = [*inner.cells, *(("row", r) for r in inner.rows), *(("column", c) for c in inner.columns), "total"]
    return [key for key in keys if isinstance(inner.shown(key), int) and isinstance(outer.shown(key), int)
            and is_small(outer.value(key) - inner.value(key))]


def until_stable(cuts: Iterable[str], build: Callable[[dict[str, set[Any]]], T],
                 needs: Callable[[T], Iterable[tuple[str, Any]]]) -> T:
    """Suppress again until nothing more must be hidden: `build(hide)` suppresses with the keys
    {cut: keys} hidden whatever their size, and `needs(result)` names the (cut, key) still to
    hide. Each round hides more, so it ends."""
    hide: dict[str, set[Any]] = {cut: set() for cut in cuts}
    while True:
        result = build(hide)
        more = {(cut, key) for cut, key in needs(result) if key not in hide[cut]}
        if not more:
            return result
        for cut, key in more:
            hide[cut].add(key)


class Partitions:
    """The territory of a ReportFilter `f` cut by district and, with a help point filter, by help
    point: reads true counts in both cuts, and publishes the filter's line of each breakdown."""

    def __init__(self, f: Any) -> None:
        self.f = f
        self.cuts = ["district", "help_point"] if f.help_point_id else ["district"]
        self.keys = {"district": [*db.session.scalars(sa.select(District.id).order_by(District.name)), None]}
        if f.help_point_id:
            self.keys["help_point"] = [*db.session.scalars(sa.select(HelpPoint.id).order_by(HelpPoint.id)), None]

    def read(self, metrics: Sequence[str]) -> dict[str, dict[str, Cells]]:
        """{cut: {metric: {(district or help point id or None, code): value}}}."""
        cells: dict[str, dict[str, Cells]] = {}
        for cut in self.cuts:
            cells[cut] = {metric: defaultdict(int) for metric in metrics}
            for (key, metric, code), value in facts.read_territory(self.f, metrics, cut).items():
                cells[cut][metric][(key or None, code)] += value
        return cells

    def read_months(self, metric: str) -> dict[str, Cells]:
        """{cut: {(district or help point id or None, "YYYY-MM"): value}}."""
        return {cut: {(key or None, month): value
                      for (key, month), value in facts.read_territory_months(self.f, metric, cut).items()}
                for cut in self.cuts}

    def series(self, cells: Mapping[str, Cells], given_away: Mapping[Any, Count] | None = None,
               hide: Mapping[str, Iterable[Any]] | None = None) -> dict[str, tuple[dict[Any, Count], Count]]:
        """A count (one code) by district, and by help point, as published: {cut: (by key, total)};
        the help points' total is the districts' (the same territory). `given_away`: help points'
        cells another figure already gives away ({key: Count}, e.g. None — at no help point — for
        appointments, which the phone share publishes), taken as margins; `hide`: {cut: keys (or
        "total")} to hide whatever their size (see `small_differences_in_series`)."""
        forced = {cut: {(0, key) if key != "total" else "total": Hidden.SECONDARY for key in keys}
                  for cut, keys in (hide or {}).items()}
        by_district = self._one_code(cells["district"])
        grid = grid_from(((0, key, n) for key, n in by_district.items()), [0], self.keys["district"],
                         margins=forced.get("district", {}))
        published = {"district": ({key: grid.shown((0, key)) for key in self.keys["district"]}, grid.shown("total"))}
        if "help_point" in cells and "help_point" in self.cuts:
            total = grid.shown("total")
            by_point = self._one_code(cells["help_point"])
            given = {(0, key): shown for key, shown in (given_away or {}).items()}
            points = grid_from(((0, key, n) for key, n in by_point.items()), [0], self.keys["help_point"],
                               margins={("row", 0): total, "total": total, **given,
                                        **forced.get("help_point", {})})
            published["help_point"] = ({key: points.shown((0, key)) for key in self.keys["help_point"]}, total)
        return published

    @staticmethod
    def _one_code(cells: Cells) -> dict[Any, int]:
        summed: dict[Any, int] = defaultdict(int)
        for (key, _code), value in cells.items():
            summed[key] += value
        return summed

    def pick(self, published: Mapping[str, tuple[dict[Any, Count], Count]]) -> Count:
        """The filter's figure of a published series: its help point's, its district's or the total."""
        if self.f.help_point_id:
            return published["help_point"][0][self.f.help_point_id]
        if self.f.district_id:
            return published["district"][0][self.f.district_id]
        return published["district"][1]

    def protect(self, cells: Mapping[str, Cells], codes: Sequence[str],
                rows: Mapping[str, tuple[dict[Any, Count], Count]] | None = None,
                within: Mapping[str, Grid] | None = None, hide: Mapping[str, Iterable[Any]] | None = None,
                **options: Any) -> dict[str, Grid]:
        """A breakdown suppressed in each cut (see the module): {cut: Grid}. `rows`: the published
        series whose figures are the rows' totals (sessions by district and by help point), taken
        as margins; `within`: the grids of a count this one is part of (filed rights within the
        rights detected): a cell whose difference with its outer cell would be a small count is
        hidden; `hide`: {cut: row keys or "total"} to hide whatever their size; `options`: Grid's
        row_totals and grand_total."""
        rows_hidden = {cut: {("row", key) if key != "total" else "total": Hidden.SECONDARY
                             for key in (hide or {}).get(cut, ())} for cut in self.cuts}

        def build(cells_hidden: dict[str, set[Any]]) -> dict[str, Grid]:
            forced: dict[str, Margins] = {cut: {**rows_hidden[cut], **dict.fromkeys(cells_hidden[cut],
                                                                                     Hidden.SECONDARY)}
                                          for cut in self.cuts}
            return self._protect_once(cells, codes, rows, forced, **options)

        def needs(grids: dict[str, Grid]) -> list[tuple[str, Any]]:
            return [(cut, key) for cut in self.cuts if within for key in _small_differences_in_grids(grids[cut],
                                                                                                 within[cut])]

        return until_stable(self.cuts, build, needs)

    def stuck_totals(self, tables: Iterable[Mapping[str, Grid]]) -> list[tuple[str, Any]]:
        """(cut, row key or "total") of the totals that breakdowns could not protect (`Grid.stuck`):
        to hide in the table they come from (a grand total in every cut)."""
        return [(cut, "total" if key == "total" else key[1]) for grids in tables for grid_cut, grid in grids.items()
                for key in grid.stuck for cut in (self.cuts if key == "total" else [grid_cut])]

    def _protect_once(self, cells: Mapping[str, Cells], codes: Sequence[str],
                      rows: Mapping[str, tuple[dict[Any, Count], Count]] | None, forced: Mapping[str, Margins],
                      **options: Any) -> dict[str, Grid]:
        edge = {**(margins(*rows["district"]) if rows else {}), **forced["district"]}
        grids = {"district": protect_grid(cells["district"], self.keys["district"], codes, margins=edge, **options)}
        if self.f.help_point_id:
            edge = {**(margins(*rows["help_point"]) if rows else {}), **column_margins(grids["district"]),
                    **forced["help_point"]}
            grids["help_point"] = protect_grid(cells["help_point"], self.keys["help_point"], codes, margins=edge,
                                               **options)
        return grids

    def line(self, grids: Mapping[str, Grid]) -> tuple[dict[Any, Count], Count | None]:
        """The filter's line of a protected breakdown: {code: Count} and its total (None where the
        grid has none): a help point's row, a district's row, or the territory's column totals."""
        grid, row = ((grids["help_point"], self.f.help_point_id) if self.f.help_point_id
                     else (grids["district"], self.f.district_id))
        if row:
            return ({code: grid.shown((row, code)) for code in grid.columns},
                    grid.shown(("row", row)) if grid.row_totals else None)
        return ({code: grid.shown(("column", code)) for code in grid.columns},
                grid.shown("total") if grid.grand_total else None)

    def publish(self, cells: Mapping[str, Cells], codes: Sequence[str],
                rows: Mapping[str, tuple[dict[Any, Count], Count]] | None = None,
                **options: Any) -> tuple[dict[Any, Count], Count | None]:
        """The filter's line of a breakdown (`protect`, then `line`)."""
        return self.line(self.protect(cells, codes, rows, **options))

    @staticmethod
    def rows_of(grids: Mapping[str, Grid], code: str | None = None) -> dict[str, tuple[dict[Any, Count], Count]]:
        """Published row totals and grand total of each cut's grid (or, with `code`, that column's
        cells and total), in the shape `protect` takes as `rows`."""
        if code is None:
            return {cut: ({key: grid.shown(("row", key)) for key in grid.rows}, grid.shown("total"))
                    for cut, grid in grids.items()}
        return {cut: ({key: grid.shown((key, code)) for key in grid.rows}, grid.shown(("column", code)))
                for cut, grid in grids.items()}
