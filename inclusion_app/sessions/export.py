"""CSV export of a counsellor's help sessions, in La Coop de la médiation numérique's columns, so the
data can be carried to the national tool.

Source of the column names: La Coop's activities export (repository
inclusion-numerique/coop-mediation-numerique, `buildActivitesWorksheet`, sheet "Activités"),
in its order. La Coop writes labels; here each coded column holds the codes of DESIGN.md
section 4 and is followed by a column "<name> (libellé)" with the French label, so that both a
machine and a person can read the file. Several codes in one cell are separated by "|" (as the
national help-point schema does). The profile is anonymous: "Bénéficiaire" is always
"Anonyme" and no name leaves the application. Columns after La Coop's are this application's own
(outcome of the procedure, commune code, procedure categories, unmet rights, id).

Format: UTF-8 with a byte-order mark and ";" separators (what a French spreadsheet opens directly),
one line per session, oldest first. A free-text cell starting with =, +, -, @ is prefixed with
an apostrophe so that no spreadsheet runs it as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask_babel import force_locale

from inclusion_app import vocabularies as v
from inclusion_app.models.sessions import HelpSession

SEPARATOR = "|"
BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _codes(values: Iterable[str] | str | None) -> str:
    if values is None:
        return ""
    return values if isinstance(values, str) else SEPARATOR.join(values)


def _labels(values: Iterable[str] | str | None, vocabulary: Mapping[str, Any]) -> str:
    items = [] if values is None else [values] if isinstance(values, str) else list(values)
    return SEPARATOR.join(str(vocabulary.get(code, code)) for code in items)


def _text(value: str | None) -> str:
    """Free text made safe for spreadsheets (no formula)."""
    text = value or ""
    return "'" + text if text.startswith(FORMULA_START) else text


def _place(session: HelpSession) -> str:
    point = session.help_point
    if point is not None:
        return _text(f"{point.nom}, {point.code_postal or ''} {point.commune or ''}".strip())
    return _text(" ".join(part for part in (session.commune_code, session.commune_name) if part))


def _referred(session: HelpSession) -> str:
    if session.outcome is None:
        return ""
    return "Oui" if session.outcome == "oriente_vers_structure" else "Non"


def _residence(session: HelpSession) -> str:
    if session.place_type != "domicile":
        return ""
    return _text(" ".join(part for part in (session.commune_code, session.commune_name) if part))


Column = tuple[str, Callable[[HelpSession], Any], Mapping[str, Any] | None]

# (header, value, vocabulary of a coded column or None); La Coop's 20 columns first, in order.
COLUMNS: list[Column] = [
    ("Date", lambda s: s.date.isoformat(), None),
    ("Type", lambda s: s.type, v.SESSION_TYPES),
    ("Nombre de participants", lambda s: s.participants_total if s.type == "collectif" else 1, None),
    ("Bénéficiaire", lambda s: "Anonyme", None),
    ("Canaux d’accompagnement", lambda s: s.place_type, v.PLACE_TYPES),
    ("Lieu", _place, None),
    ("Durée (min)", lambda s: s.duration_minutes, None),
    ("Nom de l’atelier", lambda s: _text(s.title), None),
    ("Matériel numérique utilisé", lambda s: s.equipment, v.EQUIPMENT),
    ("Thématique(s) d’accompagnement", lambda s: s.themes, v.THEMES),
    ("Nom de la démarche administrative", lambda s: _text(s.precision), None),
    ("Niveau d’autonomie du bénéficiaire", lambda s: s.autonomy, v.AUTONOMY),
    ("Niveau de l’atelier", lambda s: s.level, v.WORKSHOP_LEVELS),
    ("Le bénéficiaire est-il orienté vers une autre structure ?", _referred, None),
    ("Structure de redirection", lambda s: s.referral, v.REFERRALS),
    ("Commune de résidence du bénéficiaire", _residence, None),
    ("Genre du bénéficiaire", lambda s: s.gender, v.GENDERS),
    ("Tranche d’âge du bénéficiaire", lambda s: s.age_band, v.AGE_BANDS),
    ("Statut du bénéficiaire", lambda s: s.social_status, v.SOCIAL_STATUSES),
    ("Notes supplémentaires", lambda s: "", None),
    # This application's own columns.
    ("Résultat de la démarche", lambda s: s.outcome, v.SESSION_OUTCOMES),
    ("Thématique(s) de la démarche administrative", lambda s: s.procedures, v.PROCEDURES),
    ("Nom de la structure de redirection", lambda s: _text(s.referral_structure), None),
    ("Code commune (INSEE)", lambda s: s.commune_code or "", None),
    ("Droits non recourus repérés", lambda s: [r.right for r in s.unmet_rights], None),
    ("Identifiant", lambda s: s.id, None),
]


def header() -> list[str]:
    """The header row: each coded column is followed by its "(libellé)" column."""
    names: list[str] = []
    for name, _value, vocabulary in COLUMNS:
        names.append(name)
        if vocabulary is not None:
            names.append(f"{name} (libellé)")
    return names


def row(session: HelpSession) -> list[Any]:
    """One session's cells, in `header()` order (labels in the current locale)."""
    cells: list[Any] = []
    for _name, value, vocabulary in COLUMNS:
        raw = value(session)
        cells.append(_codes(raw) if isinstance(raw, list) or vocabulary is not None else raw)
        if vocabulary is not None:
            cells.append(_labels(raw, vocabulary))
    return cells


def export_csv(sessions: Iterable[HelpSession]) -> str:
    """The CSV text (BOM, ";" separated, CRLF lines as RFC 4180) of `sessions`, in the given
    order, labels in French."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header())
    with force_locale("fr"):
        for session in sessions:
            writer.writerow(row(session))
    return BOM + buffer.getvalue()
