"""Help sessions (accompagnements) and the unmet rights (non-recours) detected in them.

Categories and codes are La Coop de la médiation numérique's (ANCT), as DESIGN.md sections 4 and 6
give them; the unmet-rights fields follow the ODENORE typology. Codes are checked by the services
against `inclusion_app.vocabularies`; lists of codes are JSON lists of str.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion_app.extensions import Model
from inclusion_app.models.people import Resident, Structure, User
from inclusion_app.models.scheduling import Appointment, WalkIn
from inclusion_app.models.territory import District, HelpPoint
from inclusion_app.models.types import UTCDateTime, utcnow


class HelpSession(Model):
    """One accompaniment logged by a counsellor (compte rendu d'activité, CRA).

    `date` is the local date of the session; `duration_minutes` its length in minutes (1 to 720).
    `type` is `individuel` or `collectif`; `place_type` one of `vocabularies.PLACE_TYPES`, with
    `help_point_id` for `lieu_activite` and `commune_code` (INSEE, 5 characters) for `domicile` and
    `autre`. `themes`, `procedures` and `equipment` are lists of codes. The profile is anonymous:
    `birth_year` gives `age_band` (stored, derived, never typed). A collective workshop keeps `title`,
    `level` and `participants` (counts only, e.g. {"total": 8, "age_bands": {...}, "genders": {...}})
    and `participants_total`. `district_id` is where the person lives, else the help point's district.
    `structure_id` is the structure the session is logged for (read by its other counsellors).
    A deleted session keeps its row (`deleted_at`, `deleted_by_id`); changes are in `HelpSessionChange`.
    """

    __tablename__ = "help_sessions"
    __table_args__ = (
        sa.CheckConstraint("duration_minutes BETWEEN 1 AND 720", name="duration_range"),
        sa.CheckConstraint("type IN ('individuel', 'collectif')", name="type"),
        sa.CheckConstraint("place_type IN ('lieu_activite', 'domicile', 'a_distance', 'autre')", name="place_type"),
        sa.Index("ix_help_sessions_counsellor_date", "counsellor_id", "date"),
        sa.Index("ix_help_sessions_structure_date", "structure_id", "date"),
        sa.Index("ix_help_sessions_district_date", "district_id", "date"),
        sa.Index("ix_help_sessions_help_point_date", "help_point_id", "date"),
        sa.Index("ix_help_sessions_date", "date"),
        # One live session per appointment and per walk-in, held by the database (two counsellors
        # saving at the same moment); a deleted session frees its link.
        sa.Index("uq_help_sessions_live_appointment", "appointment_id", unique=True,
                 postgresql_where=sa.text("deleted_at IS NULL"), sqlite_where=sa.text("deleted_at IS NULL")),
        sa.Index("uq_help_sessions_live_walk_in", "walk_in_id", unique=True,
                 postgresql_where=sa.text("deleted_at IS NULL"), sqlite_where=sa.text("deleted_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    structure_id: Mapped[int | None] = mapped_column(sa.ForeignKey("structures.id", ondelete="SET NULL"))
    date: Mapped[date]
    duration_minutes: Mapped[int]
    type: Mapped[str] = mapped_column(sa.String(20), default="individuel")
    place_type: Mapped[str] = mapped_column(sa.String(20), default="lieu_activite")
    help_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("help_points.id", ondelete="SET NULL"))
    commune_code: Mapped[str | None] = mapped_column(sa.String(5))
    commune_name: Mapped[str | None] = mapped_column(sa.String(100))
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id", ondelete="SET NULL"))
    themes: Mapped[list[str]] = mapped_column(sa.JSON(), default=list)
    procedures: Mapped[list[str]] = mapped_column(sa.JSON(), default=list)
    precision: Mapped[str] = mapped_column(sa.String(300), default="")
    equipment: Mapped[list[str]] = mapped_column(sa.JSON(), default=list)
    autonomy: Mapped[str | None] = mapped_column(sa.String(30))
    outcome: Mapped[str | None] = mapped_column(sa.String(30))
    referral: Mapped[str | None] = mapped_column(sa.String(40))
    referral_structure: Mapped[str] = mapped_column(sa.String(200), default="")
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residents.id", ondelete="SET NULL"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id", ondelete="SET NULL"),
                                                       index=True)
    walk_in_id: Mapped[int | None] = mapped_column(sa.ForeignKey("walk_ins.id", ondelete="SET NULL"), index=True)
    birth_year: Mapped[int | None]
    age_band: Mapped[str] = mapped_column(sa.String(30), default="non_communique")
    gender: Mapped[str] = mapped_column(sa.String(20), default="non_communique")
    social_status: Mapped[str] = mapped_column(sa.String(20), default="non_communique")
    is_first_visit: Mapped[bool | None]
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    level: Mapped[str | None] = mapped_column(sa.String(20))
    participants: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON())
    participants_total: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    counsellor: Mapped[User] = relationship(foreign_keys=[counsellor_id])
    structure: Mapped[Structure | None] = relationship()
    help_point: Mapped[HelpPoint | None] = relationship()
    district: Mapped[District | None] = relationship()
    resident: Mapped[Resident | None] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
    walk_in: Mapped[WalkIn | None] = relationship()
    unmet_rights: Mapped[list[UnmetRight]] = relationship(back_populates="session", cascade="all, delete-orphan",
                                                          order_by="UnmetRight.id")

    def __repr__(self) -> str:
        return f"<HelpSession {self.id} {self.date}>"


class UnmetRight(Model):
    """A right detected as not taken up (non-recours) during a help session, then followed up.

    `right`, `situation`, `form` (ODENORE), `reason`, `action` and `outcome` are codes of
    `inclusion_app.vocabularies`. `detected_on` is the session's date; `filed_on`, `opened_on` and
    `closed_on` (refused or abandoned) are local dates entered as the follow-up goes;
    `follow_up_on` is when the counsellor wants to check again (their "to follow up" list).
    """

    __tablename__ = "unmet_rights"
    __table_args__ = (
        sa.Index("ix_unmet_rights_right_detected", "right", "detected_on"),
        sa.Index("ix_unmet_rights_follow_up", "follow_up_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("help_sessions.id", ondelete="CASCADE"), index=True)
    right: Mapped[str] = mapped_column(sa.String(40))
    situation: Mapped[str | None] = mapped_column(sa.String(30))
    form: Mapped[str] = mapped_column(sa.String(30))
    reason: Mapped[str] = mapped_column(sa.String(40))
    action: Mapped[str | None] = mapped_column(sa.String(30))
    outcome: Mapped[str] = mapped_column(sa.String(20), default="repere")
    detected_on: Mapped[date]
    filed_on: Mapped[date | None]
    opened_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    follow_up_on: Mapped[date | None]
    notes: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    session: Mapped[HelpSession] = relationship(back_populates="unmet_rights")

    def __repr__(self) -> str:
        return f"<UnmetRight {self.id} {self.right}>"


class HelpSessionChange(Model):
    """The audit trail of a help session: who did what when (`created`, `updated`, `deleted`,
    `restored`), with `changes` as {field: [old, new]} for an update (codes, never free text of
    a resident)."""

    __tablename__ = "help_session_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("help_sessions.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON(), default=dict)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
