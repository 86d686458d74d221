"""The national standard v1.0.2: schema facts, normalisation and CSV serialisation."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from inclusion_app.lieux.standard import (
    FIELD_NAMES,
    LIST_FIELDS,
    PIVOT_UNKNOWN,
    REQUIRED_FIELDS,
    VOCABULARIES,
    Issue,
    build_id,
    canonical_value,
    in_france,
    load_schema,
    missing_required,
    normalise_record,
    parse_date,
    split_list,
    to_standard_row,
)

BASE: dict[str, Any] = {
    "id": "lieu-1",
    "pivot": "43493312300029",
    "nom": "Médiathèque d'essai",
    "commune": "Poitiers",
    "code_postal": "86000",
    "code_insee": "86194",
    "adresse": "1 rue de l'Exemple",
    "latitude": "46.58",
    "longitude": "0.34",
    "date_maj": "2024-04-02",
}


def normalise(**changes: Any) -> tuple[dict[str, Any], list[Issue]]:
    record, issues = normalise_record(BASE | changes, today=date(2026, 11, 29))
    assert record is not None
    return record, issues


def codes(issues: list[Issue]) -> set[tuple[str, str]]:
    return {(issue.field, issue.code) for issue in issues}


# --- schema facts --------------------------------------------------------------------------------


def test_field_order_and_required_fields_come_from_the_schema() -> None:
    assert len(FIELD_NAMES) == 32
    assert FIELD_NAMES[:4] == ("id", "pivot", "nom", "commune")
    assert FIELD_NAMES[-2:] == ("fiche_acces_libre", "prise_rdv")
    assert REQUIRED_FIELDS == ("id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj")
    assert load_schema()["version"] == "v1.0.2"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("typologie", "RFS"),
        ("services", "Compréhension du monde numérique"),
        ("publics_specifiquement_adresses", "Familles et/ou enfants"),
        ("prise_en_charge_specifique", "Langues étrangères (anglais)"),
        ("frais_a_charge", "Gratuit sous condition"),
        ("dispositif_programmes_nationaux", "France Services"),
        ("dispositif_programmes_nationaux", "Relais numérique (Emmaüs Connect)"),
        ("formations_labels", "Étapes numériques(La Poste)"),
        ("modalites_acces", "Ce lieu n'accueille pas de public"),
        ("modalites_accompagnement", "À distance"),
        ("itinerance", "Itinérant"),
    ],
)
def test_vocabularies(field: str, value: str) -> None:
    assert value in VOCABULARIES[field]
    assert field in LIST_FIELDS


def test_vocabulary_sizes_match_the_schema() -> None:
    sizes = {name: len(values) for name, values in VOCABULARIES.items() if name != "typologie"}
    assert sizes == {
        "itinerance": 2,
        "services": 9,
        "publics_specifiquement_adresses": 5,
        "prise_en_charge_specifique": 7,
        "frais_a_charge": 3,
        "dispositif_programmes_nationaux": 11,
        "formations_labels": 10,
        "modalites_acces": 6,
        "modalites_accompagnement": 4,
    }


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("services", "aide aux demarches administratives", "Aide aux démarches administratives"),
        ("services", "Comprehension du monde numérique", "Compréhension du monde numérique"),
        ("formations_labels", "Étapes numériques (La Poste)", "Étapes numériques(La Poste)"),
        ("dispositif_programmes_nationaux", "Point d’accès numérique CAF", "Point d'accès numérique CAF"),
        ("typologie", "pij_bij", "PIJ_BIJ"),
        ("frais_a_charge", "Cours de cuisine", None),
    ],
)
def test_canonical_value_is_tolerant(field: str, text: str, expected: str | None) -> None:
    assert canonical_value(field, text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("A|B", ["A", "B"]),
        ("A;B ; C", ["A", "B", "C"]),
        ("Gratuit, Payant", ["Gratuit", "Payant"]),
        (
            "Gratuit sous condition : critères (situation familiale, convention…)",
            ["Gratuit sous condition : critères (situation familiale, convention…)"],
        ),
        (["A", " ", None, "B"], ["A", "B"]),
        (None, []),
        ("", []),
    ],
)
def test_split_list(value: Any, expected: list[str]) -> None:
    assert split_list(value) == expected


# --- normalisation -------------------------------------------------------------------------------


def test_the_standard_example_round_trips_unchanged(lieux_data: Path) -> None:
    with (lieux_data / "exemple-valide-v1.0.2.csv").open(encoding="utf-8", newline="") as handle:
        original = next(csv.DictReader(handle))
    record, issues = normalise_record(original)
    assert issues == []
    assert record is not None
    assert to_standard_row(record) == original


def test_record_shape() -> None:
    record, issues = normalise(services="Aide aux démarches administratives|Payant")
    assert set(record) == set(FIELD_NAMES)
    assert record["latitude"] == 46.58
    assert record["date_maj"] == date(2024, 4, 2)
    assert record["services"] == ["Aide aux démarches administratives"]
    assert all(isinstance(record[name], list) for name in LIST_FIELDS)
    assert codes(issues) == {("services", "vocabulary_unknown")}


@pytest.mark.parametrize(("pivot", "code"), [(None, "pivot_missing"), ("", "pivot_missing"), ("123", "pivot_invalid")])
def test_pivot_defaults_like_the_national_cartography(pivot: str | None, code: str) -> None:
    record, issues = normalise(pivot=pivot)
    assert record["pivot"] == PIVOT_UNKNOWN == "00000000000000"
    assert codes(issues) == {("pivot", code)}


def test_pivot_rna_and_spaced_siret_are_kept() -> None:
    assert normalise(pivot="W862000123")[0]["pivot"] == "W862000123"
    assert normalise(pivot="434 933 123 00029")[0]["pivot"] == "43493312300029"


@pytest.mark.parametrize(
    ("changes", "field", "expected", "code"),
    [
        ({"code_postal": "86 000"}, "code_postal", "86000", "code_repaired"),
        ({"code_postal": "8600O"}, "code_postal", None, "code_invalid"),
        ({"code_postal": "8600"}, "code_postal", None, "code_invalid"),  # INSEE 86194: no lost zero
        ({"code_postal": "1000", "code_insee": "01053"}, "code_postal", "01000", "code_repaired"),
        ({"code_insee": "2a004", "code_postal": "20000"}, "code_insee", "2A004", "code_repaired"),
        ({"code_insee": "20004"}, "code_insee", None, "code_invalid"),
        ({"code_insee": "ABCDE"}, "code_insee", None, "code_invalid"),
    ],
)
def test_postcode_and_insee_code(changes: dict[str, str], field: str, expected: str | None, code: str) -> None:
    record, issues = normalise(**changes)
    assert record[field] == expected
    assert (field, code) in codes(issues)


def test_corsican_insee_code_is_valid() -> None:
    record, issues = normalise(code_insee="2A004", code_postal="20000")
    assert record["code_insee"] == "2A004"
    assert issues == []


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (46.58, 0.34),  # Poitiers
        (41.92, 8.74),  # Ajaccio
        (16.24, -61.53),  # Pointe-à-Pitre (GP)
        (14.60, -61.07),  # Fort-de-France (MQ)
        (4.93, -52.33),  # Cayenne (GF)
        (-20.88, 55.45),  # Saint-Denis (RE)
        (-12.78, 45.23),  # Mamoudzou (YT)
        (46.78, -56.17),  # Saint-Pierre (PM)
        (17.90, -62.85),  # Gustavia (BL)
        (18.07, -63.08),  # Marigot (MF)
        (-22.27, 166.44),  # Nouméa (NC)
        (-17.53, -149.57),  # Papeete (PF)
        (-13.28, -176.17),  # Mata-Utu (WF)
        (-49.35, 70.22),  # Port-aux-Français (TF)
        (-22.35, 40.36),  # Europa (TF)
    ],
)
def test_coordinates_in_france_and_overseas(lat: float, lon: float) -> None:
    assert in_france(lat, lon)
    record, issues = normalise(latitude=lat, longitude=str(lon))
    assert (record["latitude"], record["longitude"]) == (lat, lon)
    assert issues == []


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(45.0, -20.0), (0.0, 0.0), (51.5, -0.12), (40.4, -3.7), (-18.9, 47.5), (90.0, 0.0)],
)
def test_coordinates_outside_france_are_cleared_and_reported(lat: float, lon: float) -> None:
    record, issues = normalise(latitude=lat, longitude=lon)
    assert record["latitude"] is record["longitude"] is None
    assert codes(issues) == {("latitude", "coordinates_outside_france")}


@pytest.mark.parametrize(
    ("lat", "lon", "code", "severity"),
    [
        (None, None, "coordinates_missing", "flagged"),
        ("", "", "coordinates_missing", "flagged"),
        ("46.58", None, "coordinates_invalid", "repaired"),
        ("nord", "0.34", "coordinates_invalid", "repaired"),
        ("nan", "0.34", "coordinates_invalid", "repaired"),
        ("0.34", "46.58", "coordinates_swapped", "repaired"),
    ],
)
def test_missing_bad_or_swapped_coordinates(lat: Any, lon: Any, code: str, severity: str) -> None:
    record, issues = normalise(latitude=lat, longitude=lon)
    assert [(issue.field, issue.code, issue.severity) for issue in issues] == [("latitude", code, severity)]
    if code == "coordinates_swapped":
        assert (record["latitude"], record["longitude"]) == (46.58, 0.34)
    else:
        assert record["latitude"] is None


def test_decimal_comma_is_read() -> None:
    record, issues = normalise(latitude="46,58", longitude="0,34")
    assert (record["latitude"], record["longitude"]) == (46.58, 0.34)
    assert issues == []


@pytest.mark.parametrize(
    ("phone", "e164", "issue_codes"),
    [
        ("+33549526766", "+33549526766", set()),
        ("05 49 52 67 66", "+33549526766", {("telephone", "phone_reformatted")}),
        ("0639 01 23 45", "+262639012345", {("telephone", "phone_reformatted")}),
        ("05 49 52 67 66 / 06 12 34 56 78", "+33549526766", {("telephone", "phone_first_kept")}),
        ("standard ou 06 12 34 56 78", "+33612345678", {("telephone", "phone_first_kept")}),
        ("05 49", None, {("telephone", "phone_invalid")}),
        ("+32 2 555 12 12", None, {("telephone", "phone_not_french")}),
    ],
)
def test_phone(phone: str, e164: str | None, issue_codes: set[tuple[str, str]]) -> None:
    record, issues = normalise(telephone=phone)
    assert record["telephone"] == e164
    assert codes(issues) == issue_codes
    last_digits = "".join(char for char in phone if char.isdigit())[-4:]
    assert not any(last_digits in issue.message().replace(" ", "") for issue in issues)


def test_emails_and_websites() -> None:
    record, issues = normalise(
        courriels="mailto:contact@lieu.example|pas-une-adresse; autre@lieu.example",
        site_web="www.lieu.example|https://lieu.example/agenda|pas une url",
    )
    assert record["courriels"] == ["contact@lieu.example", "autre@lieu.example"]
    assert record["site_web"] == ["https://www.lieu.example", "https://lieu.example/agenda"]
    assert codes(issues) == {("courriels", "email_invalid"), ("site_web", "url_repaired"), ("site_web", "url_invalid")}


def test_free_text_hours_are_kept_and_flagged() -> None:
    record, issues = normalise(horaires="lundi 9h-12h")
    assert record["horaires"] == "lundi 9h-12h"
    assert [(issue.field, issue.code, issue.severity) for issue in issues] == [("horaires", "hours_invalid", "flagged")]
    assert "lundi 9h-12h" in issues[0].message("fr")


def test_unknown_vocabulary_values_are_dropped_and_reported() -> None:
    record, issues = normalise(
        services="Aide aux démarches administratives|Cours de cuisine|aide aux demarches administratives",
        frais_a_charge="gratuit",
        itinerance="Fixe|Sous-marin",
        typologie="bib|INCONNU",
    )
    assert record["services"] == ["Aide aux démarches administratives"]
    assert record["frais_a_charge"] == ["Gratuit"]
    assert record["itinerance"] == ["Fixe"]
    assert record["typologie"] == ["BIB"]
    unknown = {(issue.field, issue.params["value"]) for issue in issues if issue.code == "vocabulary_unknown"}
    assert unknown == {("services", "Cours de cuisine"), ("itinerance", "Sous-marin"), ("typologie", "INCONNU")}


def test_long_summary_is_cut_to_280_characters() -> None:
    record, issues = normalise(presentation_resume="x" * 400)
    assert len(record["presentation_resume"]) == 280
    assert codes(issues) == {("presentation_resume", "text_truncated")}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-04-02", date(2024, 4, 2)),
        ("2024-04-02T10:00:00Z", date(2024, 4, 2)),
        ("02/04/2024", date(2024, 4, 2)),
        ("Espace labellisé 01/10/2021", date(2021, 10, 1)),
        (date(2024, 4, 2), date(2024, 4, 2)),
        ("2024-02-30", None),
        ("hier", None),
        (None, None),
    ],
)
def test_parse_date(value: Any, expected: date | None) -> None:
    assert parse_date(value) == expected


def test_missing_update_date_defaults_to_today() -> None:
    record, issues = normalise(date_maj="bientôt")
    assert record["date_maj"] == date(2026, 11, 29)
    assert codes(issues) == {("date_maj", "date_defaulted")}


def test_no_name_is_rejected() -> None:
    record, issues = normalise_record(BASE | {"nom": "  "})
    assert record is None
    assert [(issue.field, issue.code, issue.severity) for issue in issues] == [("nom", "name_missing", "rejected")]


def test_no_id_and_no_address_is_rejected() -> None:
    record, issues = normalise_record({"nom": "Un lieu", "date_maj": "2024-01-01"})
    assert record is None
    assert codes(issues) >= {("id", "id_missing")}


def test_missing_id_is_built_stably_from_name_and_address() -> None:
    first, issues = normalise(id=None)
    second, _ = normalise(id="", nom="MÉDIATHÈQUE  D'ESSAI")
    assert first["id"] == second["id"] == build_id(BASE)
    assert first["id"].startswith("lieu-")
    assert ("id", "id_generated") in codes(issues)
    assert normalise(id=None, adresse="2 rue de l'Exemple")[0]["id"] != first["id"]


def test_missing_required_fields_are_flagged_not_rejected() -> None:
    record, issues = normalise(commune=None, adresse="")
    assert missing_required(record) == ("commune", "adresse")
    flagged = {(issue.field, issue.code, issue.severity) for issue in issues}
    assert flagged == {("commune", "required_missing", "flagged"), ("adresse", "required_missing", "flagged")}


def test_numbers_in_json_are_read_as_text() -> None:
    record, _ = normalise(id=507, code_postal=86000, latitude=46.58)
    assert (record["id"], record["code_postal"]) == ("507", "86000")


# --- messages and serialisation ------------------------------------------------------------------


def test_issue_messages_in_english_and_french() -> None:
    issue = Issue("code_postal", "code_invalid", "repaired", {"value": "8600O"})
    assert issue.message() == "8600O is not a valid code: cleared"
    assert issue.message("fr") == "8600O n'est pas un code valide : effacé"
    duplicate = Issue("adresse", "probable_duplicate", "flagged", {"other": "12", "reason": "same_address"})
    assert duplicate.message("fr") == "probablement le même lieu que 12 (même adresse)"
    assert Issue("x", "not_a_code", "flagged").message() == "not_a_code"


def test_to_standard_row() -> None:
    record, _ = normalise(latitude="46.123456789", typologie="BIB|MUNI")
    row = to_standard_row(record)
    assert list(row) == list(FIELD_NAMES)
    assert row["latitude"] == "46.1234568"
    assert row["longitude"] == "0.34"
    assert row["typologie"] == "BIB|MUNI"
    assert row["date_maj"] == "2024-04-02"
    assert row["telephone"] == row["services"] == ""
    assert all(isinstance(value, str) for value in row.values())
