"""The export of normalised records validates against the national schema with frictionless.

frictionless refuses absolute paths outside the working directory ("path is not safe"): the CSV
and the schema are written to a temporary folder that becomes the working directory, and read by
relative path; the schema is also checked when given as a descriptor.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from frictionless import Resource, Schema, validate

from inclusion_app.lieux.formats import read_lieux
from inclusion_app.lieux.standard import FIELD_NAMES, SCHEMA_PATH, load_schema, missing_required, to_standard_row

SOURCES = [
    "vienne-lieux-cartographie-2022.json",
    "vienne-france-services-2022-12.csv",
    "exemple-valide-v1.0.2.csv",
    "cartographie-2023-sample.json",
    "messy-standard.csv",
]


def exportable_rows(lieux_data: Path) -> list[dict[str, str]]:
    """Every normalised, complete record of the test files, one per id (the last one wins)."""
    rows: dict[str, dict[str, str]] = {}
    for name in SOURCES:
        for row in read_lieux(lieux_data / name):
            if row.record is not None and not missing_required(row.record):
                rows[row.record["id"]] = to_standard_row(row.record)
    return list(rows.values())


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELD_NAMES)
        writer.writeheader()
        writer.writerows(rows)


def errors(report: Any) -> list[Any]:
    return report.flatten(["rowNumber", "fieldName", "type", "note"])


@pytest.fixture
def export_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(SCHEMA_PATH, tmp_path / "schema.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_export_validates_with_relative_paths(lieux_data: Path, export_dir: Path) -> None:
    rows = exportable_rows(lieux_data)
    assert len(rows) > 60
    write_csv(export_dir / "lieux.csv", rows)
    report = validate("lieux.csv", schema="schema.json")
    assert report.valid, errors(report)


def test_export_validates_with_the_schema_as_a_descriptor(lieux_data: Path, export_dir: Path) -> None:
    write_csv(export_dir / "lieux.csv", exportable_rows(lieux_data))
    report = Resource(path="lieux.csv", schema=Schema.from_descriptor(load_schema())).validate()
    assert report.valid, errors(report)


def test_the_validation_does_check_the_vocabularies(lieux_data: Path, export_dir: Path) -> None:
    """Control: a value outside the vocabulary makes the same export invalid."""
    rows = exportable_rows(lieux_data)
    rows[0] = rows[0] | {"services": "Cours de cuisine", "telephone": "0549526766"}
    write_csv(export_dir / "lieux.csv", rows)
    report = validate("lieux.csv", schema="schema.json")
    assert not report.valid
    assert {(error[1], error[2]) for error in errors(report)} == {
        ("services", "constraint-error"),
        ("telephone", "constraint-error"),
    }


def test_the_schema_copy_is_the_national_one() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert (schema["name"], schema["version"], schema["updated"]) == ("standard-mediation-num", "v1.0.2", "2024-04-11")
    assert (SCHEMA_PATH.parent / "SOURCE.md").is_file()
