"""Scheduling: counsellors' availability, absences, help-point closures, appointments.

Times of day in rules are wall-clock times in `TIMEZONE`; instants are aware UTC datetimes. The
database itself refuses a double booking (DESIGN.md section 3, issue 4): an exclusion constraint
on PostgreSQL and triggers on SQLite, both written in the migration, over the appointments whose
status holds the time (`HOLDING_STATUSES`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion_app import vocabularies
from inclusion_app.extensions import Model
from inclusion_app.models.people import Resident, User
from inclusion_app.models.territory import HelpPoint
from inclusion_app.models.types import UTCDateTime, utcnow


class Mode(enum.StrEnum):
    """How an appointment takes place (DESIGN.md section 2)."""

    ON_SITE = "on_site"
    PHONE = "phone"


class AppointmentStatus(enum.StrEnum):
    """Life of an appointment: `booked`, then one of the four final statuses."""

    BOOKED = "booked"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    CANCELLED_BY_RESIDENT = "cancelled_by_resident"
    CANCELLED_BY_SERVICE = "cancelled_by_service"


MODES = tuple(mode.value for mode in Mode)
assert set(MODES) == set(vocabularies.MODES)  # noqa: S101 - the labels follow the codes
STATUSES = tuple(status.value for status in AppointmentStatus)
#: Statuses whose appointment keeps its time: a counsellor or a resident cannot be booked twice then.
HOLDING_STATUSES = ("booked", "attended", "no_show")
#: Booking needs (DESIGN.md section 4), narrowing the search to help points that support them.
NEEDS = tuple(vocabularies.NEEDS)


class AvailabilityRule(Model):
    """A recurring weekly opening of a counsellor: on site at a help point, or by phone.

    `weekday` 0 = Monday; `start_time`/`end_time` wall-clock in `TIMEZONE`; slots of
    `slot_minutes` minutes from `start_time`; valid from `valid_from` to `valid_until` inclusive
    (None: open-ended); `procedures` lists the La Coop procedure categories it serves (empty: all).
    """

    __tablename__ = "availability_rules"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("start_time < end_time", name="time_order"),
        sa.CheckConstraint("slot_minutes BETWEEN 5 AND 480", name="slot_length"),
        sa.CheckConstraint("(mode = 'on_site') = (help_point_id IS NOT NULL)", name="place_by_mode"),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="validity_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(sa.Enum(*MODES, name="mode", native_enum=False, create_constraint=True,
                                              length=10))
    help_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("help_points.id", ondelete="CASCADE"),
                                                      index=True)
    weekday: Mapped[int] = mapped_column()
    start_time: Mapped[time] = mapped_column(sa.Time())
    end_time: Mapped[time] = mapped_column(sa.Time())
    slot_minutes: Mapped[int] = mapped_column(default=30)
    valid_from: Mapped[date] = mapped_column(sa.Date())
    valid_until: Mapped[date | None] = mapped_column(sa.Date())
    procedures: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    counsellor: Mapped[User] = relationship()
    help_point: Mapped[HelpPoint | None] = relationship()


class Absence(Model):
    """A counsellor away from `starts_at` to `ends_at` (UTC): no slot is offered then."""

    __tablename__ = "absences"
    __table_args__ = (sa.CheckConstraint("starts_at < ends_at", name="time_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Closure(Model):
    """A help point closed from `starts_at` to `ends_at` (UTC): no on-site slot there then."""

    __tablename__ = "closures"
    __table_args__ = (sa.CheckConstraint("starts_at < ends_at", name="time_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    help_point_id: Mapped[int] = mapped_column(sa.ForeignKey("help_points.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Appointment(Model):
    """An appointment of a resident with a counsellor, on site at a help point or by phone.

    `starts_at`/`ends_at` are UTC. `first_offered_at` is the earliest free slot the search
    offered when it was booked (for the managers' delay indicator, DESIGN.md section 4).
    `rescheduled_from_id` links a moved appointment to the one it replaces (history kept: the
    old row is `cancelled_by_*` with the same who/when fields).
    """

    __tablename__ = "appointments"
    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="time_order"),
        sa.CheckConstraint("(mode = 'on_site') = (help_point_id IS NOT NULL)", name="place_by_mode"),
        sa.Index("ix_appointments_counsellor_starts", "counsellor_id", "starts_at"),
        sa.Index("ix_appointments_resident_starts", "resident_id", "starts_at"),
        sa.Index("ix_appointments_help_point_starts", "help_point_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id", ondelete="RESTRICT"))
    counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    help_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("help_points.id", ondelete="RESTRICT"))
    mode: Mapped[str] = mapped_column(sa.Enum(*MODES, name="mode", native_enum=False, create_constraint=True,
                                              length=10))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(
        sa.Enum(*STATUSES, name="status", native_enum=False, create_constraint=True, length=30),
        default="booked", index=True,
    )
    procedure: Mapped[str | None] = mapped_column(sa.String(60))
    needs: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    interpreter_language: Mapped[str | None] = mapped_column(sa.String(8))
    notes: Mapped[str] = mapped_column(sa.String(500), default="")
    first_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    booked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rescheduled_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id", ondelete="SET NULL"))

    resident: Mapped[Resident] = relationship()
    counsellor: Mapped[User] = relationship(foreign_keys=[counsellor_id])
    help_point: Mapped[HelpPoint | None] = relationship()
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_id])


def no_double_booking_sql(dialect: str) -> list[str]:
    """SQL that makes the database refuse overlapping appointments holding their time.

    One counsellor cannot hold two overlapping appointments, nor can one resident. PostgreSQL:
    exclusion constraints over `tstzrange(starts_at, ends_at)` with `btree_gist` (error SQLSTATE
    23P01, constraint `ex_appointments_<who>_overlap`). SQLite: BEFORE INSERT/UPDATE triggers that
    abort with the message `appointment_overlap:<who>`; they look back one day only, through the
    (who, starts_at) index, since an appointment lasts at most a slot (≤ 480 minutes, checked on
    availability rules). The migration that creates the table
    holds a frozen copy of these statements; `create_all` (tests) runs these.
    """
    holding = "(" + ", ".join(f"'{status}'" for status in HOLDING_STATUSES) + ")"
    if dialect == "postgresql":
        return ["CREATE EXTENSION IF NOT EXISTS btree_gist"] + [
            f"ALTER TABLE appointments ADD CONSTRAINT ex_appointments_{who}_overlap EXCLUDE USING gist "
            f"({who}_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE (status IN {holding})"
            for who in ("counsellor", "resident")
        ]
    return [
        f"CREATE TRIGGER tr_appointments_{who}_overlap_{event.lower()} BEFORE {event} ON appointments "  # noqa: S608
        f"WHEN NEW.status IN {holding} BEGIN "
        f"SELECT RAISE(ABORT, 'appointment_overlap:{who}') WHERE EXISTS (SELECT 1 FROM appointments a "
        f"WHERE a.{who}_id = NEW.{who}_id AND a.id IS NOT NEW.id AND a.status IN {holding} "
        f"AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at "
        f"AND a.starts_at > datetime(NEW.starts_at, '-1 day')); END"
        for who in ("counsellor", "resident")
        for event in ("INSERT", "UPDATE")
    ]


@sa.event.listens_for(Appointment.__table__, "after_create")
def _create_no_double_booking(target: sa.Table, connection: sa.Connection, **kwargs: object) -> None:
    for statement in no_double_booking_sql(connection.dialect.name):
        connection.exec_driver_sql(statement)


WALK_IN_STATUSES = ("waiting", "called", "served", "left")


class WalkIn(Model):
    """A resident who came to a help point without an appointment (accueil libre), same day.

    Life: `waiting` (arrived_at) → `called` (called_at, by a counsellor) → `served` (served_at),
    or `left` (left_at) before being served. `display_name` is what the desk calls out (a first
    name or a ticket number), so an unregistered person can queue; `resident_id` links a
    registered resident. A served walk-in leads to logging a help session.
    """

    __tablename__ = "walk_ins"
    __table_args__ = (
        sa.CheckConstraint("status IN ('waiting', 'called', 'served', 'left')", name="status"),
        sa.Index("ix_walk_ins_help_point_arrived", "help_point_id", "arrived_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    help_point_id: Mapped[int] = mapped_column(sa.ForeignKey("help_points.id", ondelete="CASCADE"))
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residents.id", ondelete="SET NULL"), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    procedure: Mapped[str | None] = mapped_column(sa.String(60))
    notes: Mapped[str] = mapped_column(sa.String(300), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="waiting")
    counsellor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    help_point: Mapped[HelpPoint] = relationship()
    resident: Mapped[Resident | None] = relationship()
    counsellor: Mapped[User | None] = relationship(foreign_keys=[counsellor_id])
