"""Lease rows (`JobLease`): a periodic job runs once across every scheduler (DESIGN.md section 3).

A lease is taken by a conditional INSERT or UPDATE, committed at once (one of the few places where
a commit is the point): the row is free when it does not exist, when its holder's lease has run
out (`expires_at`, so a crashed holder does not block the job forever), and, for a daily job, when
it has not yet run on that local date (`last_run_on`). Whoever's statement changes the row holds it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import JobLease

logger = logging.getLogger(__name__)


def take_lease(name: str, holder: str, now: datetime, ttl: timedelta, today: date | None = None) -> bool:
    """Take the lease `name` for `holder` until `now + ttl`; committed. With `today` (a daily job),
    refused when the job already ran on that local date. True when taken."""
    free = sa.or_(JobLease.expires_at.is_(None), JobLease.expires_at <= now)
    if today is not None:
        free = sa.and_(free, sa.or_(JobLease.last_run_on.is_(None), JobLease.last_run_on < today))
    result = db.session.execute(
        sa.update(JobLease).where(JobLease.name == name, free)
        .values(holder=holder, expires_at=now + ttl, updated_at=now).execution_options(synchronize_session=False))
    if getattr(result, "rowcount", 0) == 1:
        db.session.commit()
        return True
    exists = db.session.scalar(sa.select(sa.func.count()).select_from(JobLease).where(JobLease.name == name))
    if exists:
        db.session.commit()
        return False
    return _insert(name, holder, now, ttl)


def _insert(name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """The first run ever: insert the row; a concurrent insert of the same name loses cleanly."""
    try:
        db.session.add(JobLease(name=name, holder=holder, expires_at=now + ttl, updated_at=now))
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return False
    return True


def release_lease(name: str, holder: str, now: datetime, ran_on: date | None = None) -> None:
    """Give the lease back (and record `ran_on` as the last run's local date); committed."""
    values: dict[str, object] = {"holder": None, "expires_at": None, "updated_at": now}
    if ran_on is not None:
        values["last_run_on"] = ran_on
    db.session.execute(sa.update(JobLease).where(JobLease.name == name, JobLease.holder == holder)
                       .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
