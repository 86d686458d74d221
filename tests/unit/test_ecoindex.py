"""The EcoIndex helper of the browser tests gives the published values of the cnumr method."""

from __future__ import annotations

import pytest

from tests.e2e.ecoindex import (
    DOM_QUANTILES,
    REQUEST_QUANTILES,
    SIZE_KB_QUANTILES,
    ecoindex,
    grade,
    quantile_position,
)


def test_an_empty_page_scores_100_and_gets_a() -> None:
    result = ecoindex(0, 0, 0)
    assert result.score == 100
    assert result.grade == "A"


def test_a_tiny_page_gets_a() -> None:
    assert ecoindex(dom_nodes=120, requests=2, size_kb=12).grade == "A"


def test_the_heaviest_page_of_the_tables_scores_0_and_gets_g() -> None:
    result = ecoindex(594601, 3920, 223212.26)
    assert result.score == 0
    assert result.grade == "G"


def test_figures_beyond_the_tables_stay_at_the_last_quantile() -> None:
    assert quantile_position(SIZE_KB_QUANTILES, 310182.902) == 20
    assert ecoindex(10**7, 10**5, 10**9).grade == "G"


@pytest.mark.parametrize(
    ("quantiles", "value", "expected"),
    [
        (SIZE_KB_QUANTILES, 2500, 14.086372025739513),
        (DOM_QUANTILES, 150, 2.892857142857143),
        (REQUEST_QUANTILES, 23, 2.8),
        (REQUEST_QUANTILES, 2, 1.0),
    ],
)
def test_quantile_positions_are_interpolated(quantiles: tuple[float, ...], value: float, expected: float) -> None:
    assert quantile_position(quantiles, value) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("dom", "requests", "size_kb", "score", "letter"),
    [
        # Reference values published with ecoindex.fr's own implementation (EcoIndex v3).
        (100, 100, 100, 72, "B"),
        (100, 100, 1000, 67, "C"),
        (100, 100, 10000, 58, "C"),
        (200, 200, 10000, 46, "D"),
        (2355, 267, 2493, 10, "G"),
        (240, 20, 331, 83, "A"),
        (2240, 100, 310182.902, 16, "F"),
    ],
)
def test_known_scores(dom: int, requests: int, size_kb: float, score: int, letter: str) -> None:
    result = ecoindex(dom, requests, size_kb)
    assert round(result.score) == score
    assert result.grade == letter


@pytest.mark.parametrize(
    ("score", "letter"),
    [(100, "A"), (80.01, "A"), (80, "B"), (70.5, "B"), (55.5, "C"), (50.2, "D"), (25, "F"), (10, "G"), (2, "G")],
)
def test_grade_bounds_are_strict(score: float, letter: str) -> None:
    assert grade(score) == letter


def test_the_score_falls_when_any_figure_grows() -> None:
    base = ecoindex(300, 5, 50).score
    assert ecoindex(301, 5, 50).score < base
    assert ecoindex(300, 6, 50).score < base
    assert ecoindex(300, 5, 51).score < base
    scores = [ecoindex(dom, dom // 10, dom / 2).score for dom in range(0, 5000, 50)]
    assert scores == sorted(scores, reverse=True)


def test_dom_weighs_more_than_requests_which_weigh_more_than_size() -> None:
    """Weights 3, 2, 1: one quantile step of DOM costs 2.5 points, of requests 1.67, of size 0.83."""
    assert ecoindex(DOM_QUANTILES[1], 0, 0).score == pytest.approx(100 - 2.5)
    assert ecoindex(0, REQUEST_QUANTILES[1], 0).score == pytest.approx(100 - 5 / 3)
    assert ecoindex(0, 0, SIZE_KB_QUANTILES[1]).score == pytest.approx(100 - 5 / 6)


def test_a_negative_figure_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        ecoindex(-1, 0, 0)
