"""Readers of `flask import-lieux`: detection, the four formats, locations, duplicates."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from inclusion_app.lieux.formats import (
    FRANCE_SERVICES_DEFAULTS,
    DuplicateIndex,
    ReadRow,
    UnknownFormat,
    UnreadableFile,
    day_ranges,
    detect_format,
    distance_m,
    duplicate_key,
    duplicate_reason,
    field_key,
    france_services_hours,
    group_days,
    legacy_targets,
    read_lieux,
)
from inclusion_app.lieux.hours import check_hours
from inclusion_app.lieux.standard import VOCABULARIES

CARTOGRAPHIE_2022 = "vienne-lieux-cartographie-2022.json"
CARTOGRAPHIE_2023 = "cartographie-2023-sample.json"
FRANCE_SERVICES = "vienne-france-services-2022-12.csv"
EXAMPLE = "exemple-valide-v1.0.2.csv"
MESSY = "messy-standard.csv"


def read(path: Path, fmt: str = "auto") -> list[ReadRow]:
    return list(read_lieux(path, fmt, filename=path.name, today=date(2026, 11, 29)))


def issue_set(rows: list[ReadRow]) -> set[tuple[int, str, str]]:
    return {(row.location, issue.field, issue.code) for row in rows for issue in row.issues}


def by_id(rows: list[ReadRow]) -> dict[str, dict[str, Any]]:
    return {row.record["id"]: row.record for row in rows if row.record is not None}


# --- detection and unreadable files --------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (CARTOGRAPHIE_2022, "cartographie"),
        (CARTOGRAPHIE_2023, "cartographie"),
        (FRANCE_SERVICES, "france-services"),
        (EXAMPLE, "standard-csv"),
        (MESSY, "standard-csv"),
    ],
)
def test_detect_format_from_path_and_bytes(lieux_data: Path, filename: str, expected: str) -> None:
    path = lieux_data / filename
    assert detect_format(path) == expected
    assert detect_format(path.read_bytes(), filename) == expected


def test_standard_json_is_detected(lieux_data: Path) -> None:
    rows = read(lieux_data / EXAMPLE)
    payload = json.dumps([{**rows[0].record, "date_maj": "2024-04-02"}]).encode()  # type: ignore[dict-item]
    assert detect_format(payload) == "standard-json"
    lieux = read_lieux(payload)
    assert (lieux.format, lieux.location_kind) == ("standard-json", "index")
    assert [(row.location, row.issues) for row in lieux] == [(0, [])]


@pytest.mark.parametrize(
    "payload",
    [b"", b"\x00\x01\x02binary", b'[{"nom": "x",', b"\xff\xfe\x81\x8d\x8f\x90\x9d"],
)
def test_unreadable_files_raise(payload: bytes) -> None:
    with pytest.raises(UnreadableFile):
        read_lieux(payload)


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile):
        read_lieux(tmp_path / "absent.csv")


@pytest.mark.parametrize(
    "payload",
    [b"nom_complet,age\nAlice,30\n", b'{"type": "FeatureCollection", "features": []}', b"[1, 2, 3]"],
)
def test_unknown_formats_raise(payload: bytes) -> None:
    with pytest.raises(UnknownFormat):
        read_lieux(payload)


def test_wrong_format_asked_raises(lieux_data: Path) -> None:
    with pytest.raises(UnknownFormat):
        read_lieux(lieux_data / EXAMPLE, "standard-json")
    with pytest.raises(UnknownFormat):
        read_lieux(lieux_data / EXAMPLE, "xlsx")


def test_windows_1252_csv_is_read(lieux_data: Path) -> None:
    text = (lieux_data / MESSY).read_text(encoding="utf-8").replace("’", "'")
    rows = list(read_lieux(text.encode("cp1252")))
    assert by_id(rows)["messy-2"]["nom"] == "Point numérique sans coordonnées"


@pytest.mark.parametrize(
    ("name", "key"),
    [("Code Postal", "code_postal"), ("code-postal", "code_postal"), ("Téléphone", "telephone"), ("ID", "id")],
)
def test_field_names_are_matched_tolerantly(name: str, key: str) -> None:
    assert field_key(name) == key


# --- cartographie 2022 (real Vienne data) --------------------------------------------------------


def test_cartographie_2022_vienne(lieux_data: Path) -> None:
    lieux = read_lieux(lieux_data / CARTOGRAPHIE_2022)
    assert (lieux.format, lieux.variant, lieux.location_kind) == ("cartographie", "2022", "index")
    rows = list(lieux)
    assert [row.location for row in rows] == list(range(35))
    assert all(row.record is not None for row in rows)
    records = [row.record for row in rows if row.record]
    assert {tuple(r["services"]) for r in records} == {
        ("Maîtrise des outils numériques du quotidien", "Compréhension du monde numérique")
    }
    assert all(r["frais_a_charge"] == ["Gratuit"] for r in records)
    assert all(r["dispositif_programmes_nationaux"] == ["Conseillers numériques"] for r in records)
    assert not any(issue.code == "vocabulary_unknown" for row in rows for issue in row.issues)


def test_cartographie_2022_fields_and_repairs(lieux_data: Path) -> None:
    rows = read(lieux_data / CARTOGRAPHIE_2022)
    gencay = by_id(rows)["627b56dead1bdb06edc4920e"]
    assert gencay["courriels"] == ["mairie@gencay.fr"]
    assert gencay["pivot"] == "21860103700011"
    assert gencay["horaires"] == "Mo-Fr 08:00-12:00,13:30-16:30"
    assert gencay["date_maj"] == date(2022, 6, 22)
    national = [row for row in rows if any(issue.code == "phone_reformatted" for issue in row.issues)]
    assert {row.record["telephone"] for row in national if row.record} == {"+33549981083", "+33549200420"}
    pivots = {row.location for row in rows for issue in row.issues if issue.code == "pivot_missing"}
    assert len(pivots) == 22


def test_cartographie_2022_duplicates_within_the_file(lieux_data: Path) -> None:
    duplicates = {
        (row.location, issue.params["other"], issue.params["reason"])
        for row in read(lieux_data / CARTOGRAPHIE_2022)
        for issue in row.issues
        if issue.code == "probable_duplicate"
    }
    assert duplicates == {(14, "13", "same_address"), (28, "27", "same_address"), (34, "8", "close_coordinates")}


# --- cartographie 2023 (hand-made variant) -------------------------------------------------------


def test_cartographie_2023_variant(lieux_data: Path) -> None:
    lieux = read_lieux(lieux_data / CARTOGRAPHIE_2023)
    assert (lieux.format, lieux.variant) == ("cartographie", "2023")
    rows = list(lieux)
    media = by_id(rows)["carto23-mediatheque-test"]
    assert media["code_postal"] == "86000"  # from "Code Postal"
    assert media["telephone"] == "+33536491201"  # from "Téléphone"
    assert media["site_web"] == ["https://www.mediatheque-essai.example"]  # from "Site-Web"
    assert media["courriels"] == ["contact@mediatheque-essai.example"]
    assert media["services"] == [
        "Maîtrise des outils numériques du quotidien",
        "Accès internet et matériel informatique",
        "Aide aux démarches administratives",
    ]
    assert media["publics_specifiquement_adresses"] == ["Seniors"]
    assert media["prise_en_charge_specifique"] == ["Langues étrangères (autres)"]
    assert media["frais_a_charge"] == ["Gratuit", "Gratuit sous condition"]
    assert media["dispositif_programmes_nationaux"] == ["Conseillers numériques", "Aidants Connect"]
    assert media["autres_formations_labels"] == "Réseau numérique de la Vienne, APTIC"
    assert media["modalites_accompagnement"] == ["En autonomie", "Accompagnement individuel"]
    assert media["fiche_acces_libre"].startswith("https://acceslibre.beta.gouv.fr/")
    assert media["typologie"] == ["BIB", "MUNI"]


def test_cartographie_2023_issues_and_rejection(lieux_data: Path) -> None:
    rows = read(lieux_data / CARTOGRAPHIE_2023)
    social = by_id(rows)["carto23-centre-social-test"]
    assert social["publics_specifiquement_adresses"] == ["Femmes", "Familles et/ou enfants"]
    assert social["prise_en_charge_specifique"] == ["Illettrisme"]
    assert social["frais_a_charge"] == ["Payant"]
    assert social["dispositif_programmes_nationaux"] == ["Point d'accès numérique CAF", "France Services"]
    assert social["services"] == ["Parentalité et éducation avec le numérique", "Aide aux démarches administratives"]
    assert (1, "services", "vocabulary_unknown") in issue_set(rows)
    assert rows[2].record is None
    assert [(issue.field, issue.code, issue.severity) for issue in rows[2].issues] == [
        ("nom", "name_missing", "rejected")
    ]


@pytest.mark.parametrize(
    ("column", "label", "expected"),
    [
        ("conditions_access", "Gratuit : Je peux accéder gratuitement au lieu et à ses services", "Gratuit"),
        ("conditions_acces", "Accepte le Pass numérique : Il est possible…", "Gratuit sous condition"),
        ("labels_nationaux", "CNFS", "Conseillers numériques"),
        ("labels_nationaux", "Point numérique CAF", "Point d'accès numérique CAF"),
        ("labels_nationaux", "Emmaüs Connect", "Emmaüs Connect"),
        ("services", "Prendre en main un smartphone ou une tablette", "Maîtrise des outils numériques du quotidien"),
        ("services", "Utilisation sécurisée du numérique", "Utilisation sécurisée du numérique"),
        ("publics_accueillis", "Handicaps psychiques : troubles psychiatriques…", "Handicaps mentaux"),
        ("publics_accueillis", "Handicaps moteurs", "Handicaps moteurs"),
        ("modalites_accompagnement", "A ma place : une personne habilitée…", "Accompagnement individuel"),
    ],
)
def test_legacy_labels_map_to_v1(column: str, label: str, expected: str) -> None:
    targets = legacy_targets(column, label)
    assert targets is not None
    assert [value for _field, value in targets] == [expected]
    assert all(value in VOCABULARIES[field] for field, value in targets if field != "autres_formations_labels")


def test_legacy_labels_without_v1_meaning() -> None:
    assert legacy_targets("publics_accueillis", "Adultes") == ()
    assert legacy_targets("services", "Cours de cuisine") is None


# --- France Services (real Vienne data) ----------------------------------------------------------


def test_france_services_vienne(lieux_data: Path) -> None:
    lieux = read_lieux(lieux_data / FRANCE_SERVICES)
    assert (lieux.format, lieux.location_kind) == ("france-services", "line")
    rows = list(lieux)
    assert [row.location for row in rows] == list(range(2, 25))
    records = by_id(rows)
    assert len(records) == 23
    assert "france-services-507" in records
    assert "france-services-temp_154" in records
    for record in records.values():
        assert record["id"].startswith("france-services-")
        assert record["dispositif_programmes_nationaux"] == ["France Services"]
        assert record["typologie"][0] == "RFS"
        assert record["services"] == FRANCE_SERVICES_DEFAULTS["services"]
        assert record["telephone"].startswith("+33")
        assert check_hours(record["horaires"]).is_valid


def test_france_services_fields(lieux_data: Path) -> None:
    records = by_id(read(lieux_data / FRANCE_SERVICES))
    poitiers = records["france-services-507"]
    assert (
        poitiers["horaires"]
        == "Mo 09:30-12:30; Tu 09:30-12:30,14:00-18:00; We-Th 09:30-12:30,14:00-17:00; Fr 09:30-12:30; PH off"
    )
    assert (poitiers["commune"], poitiers["code_insee"], poitiers["code_postal"]) == ("Poitiers", "86194", "86000")
    assert poitiers["complement_adresse"] == "Quartier Saint-Éloi"
    assert poitiers["date_maj"] == date(2020, 1, 1)  # from "Espace labellisé 01/01/2020"
    assert poitiers["typologie"] == ["RFS", "PIMMS"]
    assert records["france-services-571"]["horaires"] == "Mo-Fr 09:00-12:00,13:50-16:15; Sa 09:00-12:00; PH off"
    assert (
        records["france-services-temp_154"]["horaires"]
        == "Mo 08:00-12:00,13:15-17:30; Tu-Fr 08:30-12:00,13:15-17:30; PH off"
    )
    assert records["france-services-2842"]["horaires"].startswith("Tu 09:00-12:00,13:30-17:30;")  # closed Monday
    assert records["france-services-2102"]["itinerance"] == ["Itinérant"]
    assert records["france-services-2671"]["typologie"] == ["RFS", "LA_POSTE"]


def test_france_services_ids_are_stable_across_imports(lieux_data: Path) -> None:
    first = [row.record["id"] for row in read(lieux_data / FRANCE_SERVICES) if row.record]
    second = [row.record["id"] for row in read(lieux_data / FRANCE_SERVICES) if row.record]
    assert first == second


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:30 - 12:30 / 14:00 - 18:00", ["09:30-12:30", "14:00-18:00"]),
        ("08:00-12:00/13:15-17:30", ["08:00-12:00", "13:15-17:30"]),
        ("9h-12h / 14h30 - 17h", ["09:00-12:00", "14:30-17:00"]),
        ("", []),
        ("-", []),
        ("Fermé", []),
        (None, []),
        ("sur rendez-vous", None),
        ("12:00 - 09:00", None),
        ("25:00 - 26:00", None),
    ],
)
def test_day_ranges(text: str | None, expected: list[str] | None) -> None:
    assert day_ranges(text) == expected


def test_group_identical_consecutive_days() -> None:
    days = [("Mo", "09:00-12:00"), ("Tu", "09:00-12:00"), ("We", ""), ("Th", "09:00-12:00"), ("Fr", "09:00-12:00")]
    assert group_days(days) == "Mo-Tu 09:00-12:00; Th-Fr 09:00-12:00"
    assert group_days([("Mo", "09:00-12:00"), ("Tu", "09:00-12:00,14:00-18:00")]) == (
        "Mo 09:00-12:00; Tu 09:00-12:00,14:00-18:00"
    )
    assert group_days([("Mo", "")]) == ""


def test_france_services_hours_with_a_day_not_understood() -> None:
    hours, unparsed = france_services_hours({"h_lundi": "09:00 - 12:00", "h_mardi": "le matin"})
    assert hours is None
    assert unparsed == [("h_mardi", "le matin")]
    assert france_services_hours({"h_lundi": "", "h_mardi": "-"}) == (None, [])


def test_france_services_row_with_bad_hours_is_kept_and_reported() -> None:
    header = "id_fs,lib_fs,adresse,code_postal,insee_com,lib_com,latitude,longitude,telephone,h_lundi,h_mardi"
    payload = f"{header}\n42,France services test,1 rue X,86000,86194,Poitiers,46.58,0.34,05 36 49 12 40,le matin,\n"
    rows = list(read_lieux(payload.encode()))
    assert rows[0].record is not None
    assert rows[0].record["id"] == "france-services-42"
    assert rows[0].record["horaires"] is None
    assert (2, "horaires", "hours_unparsed") in issue_set(rows)
    assert "lundi" in next(i for i in rows[0].issues if i.code == "hours_unparsed").message("fr")


# --- messy standard CSV --------------------------------------------------------------------------


def test_messy_csv_reports_each_issue_with_line_and_field(lieux_data: Path) -> None:
    lieux = read_lieux(lieux_data / MESSY, today=date(2026, 11, 29))
    assert (lieux.format, lieux.location_kind) == ("standard-csv", "line")
    rows = list(lieux)
    expected = {
        (3, "latitude", "coordinates_missing"),
        (5, "telephone", "phone_reformatted"),  # line 4 is the second line of a quoted field
        (6, "horaires", "hours_invalid"),
        (7, "latitude", "coordinates_outside_france"),
        (8, "id", "id_repeated"),
        (9, "code_postal", "code_invalid"),
        (9, "code_postal", "required_missing"),
        (10, "nom", "name_missing"),
        (11, "id", "id_generated"),
        (12, "latitude", "coordinates_swapped"),
        (13, "services", "vocabulary_unknown"),
        (14, "adresse", "probable_duplicate"),
        (15, "pivot", "pivot_invalid"),
        (16, "code_postal", "code_repaired"),
        (16, "code_insee", "code_repaired"),
    }
    assert issue_set(rows) == expected
    assert [row.location for row in rows] == [2, 3, *range(5, 17)]


def test_messy_csv_keeps_all_but_the_nameless_row(lieux_data: Path) -> None:
    rows = read(lieux_data / MESSY)
    assert [row.location for row in rows if row.record is None] == [10]
    records = by_id(rows)
    assert records["messy-2"]["presentation_detail"] == "Accueil au rez-de-chaussée.\nSonner à l'interphone."
    assert records["messy-3"]["telephone"] == "+33536491236"
    assert records["messy-3"]["date_maj"] == date(2024, 5, 2)
    assert records["messy-4"]["horaires"] == "lundi 9h-12h"
    assert records["messy-5"]["latitude"] is None
    assert records["messy-10"]["services"] == ["Aide aux démarches administratives"]
    assert records["messy-10"]["frais_a_charge"] == ["Gratuit"]
    duplicate = next(issue for row in rows for issue in row.issues if issue.code == "probable_duplicate")
    assert duplicate.params == {"other": "2", "reason": "same_address"}


def test_generated_ids_are_stable_across_imports(lieux_data: Path) -> None:
    first = {row.location: row.record["id"] for row in read(lieux_data / MESSY) if row.record}
    second = {row.location: row.record["id"] for row in read(lieux_data / MESSY) if row.record}
    assert first == second
    assert first[11].startswith("lieu-")


def test_a_json_item_that_is_not_an_object_is_rejected_not_fatal() -> None:
    payload = json.dumps([{"id": "a", "nom": "Lieu A", "pivot": "", "adresse": "1 rue", "courriels": ""}, "oops"])
    rows = list(read_lieux(payload.encode(), "standard-json"))
    assert rows[0].record is not None
    assert (rows[1].location, rows[1].record, rows[1].issues[0].code) == (1, None, "not_an_object")


def test_many_records_are_read(lieux_data: Path) -> None:
    """Functional check at national scale (2,730 records); timing is measured in bench/, not here."""
    base = json.loads((lieux_data / CARTOGRAPHIE_2022).read_text(encoding="utf-8"))
    items = [
        {**item, "id": f"{item['id']}-{copy}", "nom": f"{item['nom']} {copy}"} for copy in range(78) for item in base
    ]
    rows = list(read_lieux(json.dumps(items).encode()))
    assert len(rows) == 2730
    assert all(row.record is not None for row in rows)


# --- duplicates ----------------------------------------------------------------------------------


def place(**fields: Any) -> dict[str, Any]:
    base = {"nom": "Médiathèque", "code_postal": "86000", "adresse": "1 rue A", "latitude": None, "longitude": None}
    return base | fields


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        (place(adresse="10 AV DE L'EUROPE"), place(nom="Autre", adresse="10 Avenue de l’Europe"), "same_address"),
        (place(latitude=46.372797, longitude=0.406417), place(nom="X", adresse="2 rue B", latitude=46.372987, longitude=0.406612), "close_coordinates"),  # noqa: E501
        (place(nom="Médiathèque François-Mitterrand"), place(nom="MEDIATHEQUE FRANCOIS MITTERRAND", adresse="4 rue"), "similar_name"),  # noqa: E501
        (place(), place(nom="Centre social", adresse="2 rue A"), None),
        (place(nom="MDS - antenne de Beaulieu", adresse="10 bd Savari", latitude=46.575, longitude=0.383),
         place(nom="MDS - antenne de Bel Air", adresse="21 rue Roux", latitude=46.590, longitude=0.324), None),
        (place(), place(code_postal="86180", nom="Mediatheque", adresse="9 rue Z"), None),
    ],
)  # fmt: skip
def test_duplicate_reason(a: dict[str, Any], b: dict[str, Any], reason: str | None) -> None:
    assert duplicate_reason(a, b) == reason
    assert duplicate_reason(b, a) == reason


def test_distance_in_metres() -> None:
    gencay_mairie = place(latitude=46.372797, longitude=0.406417)
    gencay_fs = place(latitude=46.372987, longitude=0.406612)
    assert distance_m(gencay_mairie, gencay_fs) == pytest.approx(26, abs=2)
    assert distance_m(place(), gencay_fs) is None


def test_duplicate_key() -> None:
    keys = duplicate_key(place(adresse="10 AV DE L'EUROPE", latitude=46.5802, longitude=0.3404))
    assert keys == ("addr:86000:10 avenue europe", "name:86000", "geo:46580:340")


def test_duplicates_across_sources(lieux_data: Path) -> None:
    """The cartography and the France Services list both hold some Vienne places."""
    index = DuplicateIndex()
    for row in read(lieux_data / CARTOGRAPHIE_2022):
        index.add(("cartographie", row.location), row.record)  # type: ignore[arg-type]
    matches = {
        row.record["id"]: {(match.location[1], match.reason) for match in index.add(("fs", row.location), row.record)}
        for row in read(lieux_data / FRANCE_SERVICES)
        if row.record
    }
    assert (0, "close_coordinates") in matches["france-services-2104"]  # Gençay, 26 m apart
    assert (2, "same_address") in matches["france-services-temp_154"]  # Buxerolles town hall


def test_an_unexpected_error_rejects_one_record_only(
    lieux_data: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from inclusion_app.lieux import formats

    real = formats.normalise_record

    def fragile(raw: dict[str, Any], **kwargs: Any) -> Any:
        if raw.get("id") == "messy-3":
            raise RuntimeError("bug")
        return real(raw, **kwargs)

    monkeypatch.setattr(formats, "normalise_record", fragile)
    rows = read(lieux_data / MESSY)
    failed = [row for row in rows if any(issue.code == "record_failed" for issue in row.issues)]
    assert [(row.location, row.record) for row in failed] == [(5, None)]
    assert len(rows) == 14
    assert "could not be normalised" in caplog.text


def test_unknown_format_names_the_file() -> None:
    with pytest.raises(UnknownFormat, match="people.csv"):
        read_lieux(b"nom_complet,age\nAlice,30\n", filename="people.csv")
