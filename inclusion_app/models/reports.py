"""Precomputed counts behind the managers' reports (DESIGN.md section 7: one year ≤ 300 ms).

`ReportFact` holds additive counts at two grains: a `day` (local date) and a `month` (its first
day; the sum of its days). Each count exists in three scopes: `all`, by `district` (where the
person lives, else the help point's district; 0 = none) and by `help_point` (0 = none).
`ReportServed` keeps who was served on which day (distinct residents are not additive).
`ReportDirtyDay` lists the local days whose counts changed since they were computed; a report
recomputes them before reading (`inclusion_app.reports.facts`).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inclusion_app.extensions import Model


class ReportFact(Model):
    """One count: `metric` (e.g. `appointments`, `theme`) with its `code` ('' when none), for one
    day or month, in one scope (`district_id`/`help_point_id` 0 when not that scope)."""

    __tablename__ = "report_facts"
    # The key is in reading order (scope, metric, period), and SQLite keeps the rows in key order
    # (WITHOUT ROWID): a report reads a few contiguous ranges. (grain, day) serves the rewrites.
    __table_args__ = (
        sa.Index("ix_report_facts_grain_day", "grain", "day"),
        {"sqlite_with_rowid": False},
    )

    scope: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    grain: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    help_point_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger())


class ReportServed(Model):
    """A resident served on a local day (an attended appointment or a help session linked to them),
    with the district (0 = none) and help point (0 = none) it counts in."""

    __tablename__ = "report_served"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[date] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    district_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    help_point_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class ReportDirtyDay(Model):
    """A local day whose report counts must be recomputed before the next read."""

    __tablename__ = "report_dirty_days"

    day: Mapped[date] = mapped_column(primary_key=True)
