"""Accounts, passwords, the per-account lockout and personal API tokens. Services only flush."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g
from werkzeug.security import check_password_hash, generate_password_hash

from inclusion_app.extensions import db
from inclusion_app.models import ROLES, AccountLockout, ApiToken, Structure, User
from inclusion_app.models.types import utcnow
from inclusion_app.security import token_digest

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 12
# A fixed hash checked when the account does not exist, so that timing does not reveal it.
_DUMMY_HASH = generate_password_hash("not-a-password", method="pbkdf2:sha256:1000")


class AccountError(ValueError):
    """A refused account change; `field` names the input at fault, `message` says why (English)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class LoginResult:
    """Outcome of a login attempt: `user` when accepted, else `locked_until` (UTC) when locked."""

    user: User | None
    locked_until: datetime | None = None


def normalise_email(email: str) -> str:
    """Lower-case and strip an email address (the login name)."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Hash with Werkzeug's default (scrypt) or the method set in `PASSWORD_HASH_METHOD`."""
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    return generate_password_hash(password, method=method) if method else generate_password_hash(password)


def create_user(email: str, name: str, role: str, password: str, structures: Sequence[str] = ()) -> User:
    """Create a staff account; structures are found or created by name.

    Raises AccountError (field `email`, `name`, `role` or `password`) for a malformed email, an
    email already used, an empty name, an unknown role or a password under 12 characters.
    """
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email):
        raise AccountError("email", "Enter a valid email address.")
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountError("email", "An account already uses this email address.")
    if not name.strip():
        raise AccountError("name", "Enter a name.")
    if role not in ROLES:
        raise AccountError("role", f"The role must be one of: {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password", f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password))
    user.structures = [get_or_create_structure(label) for label in structures if label.strip()]
    db.session.add(user)
    db.session.flush()
    return user


def get_or_create_structure(name: str) -> Structure:
    """The structure with this name, created when missing."""
    name = name.strip()
    structure = db.session.scalar(sa.select(Structure).where(Structure.name == name))
    if structure is None:
        structure = Structure(name=name)
        db.session.add(structure)
        db.session.flush()
    return structure


def set_password(user: User, password: str) -> None:
    """Replace a user's password. Raises AccountError when it is shorter than 12 characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password", f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = hash_password(password)
    db.session.flush()


def authenticate(email: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check a login; count failures per login name and lock it after `LOGIN_MAX_FAILURES`.

    A locked login is refused even with the right password until `locked_until` (UTC); the count
    resets on success. Unknown and known emails are treated alike (no account enumeration).
    """
    now = now or utcnow()
    email = normalise_email(email)
    lockout = db.session.scalar(sa.select(AccountLockout).where(AccountLockout.email == email))
    if lockout is not None and lockout.locked_until is not None and lockout.locked_until > now:
        return LoginResult(None, lockout.locked_until)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is not None and valid and user.is_active:
        if lockout is not None:
            db.session.delete(lockout)
        user.last_login_at = now
        db.session.flush()
        return LoginResult(user)
    return LoginResult(None, _record_failure(email, now))


def _record_failure(email: str, now: datetime) -> datetime | None:
    """Add one failure for `email` atomically in the database; return `locked_until` if now locked."""
    config = current_app.config
    if db.session.scalar(sa.select(AccountLockout.id).where(AccountLockout.email == email)) is None:
        try:
            with db.session.begin_nested():
                db.session.add(AccountLockout(email=email, failed_count=0))
        except sa.exc.IntegrityError:
            pass  # another worker created it first; the update below counts this failure
    db.session.execute(
        sa.update(AccountLockout)
        .where(AccountLockout.email == email)
        .values(failed_count=AccountLockout.failed_count + 1, last_failed_at=now)
        .execution_options(synchronize_session=False)
    )
    lockout = db.session.scalar(
        sa.select(AccountLockout).where(AccountLockout.email == email).execution_options(populate_existing=True)
    )
    if lockout is None:  # deleted meanwhile by a successful login elsewhere
        return None
    if lockout.failed_count >= config["LOGIN_MAX_FAILURES"]:
        lockout.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
        lockout.failed_count = 0
        db.session.flush()
        return lockout.locked_until
    return None


def unlock(email: str) -> bool:
    """Remove the lockout of a login name; True when one was removed."""
    lockout = db.session.scalar(sa.select(AccountLockout).where(AccountLockout.email == normalise_email(email)))
    if lockout is None:
        return False
    db.session.delete(lockout)
    db.session.flush()
    return True


def create_token(user: User, label: str = "") -> str:
    """Create a personal API token for `user` and return it in clear (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=token_digest(token), label=label[:100]))
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    """The active user owning a valid, unrevoked token, or None; records it in `g.api_token_id`."""
    row = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.is_active:
        return None
    g.api_token_id = row.id
    return row.user
