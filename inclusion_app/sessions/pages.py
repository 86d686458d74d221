"""Queries of the help-session pages: what prefills the form, who may read what, the history with
its filters, the audit trail and the follow-up list. Each function runs a bounded number of queries
(no query per row); rules of validation stay in `services`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, HelpPoint, User, WalkIn, help_point_counsellors, user_structures
from inclusion_app.models.sessions import HelpSession, HelpSessionChange, UnmetRight
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.slots import local_date
from inclusion_app.sessions import services

PER_PAGE = 20
#: Outcomes of an unmet right after which there is nothing left to follow up.
FINAL_RIGHT_OUTCOMES = ("refuse", "abandonne", "ouvert")
#: Beyond this many help points the form's list would weigh too much: the counsellor's own only.
MAX_HELP_POINT_CHOICES = 300


def today() -> date:
    """Today's local date (`TIMEZONE`)."""
    return local_date(utcnow())


# ---------------------------------------------------------------- the form's prefill and choices


def own_appointment(appointment_id: int, user: User) -> Appointment | None:
    """The appointment `appointment_id` of counsellor `user`, with its resident and help point, or
    None (another counsellor's appointment is not theirs to log). One query."""
    query = (sa.select(Appointment)
             .where(Appointment.id == appointment_id, Appointment.counsellor_id == user.id)
             .options(joinedload(Appointment.resident), joinedload(Appointment.help_point)))
    return db.session.scalar(query)


def walk_in(walk_in_id: int) -> WalkIn | None:
    """The walk-in with its resident and help point, or None. One query."""
    query = (sa.select(WalkIn).where(WalkIn.id == walk_in_id)
             .options(joinedload(WalkIn.resident), joinedload(WalkIn.help_point)))
    return db.session.scalar(query)


def counsellor_help_point_ids(user: User) -> list[int]:
    """Ids of the active help points where `user` works, by name. One query."""
    query = (sa.select(HelpPoint.id).join(help_point_counsellors)
             .where(help_point_counsellors.c.user_id == user.id, HelpPoint.is_active)
             .order_by(HelpPoint.nom, HelpPoint.id))
    return list(db.session.scalars(query))


def help_point_choices(user: User, keep: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of the help points offered to `user`: where they work, their structures' ones and
    `keep` (the one already chosen); every active help point (at most 300) when they have none.
    Two queries."""
    structures = sa.select(user_structures.c.structure_id).where(user_structures.c.user_id == user.id)
    works_here = sa.select(help_point_counsellors.c.help_point_id).where(help_point_counsellors.c.user_id == user.id)
    mine = sa.and_(HelpPoint.is_active, sa.or_(HelpPoint.id.in_(works_here), HelpPoint.structure_id.in_(structures)))
    has_own = db.session.scalar(sa.select(HelpPoint.id).where(mine).limit(1)) is not None
    offered = mine if has_own else HelpPoint.is_active
    if keep:
        offered = sa.or_(offered, HelpPoint.id == keep)
    query = sa.select(HelpPoint.id, HelpPoint.nom).where(offered).order_by(HelpPoint.nom, HelpPoint.id)
    rows = db.session.execute(query.limit(MAX_HELP_POINT_CHOICES)).all()
    return [(row.id, row.nom) for row in rows]


def sessions_by_link(column: str, ids: Iterable[int]) -> dict[int, int]:
    """{appointment or walk-in id: help session id} for the non-deleted sessions linked to `ids`
    (`column` is "appointment_id" or "walk_in_id"). One query; {} for no ids."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    link = getattr(HelpSession, column)
    query = (sa.select(link, sa.func.min(HelpSession.id))
             .where(link.in_(wanted), HelpSession.deleted_at.is_(None)).group_by(link))
    return {row[0]: row[1] for row in db.session.execute(query)}


# ---------------------------------------------------------------- one session


def readable(session_id: int, user: User) -> HelpSession | None:
    """The session with its rights, counsellor, help point, district and resident, when `user` may
    read it (`services.can_read`; a deleted one by its own counsellor only), else None."""
    query = (sa.select(HelpSession).where(HelpSession.id == session_id)
             .options(joinedload(HelpSession.counsellor), joinedload(HelpSession.help_point),
                      joinedload(HelpSession.district), joinedload(HelpSession.resident),
                      selectinload(HelpSession.unmet_rights)))
    found = db.session.scalar(query)
    if found is None:
        return None
    if found.deleted_at is not None:
        return found if found.counsellor_id == user.id else None
    return found if services.can_read(user, found) else None


@dataclass(frozen=True)
class Change:
    """One line of the audit trail: when, who (a name, or None for a deleted account), what."""

    action: str
    changed_at: object
    who: str | None
    fields: list[str]


def changes(session_id: int) -> list[Change]:
    """The audit trail of a session, oldest first, with the names of who changed it. One query."""
    query = (sa.select(HelpSessionChange, User.name).outerjoin(User, User.id == HelpSessionChange.changed_by_id)
             .where(HelpSessionChange.session_id == session_id)
             .order_by(HelpSessionChange.changed_at, HelpSessionChange.id))
    return [Change(row.action, row.changed_at, name, sorted((row.changes or {}).keys()))
            for row, name in db.session.execute(query)]


# ---------------------------------------------------------------- the history


@dataclass
class HistoryFilters:
    """The history's filters, read from the query string; unknown codes are dropped and named in
    `errors` ({argument: message})."""

    date_from: date | None = None
    date_to: date | None = None
    type: str = ""
    theme: str = ""
    procedure: str = ""
    outcome: str = ""
    scope: str = "all"  # all, mine, structures, deleted (one's own deleted sessions)
    with_rights: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    def args(self) -> dict[str, str]:
        """The filters as query arguments (for the pager's links), empty ones left out."""
        values = {"date_from": self.date_from.isoformat() if self.date_from else "",
                  "date_to": self.date_to.isoformat() if self.date_to else "", "type": self.type,
                  "theme": self.theme, "procedure": self.procedure, "outcome": self.outcome,
                  "scope": "" if self.scope == "all" else self.scope, "with_rights": "1" if self.with_rights else ""}
        return {name: value for name, value in values.items() if value}


def json_list_holds(column: Any, code: str) -> sa.ColumnElement[bool]:
    """True when a JSON list of codes (stored as text such as `["email", "sante"]`) holds `code`.
    Portable (SQLite, PostgreSQL); codes are snake_case, never containing a quote."""
    return sa.cast(column, sa.Text).contains(f'"{code}"', autoescape=True)


def _scoped(user: User, scope: str) -> sa.Select[tuple[HelpSession]]:
    if scope == "deleted":
        return sa.select(HelpSession).where(HelpSession.counsellor_id == user.id, HelpSession.deleted_at.is_not(None))
    query = services.visible_sessions(user)
    if scope == "mine":
        return query.where(HelpSession.counsellor_id == user.id)
    if scope == "structures":
        return query.where(HelpSession.counsellor_id != user.id)
    return query


def history_query(user: User, filters: HistoryFilters) -> sa.Select[tuple[HelpSession]]:
    """The sessions `user` reads, filtered, newest first, with what a row of the list shows
    (counsellor, help point, rights) loaded alongside."""
    query = _scoped(user, filters.scope)
    conditions = [
        HelpSession.date >= filters.date_from if filters.date_from else None,
        HelpSession.date <= filters.date_to if filters.date_to else None,
        HelpSession.type == filters.type if filters.type else None,
        json_list_holds(HelpSession.themes, filters.theme) if filters.theme else None,
        json_list_holds(HelpSession.procedures, filters.procedure) if filters.procedure else None,
        HelpSession.outcome == filters.outcome if filters.outcome else None,
        HelpSession.unmet_rights.any() if filters.with_rights else None,
    ]
    query = query.where(*(condition for condition in conditions if condition is not None))
    return (query.options(joinedload(HelpSession.counsellor), joinedload(HelpSession.help_point),
                          selectinload(HelpSession.unmet_rights))
            .order_by(HelpSession.date.desc(), HelpSession.id.desc()))


# ---------------------------------------------------------------- the follow-up list


def follow_up_query(user: User, on: date) -> sa.Select[tuple[UnmetRight]]:
    """Unmet rights of the sessions `user` reads whose follow-up date has come (≤ `on`) and whose
    outcome is not final (refused, abandoned, opened), oldest follow-up first, sessions loaded."""
    visible = services.visible_sessions(user).with_only_columns(HelpSession.id).order_by(None)
    return (sa.select(UnmetRight)
            .where(UnmetRight.session_id.in_(visible), UnmetRight.follow_up_on <= on,
                   UnmetRight.outcome.not_in(FINAL_RIGHT_OUTCOMES))
            .options(joinedload(UnmetRight.session).options(joinedload(HelpSession.counsellor),
                                                             joinedload(HelpSession.resident)))
            .order_by(UnmetRight.follow_up_on, UnmetRight.id))


def visible_right(right_id: int, user: User) -> UnmetRight | None:
    """The unmet right when its session is one `user` reads (not deleted), else None. One query."""
    visible = services.visible_sessions(user).with_only_columns(HelpSession.id).order_by(None)
    query = sa.select(UnmetRight).where(UnmetRight.id == right_id, UnmetRight.session_id.in_(visible))
    return db.session.scalar(query)
