"""Rows and helpers for the booking pages' tests: a desk with on-site and phone availability, a
frozen clock for the pages, and the values the slot buttons send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from inclusion_app.extensions import db
from inclusion_app.models import District, HelpPoint, User
from inclusion_app.scheduling import pages
from tests import factories
from tests.booking_helpers import NOW, counsellor_at

TODAY = date(2027, 1, 4)  # Monday, the day of NOW
NEXT_MONDAY = date(2027, 1, 11)


@dataclass
class Desk:
    """A district, a help point inside it with an on-site counsellor (Monday 09:00-12:00, 30 min)
    and a phone counsellor (Monday 14:00-16:00)."""

    district: District
    place: HelpPoint
    on_site: User
    by_phone: User


def make_desk() -> Desk:
    """The rows of `Desk`, committed."""
    district = factories.district(name="Trois-Cités")
    place = factories.help_point(nom="Médiathèque des Trois-Cités", district_id=district.id, telephone="+33549000000")
    on_site = counsellor_at(place)
    by_phone = counsellor_at(place, start="14:00", end="16:00", mode="phone")
    db.session.commit()
    return Desk(district, place, on_site, by_phone)


def freeze(monkeypatch: pytest.MonkeyPatch, moment: datetime = NOW) -> None:
    """Make the pages' clock (`pages.now`) answer `moment`."""
    monkeypatch.setattr(pages, "now", lambda: moment)


def slot_value(start: datetime, help_point: HelpPoint | None) -> str:
    """What the button of the slot starting at `start` sends (see `pages.slot_value`)."""
    return f"{int(start.timestamp())}-{help_point.id if help_point else 0}"
