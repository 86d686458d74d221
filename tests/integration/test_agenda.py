"""The desk's pages: agendas (day, week, help point), walk-ins, absences and closures, rebooking,
and the iCalendar feed (issue 4).

Times are checked as the French pages write them ("09:00"); interface texts are checked in English
(language cookie) so that these tests do not depend on the French catalog.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from inclusion_app.extensions import db
from inclusion_app.models import Absence, Appointment, AvailabilityRule, Closure, HelpPoint, User, WalkIn
from inclusion_app.scheduling import agenda, agenda_walk_ins
from tests import factories
from tests.booking_helpers import NOW, local, resident
from tests.conftest import csrf_token_from, login

MONDAY = date(2027, 1, 11)
TODAY = date(2027, 1, 4)  # NOW's local date, a Monday
PHONE_DIGITS = ("06 12 34 56 78", "+33612345678", "0612345678")


# ---------------------------------------------------------------- helpers


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """`clock(instant)`: the pages' idea of now (NOW until changed)."""

    def freeze(instant: datetime) -> None:
        monkeypatch.setattr(agenda, "now", lambda: instant)

    freeze(NOW)
    return freeze


@pytest.fixture
def english(client: Any) -> Any:
    client.set_cookie("lang", "en")
    return client


def appointment(counsellor: User, person: Any, start: datetime, *, place: HelpPoint | None = None,
                minutes: int = 30, status: str = "booked", procedure: str | None = None,
                needs: tuple[str, ...] = ()) -> Appointment:
    """An appointment row as booked (no slot check: the tests choose any time)."""
    row = Appointment(resident_id=person.id, counsellor_id=counsellor.id, help_point_id=place.id if place else None,
                      mode="on_site" if place else "phone", starts_at=start.astimezone(UTC),
                      ends_at=(start + timedelta(minutes=minutes)).astimezone(UTC), status=status,
                      procedure=procedure, needs=list(needs), booked_at=NOW)
    db.session.add(row)
    db.session.flush()
    return row


def page(client: Any, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True).replace("\u202f", " ")


def post(client: Any, path: str, data: dict[str, Any], *, token_from: str, follow: bool = False) -> Any:
    token = csrf_token_from(page(client, token_from))
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=follow)


def others() -> tuple[Any, Any]:
    """Two more residents, told apart by name and phone."""
    return (resident(first_name="Jules", last_name="Bernard", phone="07 81 23 45 67"),
            resident(first_name="Awa", last_name="Diallo", phone="05 49 00 00 00"))


# ---------------------------------------------------------------- a counsellor's day and week


def test_the_day_shows_the_counsellors_appointments_in_local_time(client, login_as, clock):
    me = login_as("counsellor")
    place = factories.help_point(nom="Médiathèque des Couronneries")
    nadia = resident()
    appointment(me, nadia, local(MONDAY, 10), place=place, procedure="logement", needs=("lsf",))
    appointment(me, others()[0], local(MONDAY + timedelta(days=1), 10), place=place)
    db.session.commit()

    html = page(client, f"/agenda?date={MONDAY.isoformat()}")

    assert "10:00–10:30" in html  # 09:00 UTC in winter
    assert "Nadia Martin" in html
    assert "06 12 34 56 78" in html
    assert "Médiathèque des Couronneries" in html
    assert "Jules" not in html
    assert "lundi 11 janvier 2027" in html


def test_the_day_and_the_week_follow_the_clock_across_the_spring_dst_change(client, login_as, clock):
    me = login_as("counsellor")
    first, second = others()
    nadia = resident()
    before = appointment(me, nadia, local(date(2027, 3, 26), 9))  # Friday, UTC+1
    after = appointment(me, first, local(date(2027, 3, 29), 9))  # Monday, UTC+2
    late = appointment(me, second, local(date(2027, 3, 28), 23, 30))  # Sunday, a 23-hour day
    early = appointment(me, resident(first_name="Lina", phone="06 99 88 77 66"), local(date(2027, 3, 28), 0, 30))
    next_day = appointment(me, resident(first_name="Tom", phone="06 11 22 33 44"), local(date(2027, 3, 29), 0, 15))
    db.session.commit()
    assert before.starts_at.hour == 8
    assert after.starts_at.hour == 7
    assert late.starts_at == datetime(2027, 3, 28, 21, 30, tzinfo=UTC)
    assert early.starts_at == datetime(2027, 3, 27, 23, 30, tzinfo=UTC)

    sunday = page(client, "/agenda?date=2027-03-28")
    assert "00:30–01:00" in sunday
    assert "23:30–00:00" in sunday
    assert "Lina" in sunday
    assert "Tom" not in sunday
    assert "09:00–09:30" in page(client, "/agenda?date=2027-03-26")
    monday = page(client, "/agenda?date=2027-03-29")
    assert "09:00–09:30" in monday
    assert "00:15–00:45" in monday
    assert next_day.resident.first_name in monday

    week = page(client, "/agenda/week?date=2027-03-24")
    assert "lundi 22 mars" in week.lower()
    assert "dimanche 28 mars 2027" in week
    assert week.count("09:00–09:30") == 1
    assert "23:30–00:00" in week
    assert "Tom" not in week


def test_the_25_hour_day_of_the_autumn_change_holds_both_ends(client, login_as, clock):
    me = login_as("counsellor")
    first, second = others()
    appointment(me, resident(), datetime(2027, 10, 30, 22, 15, tzinfo=UTC))  # 00:15 on Sunday 31, UTC+2
    appointment(me, first, datetime(2027, 10, 31, 1, 30, tzinfo=UTC))  # 02:30 the second time, UTC+1
    appointment(me, second, datetime(2027, 10, 31, 22, 30, tzinfo=UTC))  # 23:30, UTC+1
    appointment(me, resident(first_name="Tom", phone="06 11 22 33 44"), datetime(2027, 10, 31, 23, 0, tzinfo=UTC))
    db.session.commit()

    sunday = page(client, "/agenda?date=2027-10-31")

    assert "00:15–00:45" in sunday
    assert "02:30–03:00" in sunday
    assert "23:30–00:00" in sunday
    assert "Tom" not in sunday  # 00:00 on Monday 1 November


def test_the_week_lists_the_weekly_rules_absences_and_holidays(english, login_as, clock):
    me = login_as("counsellor")
    place = factories.help_point(nom="Centre social des Trois-Cités")
    db.session.add_all([
        AvailabilityRule(counsellor_id=me.id, mode="on_site", help_point_id=place.id, weekday=2, start_time=time(9),
                         end_time=time(12), slot_minutes=30, valid_from=date(2026, 12, 1)),
        AvailabilityRule(counsellor_id=me.id, mode="phone", weekday=3, start_time=time(14), end_time=time(17),
                         slot_minutes=45, valid_from=date(2026, 12, 1)),
        AvailabilityRule(counsellor_id=me.id, mode="phone", weekday=4, start_time=time(14), end_time=time(17),
                         slot_minutes=45, valid_from=date(2026, 12, 1), valid_until=date(2027, 3, 1)),
    ])
    db.session.add(Absence(counsellor_id=me.id, starts_at=local(date(2027, 4, 1), 0),
                           ends_at=local(date(2027, 4, 2), 0), reason="Formation"))
    db.session.commit()

    week = page(english, "/agenda/week?date=2027-03-31")  # Easter Monday is 29 March 2027

    assert "Wednesday 9:00 AM–12:00 PM" in week
    assert "Centre social des Trois-Cités" in week
    assert "Thursday 2:00 PM–5:00 PM" in week
    assert "By phone" in week
    assert "45-minute slots" in week
    assert "Friday" not in week.split("Availability this week")[1]  # that rule ended on 1 March
    assert "Easter Monday" in week
    assert "Absent from" in week
    assert "Formation" in week


def test_a_counsellor_cannot_see_or_change_another_counsellors_agenda(client, login_as, clock):
    login_as("counsellor")
    other = factories.user(role="counsellor")
    theirs = appointment(other, resident(), NOW - timedelta(minutes=10))
    db.session.commit()

    page(client, f"/agenda?counsellor_id={other.id}", 403)
    page(client, f"/agenda/week?counsellor_id={other.id}", 403)
    response = post(client, f"/agenda/appointments/{theirs.id}/status", {"status": "attended"}, token_from="/agenda")
    assert response.status_code == 403
    assert theirs.status == "booked"


def test_a_phone_agent_reads_any_agenda_without_the_actions(client, login_as, clock):
    login_as("phone_agent")
    counsellor = factories.user(role="counsellor", name="Camille Martin")
    started = appointment(counsellor, resident(), NOW - timedelta(minutes=10))
    db.session.commit()

    assert "Camille Martin" in page(client, "/agenda")  # the choice of a counsellor
    html = page(client, f"/agenda?counsellor_id={counsellor.id}")
    assert "Nadia Martin" in html
    assert "06 12 34 56 78" in html
    assert "/agenda/appointments/" not in html
    assert "Nadia Martin" in page(client, f"/agenda/week?counsellor_id={counsellor.id}")
    page(client, "/agenda?counsellor_id=9999", 404)
    response = post(client, f"/agenda/appointments/{started.id}/status", {"status": "attended"}, token_from="/agenda")
    assert response.status_code == 403


def test_a_started_appointment_is_marked_attended_or_no_show_but_not_a_future_one(english, login_as, clock):
    me = login_as("counsellor")
    first, second = others()
    started = appointment(me, resident(), NOW - timedelta(minutes=10))
    missed = appointment(me, first, NOW - timedelta(minutes=60))
    later = appointment(me, second, NOW + timedelta(hours=2))
    db.session.commit()
    html = page(english, "/agenda")
    assert html.count(f"/agenda/appointments/{started.id}/status") == 1
    assert f"/agenda/appointments/{later.id}/status" not in html

    response = post(english, f"/agenda/appointments/{started.id}/status", {"status": "attended"}, token_from="/agenda")
    assert response.status_code == 302
    assert response.headers["Location"] == "/agenda?date=2027-01-04"
    post(english, f"/agenda/appointments/{missed.id}/status", {"status": "no_show"}, token_from="/agenda")
    response = post(english, f"/agenda/appointments/{later.id}/status", {"status": "no_show"}, token_from="/agenda",
                    follow=True)

    assert (started.status, missed.status, later.status) == ("attended", "no_show", "booked")
    assert "once it has started" in response.get_data(as_text=True)
    assert started.status_changed_by_id == me.id


def test_an_invalid_date_shows_today_with_a_warning(english, login_as, clock):
    login_as("counsellor")
    html = page(english, "/agenda?date=2027-13-45")
    assert "This date is not valid" in html
    assert "Monday, January 4, 2027" in html


# ---------------------------------------------------------------- a help point's day


def test_the_help_point_day_shows_every_counsellors_appointments_and_the_queue(english, login_as, clock):
    login_as("phone_agent")
    place, elsewhere = factories.help_point(), factories.help_point()
    one = factories.user(role="counsellor", name="Yanis Petit")
    two = factories.user(role="counsellor", name="Léa Bernard")
    first, second = others()
    appointment(one, resident(), local(TODAY, 10), place=place)
    appointment(two, first, local(TODAY, 10), place=place)
    appointment(two, second, local(TODAY, 14), place=elsewhere)
    db.session.add_all([WalkIn(help_point_id=place.id, display_name="Ticket 1", arrived_at=NOW - timedelta(minutes=25)),
                        WalkIn(help_point_id=place.id, display_name="Ticket 2", arrived_at=NOW - timedelta(minutes=5),
                               status="left", left_at=NOW)])
    db.session.commit()

    html = page(english, f"/help-points/{place.id}/day")

    assert "Yanis Petit" in html
    assert "Léa Bernard" in html
    assert "Nadia Martin" in html
    assert "Jules Bernard" in html
    assert "Awa Diallo" not in html
    assert "Waiting: 1 · called: 0 · served: 0 · left: 1." in html
    assert "Longest wait now: 25 min." in html
    assert "Yanis" not in page(english, f"/help-points/{place.id}/day?date=2027-01-05")
    page(english, "/help-points/9999/day", 404)


# ---------------------------------------------------------------- walk-ins


@pytest.fixture
def desk(app, login_as, clock) -> tuple[User, HelpPoint]:
    """A logged-in counsellor listed at one help point."""
    me = login_as("counsellor")
    place = factories.help_point(nom="France services des 3 Cités")
    place.counsellors.append(me)
    db.session.commit()
    return me, place


def test_a_walk_in_arrives_is_called_then_served_and_leads_to_the_help_session(english, desk, clock):
    me, place = desk
    queue = page(english, "/walk-ins")  # the counsellor's only help point
    assert "Walk-ins at France services des 3 Cités" in queue

    response = post(english, "/walk-ins/new", {"help_point_id": place.id, "display_name": "Ticket 12",
                                               "procedure": "logement", "notes": "CAF"}, token_from="/walk-ins")
    assert response.status_code == 302
    walk_in = db.session.scalar(sa.select(WalkIn))
    assert (walk_in.status, walk_in.display_name, walk_in.procedure, walk_in.registered_by_id) == (
        "waiting", "Ticket 12", "logement", me.id)

    clock(NOW + timedelta(minutes=12))
    assert "12 min" in page(english, f"/walk-ins?help_point_id={place.id}")
    post(english, "/walk-ins/call-next", {"help_point_id": place.id}, token_from="/walk-ins")
    assert (walk_in.status, walk_in.counsellor_id, walk_in.called_at) == ("called", me.id, NOW + timedelta(minutes=12))
    assert "With you now" in page(english, "/walk-ins")

    post(english, f"/walk-ins/{walk_in.id}/status", {"status": "served"}, token_from="/walk-ins")
    assert walk_in.status == "served"
    assert walk_in.served_at is not None
    assert f'href="/accompagnements/nouveau?walk_in_id={walk_in.id}"' in page(english, "/walk-ins")


def test_waiting_then_left_and_invalid_changes_are_refused_with_a_message(english, desk, clock):
    me, place = desk
    waiting = WalkIn(help_point_id=place.id, display_name="Ticket 3", arrived_at=NOW)
    db.session.add(waiting)
    db.session.commit()

    refused = post(english, f"/walk-ins/{waiting.id}/status", {"status": "served"}, token_from="/walk-ins", follow=True)
    assert "Call this person before marking them served." in refused.get_data(as_text=True)
    assert waiting.status == "waiting"

    post(english, f"/walk-ins/{waiting.id}/status", {"status": "left"}, token_from="/walk-ins")
    assert waiting.status == "left"
    assert waiting.left_at == NOW
    for status, message in (("called", "Only someone waiting can be called."),
                            ("left", "This person was already served or has left."),
                            ("nonsense", "Unknown status.")):
        response = post(english, f"/walk-ins/{waiting.id}/status", {"status": status}, token_from="/walk-ins",
                        follow=True)
        assert message in response.get_data(as_text=True)
    assert waiting.status == "left"
    assert "Nobody is waiting." in post(english, "/walk-ins/call-next", {"help_point_id": place.id},
                                        token_from="/walk-ins", follow=True).get_data(as_text=True)


def test_an_arrival_needs_a_name_or_a_registered_resident_found_by_search(english, desk, clock):
    me, place = desk
    nadia = resident()
    db.session.commit()

    response = post(english, "/walk-ins/new", {"help_point_id": place.id, "display_name": " "}, token_from="/walk-ins")
    assert response.status_code == 200
    assert "Enter the name to call out, or choose a registered resident." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(WalkIn.id))) == 0

    found = page(english, f"/walk-ins?help_point_id={place.id}&q=martin")
    assert f'value="{nadia.id}"' in found
    assert "Nadia Martin" in found
    post(english, "/walk-ins/new", {"help_point_id": place.id, "resident_id": str(nadia.id), "q": "martin"},
         token_from="/walk-ins")
    walk_in = db.session.scalar(sa.select(WalkIn))
    assert (walk_in.resident_id, walk_in.display_name) == (nadia.id, "Nadia M.")


def test_two_calls_of_the_next_person_call_two_people_and_a_stale_change_is_refused(app, clock):
    me, other = factories.user(role="counsellor"), factories.user(role="counsellor")
    place = factories.help_point()
    first = WalkIn(help_point_id=place.id, display_name="A", arrived_at=NOW - timedelta(minutes=9))
    second = WalkIn(help_point_id=place.id, display_name="B", arrived_at=NOW - timedelta(minutes=3))
    yesterday = WalkIn(help_point_id=place.id, display_name="Z", arrived_at=NOW - timedelta(days=1))
    db.session.add_all([first, second, yesterday])
    db.session.flush()

    assert agenda_walk_ins.call_next(place.id, me, NOW) is first
    assert agenda_walk_ins.call_next(place.id, other, NOW) is second
    assert agenda_walk_ins.call_next(place.id, me, NOW) is None
    db.session.execute(sa.update(WalkIn).where(WalkIn.id == first.id).values(status="left"))
    with pytest.raises(agenda_walk_ins.WalkInError):
        agenda_walk_ins.change_status(first, "served", me, NOW)
    assert first.status == "left"


# ---------------------------------------------------------------- absences, closures, rebooking


def period(day: date, **fields: Any) -> dict[str, Any]:
    return {"starts_on": day.isoformat(), "ends_on": day.isoformat(), "reason": "Formation", **fields}


def test_an_absence_over_a_booked_appointment_lists_whom_to_call_and_cancels_nothing(english, login_as, clock):
    me = login_as("counsellor")
    booked = appointment(me, resident(), local(MONDAY, 10))
    appointment(me, others()[0], local(MONDAY + timedelta(days=1), 10))
    db.session.commit()

    response = post(english, "/absences/new", period(MONDAY), token_from="/absences/new")
    assert response.status_code == 302
    absence = db.session.scalar(sa.select(Absence))
    assert response.headers["Location"] == f"/absences/{absence.id}"
    assert (absence.counsellor_id, absence.starts_at, absence.ends_at) == (
        me.id, local(MONDAY, 0), local(MONDAY + timedelta(days=1), 0))

    html = page(english, f"/absences/{absence.id}")
    assert "Nadia Martin" in html
    assert "06 12 34 56 78" in html
    assert "Jules" not in html
    assert "10:00 AM" in html
    assert booked.status == "booked"
    assert f'href="/absences/{absence.id}">1</a>' in page(english, "/absences")


def test_a_manager_enters_an_absence_for_a_counsellor_and_sees_no_name(english, login_as, clock):
    counsellor = factories.user(role="counsellor", name="Camille Martin")
    appointment(counsellor, resident(first_name="Zoé", last_name="Lambert"), local(MONDAY, 10))
    db.session.commit()
    login_as("manager")

    response = post(english, "/absences/new", period(MONDAY, counsellor_id=counsellor.id, starts_time="09:00",
                                                     ends_time="12:00"), token_from="/absences/new")
    absence = db.session.scalar(sa.select(Absence))
    assert response.headers["Location"] == f"/absences/{absence.id}"
    assert absence.starts_at == local(MONDAY, 9)
    assert absence.ends_at == local(MONDAY, 12)

    html = page(english, f"/absences/{absence.id}")
    assert "Zoé" not in html
    assert "Lambert" not in html
    assert not any(digits in html for digits in PHONE_DIGITS)
    assert "1 booked appointment falls in this period" in html
    assert "the phone line has the list" in html
    assert "10:00 AM" in html
    listed = page(english, "/absences")
    assert "Camille Martin" in listed
    assert "Zoé" not in listed


def test_a_closure_lists_the_on_site_appointments_names_for_admins_only(app, english, login_as, clock):
    place, elsewhere = factories.help_point(nom="Maison de quartier"), factories.help_point()
    counsellor = factories.user(role="counsellor")
    first, second = others()
    here = appointment(counsellor, resident(), local(MONDAY, 10), place=place)
    appointment(counsellor, first, local(MONDAY, 11))  # by phone: not concerned by a closure
    appointment(counsellor, second, local(MONDAY, 14), place=elsewhere)
    db.session.commit()
    login_as("manager")

    response = post(english, "/closures/new", period(MONDAY, help_point_id=place.id), token_from="/closures/new")
    closure = db.session.scalar(sa.select(Closure))
    assert response.headers["Location"] == f"/closures/{closure.id}"
    html = page(english, f"/closures/{closure.id}")
    assert "Closure of Maison de quartier" in html
    assert "1 booked appointment falls in this period" in html
    assert "Nadia" not in html
    assert not any(digits in html for digits in PHONE_DIGITS)
    assert here.status == "booked"
    assert "Maison de quartier" in page(english, "/closures")

    admin = factories.user(role="admin")
    db.session.commit()
    other_client = app.test_client()
    other_client.set_cookie("lang", "en")
    login(other_client, admin.email, factories.PASSWORD)
    admin_view = page(other_client, f"/closures/{closure.id}")
    assert "Nadia Martin" in admin_view
    assert "Jules" not in admin_view
    assert "Awa" not in admin_view


def test_the_phone_line_lists_every_booked_appointment_over_an_absence_or_a_closure(english, login_as, clock):
    place = factories.help_point()
    one, two = factories.user(role="counsellor"), factories.user(role="counsellor")
    first, second = others()
    absent = appointment(one, resident(), local(MONDAY, 10))
    closed = appointment(two, first, local(MONDAY, 15), place=place)
    appointment(two, second, local(MONDAY, 9), place=place)  # before the closure
    appointment(one, resident(first_name="Léon", phone="06 22 33 44 55"), local(MONDAY, 11),
                status="cancelled_by_resident")
    past = appointment(one, resident(first_name="Paul", phone="06 33 44 55 66"), NOW - timedelta(hours=1))
    db.session.add_all([
        Absence(counsellor_id=one.id, starts_at=local(MONDAY, 0), ends_at=local(MONDAY, 23)),
        Absence(counsellor_id=one.id, starts_at=past.starts_at, ends_at=past.ends_at),
        Closure(help_point_id=place.id, starts_at=local(MONDAY, 14), ends_at=local(MONDAY, 18)),
    ])
    db.session.commit()
    login_as("phone_agent")

    html = page(english, "/rebooking")

    assert "2 appointments to rebook" in html
    assert "Nadia Martin" in html
    assert "Jules Bernard" in html
    assert "07 81 23 45 67" in html
    assert "Awa" not in html
    assert "Léon" not in html
    assert "Paul" not in html
    assert f'href="/appointments/{absent.id}"' in html
    assert f'href="/appointments/{closed.id}"' in html
    assert "Counsellor absent" in html
    assert "Help point closed" in html


def test_absences_are_listed_and_deleted_by_their_owner_only(english, login_as, clock):
    me = login_as("counsellor")
    other = factories.user(role="counsellor")
    mine = Absence(counsellor_id=me.id, starts_at=local(MONDAY, 9), ends_at=local(MONDAY, 12), reason="Dentiste")
    over = Absence(counsellor_id=me.id, starts_at=NOW - timedelta(days=2), ends_at=NOW - timedelta(days=1),
                   reason="Passée")
    theirs = Absence(counsellor_id=other.id, starts_at=local(MONDAY, 9), ends_at=local(MONDAY, 12), reason="Congé")
    db.session.add_all([mine, over, theirs])
    db.session.commit()

    listed = page(english, "/absences")
    assert "Dentiste" in listed
    assert "Passée" not in listed
    assert "Congé" not in listed
    page(english, f"/absences/{theirs.id}", 403)
    assert post(english, f"/absences/{theirs.id}/delete", {}, token_from="/absences").status_code == 403
    refused = post(english, f"/absences/{over.id}/delete", {}, token_from="/absences", follow=True)
    assert "This period is over" in refused.get_data(as_text=True)
    post(english, f"/absences/{mine.id}/delete", {}, token_from="/absences")
    assert {row.reason for row in db.session.scalars(sa.select(Absence))} == {"Passée", "Congé"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ends_on": "2027-01-10"}, "The end must come after the start."),
        ({"starts_on": "2026-12-01", "ends_on": "2026-12-02"}, "This period is already over."),
        ({"ends_on": "2028-06-01"}, "Enter at most one year at a time."),
        ({"starts_on": ""}, "Enter the first day."),
    ],
)
def test_a_wrong_period_is_refused_on_its_field(english, login_as, clock, fields, message):
    login_as("counsellor")
    response = post(english, "/absences/new", period(MONDAY, **fields), token_from="/absences/new")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Absence.id))) == 0


# ---------------------------------------------------------------- the iCalendar feed


def feed_path(html: str) -> str:
    match = re.search(r'value="http://[^/"]+(/calendar/[A-Za-z0-9_-]+\.ics)"', html)
    assert match, "no feed address on the page"
    return match.group(1)


def test_the_calendar_feed_lists_the_appointments_in_utc_without_phone_numbers(app, client, login_as, clock):
    me = login_as("counsellor")
    place = factories.help_point(nom="Médiathèque François-Mitterrand", adresse="4 rue de l'Université")
    first, second = others()
    on_site = appointment(me, resident(), local(MONDAY, 10), place=place, procedure="logement")
    by_phone = appointment(me, first, local(MONDAY, 14))
    cancelled = appointment(me, second, local(MONDAY, 15), status="cancelled_by_service")
    appointment(me, resident(first_name="Ancien", phone="06 44 55 66 77"), NOW - timedelta(days=40))
    appointment(factories.user(role="counsellor"), resident(first_name="Autre", phone="06 55 66 77 88"),
                local(MONDAY, 10))
    db.session.commit()

    html = post(client, "/calendar/regenerate", {}, token_from="/calendar").get_data(as_text=True)
    path = feed_path(html)
    anonymous = app.test_client()
    response = anonymous.get(path)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.get_data(as_text=True)
    assert not any(digits in body.replace("\\", "") for digits in PHONE_DIGITS + ("07 81", "+3378", "+3354"))
    events = {str(event["UID"]): event for event in Calendar.from_ical(response.data).walk("VEVENT")}
    assert set(events) == {f"appointment-{row.id}@127.0.0.1" for row in (on_site, by_phone, cancelled)}
    event = events[f"appointment-{on_site.id}@127.0.0.1"]
    assert event.decoded("DTSTART") == datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 1, 11, 9, 30, tzinfo=UTC)
    assert "DTSTART:20270111T090000Z" in body
    assert "Nadia" in str(event["SUMMARY"])
    assert "Martin" not in str(event["SUMMARY"])
    assert "Médiathèque François-Mitterrand" in str(event["LOCATION"])
    assert "Université" in str(event["LOCATION"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(events[f"appointment-{cancelled.id}@127.0.0.1"]["STATUS"]) == "CANCELLED"
    assert "Jules" in str(events[f"appointment-{by_phone.id}@127.0.0.1"]["SUMMARY"])
    assert "Bernard" not in body


def test_a_wrong_token_is_a_404_and_a_new_address_ends_the_old_one(app, client, login_as, clock):
    me = login_as("counsellor")
    db.session.commit()
    anonymous = app.test_client()
    assert anonymous.get("/calendar/" + "x" * 43 + ".ics").status_code == 404
    assert anonymous.get("/calendar/short.ics").status_code == 404

    old = feed_path(post(client, "/calendar/regenerate", {}, token_from="/calendar").get_data(as_text=True))
    assert me.calendar_token_hash is not None
    assert me.calendar_token_hash not in old
    assert anonymous.get(old).status_code == 200
    assert ".ics" not in page(client, "/calendar")  # shown once only
    new = feed_path(post(client, "/calendar/regenerate", {}, token_from="/calendar").get_data(as_text=True))

    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200
    post(client, "/calendar/revoke", {}, token_from="/calendar")
    assert anonymous.get(new).status_code == 404
    assert me.calendar_token_hash is None


# ---------------------------------------------------------------- bounded queries


def test_the_number_of_queries_does_not_grow_with_the_data(app, client, login_as, clock):
    login_as("phone_agent")
    place = factories.help_point()
    counsellor = factories.user(role="counsellor")
    db.session.add(Absence(counsellor_id=counsellor.id, starts_at=local(TODAY, 0), ends_at=local(TODAY, 23)))
    db.session.commit()
    paths = (f"/agenda?counsellor_id={counsellor.id}", f"/agenda/week?counsellor_id={counsellor.id}",
             f"/help-points/{place.id}/day", "/rebooking")

    def queries(path: str) -> int:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            page(client, path)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    def add(hours: range) -> None:
        for hour in hours:
            person = resident(first_name=f"P{hour}", phone=f"06 12 34 56 {hour:02d}")
            appointment(counsellor, person, local(TODAY, hour), place=place)
            db.session.add(WalkIn(help_point_id=place.id, display_name=f"T{hour}", arrived_at=NOW,
                                  resident_id=person.id))
        db.session.commit()

    add(range(9, 10))
    small = {path: queries(path) for path in paths}
    add(range(10, 18))
    assert {path: queries(path) for path in paths} == small
    assert max(small.values()) <= 8
