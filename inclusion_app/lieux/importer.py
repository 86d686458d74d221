"""Import help points into the database (`flask import-lieux`): upsert, report, flag duplicates.

Reading, format detection and the repairs of each record live in `formats` and `standard`; this
module keys records on the standard's `id` (`HelpPoint.lieu_id`), writes them, assigns districts
and records probable duplicates, within the file and against the help points already known.
Services only flush: the command commits (or rolls back for `--dry-run`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.lieux.formats import DuplicateIndex, ReadRow, read_lieux
from inclusion_app.lieux.hours import check_hours
from inclusion_app.lieux.standard import FIELD_NAMES, PARAM_LABELS, REJECTED, Issue, build_id
from inclusion_app.models import HelpPoint, HelpPointDuplicate
from inclusion_app.territory.services import DistrictLocator, assign_district

logger = logging.getLogger(__name__)

#: Standard fields stored under the same name on HelpPoint (`id` is stored as `lieu_id`).
STORED_FIELDS = tuple(name for name in FIELD_NAMES if name != "id")
PROGRESS_EVERY = 500  # records between two progress calls


@dataclass
class ReportLine:
    """One reported record: where (CSV line or JSON index), the field, severity and message."""

    location: int
    field: str
    severity: str
    message: str


@dataclass
class ImportReport:
    """Counts of one import and a line per rejected, repaired or flagged record.

    `location_kind` is `line` (CSV, the header is line 1) or `index` (JSON, from 0).
    """

    format: str
    location_kind: str
    variant: str | None = None
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    unmapped: int = 0
    outside_territory: int = 0
    duplicates_flagged: int = 0
    kept_edits: int = 0
    lines: list[ReportLine] = field(default_factory=list)


@dataclass
class _Context:
    report: ImportReport
    language: str
    existing: dict[str, HelpPoint]
    index: DuplicateIndex
    locator: DistrictLocator
    by_location: dict[int, HelpPoint] = field(default_factory=dict)
    current_location: int = 0
    # (first, second, reason, location to report a pair with a help point known before, or None)
    pairs: list[tuple[HelpPoint, HelpPoint, str, int | None]] = field(default_factory=list)


def import_lieux(
    source: str | Path | bytes,
    fmt: str = "auto",
    filename: str | None = None,
    language: str = "en",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Read a help-point file and upsert every record that is a help point; flush, never commit.

    Raises `formats.UnreadableFile` or `formats.UnknownFormat` when the file cannot be read as
    one of the formats. Every other problem is a line of the report: a rejected record is skipped,
    a repaired one kept with the repair said, a duplicate kept and flagged for a manager.
    Messages are in `language` (`fr` or `en`).
    """
    lieux_file = read_lieux(source, fmt, filename)
    context = _Context(
        ImportReport(lieux_file.format, lieux_file.location_kind, lieux_file.variant),
        language,
        existing=_existing_help_points(),
        index=DuplicateIndex(),
        locator=DistrictLocator.from_database(),
    )
    for help_point in context.existing.values():
        context.index.add(help_point, _record_of(help_point))
    for row in lieux_file:
        _import_row(context, row)
        if progress and context.report.read % PROGRESS_EVERY == 0:
            progress(context.report.read)
    db.session.flush()
    _flag_duplicates(context)
    return context.report


def _existing_help_points() -> dict[str, HelpPoint]:
    return {help_point.lieu_id: help_point for help_point in db.session.scalars(sa.select(HelpPoint))}


def _record_of(help_point: HelpPoint) -> dict[str, Any]:
    record = {name: getattr(help_point, name) for name in STORED_FIELDS}
    record["id"] = help_point.lieu_id
    return record


def _import_row(context: _Context, row: ReadRow) -> None:
    report = context.report
    report.read += 1
    context.current_location = row.location
    _report_issues(context, row.location, row.issues)
    if row.record is None:
        report.rejected += 1
        return
    record = dict(row.record)
    if any(issue.code == "id_repeated" for issue in row.issues):
        # kept apart under an id built from its name and address (stable when the file is reordered)
        record["id"] = f"{record['id']}~{(build_id(record) or str(row.location))[-8:]}"
    help_point, changed = _upsert(context, record, row.issues)
    _note_duplicates(context, row, help_point, changed)
    context.by_location[row.location] = help_point
    report.unmapped += help_point.latitude is None or help_point.longitude is None
    report.outside_territory += help_point.is_outside_territory


def _report_issues(context: _Context, location: int, issues: Iterable[Issue]) -> None:
    for issue in issues:
        message = issue.message(context.language)
        context.report.lines.append(ReportLine(location, issue.field, issue.severity, message))


def _upsert(context: _Context, record: Mapping[str, Any], issues: list[Issue]) -> tuple[HelpPoint, bool]:
    """Create or update the help point of `record`; return it and whether it is new or changed."""
    values = {name: record.get(name) for name in STORED_FIELDS}
    values["has_valid_hours"] = not values["horaires"] or check_hours(values["horaires"]).is_valid
    help_point = context.existing.get(record["id"])
    if help_point is None:
        help_point = HelpPoint(lieu_id=record["id"], import_format=context.report.format, **values)
        db.session.add(help_point)
        context.existing[help_point.lieu_id] = help_point
        context.report.created += 1
        changed = True
    else:
        if any(issue.code == "date_defaulted" for issue in issues):
            values["date_maj"] = help_point.date_maj  # no date in the source: keep the one we have
        differences = {name: value for name, value in values.items() if getattr(help_point, name) != value}
        if differences and help_point.edited_at is not None:
            _report_kept_edits(context, help_point, sorted(differences))
            differences = {}
        for name, value in differences.items():
            setattr(help_point, name, value)
        changed = bool(differences)
        context.report.updated += changed
        context.report.unchanged += not changed
    assign_district(help_point, context.locator)
    return help_point, changed


def _report_kept_edits(context: _Context, help_point: HelpPoint, fields: list[str]) -> None:
    """A help point edited by a manager is not overwritten: say which fields the file changes."""
    context.report.kept_edits += 1
    when = help_point.edited_at.date().isoformat() if help_point.edited_at else ""
    if context.language == "fr":
        message = f"modifié à la main le {when} : non écrasé (le fichier diffère sur {', '.join(fields)})"
    else:
        message = f"edited by hand on {when}: not overwritten (the file differs on {', '.join(fields)})"
    location = context.current_location
    context.report.lines.append(ReportLine(location, "id", "flagged", message))


def _note_duplicates(context: _Context, row: ReadRow, help_point: HelpPoint, changed: bool) -> None:
    """Pair the help point with its probable duplicates: earlier in the file (found by the reader,
    same id or similar place), and, when it is new or changed, among the help points known before
    this import (an unchanged one was checked when it last changed)."""
    for issue in row.issues:
        if issue.code in ("probable_duplicate", "id_repeated"):
            other = context.by_location.get(int(issue.params["other"]))
            if other is not None and other is not help_point:
                context.pairs.append((other, help_point, issue.params.get("reason", "same_id"), None))
    if not changed:
        return
    for match in context.index.matches(_record_of(help_point)):
        other = match.location
        if other is not help_point and other.lieu_id != help_point.lieu_id:
            context.pairs.append((other, help_point, match.reason, row.location))


def _report_known_duplicate(context: _Context, location: int, other: HelpPoint, reason: str) -> None:
    english, french = PARAM_LABELS.get(reason, (reason, reason))
    if context.language == "fr":
        message = f"doublon probable du lieu déjà connu « {other.nom} » ({other.lieu_id}) : {french}"
    else:
        message = f"probable duplicate of the help point already known “{other.nom}” ({other.lieu_id}): {english}"
    context.report.lines.append(ReportLine(location, "id", "flagged", message))


def _flag_duplicates(context: _Context) -> None:
    """Record each new pair of probable duplicates once (whatever its status) and report it."""
    known = set(db.session.execute(sa.select(HelpPointDuplicate.help_point_id, HelpPointDuplicate.other_id)).tuples())
    for first, second, reason, location in context.pairs:
        low, high = sorted((first.id, second.id))
        if low == high or (low, high) in known:
            continue
        known.add((low, high))
        db.session.add(HelpPointDuplicate(help_point_id=low, other_id=high, reason=reason))
        context.report.duplicates_flagged += 1
        if location is not None:
            _report_known_duplicate(context, location, first, reason)
    db.session.flush()


def summary(report: ImportReport) -> str:
    """The closing line of an import: counts of every outcome."""
    return (
        f"{report.read} read ({report.format}{' ' + report.variant if report.variant else ''}): "
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.rejected} rejected; {report.unmapped} without coordinates (listed, not mapped), "
        f"{report.outside_territory} outside the districts, {report.duplicates_flagged} probable duplicates flagged, "
        f"{report.kept_edits} edited by hand and kept"
    )


def rejected_lines(report: ImportReport) -> list[ReportLine]:
    """The lines of rejected records."""
    return [line for line in report.lines if line.severity == REJECTED]
