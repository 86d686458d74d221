"""Rows for booking tests: a counsellor with a weekly rule at a help point, a resident, a clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from inclusion_app.extensions import db
from inclusion_app.models import AvailabilityRule, Resident
from inclusion_app.residents.services import create_resident
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
# Monday 4 January 2027, 08:00 in Paris: the tests' "now".
NOW = datetime(2027, 1, 4, 8, 0, tzinfo=PARIS).astimezone(UTC)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware datetime at a wall-clock time in Paris."""
    return datetime.combine(day, time(hour, minute), PARIS)


def counsellor_at(help_point, weekday: int = 0, start: str = "09:00", end: str = "12:00", minutes: int = 30,
                  mode: str = "on_site"):
    """A counsellor with a weekly rule (0 = Monday) valid from 2026-12-01."""
    user = factories.user(role="counsellor")
    db.session.add(AvailabilityRule(
        counsellor_id=user.id, mode=mode, help_point_id=help_point.id if mode == "on_site" else None,
        weekday=weekday, start_time=time.fromisoformat(start), end_time=time.fromisoformat(end),
        slot_minutes=minutes, valid_from=date(2026, 12, 1)))
    db.session.flush()
    return user


def resident(**fields) -> Resident:
    """A resident with a mobile phone."""
    data = {"first_name": "Nadia", "last_name": "Martin", "phone": "06 12 34 56 78", **fields}
    return create_resident(data)[0]


def book_in_another_process(args: tuple[str, dict, str, float]) -> int:
    """In a worker process: build the app on `database_url`, wait until `start_at` (epoch seconds),
    post the booking with the Bearer `token`; return the HTTP status."""
    import time as clock

    from tests.conftest import build_app

    database_url, payload, token, start_at = args
    app = build_app(database_url)
    client = app.test_client()
    clock.sleep(max(0.0, start_at - clock.time()))
    status = client.post("/api/v1/appointments", json=payload, headers={"Authorization": f"Bearer {token}"}).status_code
    with app.app_context():
        db.engine.dispose()
    return status
