"""Helpers of the help-session page tests (tests/integration/test_session_pages.py and
test_session_lists.py): a frozen "today", the form of a valid session, requests with the page's
CSRF token, and checks of what a form shows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, User
from tests import factories
from tests.conftest import csrf_token_from
from tests.scheduling_factories import resident

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 11, 20)  # a Friday
NEW = "/accompagnements/nouveau"


def counsellor(login_as: Any) -> User:
    """Log in a counsellor of the structure "Médiathèque", working at one help point."""
    user = login_as("counsellor", structures=["Médiathèque"])
    place = factories.help_point(nom="Médiathèque des Couronneries")
    place.counsellors.append(user)
    db.session.commit()
    return user


def colleagues() -> tuple[User, User]:
    """A counsellor of the structure "Médiathèque", and one of another structure."""
    mate = factories.user(role="counsellor", structures=["Médiathèque"])
    stranger = factories.user(role="counsellor", structures=["Ailleurs"])
    db.session.commit()
    return mate, stranger


def get(client: Any, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def post(client: Any, path: str, data: dict[str, Any], status: int | None = None, token_from: str = NEW) -> Any:
    token = csrf_token_from(get(client, token_from))
    response = client.post(path, data={**data, "csrf_token": token})
    if status is not None:
        assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def valid(**changes: Any) -> dict[str, Any]:
    """The form of a valid remote individual session of 30 minutes on email, one blank right."""
    data: dict[str, Any] = {"type": "individuel", "date": TODAY.isoformat(), "duration": "30",
                            "duration_custom": "", "place_type": "a_distance", "themes": ["email"],
                            "profile.gender": "non_communique", "profile.social_status": "non_communique",
                            "rights_count": "1", "unmet_rights.0.outcome": "repere"}
    data.update(changes)
    return data


def checked(html: str, name: str, value: str) -> bool:
    return re.search(rf'<input type="(?:radio|checkbox)" name="{re.escape(name)}" value="{re.escape(value)}" checked',
                     html) is not None


def selected(html: str, field_id: str, value: str) -> bool:
    select = re.search(rf'<select id="{re.escape(field_id)}".*?</select>', html, re.S)
    return select is not None and f'<option value="{value}" selected>' in select.group(0)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), PARIS).astimezone(UTC)


def appointment(counsellor: User, *, place: Any = None, minutes: int = 45, procedure: str | None = "logement",
                who: Any = None) -> Appointment:
    row = Appointment(resident_id=(who or resident()).id, counsellor_id=counsellor.id,
                      help_point_id=place.id if place else None, mode="on_site" if place else "phone",
                      starts_at=local(TODAY, 9), ends_at=local(TODAY, 9) + timedelta(minutes=minutes),
                      status="attended", procedure=procedure)
    db.session.add(row)
    db.session.flush()
    return row

