"""Queries behind the help-point pages: filters, pagination, map data. Read only (no flush).

Every page costs a fixed number of queries whatever the number of help points (DESIGN.md section
7): one query for the *candidates* (light columns of every help point that passes the SQL filters),
one for the full rows of the page shown, one for the districts. Filters the database cannot apply
on both engines — accent-insensitive search and "open on a weekday", which needs the opening hours
parsed — run in Python on the candidates. The vocabulary filters (`services`, … stored as JSON
lists) run in SQL with `json_each` (SQLite) or `json_array_elements_text` (PostgreSQL).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, joinedload, selectinload

from inclusion_app.extensions import db
from inclusion_app.lieux.hours import InvalidHours, parse_schedule
from inclusion_app.lieux.standard import fold
from inclusion_app.models import District, HelpPoint

logger = logging.getLogger(__name__)

#: Help points per page of the list: keeps a page under the budget of DESIGN.md section 7.
PER_PAGE = 20
#: Above this many points the map draws them on one canvas (small DOM) instead of one focusable
#: SVG element each; the page then points keyboard users to the list.
KEYBOARD_MARKERS_MAX = 150
#: Decimals kept in district outlines sent to the map (5 decimals ≈ 1 m).
OUTLINE_DECIMALS = 5


@dataclass(frozen=True)
class HelpPointFilters:
    """What the list and the map are filtered on; None (or "") means "any".

    `service`, `public`, `support`, `access` are values of the standard's vocabularies
    (`services`, `publics_specifiquement_adresses`, `prise_en_charge_specifique`, `modalites_acces`);
    `open_on` is a weekday (0 = Monday … 6 = Sunday); `district_id` a `District.id`; `q` free text
    matched against name, commune and postcode, case and accents ignored; `include_inactive` is for
    staff only.
    """

    service: str | None = None
    public: str | None = None
    support: str | None = None
    access: str | None = None
    open_on: int | None = None
    district_id: int | None = None
    q: str | None = None
    include_inactive: bool = False


@dataclass(frozen=True)
class Candidate:
    """The light columns of a help point that passed the SQL filters."""

    id: int
    nom: str
    commune: str
    code_postal: str
    horaires: str | None
    latitude: float | None
    longitude: float | None
    is_active: bool


@dataclass
class HelpPointPage:
    """One page of help points: `items` in list order, `page` from 1, `total` over all pages."""

    items: list[HelpPoint]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first(self) -> int:
        """Position (from 1) of the first item of the page in the whole list; 0 when empty."""
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        """Position (from 1) of the last item of the page in the whole list."""
        return min(self.page * self.per_page, self.total)


class PageOutOfRange(LookupError):
    """The page number asked for is below 1 or past the last page."""


_LIST_FILTERS: tuple[tuple[str, InstrumentedAttribute[list[str]]], ...] = (
    ("service", HelpPoint.services),
    ("public", HelpPoint.publics_specifiquement_adresses),
    ("support", HelpPoint.prise_en_charge_specifique),
    ("access", HelpPoint.modalites_acces),
)


def list_contains(column: Any, value: str) -> sa.ColumnElement[bool]:
    """SQL condition "the JSON list in `column` holds `value`" (exact match), on SQLite and PostgreSQL."""
    is_postgresql = db.session.get_bind().dialect.name == "postgresql"
    function = sa.func.json_array_elements_text if is_postgresql else sa.func.json_each
    elements = function(column).table_valued("value").alias()
    return sa.exists(sa.select(1).select_from(elements).where(elements.c.value == value))


def _sql_conditions(filters: HelpPointFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if not filters.include_inactive:
        conditions.append(HelpPoint.is_active.is_(True))
    for name, column in _LIST_FILTERS:
        value = getattr(filters, name)
        if value:
            conditions.append(list_contains(column, value))
    if filters.district_id is not None:
        conditions.append(HelpPoint.district_id == filters.district_id)
    return conditions


def find_candidates(filters: HelpPointFilters, today: date | None = None, timezone: str = "Europe/Paris"
                    ) -> list[Candidate]:
    """Every help point matching `filters`, sorted by name (accents ignored), as light rows.

    One query. `today` (local date, default: today in `timezone`) picks the week used for `open_on`.
    A help point whose hours are missing or invalid never matches `open_on`.
    """
    statement = sa.select(
        HelpPoint.id, HelpPoint.nom, HelpPoint.commune, HelpPoint.code_postal, HelpPoint.horaires,
        HelpPoint.latitude, HelpPoint.longitude, HelpPoint.is_active,
    ).where(*_sql_conditions(filters))
    rows = [Candidate(*row) for row in db.session.execute(statement)]
    words = fold(filters.q or "").split()
    if words:
        rows = [row for row in rows if all(word in _haystack(row) for word in words)]
    if filters.open_on is not None:
        week = _monday(today or datetime.now(ZoneInfo(timezone)).date())
        rows = [row for row in rows if filters.open_on in open_weekdays(row.horaires or "", week)]
    return sorted(rows, key=lambda row: (fold(row.nom), fold(row.commune), row.id))


def _haystack(row: Candidate) -> str:
    return f"{fold(row.nom)} {fold(row.commune)} {row.code_postal or ''}"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@lru_cache(maxsize=4096)
def open_weekdays(horaires: str, week_of: date) -> frozenset[int]:
    """Weekdays (0 = Monday) with at least one opening in the typical week of `week_of`.

    Empty for missing or invalid hours. Cached: the same strings recur across help points.
    """
    if not horaires.strip():
        return frozenset()
    try:
        table = parse_schedule(horaires).weekly_table(week_of)
    except InvalidHours:
        return frozenset()
    except Exception:  # a valid but unusual expression the evaluation trips on: no known day
        logger.warning("opening hours not evaluated: %r", horaires, exc_info=True)
        return frozenset()
    return frozenset(day for day, ranges in table.items() if ranges)


def list_page(filters: HelpPointFilters, page: int = 1, per_page: int = PER_PAGE, *,
              today: date | None = None, timezone: str = "Europe/Paris") -> HelpPointPage:
    """Page `page` (from 1) of the help points matching `filters`, with their district loaded.

    Two queries. Raises PageOutOfRange when `page` is below 1 or past the last page (page 1 of an
    empty list exists).
    """
    candidates = find_candidates(filters, today, timezone)
    result = HelpPointPage([], page, per_page, len(candidates))
    if page < 1 or page > result.pages:
        raise PageOutOfRange(page)
    ids = [row.id for row in candidates[(page - 1) * per_page : page * per_page]]
    result.items = _rows_in_order(ids)
    return result


def _rows_in_order(ids: Sequence[int]) -> list[HelpPoint]:
    if not ids:
        return []
    statement = sa.select(HelpPoint).where(HelpPoint.id.in_(ids)).options(joinedload(HelpPoint.district))
    by_id = {row.id: row for row in db.session.scalars(statement).unique()}
    return [by_id[help_point_id] for help_point_id in ids if help_point_id in by_id]


def map_points(candidates: Sequence[Candidate]) -> list[dict[str, Any]]:
    """What the map needs of each candidate with coordinates: `{"id", "nom", "lat", "lon"}`, plus
    `"inactive": true` for an inactive one (staff only ever get those)."""
    points = []
    for row in candidates:
        if row.latitude is None or row.longitude is None:
            continue
        point: dict[str, Any] = {"id": row.id, "nom": row.nom, "lat": row.latitude, "lon": row.longitude}
        if not row.is_active:
            point["inactive"] = True
        points.append(point)
    return points


def district_outlines() -> list[dict[str, Any]]:
    """Every district as `{"id", "name", "geometry"}` (GeoJSON geometry, coordinates rounded to
    `OUTLINE_DECIMALS`), sorted by name. One query."""
    rows = db.session.execute(sa.select(District.id, District.name, District.geometry).order_by(District.name))
    return [{"id": row.id, "name": row.name, "geometry": _rounded(json.loads(row.geometry))} for row in rows]


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, OUTLINE_DECIMALS)
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


def district_choices() -> list[tuple[int, str]]:
    """(id, name) of every district, sorted by name (accents ignored). One query."""
    rows = db.session.execute(sa.select(District.id, District.name)).all()
    return sorted(((row.id, row.name) for row in rows), key=lambda pair: fold(pair[1]))


def get_help_point(help_point_id: int, *, include_inactive: bool, with_internal: bool = False) -> HelpPoint | None:
    """The help point with its district (and, `with_internal`, structure and counsellors), or None
    when it does not exist or is inactive without `include_inactive`."""
    options: list[Any] = [joinedload(HelpPoint.district)]
    if with_internal:
        options += [joinedload(HelpPoint.structure), selectinload(HelpPoint.counsellors)]
    statement = sa.select(HelpPoint).where(HelpPoint.id == help_point_id).options(*options)
    if not include_inactive:
        statement = statement.where(HelpPoint.is_active.is_(True))
    return db.session.scalars(statement).first()
