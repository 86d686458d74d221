"""`flask import-lieux` / `export-lieux` and the public open data, on the real Vienne files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from frictionless import Resource, Schema

from inclusion_app.extensions import db
from inclusion_app.lieux.standard import FIELD_NAMES, SCHEMA_PATH, load_schema
from inclusion_app.models import District, HelpPoint, HelpPointDuplicate
from inclusion_app.seed import DEMO_LIEUX
from inclusion_app.territory.services import DEMO_DISTRICTS, import_districts, read_feature_collection
from tests import factories

CARTOGRAPHIE, FRANCE_SERVICES = DEMO_LIEUX


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def districts(app):
    import_districts(read_feature_collection(DEMO_DISTRICTS))
    db.session.commit()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_both_real_files_import_and_a_second_import_changes_nothing(app, districts):
    first = run(app, "import-lieux", str(CARTOGRAPHIE))
    assert first.exit_code == 0, first.output
    assert "35 read (cartographie 2022): 35 created, 0 updated, 0 unchanged, 0 rejected" in first.output
    second = run(app, "import-lieux", str(FRANCE_SERVICES), "--format", "france-services")
    assert "23 read (france-services): 23 created, 0 updated, 0 unchanged, 0 rejected" in second.output
    assert count(HelpPoint) == 58
    again = run(app, "import-lieux", str(CARTOGRAPHIE)).output + run(app, "import-lieux", str(FRANCE_SERVICES)).output
    assert "35 created" not in again
    assert "0 created, 0 updated, 35 unchanged" in again
    assert "0 created, 0 updated, 23 unchanged" in again
    assert "0 probable duplicates flagged" in again


def test_every_repair_is_reported_with_its_location_and_field(app, districts):
    output = run(app, "import-lieux", str(FRANCE_SERVICES)).output
    assert "line 2: telephone: repaired:" in output  # "05 49 52 67 66" rewritten in E.164
    phone = db.session.scalar(sa.select(HelpPoint.telephone).where(HelpPoint.lieu_id == "france-services-507"))
    assert phone == "+33549526766"


def test_help_points_land_in_their_district(app, districts):
    run(app, "import-lieux", str(CARTOGRAPHIE))
    run(app, "import-lieux", str(FRANCE_SERVICES))
    rows = db.session.execute(sa.select(HelpPoint.nom, District.name).join(District, isouter=True)).tuples().all()
    where = dict(rows)
    assert where["France services des 3 Cités"] == "Trois-Cités"
    assert where["MDS de POITIERS - antenne médico-sociale de Beaulieu"] == "Beaulieu"
    assert where["Mairie Annexe de Gençay"] is None  # Gençay is not in Grand Poitiers
    gencay = db.session.scalar(sa.select(HelpPoint).where(HelpPoint.nom == "Mairie Annexe de Gençay"))
    assert gencay.is_outside_territory


def test_same_place_from_two_sources_is_flagged_and_both_stay_published(app, client, districts):
    run(app, "import-lieux", str(CARTOGRAPHIE))
    output = run(app, "import-lieux", str(FRANCE_SERVICES)).output
    assert "probable duplicate of the help point already known" in output
    pairs = db.session.scalars(sa.select(HelpPointDuplicate)).all()
    assert pairs
    published = {row["id"] for row in client.get("/api/v1/lieux").get_json()}
    for pair in pairs:
        assert pair.status == "open"
        assert pair.help_point.lieu_id in published
        assert pair.other.lieu_id in published


def test_same_id_twice_in_one_file_keeps_both_and_flags_them(app, tmp_path):
    records = json.loads(CARTOGRAPHIE.read_text())[:1] * 2
    records[1] = {**records[1], "nom": records[1]["nom"] + " (antenne)"}
    path = tmp_path / "twice.json"
    path.write_text(json.dumps(records))
    output = run(app, "import-lieux", str(path)).output
    assert "2 created" in output
    assert count(HelpPoint) == 2
    assert count(HelpPointDuplicate) == 1


def test_a_changed_record_is_updated_in_place(app, tmp_path):
    records = json.loads(CARTOGRAPHIE.read_text())[:3]
    path = tmp_path / "three.json"
    path.write_text(json.dumps(records))
    run(app, "import-lieux", str(path))
    records[1]["telephone"] = "05 49 00 00 00"
    path.write_text(json.dumps(records))
    output = run(app, "import-lieux", str(path)).output
    assert "0 created, 1 updated, 2 unchanged" in output
    phone = db.session.scalar(sa.select(HelpPoint.telephone).where(HelpPoint.lieu_id == records[1]["id"]))
    assert phone == "+33549000000"


def test_bad_rows_are_reported_and_good_ones_kept_with_exit_zero(app, tmp_path):
    csv_text = (
        "id,nom,commune,code_postal,adresse,latitude,longitude,horaires,date_maj,services\n"
        "a1,Bon lieu,Poitiers,86000,1 rue A,46.58,0.34,Mo-Fr 09:00-12:00,2024-01-02,"
        "Aide aux démarches administratives\n"
        ",,Poitiers,86000,,,,,,\n"
        "a3,Lieu sans coordonnées,Poitiers,86000,3 rue C,,,lundi 9h-12h,2024-01-02,\n"
        "a4,Lieu dans l'Atlantique,Poitiers,86000,4 rue D,45.0,-30.0,,2024-01-02,\n"
    )
    path = tmp_path / "lieux.csv"
    path.write_text(csv_text, encoding="utf-8")
    result = run(app, "import-lieux", str(path), "--format", "standard-csv")
    assert result.exit_code == 0, result.output
    assert "line 3: nom: rejected:" in result.output
    assert "line 4: horaires:" in result.output
    assert "line 5: latitude:" in result.output
    assert "3 created, 0 updated, 0 unchanged, 1 rejected; 2 without coordinates" in result.output
    invalid = db.session.scalar(sa.select(HelpPoint).where(HelpPoint.lieu_id == "a3"))
    assert invalid.horaires == "lundi 9h-12h"
    assert not invalid.has_valid_hours


def test_dry_run_writes_nothing(app):
    result = run(app, "import-lieux", str(CARTOGRAPHIE), "--dry-run")
    assert result.exit_code == 0
    assert "35 created" in result.output
    assert "dry run: nothing written" in result.output
    assert count(HelpPoint) == 0


def test_unreadable_file_and_unknown_format_exit_non_zero(app, tmp_path):
    missing = run(app, "import-lieux", str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 1
    garbage = tmp_path / "garbage.json"
    garbage.write_text("[{\"foo\": 1}]")
    unknown = run(app, "import-lieux", str(garbage))
    assert unknown.exit_code == 1
    assert "match none of" in unknown.output
    wrong = run(app, "import-lieux", str(CARTOGRAPHIE), "--format", "standard-csv")
    assert wrong.exit_code == 1


def frictionless_errors(rows: list[dict[str, str]], folder: Path, monkeypatch) -> list:
    shutil.copy(SCHEMA_PATH, folder / "schema.json")
    monkeypatch.chdir(folder)
    resource = Resource(data=[list(FIELD_NAMES), *[[row.get(name, "") for name in FIELD_NAMES] for row in rows]],
                        schema=Schema.from_descriptor(load_schema()))
    report = resource.validate()
    return report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_exported_csv_validates_against_the_national_schema(app, tmp_path, monkeypatch):
    run(app, "import-lieux", str(CARTOGRAPHIE))
    run(app, "import-lieux", str(FRANCE_SERVICES))
    output = tmp_path / "lieux.csv"
    assert run(app, "export-lieux", "--format", "csv", "-o", str(output)).exit_code == 0
    shutil.copy(SCHEMA_PATH, tmp_path / "schema.json")
    monkeypatch.chdir(tmp_path)
    report = Resource(path="lieux.csv", schema=Schema.from_descriptor("schema.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == 58


def test_public_json_and_geojson_validate_too(app, client, tmp_path, monkeypatch):
    run(app, "import-lieux", str(CARTOGRAPHIE))
    items = client.get("/api/v1/lieux").get_json()
    features = client.get("/api/v1/lieux.geojson").get_json()["features"]
    assert len(items) == len(features) == 35
    as_text = [{key: str(value) for key, value in item.items()} for item in items]
    assert frictionless_errors(as_text, tmp_path, monkeypatch) == []
    point = next(f for f in features if f["id"] == "627b56dead1bdb06edc4920e")
    assert point["geometry"] == {"type": "Point", "coordinates": [0.406417, 46.372797]}


def test_open_data_leaves_out_inactive_and_incomplete_points_and_internal_fields(app, client):
    factories.help_point(lieu_id="shown")
    factories.help_point(lieu_id="inactive", is_active=False)
    factories.help_point(lieu_id="incomplete", adresse=None)
    db.session.commit()
    items = client.get("/api/v1/lieux").get_json()
    assert [item["id"] for item in items] == ["shown"]
    assert set(items[0]) <= set(FIELD_NAMES)
    csv_text = client.get("/api/v1/lieux.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == ",".join(FIELD_NAMES)
    assert "inactive" not in csv_text
