"""Readers for the help-point files of `flask import-lieux` (DESIGN.md section 4), and duplicates.

Formats (`FORMATS`):

- `standard-csv`, `standard-json`: the national standard v1.0.2 (see `standard.py`), as CSV
  (`,` or `;` delimited) or as a JSON list of objects in v1.0.2 field names;
- `cartographie`: the national cartography's earlier exports, JSON or CSV. Variant 2022: fields
  `conditions_access`, `labels_nationaux`, `courriel`, comma-separated lists in the older wording;
  variant 2023: `conditions_acces`, `publics_accueillis`, `accessibilite`, `courriel`, `;`-separated
  lists. Old labels are mapped with the tables `LEGACY_VALUES` (our reading of each label, by
  meaning; the v1.0.2 vocabulary is also accepted as is);
- `france-services`: the ANCT list of France Services (`id_fs`, `lib_fs`, per-day hours such as
  `09:30 - 12:30 / 14:00 - 18:00` in `h_lundi` … `h_samedi`).

`read_lieux(...)` raises `UnreadableFile` or `UnknownFormat` at once, then its rows are read lazily,
one `ReadRow(location, record, issues)` per record, never stopping at a bad one: `location` is the
CSV line where the record starts (1-based, the header being line 1) or the JSON index (0-based);
`record` is the normalised record (None when rejected). Column names are matched tolerantly
(case, accents, separators). The upsert key is the record's `id` (`france-services-<id_fs>` for
France Services), stable across re-imports. The same id twice, and probable duplicates (see
`duplicate_reason`), are flagged on the later record.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, Literal, NamedTuple

from inclusion_app.lieux.hours import WEEKDAY_ABBREVIATIONS
from inclusion_app.lieux.standard import (
    FIELD_NAMES,
    FLAGGED,
    REJECTED,
    REPAIRED,
    Issue,
    LieuRecord,
    canonical_value,
    fold,
    normalise_record,
    split_list,
)

logger = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("standard-csv", "standard-json", "cartographie", "france-services")
FRANCE_SERVICES_ID_PREFIX = "france-services-"
#: Probable duplicates: points closer than this (metres), or names at least this similar.
DUPLICATE_DISTANCE_M = 50.0
DUPLICATE_NAME_SIMILARITY = 0.9
#: Similar names do not count for places known to be further apart than this (metres).
DUPLICATE_NAME_MAX_DISTANCE_M = 1000.0


class UnreadableFile(Exception):
    """The file cannot be read or decoded as CSV/JSON text."""


class UnknownFormat(Exception):
    """The file is readable but not one of `FORMATS` (or not the format asked for)."""


class ReadRow(NamedTuple):
    """One record read: `location` (CSV line or JSON index), `record` (None if rejected), `issues`."""

    location: int
    record: LieuRecord | None
    issues: list[Issue]


RawRows = list[tuple[int, Any]]


@dataclass
class LieuxFile:
    """A readable file of help points: `format` (one of `FORMATS`), `location_kind` (`"line"` for
    CSV, `"index"` for JSON), `variant` (`"2022"`/`"2023"` for cartographie) and its rows."""

    format: str
    location_kind: Literal["line", "index"]
    rows: Iterator[ReadRow]
    variant: str | None = None

    def __iter__(self) -> Iterator[ReadRow]:
        return self.rows


# --- Loading ------------------------------------------------------------------------------------


def _read_bytes(source: str | Path | bytes) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read {source}: {exc.strerror}") from exc


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as French spreadsheets write it."""
    if b"\x00" in data[:4096]:
        raise UnreadableFile("binary file, not CSV or JSON text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("neither UTF-8 nor Windows-1252 text")


def field_key(name: str) -> str:
    """A column name folded for matching: `"Code Postal"`, `"code-postal"` → `"code_postal"`."""
    return fold(name).replace(" ", "_")


def _keyed(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {field_key(str(name)): value for name, value in raw.items() if name is not None}


def _json_rows(text: str) -> RawRows:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"invalid JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError as exc:
        raise UnreadableFile("invalid JSON: nested too deeply") from exc
    if not isinstance(data, list):
        raise UnknownFormat("JSON file without a list of records at its top level")
    return [(index, _keyed(item) if isinstance(item, dict) else item) for index, item in enumerate(data)]


def _csv_rows(text: str) -> RawRows:
    """(first line of the record, {folded column: value}) for each non-blank CSV record."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: RawRows = []
    try:
        header = [field_key(name) for name in next(reader)]
        previous_end = reader.line_num
        for values in reader:
            if any(value.strip() for value in values):
                rows.append((previous_end + 1, dict(zip(header, values, strict=False))))
            previous_end = reader.line_num
    except (StopIteration, csv.Error) as exc:
        raise UnreadableFile(f"not a readable CSV file: {exc}") from exc
    return rows


def load_rows(source: str | Path | bytes) -> tuple[Literal["csv", "json"], RawRows]:
    """Read and decode a file (path or bytes) into raw rows: `("json", [(index, obj)])` when its text
    starts with `[` or `{`, else `("csv", [(line, {column: value})])`. Column names are folded with
    `field_key`. Raises UnreadableFile, or UnknownFormat for JSON that is not a list."""
    text = _decode(_read_bytes(source))
    if text.lstrip()[:1] in ("[", "{"):
        return "json", _json_rows(text)
    return "csv", _csv_rows(text)


# --- Detection ----------------------------------------------------------------------------------

_FRANCE_SERVICES_MARKERS = frozenset({"id_fs", "lib_fs", "h_lundi"})
_LEGACY_MARKERS = frozenset(
    {"conditions_access", "conditions_acces", "modalites_access", "labels_nationaux", "labels_autres",
     "publics_accueillis", "accessibilite", "courriel"}
)  # fmt: skip
_V1_MARKERS = frozenset(FIELD_NAMES) - {"id", "nom", "commune", "code_postal", "adresse", "latitude", "longitude"}


def _columns(rows: RawRows, sample: int = 50) -> set[str]:
    return {key for _location, raw in rows[:sample] if isinstance(raw, dict) for key in raw}


def _detect(container: str, rows: RawRows) -> str:
    columns = _columns(rows)
    if columns & _FRANCE_SERVICES_MARKERS:
        return "france-services"
    if columns & _LEGACY_MARKERS and not columns & {"courriels", "frais_a_charge", "dispositif_programmes_nationaux"}:
        return "cartographie"
    if "nom" in columns and len(columns & _V1_MARKERS) >= 2:
        return f"standard-{container}"
    raise UnknownFormat("columns match none of " + ", ".join(FORMATS))


def detect_format(path_or_bytes: str | Path | bytes, filename: str | None = None) -> str:
    """The format (one of `FORMATS`) of a file, from its content: JSON or CSV, then its field names
    (France Services markers `id_fs`/`lib_fs`/`h_lundi`; legacy cartography fields; v1.0.2 fields).
    `filename` only names the file in error messages. Raises UnreadableFile or UnknownFormat."""
    container, rows = load_rows(path_or_bytes)
    return detect_format_of(container, rows, filename)


def detect_format_of(container: str, rows: RawRows, filename: str | None = None) -> str:
    """`detect_format` for rows already loaded with `load_rows`."""
    try:
        return _detect(container, rows)
    except UnknownFormat as exc:
        raise UnknownFormat(f"{filename or 'file'}: {exc}") from exc


def _chosen_format(container: str, rows: RawRows, fmt: str, filename: str | None) -> str:
    """The format to read: detected for `auto` (a file with no record is read as the standard);
    a forced format must not contradict what the columns show, so that a wrong `--format` cannot
    silently empty or invent fields. Raises UnknownFormat."""
    if fmt != "auto" and fmt not in FORMATS:
        raise UnknownFormat(f"unknown format {fmt!r}: expected auto or one of {', '.join(FORMATS)}")
    if not rows:
        return f"standard-{container}" if fmt == "auto" else fmt
    try:
        detected = detect_format_of(container, rows, filename)
    except UnknownFormat:
        if fmt == "auto":
            raise
        return fmt
    if fmt not in ("auto", detected):
        raise UnknownFormat(f"{filename or 'the file'} looks like {detected}, not {fmt}: check --format")
    return detected


# --- Legacy cartography -------------------------------------------------------------------------

Target = tuple[str, str]  # (v1.0.2 field, v1.0.2 value)
PUBLIC_FIELD, CARE_FIELD = "publics_specifiquement_adresses", "prise_en_charge_specifique"
_SERVICES, _FEES = "services", "frais_a_charge"
_PROGRAMMES, _SUPPORT = "dispositif_programmes_nationaux", "modalites_accompagnement"
_ADMIN = (_SERVICES, "Aide aux démarches administratives")
_DAILY = (_SERVICES, "Maîtrise des outils numériques du quotidien")
_CULTURE = (_SERVICES, "Compréhension du monde numérique")
_JOBS = (_SERVICES, "Insertion professionnelle via le numérique")
_EQUIPMENT = (_SERVICES, "Accès internet et matériel informatique")
_CARE_MENTAL = (CARE_FIELD, "Handicaps mentaux")

#: Older cartography labels (before v1.0) → v1.0.2 values, per legacy column. The text before
#: " : " is what is matched (accents, case and punctuation ignored). `()` means deliberately
#: dropped: "Adultes" and "Tout public" say nothing in v1, where every place is open to all.
#: Labels not listed here are tried against the v1.0.2 vocabulary, then reported and dropped.
LEGACY_VALUES: dict[str, dict[str, tuple[Target, ...]]] = {
    "services": {
        "Prendre en main un smartphone ou une tablette": (_DAILY,),
        "Prendre en main un ordinateur": (_DAILY,),
        "Utiliser le numérique au quotidien": (_DAILY,),
        "Approfondir ma culture numérique": (_CULTURE,),
        "Promouvoir la citoyenneté numérique": (_CULTURE,),
        "Favoriser mon insertion professionnelle": (_JOBS,),
        "Créer et développer mon entreprise": (_JOBS,),
        "Devenir autonome dans les démarches administratives": (_ADMIN,),
        "Gagner en autonomie dans les démarches administratives": (_ADMIN,),
        "Réaliser des démarches administratives avec un accompagnement": (_ADMIN,),
        "Être accompagné dans les démarches administratives": (_ADMIN,),
        "Accompagner les démarches de santé": (_ADMIN,),
        "Accéder à une connexion internet": (_EQUIPMENT,),
        "Accéder à du matériel": (_EQUIPMENT,),
        "S'équiper en matériel informatique": ((_SERVICES, "Acquisition de matériel informatique à prix solidaire"),),
        "Créer avec le numérique": ((_SERVICES, "Loisirs et créations numériques"),),
        "Soutenir la parentalité et l'éducation avec le numérique": (
            (_SERVICES, "Parentalité et éducation avec le numérique"),
        ),
    },
    "publics_accueillis": {
        "Adultes": (), "Tout public": (),
        "Familles/enfants": ((PUBLIC_FIELD, "Familles et/ou enfants"),),
        "Jeunes (16-26 ans)": ((PUBLIC_FIELD, "Jeunes"),),
        "Étudiants": ((PUBLIC_FIELD, "Étudiants"),),
        "Seniors (+ 65 ans)": ((PUBLIC_FIELD, "Seniors"),),
        "Uniquement femmes": ((PUBLIC_FIELD, "Femmes"),),
        "Public langues étrangères": ((CARE_FIELD, "Langues étrangères (autres)"),),
        "Déficience visuelle": ((CARE_FIELD, "Déficience visuelle"),),
        "Surdité": ((CARE_FIELD, "Surdité"),),
        "Handicaps psychiques": (_CARE_MENTAL,),  # v1 has no separate psychiatric-disability value
        "Handicaps mentaux": (_CARE_MENTAL,),
        "Handicaps moteurs": ((CARE_FIELD, "Handicaps moteurs"),),
        "Personnes en situation d'illettrisme": ((CARE_FIELD, "Illettrisme"),),
    },
    "conditions_acces": {
        "Gratuit": ((_FEES, "Gratuit"),),
        "Gratuit sous condition": ((_FEES, "Gratuit sous condition"),),
        "Payant": ((_FEES, "Payant"),),
        "Adhésion": ((_FEES, "Payant"),),  # a membership fee
        "Accepte le Pass numérique": ((_FEES, "Gratuit sous condition"),),  # free with a pass
    },
    "labels_nationaux": {
        "CNFS": ((_PROGRAMMES, "Conseillers numériques"),),
        "Point numérique CAF": ((_PROGRAMMES, "Point d'accès numérique CAF"),),
        "Point relais CAF": ((_PROGRAMMES, "Point d'accès numérique CAF"),),
        "Grandes écoles du numérique": ((_PROGRAMMES, "Grande école du numérique"),),
        "Fabriques de Territoire": (("formations_labels", "Fabriques de Territoire"),),
        "APTIC": (("autres_formations_labels", "APTIC"),),
        "Campus connecté": (("autres_formations_labels", "Campus connecté"),),
        "French Tech": (("autres_formations_labels", "French Tech"),),
        "Relais pôle emploi": (("autres_formations_labels", "Relais pôle emploi"),),
    },
    "modalites_accompagnement": {
        "Seul": ((_SUPPORT, "En autonomie"),),
        "Avec de l'aide": ((_SUPPORT, "Accompagnement individuel"),),
        "Dans un atelier": ((_SUPPORT, "Dans un atelier collectif"),),
        "A ma place": ((_SUPPORT, "Accompagnement individuel"),),  # done for the person, one to one
    },
}  # fmt: skip
#: v1.0.2 field tried for a legacy label missing from `LEGACY_VALUES`.
_LEGACY_DEFAULT_FIELD = {"services": _SERVICES, "conditions_acces": _FEES, "labels_nationaux": _PROGRAMMES,
                         "modalites_accompagnement": _SUPPORT, "publics_accueillis": PUBLIC_FIELD}  # fmt: skip
_LEGACY_INDEX = {
    column: {fold(label): targets for label, targets in table.items()} for column, table in LEGACY_VALUES.items()
}
#: Legacy column → its name in `LEGACY_VALUES` (after `field_key`).
_LEGACY_COLUMNS = {"services": "services", "publics_accueillis": "publics_accueillis", "publics": "publics_accueillis",
                   "conditions_access": "conditions_acces", "conditions_acces": "conditions_acces",
                   "modalites_access": "conditions_acces", "labels_nationaux": "labels_nationaux",
                   "modalites_accompagnement": "modalites_accompagnement",
                   "types_accompagnement": "modalites_accompagnement"}  # fmt: skip
#: Legacy column → v1.0.2 field, copied as is.
_LEGACY_RENAMES = {"courriel": "courriels", "email": "courriels", "accessibilite": "fiche_acces_libre",
                   "labels_autres": "autres_formations_labels"}  # fmt: skip


def legacy_targets(column: str, label: str) -> tuple[Target, ...] | None:
    """The v1.0.2 (field, value) pairs for an old cartography `label` of `column`
    (`conditions_access`, `services`…), or None when unknown. Matches the text before " : "."""
    table = _LEGACY_COLUMNS.get(column, column)
    short = fold(label.split(" : ")[0].split(" :")[0])
    if (targets := _LEGACY_INDEX.get(table, {}).get(short)) is not None:
        return targets
    default_field = _LEGACY_DEFAULT_FIELD.get(table)
    for target_field in (default_field, CARE_FIELD if table == "publics_accueillis" else None):
        if target_field and (value := canonical_value(target_field, label)):
            return ((target_field, value),)
    return None


def _map_legacy(column: str, value: Any, mapped: dict[str, list[str]], issues: list[Issue]) -> None:
    for label in split_list(value):
        targets = legacy_targets(column, label)
        if targets is None:
            issues.append(Issue(column, "vocabulary_unknown", REPAIRED, {"value": label}))
            continue
        for target_field, target_value in targets:
            mapped.setdefault(target_field, []).append(target_value)


def _from_cartographie(raw: dict[str, Any]) -> tuple[dict[str, Any], list[Issue]]:
    """A legacy cartography record → v1.0.2 field names (lists mapped, see `LEGACY_VALUES`)."""
    out: dict[str, Any] = {}
    mapped: dict[str, list[str]] = {}
    issues: list[Issue] = []
    for column, value in raw.items():
        if column in _LEGACY_COLUMNS:
            _map_legacy(column, value, mapped, issues)
        elif column in _LEGACY_RENAMES or column in FIELD_NAMES:
            out[_LEGACY_RENAMES.get(column, column)] = value
    others = [
        text for text in (out.get("autres_formations_labels"), *mapped.pop("autres_formations_labels", [])) if text
    ]
    out["autres_formations_labels"] = ", ".join(str(text) for text in others) or None
    return out | mapped, issues


def cartographie_variant(rows: RawRows) -> str:
    """`"2022"` (comma lists, `conditions_access`) or `"2023"` (`;` lists, `conditions_acces`…)."""
    columns = _columns(rows)
    if "conditions_access" in columns and not columns & {"conditions_acces", "publics_accueillis", "accessibilite"}:
        return "2022"
    return "2023"


# --- France Services ----------------------------------------------------------------------------

FRANCE_SERVICES_DAYS: tuple[tuple[str, str], ...] = tuple(
    zip(("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi", "h_dimanche"),
        WEEKDAY_ABBREVIATIONS, strict=True)
)  # fmt: skip
_TIME = r"(\d{1,2})\s*[:hH]\s*(\d{2})?"
_RANGE = re.compile(rf"^{_TIME}\s*[-–à]\s*{_TIME}$")
_CLOSED = {"", "-", "ferme", "fermee", "closed"}


def day_ranges(text: str | None) -> list[str] | None:
    """France Services hours of one day (`09:30 - 12:30 / 14:00 - 18:00`, `9h-12h`) as OSM ranges
    (`["09:30-12:30", "14:00-18:00"]`); `[]` when closed or empty; None when not understood."""
    if fold(text or "") in _CLOSED:
        return []
    ranges = []
    for part in (text or "").split("/"):
        match = _RANGE.match(part.strip())
        if not match:
            return None
        start, end = (int(match[1]), int(match[2] or 0)), (int(match[3]), int(match[4] or 0))
        if not (start < end <= (24, 0) and start[1] < 60 and end[1] < 60):
            return None
        ranges.append(f"{start[0]:02d}:{start[1]:02d}-{end[0]:02d}:{end[1]:02d}")
    return ranges


def group_days(days: Iterable[tuple[str, str]]) -> str:
    """`[("Mo", "09:00-12:00"), ("Tu", "09:00-12:00"), ("We", "")…]` → `"Mo-Tu 09:00-12:00"`: runs of
    consecutive days with the same hours share a rule; days with empty hours are left out (closed)."""
    rules: list[tuple[str, str, str]] = []  # (first day, last day, hours)
    previous = None
    for day, hours in days:
        if rules and hours and hours == previous:
            rules[-1] = (rules[-1][0], day, hours)
        elif hours:
            rules.append((day, day, hours))
        previous = hours
    return "; ".join(f"{first}-{last} {hours}" if first != last else f"{first} {hours}" for first, last, hours in rules)


def france_services_hours(raw: Mapping[str, Any]) -> tuple[str | None, list[tuple[str, str]]]:
    """OSM opening_hours from the `h_lundi` … `h_dimanche` columns, with the (column, value) pairs
    not understood. `09:30 - 12:30` on Monday and `09:30 - 12:30 / 14:00 - 18:00` on Tuesday give
    `Mo 09:30-12:30; Tu 09:30-12:30,14:00-18:00`. None when no day has hours, or when one day is
    not understood (partial hours would be wrong). France Services close on public holidays, so
    `; PH off` ends the expression."""
    days, unparsed = [], []
    for column, abbreviation in FRANCE_SERVICES_DAYS:
        ranges = day_ranges(raw.get(column))
        if ranges is None:
            unparsed.append((column, str(raw.get(column))))
        days.append((abbreviation, ",".join(ranges or [])))
    hours = group_days(days) if not unparsed else ""
    return (f"{hours}; PH off" if hours else None), unparsed


def _france_services_typologie(name: str) -> list[str]:
    """RFS (Réseau France Services, data.inclusion), plus LA_POSTE / PIMMS when the name says so."""
    folded = fold(name)
    return ["RFS"] + [code for code, word in (("LA_POSTE", "la poste"), ("PIMMS", "pimms")) if word in folded]


#: Values every France Services gets, as the national cartography set them (mednum-cli,
#: assets/input/france-services/france-services.config.json), in v1.0.2 wording.
FRANCE_SERVICES_DEFAULTS: dict[str, list[str]] = {
    "dispositif_programmes_nationaux": ["France Services"],
    "services": ["Aide aux démarches administratives", "Insertion professionnelle via le numérique"],
    "frais_a_charge": ["Gratuit"],
}
_FRANCE_SERVICES_COLUMNS = {"lib_fs": "nom", "insee_com": "code_insee", "lib_com": "commune", "mail": "courriels",
                            "commentaire": "presentation_detail", "labellisation": "date_maj"}  # fmt: skip


def _from_france_services(raw: dict[str, Any]) -> tuple[dict[str, Any], list[Issue]]:
    """A France Services row → v1.0.2 field names (id `france-services-<id_fs>`, hours, defaults)."""
    out: dict[str, Any] = {_FRANCE_SERVICES_COLUMNS.get(key, key): value for key, value in raw.items()}
    id_fs = str(raw.get("id_fs") or "").strip()
    out["id"] = FRANCE_SERVICES_ID_PREFIX + id_fs if id_fs else None
    out["horaires"], unparsed = france_services_hours(raw)
    issues = [Issue("horaires", "hours_unparsed", REPAIRED, {"day": day, "value": value}) for day, value in unparsed]
    roaming = fold(str(raw.get("itinerance") or ""))
    out["itinerance"] = {"oui": ["Itinérant"], "non": ["Fixe"]}.get(roaming, [])
    out["typologie"] = _france_services_typologie(str(raw.get("lib_fs") or ""))
    out.update({key: list(values) for key, values in FRANCE_SERVICES_DEFAULTS.items()})
    out["source"] = "ANCT"
    return out, issues


# --- Reading ------------------------------------------------------------------------------------

Converter = Callable[[dict[str, Any]], tuple[dict[str, Any], list[Issue]]]


def _as_standard(raw: dict[str, Any]) -> tuple[dict[str, Any], list[Issue]]:
    return raw, []


_CONVERTERS: dict[str, Converter] = {
    "standard-csv": _as_standard,
    "standard-json": _as_standard,
    "cartographie": _from_cartographie,
    "france-services": _from_france_services,
}


def read_rows(fmt: str, rows: Iterable[tuple[int, Any]], *, today: date | None = None) -> Iterator[ReadRow]:
    """Convert and normalise raw rows of format `fmt` (see `load_rows`), one ReadRow each, flagging
    a repeated id and probable duplicates within the file on the later record."""
    convert = _CONVERTERS[fmt]
    seen_ids: dict[str, int] = {}
    duplicates = DuplicateIndex()
    for location, raw in rows:
        if not isinstance(raw, dict):
            yield ReadRow(location, None, [Issue("", "not_an_object", REJECTED)])
            continue
        try:
            converted, issues = convert(raw)
            record, more = normalise_record(converted, today=today)
        except Exception:  # an import never stops at one record; the bug is logged with its trace
            logger.exception("record at %s %d could not be normalised", fmt, location)
            yield ReadRow(location, None, [Issue("", "record_failed", REJECTED)])
            continue
        issues += more
        if record is not None:
            issues += _file_duplicates(location, record, seen_ids, duplicates)
        yield ReadRow(location, record, issues)


def _file_duplicates(location: int, record: LieuRecord, seen_ids: dict[str, int], index: DuplicateIndex) -> list[Issue]:
    issues = []
    if (other := seen_ids.get(record["id"])) is not None:
        issues.append(Issue("id", "id_repeated", FLAGGED, {"value": record["id"], "other": str(other)}))
    else:
        for match in index.add(location, record):
            params = {"other": str(match.location), "reason": match.reason}
            issues.append(Issue(_REASON_FIELDS[match.reason], "probable_duplicate", FLAGGED, params))
    seen_ids.setdefault(record["id"], location)
    return issues


def read_lieux(
    source: str | Path | bytes, fmt: str = "auto", filename: str | None = None, *, today: date | None = None
) -> LieuxFile:
    """Open a help-point file (path or bytes) in format `fmt` (`"auto"` or one of `FORMATS`).

    The file is read, decoded and its format checked at once: raises UnreadableFile, or
    UnknownFormat (format not recognised, or not the one asked for). Rows are then normalised
    lazily (`LieuxFile.rows`); `today` is the default `date_maj`. Measured here: about 0.3 s for
    2,730 cartography records, duplicate search included.
    """
    container, rows = load_rows(source)
    detected = _chosen_format(container, rows, fmt, filename)
    if detected.startswith("standard-") and detected != f"standard-{container}":
        raise UnknownFormat(f"{filename or 'file'} is {container.upper()}, not {detected}")
    variant = cartographie_variant(rows) if detected == "cartographie" else None
    kind: Literal["line", "index"] = "line" if container == "csv" else "index"
    logger.info("reading %s: %s, %d records", filename or "file", detected, len(rows))
    return LieuxFile(detected, kind, read_rows(detected, rows, today=today), variant)


# --- Duplicates ---------------------------------------------------------------------------------

_STOPWORDS = frozenset({"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les"})
_STREET_WORDS = {"av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard", "pl": "place", "r": "rue",
                 "rte": "route", "chem": "chemin", "all": "allee", "imp": "impasse", "fg": "faubourg", "st": "saint",
                 "ste": "sainte", "sq": "square", "crs": "cours", "pass": "passage", "res": "residence"}  # fmt: skip
_REASON_FIELDS = {"same_address": "adresse", "close_coordinates": "latitude", "similar_name": "nom"}
#: At most this many earlier records are reported as probable duplicates of a new one.
MAX_DUPLICATE_MATCHES = 5


def _words(text: str | None, replacements: Mapping[str, str] | None = None) -> str:
    words = (replacements.get(word, word) if replacements else word for word in fold(text or "").split())
    return " ".join(word for word in words if word not in _STOPWORDS)


class _Place(NamedTuple):
    """What duplicate search compares, computed once per record."""

    postcode: str
    address: str
    name: str
    latitude: float | None
    longitude: float | None

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> _Place:
        return cls(
            record.get("code_postal") or "",
            _words(record.get("adresse"), _STREET_WORDS),
            _words(record.get("nom")),
            record.get("latitude"),
            record.get("longitude"),
        )

    def cell(self) -> tuple[int, int] | None:
        """Grid cell of 0.001° (about 110 × 75 m in France), None without coordinates."""
        if self.latitude is None or self.longitude is None:
            return None
        return math.floor(self.latitude * 1000), math.floor(self.longitude * 1000)

    def blocking_keys(self) -> tuple[str, ...]:
        keys = [f"addr:{self.postcode}:{self.address}"] if self.address else []
        keys += [f"name:{self.postcode}"] if self.postcode else []
        cell = self.cell()
        return (*keys, f"geo:{cell[0]}:{cell[1]}") if cell else tuple(keys)


def duplicate_key(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Blocking keys of a record for duplicate search: `addr:<postcode>:<address>` (address folded,
    street abbreviations expanded, small words removed), `name:<postcode>`, `geo:<lat>:<lon>` (cells
    of 0.001°, about 110 × 75 m in France). Two probable duplicates share a key, or (for `geo`) sit
    in neighbouring cells; `duplicate_reason` then decides."""
    return _Place.of(record).blocking_keys()


def _distance(a: _Place, b: _Place) -> float | None:
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def distance_m(a: Mapping[str, Any], b: Mapping[str, Any]) -> float | None:
    """Great-circle distance in metres between two records' coordinates (None if one lacks them)."""
    return _distance(_Place.of(a), _Place.of(b))


def _similar_names(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    matcher, threshold = SequenceMatcher(None, a, b), DUPLICATE_NAME_SIMILARITY
    return (
        matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold
    )


def _reason(a: _Place, b: _Place) -> str | None:
    same_postcode = bool(a.postcode) and a.postcode == b.postcode
    if same_postcode and a.address and a.address == b.address:
        return "same_address"
    distance = _distance(a, b)
    if distance is not None and distance <= DUPLICATE_DISTANCE_M:
        return "close_coordinates"
    near = distance is None or distance <= DUPLICATE_NAME_MAX_DISTANCE_M
    return "similar_name" if same_postcode and near and _similar_names(a.name, b.name) else None


def duplicate_reason(a: Mapping[str, Any], b: Mapping[str, Any]) -> str | None:
    """Why two records are probably the same place, or None: `"same_address"` (same postcode and
    address, see `duplicate_key`), `"close_coordinates"` (within `DUPLICATE_DISTANCE_M` metres), or
    `"similar_name"` (same postcode, folded names at least `DUPLICATE_NAME_SIMILARITY` alike, and not
    known to be more than `DUPLICATE_NAME_MAX_DISTANCE_M` apart)."""
    return _reason(_Place.of(a), _Place.of(b))


class DuplicateMatch(NamedTuple):
    """An earlier record that the new one probably duplicates: its location (or any id) and why."""

    location: Any
    reason: str


class DuplicateIndex:
    """Records seen so far, bucketed by `duplicate_key`, to find probable duplicates in near-linear
    time. `add(location, record)` returns up to `MAX_DUPLICATE_MATCHES` earlier matches, then stores
    the record. `location` is any label (a CSV line, a JSON index, a database id)."""

    def __init__(self) -> None:
        self._buckets: dict[str, list[tuple[Any, _Place]]] = {}

    def _candidates(self, place: _Place) -> Iterator[tuple[Any, _Place]]:
        keys = [key for key in place.blocking_keys() if not key.startswith("geo:")]
        if (cell := place.cell()) is not None:
            keys += [f"geo:{cell[0] + i}:{cell[1] + j}" for i in (-1, 0, 1) for j in (-1, 0, 1)]
        for key in keys:
            yield from self._buckets.get(key, ())

    def add(self, location: Any, record: Mapping[str, Any]) -> list[DuplicateMatch]:
        """Matches among the records added before (each earlier record at most once), then add."""
        place = _Place.of(record)
        matches = self._matches(place)
        for key in place.blocking_keys():
            self._buckets.setdefault(key, []).append((location, place))
        return matches

    def matches(self, record: Mapping[str, Any]) -> list[DuplicateMatch]:
        """Matches among the records added so far, without adding this one."""
        return self._matches(_Place.of(record))

    def _matches(self, place: _Place) -> list[DuplicateMatch]:
        matches: list[DuplicateMatch] = []
        seen: set[int] = set()
        for other_location, other in self._candidates(place):
            if len(matches) >= MAX_DUPLICATE_MATCHES:
                break
            if id(other) in seen:
                continue
            seen.add(id(other))
            if (reason := _reason(place, other)) is not None:
                matches.append(DuplicateMatch(other_location, reason))
        return matches
