"""Phone numbers: any usual writing to E.164, FR first then overseas (DESIGN.md section 6)."""

from __future__ import annotations

import logging

import pytest

from inclusion_app.phones import InvalidPhone, PhoneInfo, parse_phone, phone_search_variants

SAME_MOBILE = [
    "06 12 34 56 78",
    "0612345678",
    "+33612345678",
    "+33 6 12 34 56 78",
    "+33 (0)6 12 34 56 78",
    "0033 6 12 34 56 78",
    "0033612345678",
    "06.12.34.56.78",
    "06-12-34-56-78",
    " tel: 06 12 34 56 78 ",
    "612345678",
]


@pytest.mark.parametrize("text", SAME_MOBILE)
def test_usual_writings_give_the_same_e164(text: str) -> None:
    assert parse_phone(text) == PhoneInfo(e164="+33612345678", is_mobile=True, region="FR")


def test_mayotte_number_dialled_from_france() -> None:
    info = parse_phone("0639 01 23 45")
    assert info == PhoneInfo(e164="+262639012345", is_mobile=True, region="YT")


@pytest.mark.parametrize(
    ("text", "e164", "is_mobile", "region"),
    [
        ("05 49 52 67 66", "+33549526766", False, "FR"),
        ("0690 12 34 56", "+590690123456", True, "GP"),
        ("0696 12 34 56", "+596696123456", True, "MQ"),
        ("0694 12 34 56", "+594694123456", True, "GF"),
        ("0692 12 34 56", "+262692123456", True, "RE"),
        ("0262 12 34 56", "+262262123456", False, "RE"),
        ("+262 639 01 23 45", "+262639012345", True, "YT"),
        ("+32 2 555 12 12", "+3225551212", False, "BE"),
    ],
)
def test_landlines_overseas_and_foreign(text: str, e164: str, is_mobile: bool, region: str) -> None:
    assert parse_phone(text) == PhoneInfo(e164, is_mobile, region)


@pytest.mark.parametrize("text", ["", "   ", "0123", "06 12 34", "abc", "+33 1", "06 12 34 56 78 90 12", "9" * 60])
def test_invalid_numbers_raise_invalid_phone(text: str) -> None:
    with pytest.raises(InvalidPhone):
        parse_phone(text)


def test_invalid_phone_is_a_value_error() -> None:
    assert issubclass(InvalidPhone, ValueError)


@pytest.mark.parametrize("text", SAME_MOBILE)
def test_search_variants_find_the_stored_e164(text: str) -> None:
    assert phone_search_variants(text)[0] == "+33612345678"


def test_search_variants_keep_every_overseas_reading() -> None:
    variants = phone_search_variants("0800 123 456")
    assert variants[0] == "+33800123456"
    assert "+262800123456" in variants
    assert len(variants) == len(set(variants))


@pytest.mark.parametrize("text", ["", "abc", "0123", "x" * 100])
def test_search_variants_of_nonsense_are_empty(text: str) -> None:
    assert phone_search_variants(text) == []


def test_no_phone_number_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    parse_phone("06 12 34 56 78")
    phone_search_variants("0639 01 23 45")
    with pytest.raises(InvalidPhone):
        parse_phone("06 12 34")
    assert not any("12 34" in record.getMessage() or "1234" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("typed", ["45 67 89", "25 12 34", "87 12 34 56"])
def test_a_truncated_french_number_is_not_read_as_a_territory_with_its_own_numbering_plan(typed):
    with pytest.raises(InvalidPhone):
        parse_phone(typed)


def test_territories_with_their_own_plan_are_read_with_their_country_code():
    assert parse_phone("+689 87 12 34 56").e164 == "+68987123456"
