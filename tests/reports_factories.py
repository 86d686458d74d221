"""Rows for the report tests: a small city of two districts and helpers to add activity in March 2026."""

from __future__ import annotations

import itertools
from datetime import date, time, timedelta

from inclusion_app.extensions import db
from inclusion_app.models import AvailabilityRule, HelpSession, UnmetRight
from inclusion_app.reports.filters import ReportFilter
from tests import factories
from tests.scheduling_factories import appointment, local, resident

MARCH = ReportFilter(date(2026, 3, 1), date(2026, 3, 31))
_slots = itertools.count()


def _next_start() -> str:
    """A distinct half-hour in March 2026 for each appointment (the database refuses overlaps)."""
    number = next(_slots) % 600
    return f"2026-03-{2 + number // 20:02d} {8 + number % 20 // 2:02d}:{30 * (number % 2):02d}"


def add_appointments(counsellor, district, help_point, status, count, *, delay_days=None):
    for number in range(count):
        row = appointment(counsellor, _next_start(),
                          help_point=help_point, status=status, who=resident(district_id=district.id))
        if delay_days is not None:
            row.booked_at = local("2026-03-02 10:00")
            row.first_offered_at = row.booked_at + timedelta(days=delay_days[number % len(delay_days)])
    db.session.flush()


def add_session(counsellor, district, day=date(2026, 3, 5), **fields):
    values = {"counsellor_id": counsellor.id, "date": day, "duration_minutes": 30, "type": "individuel",
              "place_type": "a_distance", "themes": ["email"], "district_id": district.id if district else None}
    values.update(fields)
    row = HelpSession(**values)
    db.session.add(row)
    db.session.flush()
    return row


def make_city():
    """Two districts (A with 2,000 inhabitants, B with an unknown population), their help points
    (one inactive in B) and a counsellor with a Monday rule at A's point and a Tuesday phone rule."""
    counsellor = factories.user("counsellor")
    a = factories.district(name="Aubépine", population=2000)
    b = factories.district(name="Bellejouanne")
    hp_a = factories.help_point(district_id=a.id)  # Mo-Fr 09:00-12:00,14:00-17:00: 30 h a week
    hp_b = factories.help_point(district_id=b.id, horaires="Mo 09:00-12:00")
    factories.help_point(district_id=b.id, is_active=False)
    db.session.add_all([
        AvailabilityRule(counsellor_id=counsellor.id, mode="on_site", help_point_id=hp_a.id, weekday=0,
                         start_time=time(9), end_time=time(12), valid_from=date(2026, 1, 1)),
        AvailabilityRule(counsellor_id=counsellor.id, mode="phone", weekday=1, start_time=time(14),
                         end_time=time(16), valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)),
    ])
    return {"counsellor": counsellor, "a": a, "b": b, "hp_a": hp_a, "hp_b": hp_b}


def add_right(session, right="rsa", **fields):
    values = {"right": right, "form": "non_connaissance", "reason": "complexite", "detected_on": session.date}
    values.update(fields)
    session.unmet_rights.append(UnmetRight(**values))


