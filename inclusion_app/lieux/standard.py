"""The national standard for help points: "Schéma de données des lieux de médiation numérique" v1.0.2.

Source: LaMednum/standard-mediation-num, `schema.json`, v1.0.2 (2024-04-11), a Frictionless table
schema copied in `schema/` (see its SOURCE.md). Field order, required fields, patterns and the
enumerated vocabularies are read from that file, never retyped.

A *normalised record* (`LieuRecord`) is a dict holding every v1.0.2 field name:

- list fields (`LIST_FIELDS`: typologie, courriels, site_web, itinerance and the vocabularies) are
  Python lists of str, possibly empty;
- `latitude`, `longitude`: float (WGS84 degrees) or None; `date_maj`: `datetime.date`;
- `telephone`: E.164 str or None; `pivot`: SIRET/RNA/RIDET, or `PIVOT_UNKNOWN`;
- every other field: str or None.

`normalise_record` repairs what it can and reports each change as an `Issue`; it rejects a record
only when it cannot be a help point at all (no name, or no id and nothing to build one from).
Pure Python: no database, no Flask.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from inclusion_app.lieux.hours import check_hours
from inclusion_app.phones import InvalidPhone, parse_phone
from inclusion_app.text import fold as fold_text

logger = logging.getLogger(__name__)

SCHEMA_FILENAME = "schema-lieux-mediation-numerique-v1.0.2.json"
SCHEMA_PATH = Path(__file__).with_name("schema") / SCHEMA_FILENAME
#: What the national cartography publishes when the SIRET/RNA is unknown (DESIGN.md section 6).
PIVOT_UNKNOWN = "00000000000000"
RESUME_MAX_LENGTH = 280

#: Structure types of data.inclusion ("typologies de structure"), which the schema points to for
#: `typologie` without enumerating them. Source: anct-cartographie-nationale/lieux-de-mediation-numerique,
#: src/models/typologie/typologie.ts (the national cartography's own list).
TYPOLOGIES: tuple[str, ...] = (
    "ACI", "ACIPHC", "AFPA", "AI", "ASE", "ASSO", "ASSO_CHOMEUR", "Autre", "AVIP", "BIB", "CAARUD", "CADA",
    "CAF", "CAP_EMPLOI", "CAVA", "CC", "CCAS", "CCONS", "CD", "CDAS", "CFP", "CHRS", "CHU", "CIAS", "CIDFF",
    "CITMET", "CMP", "CMS", "CPAM", "CPH", "CS", "CSAPA", "CSC", "DEETS", "DEPT", "DIPLP", "E2C", "EA", "EATT",
    "EI", "EITI", "ENM", "EPCI", "EPI", "EPIDE", "EPN", "ES", "ESAT", "ESS", "ETTI", "EVS", "FABLAB", "FABRIQUE",
    "FAIS", "FT", "GEIQ", "HUDA", "LA_POSTE", "MDE", "MDH", "MDEF", "MDPH", "MDS", "MJC", "ML", "MQ", "MSA",
    "MSAP", "MUNI", "OACAS", "ODC", "OF", "OIL", "OPCS", "PAD", "PENSION", "PI", "PIJ_BIJ", "PIMMS", "PJJ",
    "PLIE", "PREF", "PREVENTION", "REG", "RELAIS_LECTURE", "RESSOURCERIE", "RFS", "RS_FJT", "SCP", "SPIP",
    "TIERS_LIEUX", "UDAF",
)  # fmt: skip

#: Bounding boxes (name, lat min, lat max, lon min, lon max) of France, overseas included. Source:
#: anct-cartographie-nationale/lieux-de-mediation-numerique, src/models/localisation/emprises.ts,
#: plus the Îles Éparses and Terre Adélie (TF) added here.
TERRITORY_BOXES: tuple[tuple[str, float, float, float, float], ...] = (
    ("Métropole et Corse", 41.3, 51.2, -5.2, 9.6),
    ("Guadeloupe, Saint-Martin, Saint-Barthélemy", 15.8, 18.2, -63.2, -60.8),
    ("Martinique", 14.3, 15.0, -61.3, -60.7),
    ("Guyane", 2.0, 6.0, -54.7, -51.5),
    ("La Réunion", -21.5, -20.7, 55.1, 55.9),
    ("Mayotte", -13.1, -12.6, 45.0, 45.4),
    ("Saint-Pierre-et-Miquelon", 46.7, 47.2, -56.5, -56.1),
    ("Nouvelle-Calédonie", -22.8, -19.5, 163.5, 168.2),
    ("Polynésie française", -28.0, -7.8, -154.8, -134.4),
    ("Wallis-et-Futuna", -14.4, -13.2, -178.3, -176.1),
    ("Terres australes (Kerguelen, Crozet, Amsterdam, Saint-Paul)", -50.0, -37.0, 50.0, 78.0),
    ("Europa", -22.5, -22.2, 40.2, 40.5),
    ("Bassas da India", -21.6, -21.3, 39.5, 39.8),
    ("Juan de Nova", -17.2, -16.9, 42.6, 42.9),
    ("Glorieuses", -11.7, -11.4, 47.2, 47.5),
    ("Tromelin", -16.0, -15.8, 54.4, 54.6),
    ("Terre Adélie", -67.0, -66.0, 136.0, 142.5),
)

Severity = Literal["repaired", "rejected", "flagged"]
REPAIRED: Severity = "repaired"  # kept; this field was changed, defaulted or cleared
REJECTED: Severity = "rejected"  # not a help point: not imported
FLAGGED: Severity = "flagged"  # kept unchanged, needs a human look (raw hours, duplicates…)

#: Message templates per issue code: (English, French); `{…}` are the issue's params.
MESSAGES: dict[str, tuple[str, str]] = {
    "name_missing": ("no name: not a help point", "pas de nom : ce n'est pas un lieu"),
    "id_missing": ("no id, and no address to build one from", "pas d'identifiant, ni d'adresse pour en construire un"),
    "id_generated": (
        "no id: built {value} from name and address",
        "pas d'identifiant : {value} construit du nom et de l'adresse",
    ),
    "id_repeated": (
        "id {value} already seen at {other}: both kept, this one under an id of its own",
        "identifiant {value} déjà vu en {other} : les deux sont gardées, celle-ci sous un identifiant propre",
    ),
    "pivot_missing": ("no SIRET/RNA: set to 00000000000000", "pas de SIRET/RNA : mis à 00000000000000"),
    "pivot_invalid": (
        "SIRET/RNA {value} not valid: set to 00000000000000",
        "SIRET/RNA {value} invalide : mis à 00000000000000",
    ),
    "code_repaired": ("{value} read as {repaired}", "{value} lu comme {repaired}"),
    "code_invalid": ("{value} is not a valid code: cleared", "{value} n'est pas un code valide : effacé"),
    "coordinates_missing": ("no coordinates: listed, not on the map", "pas de coordonnées : listé, absent de la carte"),
    "coordinates_invalid": (
        "coordinates {value} are not numbers: cleared",
        "coordonnées {value} non numériques : effacées",
    ),
    "coordinates_outside_france": (
        "coordinates {value} are outside France and its overseas territories: cleared",
        "coordonnées {value} hors de France et des outre-mer : effacées",
    ),
    "coordinates_swapped": (
        "latitude and longitude were swapped: put back",
        "latitude et longitude inversées : remises en ordre",
    ),
    "phone_invalid": ("phone number not valid: cleared", "numéro de téléphone invalide : effacé"),
    "phone_not_french": (
        "phone number outside France and overseas France: cleared",
        "numéro hors de France et des outre-mer : effacé",
    ),
    "phone_reformatted": ("phone number not in E.164 form: rewritten", "numéro pas au format E.164 : réécrit"),
    "phone_first_kept": (
        "several phone numbers: the first valid one kept",
        "plusieurs numéros : le premier valide est gardé",
    ),
    "email_invalid": ("email address {value} not valid: dropped", "adresse électronique {value} invalide : retirée"),
    "url_repaired": ("web address {value} had no https://: added", "adresse web {value} sans https:// : ajouté"),
    "url_invalid": ("web address {value} not valid: dropped", "adresse web {value} invalide : retirée"),
    "hours_invalid": (
        "opening hours {value} not in OpenStreetMap syntax ({error}): kept as text",
        "horaires {value} hors syntaxe OpenStreetMap ({error}) : gardés tels quels",
    ),
    "hours_unparsed": (
        "hours {value} for {day} not understood: hours left empty",
        "horaires {value} du {day} incompris : horaires laissés vides",
    ),
    "vocabulary_unknown": (
        "{value} is not a value of {field}: dropped",
        "{value} n'est pas une valeur de {field} : retiré",
    ),
    "text_truncated": ("longer than {max} characters: shortened", "plus de {max} caractères : raccourci"),
    "date_defaulted": (
        "update date {value} missing or not understood: set to {repaired}",
        "date de mise à jour {value} absente ou incomprise : mise au {repaired}",
    ),
    "required_missing": (
        "required by the national standard: not exported until completed",
        "obligatoire dans le standard national : non exporté tant qu'il manque",
    ),
    "probable_duplicate": (
        "probably the same place as {other} ({reason})",
        "probablement le même lieu que {other} ({reason})",
    ),
    "not_an_object": ("not a record (expected an object)", "pas une fiche (objet attendu)"),
    "record_failed": ("record could not be read (error logged)", "fiche illisible (erreur journalisée)"),
}


#: Translations of param values that are codes: (English, French).
PARAM_LABELS: dict[str, tuple[str, str]] = {
    "same_address": ("same address", "même adresse"),
    "close_coordinates": ("less than 50 m apart", "à moins de 50 m"),
    "similar_name": ("similar name, same postcode", "nom proche, même code postal"),
    "h_lundi": ("Monday", "lundi"), "h_mardi": ("Tuesday", "mardi"), "h_mercredi": ("Wednesday", "mercredi"),
    "h_jeudi": ("Thursday", "jeudi"), "h_vendredi": ("Friday", "vendredi"), "h_samedi": ("Saturday", "samedi"),
    "h_dimanche": ("Sunday", "dimanche"),
}  # fmt: skip


@dataclasses.dataclass
class Issue:
    """One problem found in a record.

    `field`: the field concerned (v1.0.2 name, or the source column for legacy inputs); `code`: a
    key of `MESSAGES`; `severity`: `"repaired"`, `"rejected"` or `"flagged"`; `params`: values for
    the message (str). `message("fr")` renders it in French, `message()` in English.
    """

    field: str
    code: str
    severity: Severity
    params: dict[str, str] = dataclasses.field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        """The message in `lang` ("en" or "fr"), params filled in."""
        position = 1 if lang == "fr" else 0
        template = MESSAGES.get(self.code, (self.code, self.code))[position]
        params = {key: PARAM_LABELS.get(value, (value, value))[position] for key, value in self.params.items()}
        try:
            return template.format(field=self.field, **params)
        except (KeyError, IndexError):
            return template


LieuRecord = dict[str, Any]


@cache
def load_schema() -> dict[str, Any]:
    """The v1.0.2 table schema as a dict (read once from `SCHEMA_PATH`)."""
    with SCHEMA_PATH.open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


def _enumeration(pattern: str) -> tuple[str, ...] | None:
    """Values of a list pattern `(?:(?:^|\\|)(A|B))+$`, unescaped; None for any other pattern."""
    prefix, suffix = "(?:(?:^|\\|)(", "))+$"
    if not (pattern.startswith(prefix) and pattern.endswith(suffix)):
        return None
    body = pattern[len(prefix) : -len(suffix)]
    return tuple(re.sub(r"\\(.)", r"\1", part) for part in re.split(r"(?<!\\)\|", body))


_FIELDS: list[dict[str, Any]] = load_schema()["fields"]
#: The 32 fields of v1.0.2, in the schema's order (the CSV column order).
FIELD_NAMES: tuple[str, ...] = tuple(spec["name"] for spec in _FIELDS)
REQUIRED_FIELDS: tuple[str, ...] = tuple(s["name"] for s in _FIELDS if s.get("constraints", {}).get("required"))
FIELD_PATTERNS: dict[str, str] = {
    s["name"]: s["constraints"]["pattern"] for s in _FIELDS if "pattern" in s.get("constraints", {})
}
#: Enumerated vocabularies, field → allowed values, read from the schema's patterns, plus `typologie`.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    name: values for name, pattern in FIELD_PATTERNS.items() if (values := _enumeration(pattern)) is not None
} | {"typologie": TYPOLOGIES}
#: Pipe-separated list fields: the vocabularies plus the free lists of emails and web addresses.
LIST_FIELDS: frozenset[str] = frozenset(VOCABULARIES) | {"courriels", "site_web"}


#: `text.fold`, memoised: an import folds the same labels and column names again and again.
fold = lru_cache(maxsize=8192)(fold_text)


_VOCABULARY_INDEX: dict[str, dict[str, str]] = {
    name: {fold(value): value for value in values} for name, values in VOCABULARIES.items()
}


def canonical_value(field_name: str, value: str) -> str | None:
    """The vocabulary value of `field_name` matching `value` tolerantly (case, accents, spacing,
    punctuation), or None when it is not in the vocabulary. Results of `fold` are cached."""
    return _VOCABULARY_INDEX.get(field_name, {}).get(fold(value))


def split_list(value: Any) -> list[str]:
    """A list value as stripped, non-empty strings.

    Lists are taken as they are; a string is split on `|` (the standard), else on `;`, else on a
    comma followed by a capital letter (older exports: `Gratuit, Payant`), so that a comma inside
    a label's explanation (`(situation familiale, convention…)`) does not split it.
    """
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [text for item in value if (text := _text(item))]
    text = str(value)
    separator = next((sep for sep in ("|", ";") if sep in text), None)
    parts = text.split(separator) if separator else re.split(r",\s*(?=[A-ZÀ-ÖØ-Þ])", text)
    return [part.strip() for part in parts if part.strip()]


#: C0 control characters but tab and line breaks (a NUL cannot even be stored by PostgreSQL).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: Any, single_line: bool = True) -> str | None:
    """A scalar as stripped text, None when empty; lists are joined with ", "."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value if item is not None)
    text = CONTROL_CHARACTERS.sub("", str(value)).strip()
    if single_line:
        text = " ".join(text.split())
    return text or None


def in_france(latitude: float, longitude: float) -> bool:
    """True when the point lies in one of `TERRITORY_BOXES` (France, overseas territories included)."""
    return any(
        lat_min <= latitude <= lat_max and lon_min <= longitude <= lon_max
        for _name, lat_min, lat_max, lon_min, lon_max in TERRITORY_BOXES
    )


def _issue(issues: list[Issue], field_name: str, code: str, severity: Severity = REPAIRED, **params: Any) -> None:
    issues.append(Issue(field_name, code, severity, {key: str(value) for key, value in params.items()}))


def _fix_pivot(record: LieuRecord, issues: list[Issue]) -> None:
    raw = record["pivot"]
    pivot = re.sub(r"[\s.\-]", "", raw or "")
    if re.fullmatch(FIELD_PATTERNS["pivot"], pivot):
        record["pivot"] = pivot
        return
    record["pivot"] = PIVOT_UNKNOWN
    if raw is None:
        _issue(issues, "pivot", "pivot_missing")
    else:
        _issue(issues, "pivot", "pivot_invalid", value=raw)


def _fix_code(record: LieuRecord, issues: list[Issue], field_name: str, other_field: str) -> None:
    """code_postal (5 digits) or code_insee (5 chars, 2A/2B): spaces removed; a leading zero lost by
    a spreadsheet put back (`1000` → `01000`) unless the other code shows the department does not
    start with 0; anything else cleared and reported."""
    raw = record[field_name]
    if raw is None:
        return
    code = re.sub(r"\s", "", raw).upper()
    other = re.sub(r"\s", "", record[other_field] or "").zfill(5)
    if re.fullmatch(r"\d{4}", code) and other.startswith("0"):
        code = "0" + code
    if not re.fullmatch(FIELD_PATTERNS.get(field_name, r"^\d{5}$"), code):
        record[field_name] = None
        _issue(issues, field_name, "code_invalid", value=raw)
        return
    record[field_name] = code
    if code != raw:
        _issue(issues, field_name, "code_repaired", value=raw, repaired=code)


def _to_float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().replace(",", "."))
        except ValueError:
            return None
    return number if abs(number) != float("inf") and number == number else None


def _fix_coordinates(record: LieuRecord, issues: list[Issue], raw: Mapping[str, Any]) -> None:
    lat_raw, lon_raw = _text(raw.get("latitude")), _text(raw.get("longitude"))
    record["latitude"] = record["longitude"] = None
    if lat_raw is None and lon_raw is None:
        _issue(issues, "latitude", "coordinates_missing", FLAGGED)
        return
    lat, lon = _to_float(lat_raw), _to_float(lon_raw)
    shown = f"{lat_raw}, {lon_raw}"
    if lat is None or lon is None:
        _issue(issues, "latitude", "coordinates_invalid", value=shown)
    elif in_france(lat, lon):
        record["latitude"], record["longitude"] = lat, lon
    elif in_france(lon, lat):
        record["latitude"], record["longitude"] = lon, lat
        _issue(issues, "latitude", "coordinates_swapped", value=shown)
    else:
        _issue(issues, "latitude", "coordinates_outside_france", value=shown)


def _fix_phone(record: LieuRecord, issues: list[Issue]) -> None:
    """E.164 via `inclusion_app.phones`; the first valid of several numbers; French prefixes only
    (the schema's pattern). The number itself never goes into the issue."""
    raw = record["telephone"]
    if raw is None:
        return
    record["telephone"] = None
    for position, candidate in enumerate(re.split(r"\s*(?:/|;|,|\bou\b|\bet\b)\s*", raw)):
        try:
            e164 = parse_phone(candidate).e164
        except InvalidPhone:
            continue
        if not re.fullmatch(FIELD_PATTERNS["telephone"], e164):
            _issue(issues, "telephone", "phone_not_french")
            return
        record["telephone"] = e164
        if position or candidate.strip() != raw.strip():
            _issue(issues, "telephone", "phone_first_kept")
        elif e164 != raw:
            _issue(issues, "telephone", "phone_reformatted")
        return
    _issue(issues, "telephone", "phone_invalid")


_EMAIL = re.compile(r"[^@\s|;,<>]+@[^@\s|;,<>]+\.[a-zA-Z]{2,}")


def _fix_emails(record: LieuRecord, issues: list[Issue], raw: Any) -> None:
    kept: list[str] = []
    for part in split_list(raw):
        for email in re.split(r"[\s,;]+", part.removeprefix("mailto:")):
            if _EMAIL.fullmatch(email) and email not in kept:
                kept.append(email)
            elif email:
                _issue(issues, "courriels", "email_invalid", value=email)
    record["courriels"] = kept


def _fix_websites(record: LieuRecord, issues: list[Issue], raw: Any) -> None:
    kept: list[str] = []
    for url in (item for part in split_list(raw) for item in part.split()):
        if not re.match(r"https?://", url, re.IGNORECASE):
            if not re.fullmatch(r"[\w.-]+\.[a-z]{2,}(/\S*)?", url, re.IGNORECASE):
                _issue(issues, "site_web", "url_invalid", value=url)
                continue
            _issue(issues, "site_web", "url_repaired", value=url)
            url = "https://" + url
        if url not in kept:
            kept.append(url)
    record["site_web"] = kept


def _fix_hours(record: LieuRecord, issues: list[Issue]) -> None:
    raw = record["horaires"]
    if raw is None:
        return
    check = check_hours(raw)
    record["horaires"] = check.text
    if not check.is_valid:
        _issue(issues, "horaires", "hours_invalid", FLAGGED, value=raw, error=check.error or "")


def _fix_vocabulary(record: LieuRecord, issues: list[Issue], field_name: str, raw: Any) -> None:
    kept: list[str] = []
    for value in split_list(raw):
        canonical = canonical_value(field_name, value)
        if canonical is None:
            _issue(issues, field_name, "vocabulary_unknown", value=value)
        elif canonical not in kept:
            kept.append(canonical)
    record[field_name] = kept


def _fix_resume(record: LieuRecord, issues: list[Issue]) -> None:
    resume = record["presentation_resume"]
    if resume is not None and len(resume) > RESUME_MAX_LENGTH:
        record["presentation_resume"] = resume[: RESUME_MAX_LENGTH - 1].rstrip() + "…"
        _issue(issues, "presentation_resume", "text_truncated", max=RESUME_MAX_LENGTH)


def parse_date(value: Any) -> date | None:
    """A date from `date`/`datetime`, ISO 8601 (`2024-04-02`, `2024-04-02T10:00:00Z`) or French
    `02/04/2024` (also with `-` or `.`, and inside text such as `Espace labellisé 01/01/2020`)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value) or ""
    iso = re.search(r"\b(\d{4})-(\d{2})-(\d{2})", text)
    french = re.search(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b", text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if french:
            return date(int(french[3]), int(french[2]), int(french[1]))
    except ValueError:
        return None
    return None


def _fix_date(record: LieuRecord, issues: list[Issue], raw: Any, today: date) -> None:
    parsed = parse_date(raw)
    record["date_maj"] = parsed or today
    if parsed is None:
        _issue(issues, "date_maj", "date_defaulted", value=_text(raw) or "", repaired=today.isoformat())


def build_id(record: Mapping[str, Any]) -> str | None:
    """A stable id from the name and address (`lieu-` + 16 hex digits of a SHA-1), or None when
    there is no name or no address, postcode, INSEE code or commune to tell the place apart."""
    place = [record.get(key) or "" for key in ("adresse", "code_postal", "code_insee", "commune")]
    if not record.get("nom") or not any(place):
        return None
    key = "|".join(fold(str(part)) for part in (record["nom"], *place))
    return "lieu-" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]


def missing_required(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Required fields of the standard that are empty in `record` (the record is not exportable)."""
    return tuple(name for name in REQUIRED_FIELDS if record.get(name) in (None, "", []))


_SINGLE_LINE = frozenset(FIELD_NAMES) - LIST_FIELDS - {"presentation_detail", "latitude", "longitude", "date_maj"}


def _scalars(raw: Mapping[str, Any]) -> LieuRecord:
    record: LieuRecord = {name: None for name in FIELD_NAMES}
    for name in _SINGLE_LINE:
        record[name] = _text(raw.get(name))
    record["presentation_detail"] = _text(raw.get("presentation_detail"), single_line=False)
    return record


def _lists(record: LieuRecord, issues: list[Issue], raw: Mapping[str, Any]) -> None:
    _fix_emails(record, issues, raw.get("courriels"))
    _fix_websites(record, issues, raw.get("site_web"))
    for name in VOCABULARIES:
        _fix_vocabulary(record, issues, name, raw.get(name))


def _identify(record: LieuRecord, issues: list[Issue]) -> bool:
    """Check name and id (building the id when possible); False when the record is rejected."""
    if record["nom"] is None:
        _issue(issues, "nom", "name_missing", REJECTED)
        return False
    if record["id"] is None:
        record["id"] = build_id(record)
        if record["id"] is None:
            _issue(issues, "id", "id_missing", REJECTED)
            return False
        _issue(issues, "id", "id_generated", value=record["id"])
    return True


_FIELD_STEPS: tuple[Callable[[LieuRecord, list[Issue]], None], ...] = (_fix_pivot, _fix_phone, _fix_hours, _fix_resume)


def normalise_record(raw: Mapping[str, Any], *, today: date | None = None) -> tuple[LieuRecord | None, list[Issue]]:
    """Normalise one record given in v1.0.2 field names (values: str, list, number or None).

    Returns `(record, issues)`; `record` is None when rejected (no name; or no id and nothing to
    build one from, see `build_id`). Repairs: pivot defaulted to `PIVOT_UNKNOWN`; postcode and INSEE
    code checked; coordinates checked against `TERRITORY_BOXES` (cleared, or put back when swapped);
    phone to E.164; emails and URLs checked; hours checked (invalid ones kept as text, flagged);
    unknown vocabulary values dropped; `presentation_resume` cut to 280 characters; `date_maj`
    defaulted to `today` (default: the current date). A required field left empty is flagged.
    """
    issues: list[Issue] = []
    record = _scalars(raw)
    _fix_code(record, issues, "code_postal", "code_insee")
    _fix_code(record, issues, "code_insee", "code_postal")
    if not _identify(record, issues):
        return None, issues
    for step in _FIELD_STEPS:
        step(record, issues)
    _fix_coordinates(record, issues, raw)
    _lists(record, issues, raw)
    _fix_date(record, issues, raw.get("date_maj"), today or date.today())
    for name in missing_required(record):
        _issue(issues, name, "required_missing", FLAGGED)
    return record, issues


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "|".join(str(item) for item in value)
    if isinstance(value, float):
        return f"{value:.7f}".rstrip("0").rstrip(".")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_standard_row(record: Mapping[str, Any]) -> dict[str, str]:
    """A normalised record as one CSV row of the standard: every field in `FIELD_NAMES` order, lists
    joined with `|`, floats with up to 7 decimals (about 1 cm), dates ISO, None as "".

    A record with `missing_required(record)` non-empty yields a row that does not validate.
    """
    return {name: _cell(record.get(name)) for name in FIELD_NAMES}
