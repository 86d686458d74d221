"""La Coop's age bands derived from a birth year (trancheAgeFromAnneeNaissance): every boundary."""

from __future__ import annotations

from datetime import date

import pytest

from inclusion_app import vocabularies
from inclusion_app.sessions.services import age_band

ON = date(2026, 6, 15)


@pytest.mark.parametrize(("age", "band"), [
    (0, "moins_de_douze"), (11, "moins_de_douze"),
    (12, "douze_dix_huit"), (17, "douze_dix_huit"),
    (18, "dix_huit_vingt_quatre"), (24, "dix_huit_vingt_quatre"),
    (25, "vingt_cinq_trente_neuf"), (39, "vingt_cinq_trente_neuf"),
    (40, "quarante_cinquante_neuf"), (59, "quarante_cinquante_neuf"),
    (60, "soixante_soixante_neuf"), (69, "soixante_soixante_neuf"),
    (70, "soixante_dix_plus"), (110, "soixante_dix_plus"),
])
def test_each_band_boundary(age, band):
    assert age_band(ON.year - age, ON) == band


def test_the_year_alone_counts_whatever_the_day():
    assert age_band(2008, date(2026, 1, 1)) == "dix_huit_vingt_quatre"
    assert age_band(2008, date(2026, 12, 31)) == "dix_huit_vingt_quatre"


def test_the_band_is_that_of_the_session_date():
    assert age_band(1966, date(2025, 12, 31)) == "quarante_cinquante_neuf"
    assert age_band(1966, date(2026, 1, 1)) == "soixante_soixante_neuf"


@pytest.mark.parametrize("year", [None, ON.year + 1])
def test_unknown_or_future_birth_year_is_not_given(year):
    assert age_band(year, ON) == "non_communique"


def test_every_band_is_a_known_code():
    assert {age_band(ON.year - age, ON) for age in range(0, 120)} | {"non_communique"} == set(vocabularies.AGE_BANDS)
