"""The EcoIndex of a web page, computed with the public method of the cnumr collective.

Inputs: the number of DOM elements (`document.getElementsByTagName('*').length`), the number of
HTTP requests, and the size transferred in KB (1 KB = 1024 bytes). Each input is placed on its
quantile scale (0 to 20, interpolated linearly, 20 beyond the last bound), then

    score = 100 - 5 * (3 * q_dom + 2 * q_requests + q_size) / 6

and the grade is the first of A (> 80), B (> 70), C (> 55), D (> 40), E (> 25), F (> 10) whose bound
the score exceeds, else G.

Source: the quantile tables come from the HTTP Archive, as published by the cnumr collective in
GreenIT-Analysis (https://github.com/cnumr/GreenIT-Analysis, `script/ecoIndex.js`) and described
on https://www.ecoindex.fr ; the grade bounds are those of ecoindex.fr (EcoIndex v3, also used by
cnumr's lighthouse-plugin-ecoindex). Written here from the published method, with
no code taken from the `ecoindex` packages (their licence forbids commercial use).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

DOM_QUANTILES = (
    0, 47, 75, 159, 233, 298, 358, 417, 476, 537, 603, 674, 753, 843, 949, 1076, 1237, 1459, 1801, 2479, 594601,
)
REQUEST_QUANTILES = (0, 2, 15, 25, 34, 42, 49, 56, 63, 70, 78, 86, 95, 105, 117, 130, 147, 170, 205, 281, 3920)
SIZE_KB_QUANTILES = (
    0, 1.37, 144.7, 319.53, 479.46, 631.97, 783.38, 937.91, 1098.62, 1265.47, 1448.32, 1648.27, 1876.08,
    2142.06, 2465.37, 2866.31, 3401.59, 4155.73, 5400.08, 8037.54, 223212.26,
)
# (grade, the score must be strictly above this bound)
GRADE_BOUNDS = (("A", 80), ("B", 70), ("C", 55), ("D", 40), ("E", 25), ("F", 10))


@dataclass(frozen=True)
class EcoIndex:
    """A score between 0 and 100 (not rounded) and its grade, "A" to "G"."""

    score: float
    grade: str


def quantile_position(quantiles: tuple[float, ...], value: float) -> float:
    """Position of `value` on a quantile scale: 0 to len(quantiles) - 1, linear between bounds.

    Raises ValueError for a negative value.
    """
    if value < 0:
        raise ValueError(f"a page figure cannot be negative: {value}")
    index = bisect_right(quantiles, value)
    if index >= len(quantiles):
        return float(len(quantiles) - 1)
    lower, upper = quantiles[index - 1], quantiles[index]
    return index - 1 + (value - lower) / (upper - lower)


def grade(score: float) -> str:
    """The letter of a score: A (> 80) … F (> 10), else G."""
    for letter, bound in GRADE_BOUNDS:
        if score > bound:
            return letter
    return "G"


def ecoindex(dom_nodes: int, requests: int, size_kb: float) -> EcoIndex:
    """The EcoIndex of a page from its DOM element count, request count and transferred KB."""
    q_dom = quantile_position(DOM_QUANTILES, dom_nodes)
    q_requests = quantile_position(REQUEST_QUANTILES, requests)
    q_size = quantile_position(SIZE_KB_QUANTILES, size_kb)
    score = 100 - 5 * (3 * q_dom + 2 * q_requests + q_size) / 6
    return EcoIndex(score=score, grade=grade(score))
