"""Booking: free slots only, no double booking held by the database, clear errors, history."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from inclusion_app.auth.services import create_token
from inclusion_app.extensions import db
from inclusion_app.models import Appointment
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling import booking
from tests import factories
from tests.booking_helpers import NOW, counsellor_at, local, resident

MONDAY = date(2027, 1, 11)


def request(resident_row, start, help_point, **fields):
    return booking.BookingRequest(resident_id=resident_row.id, start=start, mode="on_site",
                                  help_point_id=help_point.id, **fields)


def test_booking_a_free_slot_assigns_the_counsellor_and_records_the_first_offer(app):
    place = factories.help_point()
    counsellor = counsellor_at(place)
    person = resident()
    appointment = booking.book(request(person, local(MONDAY, 10), place), None, now=NOW)
    assert appointment.counsellor_id == counsellor.id
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=30)
    assert appointment.first_offered_at == local(date(2027, 1, 4), 9, 0)  # Monday 4, 09:00: 1 h notice


def test_a_taken_slot_is_refused_with_the_next_ones(app):
    place = factories.help_point()
    counsellor_at(place)
    booking.book(request(resident(), local(MONDAY, 10), place), None, now=NOW)
    with pytest.raises(booking.SlotTaken) as caught:
        booking.book(request(resident(phone="07 81 23 45 67"), local(MONDAY, 10), place), None, now=NOW)
    assert [slot.start for slot in caught.value.next_slots][:2] == [local(MONDAY, 9), local(MONDAY, 9, 30)]


def test_two_free_counsellors_take_two_residents_at_the_same_time(app):
    place = factories.help_point()
    first, second = counsellor_at(place), counsellor_at(place)
    one = booking.book(request(resident(), local(MONDAY, 10), place), None, now=NOW)
    two = booking.book(request(resident(phone="07 81 23 45 67"), local(MONDAY, 10), place), None, now=NOW)
    assert {one.counsellor_id, two.counsellor_id} == {first.id, second.id}


def test_a_resident_cannot_be_in_two_places_at_once(app):
    here, there = factories.help_point(), factories.help_point()
    counsellor_at(here)
    counsellor_at(there)
    person = resident()
    booking.book(request(person, local(MONDAY, 10), here), None, now=NOW)
    with pytest.raises(booking.ResidentBusy):
        booking.book(request(person, local(MONDAY, 10), there), None, now=NOW)


@pytest.mark.parametrize(
    ("start", "field"),
    [
        (local(date(2027, 1, 4), 7), "start"),  # in the past
    ],
)
def test_bad_input_is_refused_and_nothing_changes(app, start, field):
    place = factories.help_point()
    counsellor_at(place)
    with pytest.raises(booking.BookingError) as caught:
        booking.book(request(resident(), start, place), None, now=NOW)
    assert field in caught.value.fields
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 0


def test_a_slot_outside_availability_is_taken_for_not_free(app):
    place = factories.help_point()
    counsellor_at(place)
    with pytest.raises(booking.SlotTaken):
        booking.book(request(resident(), local(MONDAY, 15), place), None, now=NOW)  # rule ends at 12:00
    with pytest.raises(booking.SlotTaken):
        booking.book(request(resident(), local(MONDAY, 10, 10), place), None, now=NOW)  # not a slot start


def test_a_deleted_or_merged_resident_cannot_be_booked(app):
    place = factories.help_point()
    counsellor_at(place)
    person = resident()
    person.deleted_at = utcnow()
    with pytest.raises(booking.BookingError) as caught:
        booking.book(request(person, local(MONDAY, 10), place), None, now=NOW)
    assert "resident_id" in caught.value.fields


def test_unknown_codes_and_missing_interpreter_language_are_refused(app):
    place = factories.help_point()
    counsellor_at(place)
    with pytest.raises(booking.BookingError) as caught:
        booking.book(request(resident(), local(MONDAY, 10), place, procedure="nope", needs=("interprete", "x")),
                     None, now=NOW)
    assert set(caught.value.fields) == {"procedure", "needs", "interpreter_language"}


def test_status_changes_are_final_and_dated(app):
    place = factories.help_point()
    counsellor_at(place)
    agent = factories.user(role="phone_agent")
    appointment = booking.book(request(resident(), local(MONDAY, 10), place), agent, now=NOW)
    with pytest.raises(booking.BookingError):
        booking.set_status(appointment, "attended", agent, now=NOW)  # not started yet
    booking.set_status(appointment, "cancelled_by_resident", agent, now=NOW)
    assert appointment.status_changed_by_id == agent.id
    with pytest.raises(booking.BookingError):
        booking.set_status(appointment, "cancelled_by_service", agent, now=NOW)


def test_moving_keeps_the_history_and_frees_the_old_time(app):
    place = factories.help_point()
    counsellor_at(place)
    person = resident()
    old = booking.book(request(person, local(MONDAY, 10), place), None, now=NOW)
    new = booking.move(old, local(MONDAY, 10, 30), None, now=NOW + timedelta(hours=1))
    assert old.status == "cancelled_by_service"
    assert new.rescheduled_from_id == old.id
    assert (new.booked_at, new.first_offered_at) == (old.booked_at, old.first_offered_at)
    again = booking.book(request(resident(phone="07 81 23 45 67"), local(MONDAY, 10), place), None, now=NOW)
    assert again.status == "booked"


def test_moving_to_a_taken_slot_changes_nothing(app):
    place = factories.help_point()
    counsellor_at(place)
    booking.book(request(resident(phone="07 81 23 45 67"), local(MONDAY, 11), place), None, now=NOW)
    old = booking.book(request(resident(), local(MONDAY, 10), place), None, now=NOW)
    with pytest.raises(booking.SlotTaken):
        booking.move(old, local(MONDAY, 11), None, now=NOW)
    assert old.status == "booked"


# --- The database itself refuses a double booking (both engines) ---------------------------------


def _row(counsellor, person, place, start, status="booked"):
    return Appointment(resident_id=person.id, counsellor_id=counsellor.id, help_point_id=place.id, mode="on_site",
                       starts_at=start, ends_at=start + timedelta(minutes=30), status=status)


def test_database_refuses_a_counsellor_in_two_appointments_at_once(app):
    place = factories.help_point()
    counsellor = counsellor_at(place)
    db.session.add(_row(counsellor, resident(), place, local(MONDAY, 10)))
    db.session.flush()
    with pytest.raises(sa.exc.IntegrityError) as caught, db.session.begin_nested():
        db.session.add(_row(counsellor, resident(phone="07 81 23 45 67"), place, local(MONDAY, 10, 15)))
    assert booking.overlap_of(caught.value) == "counsellor"


def test_database_refuses_a_resident_in_two_places_at_once(app):
    place = factories.help_point()
    person = resident()
    db.session.add(_row(counsellor_at(place), person, place, local(MONDAY, 10)))
    db.session.flush()
    with pytest.raises(sa.exc.IntegrityError) as caught, db.session.begin_nested():
        db.session.add(_row(counsellor_at(place), person, place, local(MONDAY, 10)))
    assert booking.overlap_of(caught.value) == "resident"


def test_cancelled_appointments_and_back_to_back_ones_do_not_conflict(app):
    place = factories.help_point()
    counsellor = counsellor_at(place)
    db.session.add(_row(counsellor, resident(), place, local(MONDAY, 10), status="cancelled_by_resident"))
    db.session.add(_row(counsellor, resident(phone="07 81 23 45 67"), place, local(MONDAY, 10)))
    db.session.add(_row(counsellor, resident(phone="07 81 23 45 68"), place, local(MONDAY, 10, 30)))
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 3


def test_reopening_a_cancelled_appointment_over_a_booked_one_is_refused(app):
    place = factories.help_point()
    counsellor = counsellor_at(place)
    cancelled = _row(counsellor, resident(), place, local(MONDAY, 10), status="cancelled_by_service")
    db.session.add_all([cancelled, _row(counsellor, resident(phone="07 81 23 45 67"), place, local(MONDAY, 10))])
    db.session.flush()
    cancelled.status = "booked"
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.flush()


# --- Concurrency: many bookers at once ------------------------------------------------------------


def _race(app, payloads, token):
    """POST every payload at once from its own thread; return the status codes."""
    barrier = threading.Barrier(len(payloads))
    statuses: list[int] = []

    def attempt(payload):
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/api/v1/appointments", json=payload, headers=token).status_code)

    threads = [threading.Thread(target=attempt, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return sorted(statuses)


@pytest.fixture
def agent_token(app):
    value = create_token(factories.user(role="phone_agent"))
    db.session.commit()
    return {"Authorization": f"Bearer {value}"}


def _future_monday() -> date:
    today = date.today()
    return today + timedelta(days=7 - today.weekday() + 7)


@pytest.mark.parametrize("checked_by", ["application", "database only"])
def test_twenty_threads_booking_one_counsellors_slot_one_wins(app, agent_token, monkeypatch, checked_by):
    place = factories.help_point()
    counsellor_at(place)
    people = [resident(phone=f"07 81 23 45 {number:02d}") for number in range(20)]
    if checked_by == "database only":  # every booker sees the slot as free: only the database decides
        _pretend_always_free(monkeypatch)
    start = local(_future_monday(), 10).isoformat()
    payloads = [{"resident_id": person.id, "start": start, "mode": "on_site", "help_point_id": place.id}
                for person in people]
    db.session.commit()  # last: the test holds no transaction while the threads race
    assert _race(app, payloads, agent_token) == [201] + [409] * 19
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 1


@pytest.mark.parametrize("checked_by", ["application", "database only"])
def test_twenty_threads_booking_one_resident_in_two_places_one_wins(app, agent_token, monkeypatch, checked_by):
    here, there = factories.help_point(), factories.help_point()
    counsellor_at(here)
    counsellor_at(there)
    person = resident()
    if checked_by == "database only":
        _pretend_always_free(monkeypatch)
    start = local(_future_monday(), 10).isoformat()
    payloads = [{"resident_id": person.id, "start": start, "mode": "on_site",
                 "help_point_id": (here if number % 2 else there).id} for number in range(20)]
    db.session.commit()
    assert _race(app, payloads, agent_token) == [201] + [409] * 19
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 1


def _pretend_always_free(monkeypatch):
    real_is_free = booking.is_free

    def always_free(start, **criteria):
        slot = real_is_free(start, **{**criteria, "counsellor_id": None, "now": criteria.get("now")})
        if slot is not None:
            return slot
        from inclusion_app.models import AvailabilityRule
        from inclusion_app.scheduling.slots import Slot

        rule = db.session.scalars(sa.select(AvailabilityRule).where(
            AvailabilityRule.help_point_id == criteria["help_point_id"])).first()
        return Slot(start, start + timedelta(minutes=30), "on_site", criteria["help_point_id"], (rule.counsellor_id,))

    monkeypatch.setattr(booking, "is_free", always_free)


def test_several_processes_booking_one_slot_one_wins(app, database_url):
    import multiprocessing
    import time

    from tests.booking_helpers import book_in_another_process

    place = factories.help_point()
    counsellor_at(place)
    people = [resident(phone=f"07 81 23 45 {number:02d}") for number in range(6)]
    token = create_token(factories.user(role="phone_agent"))
    start = local(_future_monday(), 10).isoformat()
    payloads = [{"resident_id": person.id, "start": start, "mode": "on_site", "help_point_id": place.id}
                for person in people]
    db.session.commit()
    start_at = time.time() + 6
    with multiprocessing.get_context("spawn").Pool(len(payloads)) as pool:
        statuses = pool.map(book_in_another_process, [(database_url, p, token, start_at) for p in payloads])
    assert sorted(statuses) == [201] + [409] * 5


# --- Rules held by the service, whatever page or API call asks -----------------------------------


def test_a_status_changed_meanwhile_by_someone_else_is_not_overwritten(app):
    place = factories.help_point()
    counsellor_at(place)
    appointment = booking.book(request(resident(), local(MONDAY, 10), place), None, now=NOW)
    db.session.commit()
    db.session.execute(sa.update(Appointment).where(Appointment.id == appointment.id)  # another worker's change
                       .values(status="cancelled_by_service").execution_options(synchronize_session=False))
    appointment.status = "booked"  # what this worker still believes
    with pytest.raises(booking.BookingError):
        booking.set_status(appointment, "cancelled_by_resident", None, now=NOW)
    assert appointment.status == "cancelled_by_service"


def test_only_the_appointments_counsellor_records_attendance_and_cancelling_ends_at_the_start(app):
    place = factories.help_point()
    counsellor = counsellor_at(place)
    other = factories.user(role="counsellor")
    appointment = booking.book(request(resident(), local(MONDAY, 10), place), None, now=NOW)
    started = local(MONDAY, 10, 5)
    with pytest.raises(booking.NotAllowed):
        booking.set_status(appointment, "attended", other, now=started)
    with pytest.raises(booking.BookingError):
        booking.set_status(appointment, "cancelled_by_resident", None, now=started)
    with pytest.raises(booking.BookingError):
        booking.move(appointment, local(MONDAY, 11), None, now=started)
    assert booking.set_status(appointment, "attended", counsellor, now=started).status == "attended"


def test_a_phone_appointment_needs_a_phone_number(app):
    place = factories.help_point()
    counsellor_at(place, mode="phone")
    person = resident(phone="")
    phone_request = booking.BookingRequest(resident_id=person.id, start=local(MONDAY, 10), mode="phone")
    with pytest.raises(booking.BookingError) as caught:
        booking.book(phone_request, None, now=NOW)
    assert "mode" in caught.value.fields


def test_first_offer_is_what_the_search_offered_across_help_points(app):
    near, far = factories.help_point(), factories.help_point()
    counsellor_at(near, weekday=0)
    counsellor_at(far, weekday=1)  # Tuesday 5 January, earlier than Monday 11 at the other place
    appointment = booking.book(request(resident(), local(MONDAY, 10), near), None, now=NOW)
    assert appointment.first_offered_at == local(date(2027, 1, 4), 9, 0)
    second = booking.book(request(resident(phone="07 81 23 45 67"), local(date(2027, 1, 12), 10), far), None,
                          now=NOW)
    assert second.first_offered_at == local(date(2027, 1, 4), 9, 0)  # Monday 4 at `near`, not Tuesday at `far`
