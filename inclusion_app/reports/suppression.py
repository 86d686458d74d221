"""Small counts in published reports (statistical disclosure control, DESIGN.md section 4).

A count of people, sessions, appointments or rights from 1 to 10 is suppressed (primary
suppression); zero is published. A table that also publishes its row and column totals would let a
reader subtract the other cells from a total and find a suppressed one, so secondary suppression
hides, in every row or column left with exactly one hidden cell, the smallest other cell (a positive
one first, a zero only when no positive one is left), or the line's total when the line has no other
cell; and a hidden total whose parts are all published gets its smallest part hidden too. Lines can
also be combined (a row minus two columns…): an audit solves the published lines as a system of
linear equations and hides one more cell wherever a hidden one would follow from them. Counts of
help points and hours are public facts and never go through here. A rate needs a denominator of at
least 11, and neither its numerator nor its complement may be a small count (with the denominator
published, the rate would give either back). Source of the threshold: the rule "moins de 11" of the
French statistical secret practice (CNIS, comité du secret statistique) that DESIGN.md section 4
adopts.
"""

from __future__ import annotations

import enum
import zlib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

THRESHOLD = 11


class Hidden(enum.Enum):
    """Why a published cell is hidden: `SMALL` (1 to 10) or `SECONDARY` (would reveal a small one)."""

    SMALL = "small"
    SECONDARY = "secondary"


Count = int | Hidden


def is_small(count: int) -> bool:
    """True for a count from 1 to THRESHOLD - 1 (zero is published)."""
    return 0 < count < THRESHOLD


def protect(count: int) -> Count:
    """The count as published alone (no total beside it): itself, or Hidden.SMALL."""
    return Hidden.SMALL if is_small(count) else count


def rate(numerator: Count, denominator: Count, digits: int = 3) -> float | None:
    """numerator / denominator rounded, or None when the denominator is hidden or under 11, or
    the numerator or its complement (denominator - numerator) is a small count: with the
    denominator published, the rate would give either back."""
    if isinstance(numerator, Hidden) or isinstance(denominator, Hidden) or denominator < THRESHOLD:
        return None
    if is_small(numerator) or is_small(denominator - numerator):
        return None
    return round(numerator / denominator, digits)


def histogram_median(histogram: Mapping[int, int], digits: int = 1) -> float | None:
    """The median of values given as {value: how many} (whole days…), when there are at least 11
    of them, else None: a median of a few people is nearly one person's value."""
    total = sum(histogram.values())
    if total < THRESHOLD:
        return None
    ordered = sorted(histogram.items())

    def nth(rank: int) -> int:
        seen = 0
        for value, count in ordered:
            seen += count
            if seen > rank:
                return value
        return ordered[-1][0]

    middle = (nth((total - 1) // 2) + nth(total // 2)) / 2
    return round(float(middle), digits)


@dataclass
class Grid:
    """A table of counts with its row totals, column totals and grand total.

    `cells[(row, column)]` are the counts (missing cells count as 0). After `suppress()`, `shown`
    gives each cell and total as published: an int, or a `Hidden` reason. `row_totals=False` for
    codes of a multiple choice (a row's cells do not add up to a published figure) and
    `grand_total=False` when the grand total is published nowhere. `margins` are totals already
    published by another table (e.g. sessions by district in the coverage report): their state
    ({key: int or Hidden}) is taken as given and never changed here, so that two tables sharing a
    margin cannot be played against each other. `stuck` lists the published margins of lines that
    still reveal a hidden cell with nothing left to hide here: the table the margin comes from must
    hide them (`reports.activity.sessions_series`).
    """

    rows: list[Hashable]
    columns: list[Hashable]
    cells: dict[tuple[Hashable, Hashable], int]
    hidden: dict[Any, Hidden] = field(default_factory=dict)
    row_totals: bool = True
    grand_total: bool = True
    margins: Mapping[Any, Count] = field(default_factory=dict)
    stuck: set[Any] = field(default_factory=set)

    def value(self, key: Any) -> int:
        """The true count of a cell `(row, column)`, a row total `("row", r)`, a column total
        `("column", c)` or the grand total `"total"`."""
        if key in self.cells:
            return self.cells[key]
        return self._totals().get(key, 0)

    def _totals(self) -> dict[Any, int]:
        """Row totals, column totals and grand total, summed once (the cells never change)."""
        if not hasattr(self, "_summed"):
            summed: dict[Any, int] = {("row", r): 0 for r in self.rows}
            summed.update({("column", c): 0 for c in self.columns})
            for (r, c), n in self.cells.items():
                if ("row", r) in summed and ("column", c) in summed:
                    summed[("row", r)] += n
                    summed[("column", c)] += n
            summed["total"] = sum(self.cells.values())
            self._summed = summed
        return self._summed

    def shown(self, key: Any) -> Count:
        """What is published for `key` (see `value`)."""
        return self.hidden.get(key, self.value(key))

    def lines(self) -> list[tuple[Any, list[Any]]]:
        """Every additive line whose total is published: (its total's key, the keys adding up to it)."""
        lines: list[tuple[Any, list[Any]]] = []
        if self.row_totals:
            lines += [(("row", r), [(r, c) for c in self.columns]) for r in self.rows]
        lines += [(("column", c), [(r, c) for r in self.rows]) for c in self.columns]
        if self.grand_total and self.row_totals:
            lines.append(("total", [("row", r) for r in self.rows]))
        if self.grand_total:
            lines.append(("total", [("column", c) for c in self.columns]))
        return lines

    def suppress(self) -> Grid:
        """Apply primary then secondary suppression until no line reveals a hidden cell, and no
        hidden cell can be solved from all the published lines together; returns self."""
        keys: list[Any] = [*self.cells, *(("column", c) for c in self.columns)]
        keys += [("row", r) for r in self.rows] if self.row_totals else []
        keys += ["total"] if self.grand_total else []
        self.hidden = {key: Hidden.SMALL for key in keys if key not in self.margins and is_small(self.value(key))}
        self.hidden.update({key: shown for key, shown in self.margins.items() if isinstance(shown, Hidden)})
        for _round in range(len(keys) + 1):
            while any(self._protect_line(total, parts) for total, parts in self.lines()):
                pass
            if not self._protect_solvable():
                break
        return self

    def _protect_solvable(self) -> bool:
        """Audit: find the hidden cells whose value follows from the published lines taken
        together (a system of linear equations, as a reader would solve it) and hide one more cell
        of a line through each. Returns False when every hidden cell is safe (or none can be
        helped). One decomposition per pass, whatever the number of cells found."""
        hidden = list(self.hidden)
        index = {key: number for number, key in enumerate(hidden)}
        equations = []
        for total, parts in self.lines():
            row = np.zeros(len(hidden))
            for key in parts:
                if key in index:
                    row[index[key]] += 1
            if total in index:
                row[index[total]] -= 1
            if row.any():
                equations.append(row)
        if not equations:
            return False
        # A cell is determined when it lies in the row space of the equations: its projection
        # onto an orthonormal basis of that space (the leading right singular vectors) is whole.
        _u, singular, vectors = np.linalg.svd(np.array(equations), full_matrices=False)
        basis = vectors[:int((singular > 1e-9).sum())]
        changed = False
        for number in np.flatnonzero((basis ** 2).sum(axis=0) > 1 - 1e-9):
            victim = self._next_to(hidden[number])
            if victim is not None:
                self.hidden[victim] = Hidden.SECONDARY
                changed = True
        return changed

    def _next_to(self, key: Any) -> Any:
        """The smallest published cell (a positive one first) sharing a line with `key`, or None."""
        near = {other for total, parts in self.lines() if key == total or key in parts
                for other in (total, *parts) if other not in self.hidden and other not in self.margins}
        if not near:
            return None
        positive = [other for other in near if self.value(other) > 0]
        return min(positive or near, key=lambda other: (self.value(other), repr(other)))

    def _protect_line(self, total: Any, parts: list[Any]) -> bool:
        """Hide one more cell of a line whose published total would reveal a hidden part — its only
        hidden part, or one whose label leaves it a single possible value — or whose parts, all
        published, would reveal its hidden total (never a margin: see the class)."""
        hidden = [key for key in parts if key in self.hidden]
        free = [key for key in parts if key not in self.hidden and key not in self.margins]
        if total in self.hidden:
            if hidden or not free:
                return False
            self.hidden[self._victim(free)] = Hidden.SECONDARY
            return True
        if len(hidden) != 1 and not self._pinned(total, parts, hidden):
            return False
        positive = [key for key in free if self.value(key) > 0]
        if positive or (free and len(hidden) == 1):
            self.hidden[self._victim(positive or free)] = Hidden.SECONDARY
            return True
        if total not in self.margins:
            self.hidden[total] = Hidden.SECONDARY
            return True
        self.stuck.add(total)  # only hiding this margin in its own table would help (see `stuck`)
        return False

    def _victim(self, pool: list[Any]) -> Any:
        """The cell to hide next: a positive one if any, chosen by a fixed hash of its key rather
        than by its size (were it the smallest, a reader would learn that the hidden cells are
        no larger than the published ones)."""
        positive = [key for key in pool if self.value(key) > 0]
        return min(positive or pool, key=lambda key: zlib.crc32(repr(key).encode()))

    def _pinned(self, total: Any, parts: list[Any], hidden: list[Any]) -> bool:
        """True when a small hidden part of the line has a single possible value, given the
        published total and parts and what a reader can tell of the others: "< 11" is 1 to 10,
        and a secondary cell is taken as known to be 0 or, when positive, 11 and more (secondary
        cells are positive ones whenever there are: assuming the reader knows which is the
        cautious side). E.g. a secondary and a "< 11" adding up to 12 can only be 11 and 1."""
        rest = self.value(total) - sum(self.value(key) for key in parts if key not in self.hidden)
        for key in (key for key in hidden if self.hidden[key] is Hidden.SMALL):  # the counts to protect
            others = [other for other in hidden if other != key]
            small = sum(self.hidden[other] is Hidden.SMALL for other in others)
            large = sum(self.hidden[other] is not Hidden.SMALL and self.value(other) > 0 for other in others)
            low, high = (small + THRESHOLD * large, rest) if large else (small, (THRESHOLD - 1) * small)
            start, end = max(rest - high, 1), min(rest - low, THRESHOLD - 1)  # this part is rest - the others
            if start == end:
                return True
        return False


def grid_from(rows: Iterable[tuple[Hashable, Hashable, int]], row_keys: Sequence[Hashable],
              column_keys: Sequence[Hashable], **options: Any) -> Grid:
    """A suppressed Grid from (row, column, count) triples, with every row and column listed even
    when empty (an empty line shows zeros, which are facts); `options` are Grid's `row_totals`,
    `grand_total` and `margins`."""
    cells = {(r, c): int(n) for r, c, n in rows}
    return Grid(list(row_keys), list(column_keys), cells, **options).suppress()


def to_json(value: Any) -> Any:
    """Hidden → None (JSON null), recursively through dicts and lists; other values unchanged."""
    if isinstance(value, Hidden):
        return None
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value
