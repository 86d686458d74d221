"""What the landing pages show, and the health check."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import AccountLockout, District, User
from inclusion_app.models.types import utcnow

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    """True when `SELECT 1` answers; a failure is logged (without the URL) and rolled back."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        logger.error("health: database unreachable (%s)", type(error).__name__)
        db.session.rollback()
        return False
    return True


def dashboard_context(user: User) -> dict[str, Any]:
    """Figures for the landing page of `user`'s role (bounded queries, no personal data for managers)."""
    context: dict[str, Any] = {"district_count": db.session.scalar(sa.select(sa.func.count(District.id)))}
    if user.role == "admin":
        context["user_counts"] = dict(
            db.session.execute(sa.select(User.role, sa.func.count(User.id)).group_by(User.role)).tuples().all()
        )
        context["locked_count"] = db.session.scalar(
            sa.select(sa.func.count(AccountLockout.id)).where(AccountLockout.locked_until > utcnow())
        )
    return context
