"""Queries of the administration pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from inclusion_app.extensions import db
from inclusion_app.models import AccountLockout, User
from inclusion_app.models.types import utcnow


def users_page(page: int, per_page: int = 50) -> Pagination:
    """One page of staff accounts by name, with their structures loaded (bounded queries)."""
    query = sa.select(User).options(selectinload(User.structures)).order_by(User.name, User.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def current_lockouts() -> list[AccountLockout]:
    """Login names locked now, latest failure first."""
    return list(
        db.session.scalars(
            sa.select(AccountLockout)
            .where(AccountLockout.locked_until > utcnow())
            .order_by(AccountLockout.last_failed_at.desc())
            .limit(100)
        )
    )
