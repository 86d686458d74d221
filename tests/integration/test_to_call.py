"""The phone line's "to call" list (issue 5), on SQLite and PostgreSQL: who is on it, recording
called / no answer / cancelled, access; and the booking screen's flags for a number the SMS
provider refused. Pages in English (`lang` cookie)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_babel import force_locale

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, ReminderCall, Resident
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.pages import resident_flags
from inclusion_app.scheduling.slots import local_date
from tests import factories
from tests import scheduling_factories as sf
from tests.conftest import csrf_token_from
from tests.messaging_factories import call, count_queries

LANDLINE = "+33549112233"


def _day(offset: int) -> date:
    return local_date(utcnow()) + timedelta(days=offset)


def _booked(first_name: str, offset: int = 1, hour: int = 10, **resident: object) -> Appointment:
    """An on-site appointment `offset` local days from today at `hour`:00, of a new resident."""
    values: dict[str, object] = {"first_name": first_name, "phone": LANDLINE}
    values.update(resident)
    counsellor = factories.user()
    return sf.appointment(counsellor, f"{_day(offset).isoformat()} {hour:02d}:00",
                          help_point=factories.help_point(nom=f"Place of {first_name}"), who=sf.resident(**values))


@pytest.fixture
def agent(client, login_as) -> FlaskClient:
    client.set_cookie("lang", "en")
    login_as("phone_agent")
    return client


def page(client: FlaskClient, path: str = "/messages/to-call") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_lists_residents_who_get_no_sms_nor_email(app, agent) -> None:
    _booked("Landline")
    _booked("NoConsent", phone="+33612345678", phone_is_mobile=True, reminder_channel="sms", sms_consent=False)
    _booked("Stopped", phone="+33612345679", phone_is_mobile=True, reminder_channel="sms", sms_consent=True,
            sms_problem="opted_out")
    _booked("Texted", phone="+33612345670", phone_is_mobile=True, reminder_channel="sms", sms_consent=True)
    _booked("Emailed", reminder_channel="email", email="emailed@example.org")
    db.session.commit()
    html = page(agent)
    for name in ("Landline", "NoConsent", "Stopped"):
        assert name in html
    assert "Texted" not in html
    assert "Emailed" not in html
    assert "05 49 11 22 33" in html
    assert "Place of Landline" in html


def test_only_booked_appointments_of_the_next_two_days(app, agent) -> None:
    _booked("Today", offset=0, hour=23)
    _booked("DayAfter", offset=2, hour=9)
    _booked("TooFar", offset=3, hour=9)
    _booked("Cancelled", offset=1).status = "cancelled_by_service"
    _booked("Past", offset=-1)
    db.session.commit()
    html = page(agent)
    assert "DayAfter" in html
    assert "TooFar" not in html
    assert "Cancelled" not in html
    assert "Past" not in html


def _record(client: FlaskClient, appointment: Appointment, outcome: str | None) -> int:
    data = {"csrf_token": csrf_token_from(page(client))}
    if outcome:
        data["outcome"] = outcome
    return client.post(f"/messages/to-call/{appointment.id}", data=data).status_code


def test_called_leaves_the_list_and_shows_with_all(app, agent) -> None:
    appointment = _booked("Reached")
    db.session.commit()
    assert _record(agent, appointment, "called") == 302
    assert "Reached" not in page(agent)
    html = page(agent, "/messages/to-call?all=1")
    assert "Reached" in html
    assert "Reached: reminded" in html
    assert db.session.scalar(sa.select(ReminderCall.outcome)) == "called"


def test_no_answer_stays_with_its_outcome(app, agent) -> None:
    appointment = _booked("Silent")
    db.session.commit()
    assert _record(agent, appointment, "no_answer") == 302
    html = page(agent)
    assert "Silent" in html
    assert "No answer" in html


def test_the_last_call_counts(app, agent) -> None:
    appointment = _booked("Twice")
    call(appointment.id, "no_answer", at=utcnow() - timedelta(hours=2))
    call(appointment.id, "called", at=utcnow() - timedelta(hours=1))
    db.session.commit()
    assert "Twice" not in page(agent)


def test_cancelled_on_the_phone_cancels_the_appointment(app, agent) -> None:
    appointment = _booked("Cancels")
    db.session.commit()
    assert _record(agent, appointment, "cancelled") == 302
    db.session.refresh(appointment)
    assert appointment.status == "cancelled_by_resident"
    assert db.session.scalar(sa.select(ReminderCall.outcome)) == "cancelled"
    assert "Cancels" not in page(agent, "/messages/to-call?all=1")


def test_missing_outcome_or_appointment_off_the_list_records_nothing(app, agent) -> None:
    appointment = _booked("Someone")
    far = _booked("Far", offset=5)
    db.session.commit()
    assert _record(agent, appointment, None) == 302
    assert _record(agent, appointment, "maybe") == 302
    assert _record(agent, far, "called") == 302
    assert agent.post("/messages/to-call/999999", data={"csrf_token": csrf_token_from(page(agent)),
                                                        "outcome": "called"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderCall)) == 0


def test_post_without_csrf_token_is_refused(app, agent) -> None:
    appointment = _booked("Forged")
    db.session.commit()
    assert agent.post(f"/messages/to-call/{appointment.id}", data={"outcome": "cancelled"}).status_code == 400
    db.session.refresh(appointment)
    assert appointment.status == "booked"


@pytest.mark.parametrize("role", ["counsellor", "manager", "admin"])
def test_only_the_phone_line_reaches_the_list(app, client, login_as, role) -> None:
    login_as(role)
    assert client.get("/messages/to-call").status_code == 403


def test_queries_do_not_grow_with_the_list(app, agent) -> None:
    _booked("First", hour=8)
    db.session.commit()
    few = count_queries(lambda: page(agent))
    for hour in range(9, 20):
        appointment = _booked(f"P{hour}", hour=hour)
        call(appointment.id, "no_answer")
    db.session.commit()
    assert count_queries(lambda: page(agent)) == few


def _flags_of(**fields: object) -> list[str]:
    values: dict[str, object] = {"first_name": "A", "last_name": "B", "search_name": "a b", "phone": "+33612345678",
                                 "phone_is_mobile": True, "reminder_channel": "sms", "sms_consent": True,
                                 "district_id": 1}
    values.update(fields)
    with force_locale("en"):
        return resident_flags(Resident(**values))


@pytest.mark.parametrize(("problem", "words"), [
    ("opted_out", "refused SMS (STOP"), ("not_mobile", "not a mobile"), ("invalid", "invalid"),
    ("unreachable", "unreachable"),
])
def test_booking_screen_flags_a_number_the_provider_refused(app, problem, words) -> None:
    flags = _flags_of(sms_problem=problem)
    assert any(words in flag for flag in flags)
    assert "No reminder will be sent: give or send the printed slip." in flags


def test_no_flag_when_sms_can_be_sent(app) -> None:
    assert _flags_of() == []


def test_the_booking_screen_shows_the_number_refused_by_stop(app, agent) -> None:
    person = sf.resident(phone="+33612345678", phone_is_mobile=True, reminder_channel="sms", sms_consent=True,
                         sms_problem="opted_out")
    db.session.commit()
    html = page(agent, f"/booking/resident/{person.id}")
    assert "This number refused SMS (STOP reply)" in html
    assert "No reminder will be sent: give or send the printed slip." in html
