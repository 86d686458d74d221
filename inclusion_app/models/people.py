"""Staff accounts, their structures, API tokens and the per-account login lockout."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion_app.extensions import Model, db
from inclusion_app.models.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    """Staff roles of DESIGN.md section 5."""

    COUNSELLOR = "counsellor"
    PHONE_AGENT = "phone_agent"
    MANAGER = "manager"
    ADMIN = "admin"


ROLES: tuple[str, ...] = tuple(role.value for role in Role)

user_structures = sa.Table(
    "user_structures",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("structure_id", sa.ForeignKey("structures.id", ondelete="CASCADE"), primary_key=True),
)


class Structure(Model):
    """An organisation staff work for (a médiathèque, a centre social, the city's phone line…)."""

    __tablename__ = "structures"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    users: Mapped[list[User]] = relationship(secondary=user_structures, back_populates="structures")

    def __repr__(self) -> str:
        return f"<Structure {self.id}>"


class User(UserMixin, Model):
    """A staff account: counsellor, phone-line agent, manager or admin (one role each).

    `email` is stored lower-case and is the login. `password_hash` comes from
    `inclusion_app.auth.passwords`; it is never set directly from a form.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(
        sa.Enum(*ROLES, name="role", native_enum=False, create_constraint=True, length=20)
    )
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    language: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # SHA-256 of the secret in the counsellor's iCalendar feed URL (shown when generated).
    calendar_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    structures: Mapped[list[Structure]] = relationship(
        secondary=user_structures, back_populates="users", order_by=Structure.name
    )
    api_tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def has_role(self, *roles: str) -> bool:
        """True when the account is active and its role is one of `roles`."""
        return self.is_active and self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class ApiToken(Model):
    """A personal API token (`Authorization: Bearer <token>`), stored as its SHA-256 digest.

    The clear token is shown once by `flask create-token`; it has 256 bits of entropy, so a fast
    digest is enough (a slow password hash would only slow every API call).
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="api_tokens")


class AccountLockout(Model):
    """Failed logins per login name, kept in the database so the lockout holds across workers.

    Keyed on the normalised email typed, whether or not an account exists, so that the lockout
    message reveals nothing about which accounts exist.
    """

    __tablename__ = "account_lockouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    failed_count: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Resident(Model):
    """A resident helped by the service (usager): minimal personal data, no account.

    `phone` is E.164 (None when unknown) and `phone_is_mobile` says whether SMS can reach it;
    `reminder_channel` is `sms`, `email` or `none` (a printed slip); `search_name` is the folded
    "first last" name (lower case, no accents) used to find a resident whatever the accents typed.
    `sms_problem` is set when SMS cannot reach the number (`opted_out` after STOP, `not_mobile`,
    `invalid`, `unreachable`, from the provider's permanent errors) and shown at the next booking.
    A merged resident points to the one kept (`merged_into_id`) and is hidden from searches;
    `deleted_at` marks a resident removed on request (their appointments keep their history).
    """

    __tablename__ = "residents"
    __table_args__ = (
        sa.CheckConstraint("reminder_channel IN ('sms', 'email', 'none')", name="reminder_channel"),
        sa.CheckConstraint("reminder_channel <> 'sms' OR phone_is_mobile", name="sms_needs_mobile"),
        sa.CheckConstraint("reminder_channel <> 'email' OR email IS NOT NULL", name="email_needs_address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100))
    search_name: Mapped[str] = mapped_column(sa.String(210), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    phone_is_mobile: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    email: Mapped[str | None] = mapped_column(sa.String(254))
    language: Mapped[str] = mapped_column(sa.String(8), default="fr", server_default="fr")
    reminder_channel: Mapped[str] = mapped_column(sa.String(10), default="none", server_default="none")
    sms_consent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    sms_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sms_problem: Mapped[str | None] = mapped_column(sa.String(20))
    sms_problem_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id", ondelete="SET NULL"), index=True)
    notes: Mapped[str] = mapped_column(sa.String(500), default="")
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residents.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Resident {self.id}>"
