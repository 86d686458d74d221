"""A counsellor's own activity over a period (their statistics page): aggregate queries only
(COUNT / SUM … GROUP BY in the database, never a loop over rows in Python).

Definitions (issue 6, La Coop de la médiation numérique's own activity figures): a period counts
the counsellor's sessions not deleted whose `date` lies in it (both ends included); people
accompanied = individual sessions + participants of collective workshops; hours = the sum of
durations / 60. Themes and procedure categories count sessions (a session with two themes counts
once in each). Autonomy, outcome, age band and gender are those of individual sessions (a workshop
records no profile). Unmet rights count the rights detected in those sessions, by right and by
their current outcome. These are the counsellor's own figures: no small-count suppression.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models.sessions import HelpSession, UnmetRight


@dataclass(frozen=True)
class Totals:
    """Counts of a period: sessions (and by type), people accompanied, minutes."""

    sessions: int
    individual: int
    collective: int
    people: int
    minutes: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def _own(counsellor_id: int, first: date, last: date) -> list[sa.ColumnElement[bool]]:
    return [HelpSession.counsellor_id == counsellor_id, HelpSession.deleted_at.is_(None),
            HelpSession.date >= first, HelpSession.date <= last]


def totals(counsellor_id: int, first: date, last: date) -> Totals:
    """Sessions, individual / collective, people accompanied and minutes of the period. One query."""
    individual = sa.func.coalesce(sa.func.sum(sa.case((HelpSession.type == "individuel", 1), else_=0)), 0)
    collective = sa.func.coalesce(sa.func.sum(sa.case((HelpSession.type == "collectif", 1), else_=0)), 0)
    participants = sa.func.coalesce(sa.func.sum(
        sa.case((HelpSession.type == "collectif", sa.func.coalesce(HelpSession.participants_total, 0)), else_=0)), 0)
    query = sa.select(sa.func.count(HelpSession.id), individual, collective, participants,
                      sa.func.coalesce(sa.func.sum(HelpSession.duration_minutes), 0))
    count, alone, together, people, minutes = db.session.execute(query.where(*_own(counsellor_id, first, last))).one()
    return Totals(int(count), int(alone), int(together), int(alone) + int(people), int(minutes))


def by_column(counsellor_id: int, first: date, last: date, column: str) -> dict[str, int]:
    """{code: individual sessions} of the period for a code column (`outcome`, `autonomy`,
    `age_band`, `gender`), sessions without a value left out, largest first. One query."""
    attribute = getattr(HelpSession, column)
    query = (sa.select(attribute, sa.func.count(HelpSession.id))
             .where(*_own(counsellor_id, first, last), HelpSession.type == "individuel", attribute.is_not(None))
             .group_by(attribute).order_by(sa.func.count(HelpSession.id).desc(), attribute))
    return {code: int(count) for code, count in db.session.execute(query)}


def _json_elements(column: Any) -> Any:
    """The elements of a JSON list column as a table of `value`s (json_each on SQLite,
    json_array_elements_text on PostgreSQL)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.json_array_elements_text(column).table_valued("value").lateral()
    return sa.func.json_each(column).table_valued("value")


def by_list(counsellor_id: int, first: date, last: date, column: str) -> dict[str, int]:
    """{code: sessions} of the period for a JSON list of codes (`themes`, `procedures`,
    `equipment`), largest first. One query (GROUP BY over the list's elements)."""
    elements = _json_elements(getattr(HelpSession, column))
    count = sa.func.count(HelpSession.id)
    query = (sa.select(elements.c.value, count).select_from(HelpSession).join(elements, sa.true())
             .where(*_own(counsellor_id, first, last)).group_by(elements.c.value)
             .order_by(count.desc(), elements.c.value))
    return {str(code): int(number) for code, number in db.session.execute(query)}


def rights(counsellor_id: int, first: date, last: date) -> dict[str, dict[str, int]]:
    """{right: {outcome: count}} of the unmet rights detected in the period's sessions. One query."""
    count = sa.func.count(UnmetRight.id)
    query = (sa.select(UnmetRight.right, UnmetRight.outcome, count).join(HelpSession)
             .where(*_own(counsellor_id, first, last)).group_by(UnmetRight.right, UnmetRight.outcome)
             .order_by(UnmetRight.right, UnmetRight.outcome))
    table: dict[str, dict[str, int]] = {}
    for right, outcome, number in db.session.execute(query):
        table.setdefault(right, {})[outcome] = int(number)
    return table


@dataclass(frozen=True)
class Activity:
    """Everything the statistics page shows for one period."""

    totals: Totals
    themes: dict[str, int]
    procedures: dict[str, int]
    outcomes: dict[str, int]
    autonomy: dict[str, int]
    age_bands: dict[str, int]
    genders: dict[str, int]
    rights: dict[str, dict[str, int]]


def activity(counsellor_id: int, first: date, last: date) -> Activity:
    """The counsellor's activity from `first` to `last` (local dates, both included). Eight queries."""
    return Activity(
        totals=totals(counsellor_id, first, last),
        themes=by_list(counsellor_id, first, last, "themes"),
        procedures=by_list(counsellor_id, first, last, "procedures"),
        outcomes=by_column(counsellor_id, first, last, "outcome"),
        autonomy=by_column(counsellor_id, first, last, "autonomy"),
        age_bands=by_column(counsellor_id, first, last, "age_band"),
        genders=by_column(counsellor_id, first, last, "gender"),
        rights=rights(counsellor_id, first, last),
    )
