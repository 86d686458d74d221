"""`flask db upgrade` on an empty database gives the models' schema, and downgrade works."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from inclusion_app.extensions import db
from tests.conftest import build_app


@pytest.fixture
def empty_database_url(database_url: str, tmp_path) -> Iterator[str]:
    """A brand-new empty database on the same engine as `database_url`, dropped afterwards."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(sa.engine.make_url(database_url).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_gives_the_models_schema_and_downgrade_empties_it(empty_database_url):
    app = build_app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], differences
        assert_migrated_database_refuses_double_booking()
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()  # and up again, as a deployment after a rollback would
        assert "users" in sa.inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()


def assert_migrated_database_refuses_double_booking() -> None:
    """The exclusion constraints / triggers written in the migration hold on their own."""
    from datetime import UTC, datetime, timedelta

    from tests import factories
    from tests.booking_helpers import resident

    place = factories.help_point()
    counsellor = factories.user(role="counsellor")
    start = datetime(2027, 1, 11, 9, tzinfo=UTC)
    rows = [
        {"resident_id": resident(phone=phone).id, "counsellor_id": counsellor.id, "help_point_id": place.id,
         "mode": "on_site", "starts_at": start, "ends_at": start + timedelta(minutes=30), "status": "booked"}
        for phone in ("06 12 34 56 78", "07 81 23 45 67")
    ]
    from inclusion_app.models import Appointment

    db.session.add(Appointment(**rows[0]))
    db.session.flush()
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(Appointment(**rows[1]))
    db.session.rollback()


def test_the_social_status_migration_marks_every_session_day_for_a_recount(empty_database_url):
    from datetime import date

    from inclusion_app.models import HelpSession, ReportDirtyDay
    from tests import factories

    app = build_app(empty_database_url)
    with app.app_context():
        upgrade(revision="4a06f6db1c4e")
        counsellor = factories.user(role="counsellor")
        for day in (date(2026, 3, 5), date(2026, 3, 5), date(2026, 4, 1)):
            db.session.add(HelpSession(counsellor_id=counsellor.id, date=day, duration_minutes=30, type="individuel",
                                       place_type="a_distance", themes=["email"]))
        db.session.flush()
        db.session.execute(sa.delete(ReportDirtyDay))
        db.session.commit()
        upgrade()
        days = set(db.session.scalars(sa.select(ReportDirtyDay.day)))
        assert days == {date(2026, 3, 5), date(2026, 4, 1)}
        db.session.remove()
        db.engine.dispose()
