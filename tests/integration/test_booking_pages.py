"""The booking pages with the test client, on SQLite and PostgreSQL: find or register a resident,
the need, the slots, booking, the appointment page and its slip, the resident's signed link.

The pages' clock is frozen on Monday 4 January 2027, 08:00 in Paris (`tests.booking_helpers.NOW`);
the texts checked are English (`lang` cookie), so that the tests hold whatever the French catalog.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, Closure, Resident
from inclusion_app.scheduling import booking, links
from tests import factories
from tests.booking_helpers import NOW, counsellor_at, local, resident
from tests.booking_page_helpers import NEXT_MONDAY, TODAY, freeze, make_desk, slot_value
from tests.conftest import csrf_token_from, login

MONEY = "argent_impots"


@pytest.fixture
def desk(app, monkeypatch):
    freeze(monkeypatch)
    return make_desk()


@pytest.fixture
def agent(client, login_as, desk):
    """The test client logged in as a phone agent, pages in English."""
    client.set_cookie("lang", "en")
    login_as("phone_agent")
    return client


def html_of(response, status=200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def need_args(**fields):
    return {"mode": "on_site", "procedure": MONEY, **fields}


def book_by_page(client, person, start, place, status=302, **fields):
    token = csrf_token_from(html_of(client.get(f"/booking/resident/{person.id}")))
    data = {**need_args(**fields), "slot": slot_value(start, place), "csrf_token": token}
    return client.post(f"/booking/resident/{person.id}/book", data=data)


def appointment_id_of(response) -> int:
    match = re.fullmatch(r"/appointments/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def booked(person, start, place, mode="on_site"):
    """An appointment booked through the service, committed."""
    request = booking.BookingRequest(resident_id=person.id, start=start, mode=mode,
                                     help_point_id=place.id if mode == "on_site" else None, procedure=MONEY)
    appointment = booking.book(request, None, now=NOW)
    db.session.commit()
    return appointment


# ---------------------------------------------------------------- the whole flow

def test_a_phone_agent_finds_registers_and_books_on_site_then_prints_the_slip(app, agent, desk):
    known = resident()
    db.session.commit()
    for writing in ("+33 6 12 34 56 78", "0612345678", "06.12.34.56.78", "martin NADIA"):
        page = html_of(agent.get("/booking", query_string={"q": writing}))
        assert f'href="/booking/resident/{known.id}"' in page, writing
        assert "Choose Nadia Martin" in page

    token = csrf_token_from(html_of(agent.get("/booking")))
    typed = {"first_name": "Élodie", "last_name": "Durand", "phone": "12 34", "email": "", "language": "fr",
             "reminder_channel": "sms", "sms_consent": "y", "district_id": str(desk.district.id), "csrf_token": token}
    page = html_of(agent.post("/booking/residents", data=typed))
    assert "This is not a valid phone number" in page
    assert 'value="Élodie"' in page
    assert 'value="Durand"' in page
    assert 'value="12 34"' in page
    assert f'<option selected value="{desk.district.id}">' in page
    assert re.search(r'<input checked id="reminder_channel-0" name="reminder_channel" type="radio" value="sms">', page)
    assert db.session.scalar(sa.select(sa.func.count(Resident.id))) == 1

    response = agent.post("/booking/residents", data={**typed, "phone": "07 81 23 45 67"})
    assert response.status_code == 302
    new = db.session.scalar(sa.select(Resident).where(Resident.last_name == "Durand"))
    assert response.headers["Location"] == f"/booking/resident/{new.id}"
    assert new.phone == "+33781234567"
    assert new.sms_consent

    page = html_of(agent.get(f"/booking/resident/{new.id}"))
    assert "Step 2 of 3" in page
    assert f'<option selected value="{desk.district.id}">' in page
    page = html_of(agent.get(f"/booking/resident/{new.id}/slots",
                             query_string=need_args(district_id=desk.district.id)))
    assert "Monday, January 4, 2027" in page
    assert desk.place.nom in page
    assert f'value="{slot_value(local(TODAY, 9), desk.place)}"' in page
    assert 'aria-label="Book 9:00' in page

    response = book_by_page(agent, new, local(TODAY, 9, 30), desk.place)
    appointment = db.session.get(Appointment, appointment_id_of(response))
    who = (appointment.resident_id, appointment.counsellor_id, appointment.procedure)
    assert who == (new.id, desk.on_site.id, MONEY)
    assert appointment.starts_at == local(TODAY, 9, 30)

    page = html_of(agent.get(f"/appointments/{appointment.id}"))
    assert "To read back to the resident" in page
    assert "Your appointment is on Monday, January 4, 2027 at 9:30" in page
    assert desk.place.nom in page
    assert desk.place.adresse in page
    assert "You will receive a reminder by SMS." in page  # the outbox queued it (issue 5)
    app.config["REMINDERS_ENABLED"] = False
    assert "You will not receive a reminder: please write down the date and time." in html_of(
        agent.get(f"/appointments/{appointment.id}"))
    assert "http://127.0.0.1:5000/rdv/" in page

    slip = html_of(agent.get(f"/appointments/{appointment.id}/slip", query_string={"lang": "en"}))
    assert "css/slip.css" in slip
    assert "Monday, January 4, 2027 at 9:30" in slip
    assert "Your latest income tax notice" in slip
    assert "An identity document" in slip
    assert "Your login details" in slip
    assert "05 49 00 00 00" in slip
    assert "http://127.0.0.1:5000/rdv/" in slip
    assert "openstreetmap.org/directions" in slip
    assert "<img" not in slip
    assert "<script" not in slip


def test_a_phone_appointment_is_booked_and_read_back_with_the_number_to_call(agent, desk):
    person = resident()
    db.session.commit()
    page = html_of(agent.get(f"/booking/resident/{person.id}/slots", query_string={"mode": "phone"}))
    assert "By phone" in page
    assert 'aria-label="Book 2:00' in page
    response = book_by_page(agent, person, local(TODAY, 14), None, mode="phone")
    appointment = db.session.get(Appointment, appointment_id_of(response))
    assert (appointment.mode, appointment.help_point_id, appointment.counsellor_id) == ("phone", None, desk.by_phone.id)
    page = html_of(agent.get(f"/appointments/{appointment.id}"))
    assert "A counsellor will call you on Monday, January 4, 2027 at 2:00" in page
    assert "06 12 34 56 78" in page
    slip = html_of(agent.get(f"/appointments/{appointment.id}/slip", query_string={"lang": "en"}))
    assert "A counsellor will call you at 06 12 34 56 78" in slip


def test_the_slip_is_in_the_residents_language_and_french_by_default(agent, desk):
    person = resident()
    db.session.commit()
    appointment = booked(person, local(TODAY, 10), desk.place)
    slip = html_of(agent.get(f"/appointments/{appointment.id}/slip"))
    assert '<html lang="fr">' in slip
    assert "Lundi 4 janvier 2027" in slip
    english = resident(first_name="John", last_name="Smith", phone="07 81 23 45 67", language="en")
    db.session.commit()
    other = booked(english, local(TODAY, 10, 30), desk.place)
    agent.set_cookie("lang", "fr")
    assert "Monday, January 4, 2027" in html_of(agent.get(f"/appointments/{other.id}/slip"))


# ---------------------------------------------------------------- errors of the flow

def test_a_taken_slot_shows_the_next_free_ones(agent, desk):
    first, second = resident(), resident(first_name="Paul", phone="07 81 23 45 67")
    db.session.commit()
    booked(first, local(TODAY, 9), desk.place)
    page = html_of(book_by_page(agent, second, local(TODAY, 9), desk.place), 409)
    assert "This slot was just taken: here are the next ones." in page
    assert f'value="{slot_value(local(TODAY, 9, 30), desk.place)}"' in page
    assert f'value="{slot_value(local(TODAY, 9), desk.place)}"' not in page
    assert page.count('class="slot"') == booking.NEXT_SLOTS_OFFERED
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 1


def test_a_resident_already_busy_then_is_told_so(agent, desk):
    elsewhere = factories.help_point(nom="France services")
    counsellor_at(elsewhere)
    person = resident()
    db.session.commit()
    booked(person, local(TODAY, 9), desk.place)
    page = html_of(book_by_page(agent, person, local(TODAY, 9), elsewhere), 409)
    assert "This resident already has an appointment at that time." in page
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"needs": "interprete"}, "Say which language the interpreter speaks."),
        ({"needs": "interprete", "interpreter_language": "xx"}, "Choose one of the options offered."),
        ({"procedure": "nope"}, "Choose one of the options offered."),
    ],
)
def test_a_need_that_is_not_valid_comes_back_with_its_message(agent, desk, fields, message):
    person = resident()
    db.session.commit()
    page = html_of(agent.get(f"/booking/resident/{person.id}/slots", query_string=need_args(**fields)))
    assert message in page
    assert "Step 2 of 3" in page


def test_a_resident_without_phone_is_flagged_and_cannot_have_a_phone_appointment(agent, desk):
    person = resident(phone="", first_name="Zoé")
    db.session.commit()
    page = html_of(agent.get(f"/booking/resident/{person.id}"))
    assert "No phone number" in page
    assert "No reminder will be sent: give or send the printed slip." in page
    page = html_of(agent.get(f"/booking/resident/{person.id}/slots", query_string={"mode": "phone"}))
    assert "This resident has no phone number" in page


@pytest.mark.parametrize("slot", ["", "x", "1-", "-1", "99999999999999-1", "253402300800-1",
                                  "1799999999-99999999999", "１７９９９９９９９９-1", "9" * 5000 + "-1"])
def test_a_slot_choice_that_is_not_one_is_a_400(agent, desk, slot):
    person = resident()
    db.session.commit()
    token = csrf_token_from(html_of(agent.get(f"/booking/resident/{person.id}")))
    data = {**need_args(), "slot": slot, "csrf_token": token}
    response = agent.post(f"/booking/resident/{person.id}/book", data=data)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("slot", "status"),
    [("0-0", 400), (f"{int(local(TODAY, 9).timestamp())}-2147483647", 400),
     (f"{int(local(TODAY, 9).timestamp())}-0", 400)],
    ids=["past", "unknown-help-point", "on-site-without-place"],
)
def test_a_slot_that_is_not_offered_is_refused_without_booking(agent, desk, slot, status):
    person = resident()
    db.session.commit()
    token = csrf_token_from(html_of(agent.get(f"/booking/resident/{person.id}")))
    data = {**need_args(), "slot": slot, "csrf_token": token}
    response = agent.post(f"/booking/resident/{person.id}/book", data=data)
    assert response.status_code == status
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 0


@pytest.mark.parametrize("query", ["from=99999-01-01", "from=0001-01-01", "from=2027-02-30", "move=99999999999999",
                                   "move=abc", "move=-1", "district_id=99999999999", "help_point_id=x", "needs=zzz",
                                   "mode=boat"])
def test_odd_slot_searches_never_fail(agent, desk, query):
    person = resident()
    db.session.commit()
    response = agent.get(f"/booking/resident/{person.id}/slots?mode=on_site&{query}")
    assert response.status_code in (200, 400, 404)


def test_odd_arguments_of_the_other_pages_never_fail(agent, desk):
    person = resident()
    db.session.commit()
    appointment = booked(person, local(TODAY, 9), desk.place)
    assert agent.get("/booking", query_string={"q": "x" * 500}).status_code == 200
    assert agent.get("/booking", query_string={"q": "9" * 500}).status_code == 200
    assert agent.get(f"/appointments/{appointment.id}/slip?lang=zz").status_code == 200
    token = csrf_token_from(html_of(agent.get(f"/appointments/{appointment.id}")))
    response = agent.post(f"/appointments/{appointment.id}/status", data={"status": "lost", "csrf_token": token})
    assert response.status_code == 302
    response = agent.post(f"/appointments/{appointment.id}/move", data={"slot": "x", "csrf_token": token})
    assert response.status_code == 400
    assert agent.get("/rdv/" + "A" * 3000).status_code == 404


def test_slots_come_a_week_at_a_time_with_a_link_to_the_next_days(agent, desk):
    person = resident()
    db.session.commit()
    response = agent.get(f"/booking/resident/{person.id}/slots", query_string=need_args())
    page = html_of(response)
    assert len(response.data) < 60 * 1024
    assert "Monday, January 4, 2027" in page
    assert "Monday, January 11, 2027" not in page
    assert "from=2027-01-11" in page
    assert "Next days" in page
    later = html_of(agent.get(f"/booking/resident/{person.id}/slots",
                              query_string=need_args(**{"from": "2027-01-05"})))
    assert "Monday, January 11, 2027" in later
    assert "Earlier days" in later


def test_when_the_coming_week_has_no_slot_the_page_starts_at_the_first_day_with_one(agent, desk):
    db.session.add(Closure(help_point_id=desk.place.id, starts_at=local(TODAY, 0), ends_at=local(date(2027, 1, 26), 0)))
    person = resident()
    db.session.commit()
    page = html_of(agent.get(f"/booking/resident/{person.id}/slots", query_string=need_args()))
    assert "Free slots from Monday, February 1, 2027 to Sunday, February 7, 2027" in page
    assert f'value="{slot_value(local(date(2027, 2, 1), 9), desk.place)}"' in page
    assert "from=2027-02-08" in page


def test_a_need_no_help_point_serves_says_so_and_suggests_fewer_criteria(agent, desk):
    person = resident()
    db.session.commit()
    page = html_of(agent.get(f"/booking/resident/{person.id}/slots", query_string=need_args(needs="lsf")))
    assert "No free slot for this need until the end of the booking period" in page
    assert "Try another help point, or fewer criteria." in page
    assert 'class="slot"' not in page


def test_a_probable_duplicate_is_offered_and_can_be_used_instead(agent, desk):
    known = resident()
    db.session.commit()
    token = csrf_token_from(html_of(agent.get("/booking")))
    response = agent.post("/booking/residents", data={"first_name": "Nadia", "last_name": "MARTIN", "phone": "",
                                                      "language": "fr", "reminder_channel": "none",
                                                      "csrf_token": token})
    new = db.session.scalar(sa.select(Resident).where(Resident.id != known.id))
    assert response.headers["Location"] == f"/booking/resident/{new.id}?new=1"
    page = html_of(agent.get(response.headers["Location"]))
    assert "This looks like Nadia Martin" in page
    assert "06 12 34 56 78" in page
    response = agent.post(f"/booking/resident/{new.id}/use/{known.id}", data={"csrf_token": csrf_token_from(page)})
    assert response.headers["Location"] == f"/booking/resident/{known.id}"
    db.session.expire_all()
    assert db.session.get(Resident, new.id).merged_into_id == known.id


def test_a_resident_can_be_corrected_and_the_form_keeps_what_was_typed(agent, desk):
    person = resident()
    db.session.commit()
    page = html_of(agent.get(f"/booking/resident/{person.id}/edit"))
    assert 'value="06 12 34 56 78"' in page
    data = {"first_name": "Nadia", "last_name": "Martin", "phone": "05 49", "language": "fr",
            "reminder_channel": "none", "csrf_token": csrf_token_from(page)}
    page = html_of(agent.post(f"/booking/resident/{person.id}/edit", data=data))
    assert "This is not a valid phone number" in page
    assert 'value="05 49"' in page
    response = agent.post(f"/booking/resident/{person.id}/edit", data={**data, "phone": "05 49 12 34 56"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Resident, person.id).phone == "+33549123456"


# ---------------------------------------------------------------- the appointment page

def test_the_phone_line_cancels_and_a_counsellor_records_attendance_once_started(client, login_as, desk, monkeypatch):
    client.set_cookie("lang", "en")
    person = resident()
    db.session.commit()
    first, second = booked(person, local(TODAY, 9), desk.place), booked(person, local(TODAY, 10), desk.place)
    login_as("phone_agent")
    page = html_of(client.get(f"/appointments/{first.id}"))
    assert 'value="attended"' not in page
    token = csrf_token_from(page)
    attended = {"status": "attended", "csrf_token": token}
    assert client.post(f"/appointments/{first.id}/status", data=attended).status_code == 403
    response = client.post(f"/appointments/{first.id}/status",
                           data={"status": "cancelled_by_resident", "csrf_token": token})
    assert response.headers["Location"] == f"/appointments/{first.id}"
    assert "Cancelled by the resident" in html_of(client.get(f"/appointments/{first.id}"))

    client.post("/logout", data={"csrf_token": token})
    other = login_as("counsellor")
    freeze(monkeypatch, local(TODAY, 10, 5))
    page = html_of(client.get(f"/appointments/{second.id}"))
    refused = client.post(f"/appointments/{second.id}/status", data={"status": "attended",
                                                                     "csrf_token": csrf_token_from(page)})
    assert refused.status_code == 403  # only the appointment's own counsellor records attendance
    client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    assert other.id != desk.on_site.id
    login(client, desk.on_site.email, factories.PASSWORD)
    page = html_of(client.get(f"/appointments/{second.id}"))
    client.post(f"/appointments/{second.id}/status", data={"status": "attended", "csrf_token": csrf_token_from(page)})
    db.session.expire_all()
    assert db.session.get(Appointment, second.id).status == "attended"
    assert db.session.get(Appointment, first.id).status == "cancelled_by_resident"


def test_an_appointment_is_moved_from_its_page_and_keeps_its_history(agent, desk):
    person = resident()
    db.session.commit()
    old = booked(person, local(TODAY, 9), desk.place)
    page = html_of(agent.get(f"/appointments/{old.id}"))
    move_link = re.search(r'href="(/booking/resident/\d+/slots\?[^"]*move=\d+[^"]*)"', page).group(1)
    page = html_of(agent.get(move_link.replace("&amp;", "&")))
    assert f'action="/appointments/{old.id}/move"' in page
    assert 'aria-label="Move to 11:00' in page
    response = agent.post(f"/appointments/{old.id}/move", data={
        "slot": slot_value(local(NEXT_MONDAY, 11), desk.place), "asked_by": "resident",
        "csrf_token": csrf_token_from(page)})
    new = db.session.get(Appointment, appointment_id_of(response))
    db.session.expire_all()
    assert (new.rescheduled_from_id, new.starts_at) == (old.id, local(NEXT_MONDAY, 11))
    assert db.session.get(Appointment, old.id).status == "cancelled_by_resident"
    assert "Moved to:" in html_of(agent.get(f"/appointments/{old.id}"))


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_get_403_on_every_booking_page(client, login_as, desk, role):
    person = resident()
    db.session.commit()
    appointment = booked(person, local(TODAY, 9), desk.place)
    login_as(role)
    pages = ["/booking", "/booking?q=06", f"/booking/resident/{person.id}", f"/booking/resident/{person.id}/edit",
             f"/booking/resident/{person.id}/slots?mode=on_site", f"/appointments/{appointment.id}",
             f"/appointments/{appointment.id}/slip"]
    for path in pages:
        assert client.get(path).status_code == 403, path
    posts = ["/booking/residents", f"/booking/resident/{person.id}/book", f"/booking/resident/{person.id}/edit",
             f"/booking/resident/{person.id}/use/{person.id}", f"/appointments/{appointment.id}/status",
             f"/appointments/{appointment.id}/move"]
    for path in posts:
        assert client.post(path, data={"status": "cancelled_by_service"}).status_code == 403, path
    assert db.session.get(Appointment, appointment.id).status == "booked"


def test_anonymous_visitors_are_sent_to_the_login_page(client, desk):
    for path in ("/booking", "/appointments/1", "/appointments/1/slip"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path


# ---------------------------------------------------------------- the resident's signed link

def test_the_signed_link_shows_the_appointment_and_cancels_it_after_confirmation(client, desk):
    client.set_cookie("lang", "en")
    person = resident()
    db.session.commit()
    appointment = booked(person, local(TODAY, 9), desk.place)
    link = links.resident_link(appointment)
    path = link.removeprefix("http://127.0.0.1:5000")
    assert path.startswith("/rdv/")
    page = html_of(client.get(path))
    assert "Hello Nadia," in page
    assert "Monday, January 4, 2027 at 9:00" in page
    assert desk.place.nom in page
    assert "Martin" not in page
    assert "06 12 34 56 78" not in page
    assert "05 49 00 00 00" in page
    assert '<nav aria-label="Main menu">' not in page
    confirm = html_of(client.get(path, query_string={"cancel": 1}))
    assert "Cancel this appointment?" in confirm
    assert db.session.get(Appointment, appointment.id).status == "booked"
    assert client.post(path).status_code == 400  # no CSRF token
    response = client.post(path, data={"csrf_token": csrf_token_from(confirm)})
    assert response.status_code == 302
    assert response.headers["Location"] == path
    db.session.expire_all()
    cancelled = db.session.get(Appointment, appointment.id)
    assert (cancelled.status, cancelled.status_changed_by_id) == ("cancelled_by_resident", None)
    page = html_of(client.get(path))
    assert "This appointment is cancelled." in page
    assert "Cancel this appointment" not in page


def test_the_signed_link_of_a_phone_appointment_shows_no_phone_number(client, desk):
    client.set_cookie("lang", "en")
    person = resident()
    db.session.commit()
    appointment = booked(person, local(TODAY, 14), desk.place, mode="phone")
    page = html_of(client.get(links.resident_link(appointment).removeprefix("http://127.0.0.1:5000")))
    assert "a counsellor will call you" in page
    assert "06 12 34 56 78" not in page
    assert "Martin" not in page


def test_the_signed_link_expires_when_the_appointment_starts(client, desk, monkeypatch):
    client.set_cookie("lang", "en")
    person = resident()
    db.session.commit()
    appointment = booked(person, local(TODAY, 9), desk.place)
    path = links.resident_link(appointment).removeprefix("http://127.0.0.1:5000")
    freeze(monkeypatch, local(TODAY, 8, 59))
    assert client.get(path).status_code == 200
    freeze(monkeypatch, local(TODAY, 9))
    response = client.get(path)
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)
    assert client.post(path, data={"csrf_token": csrf_token_from(response.get_data(as_text=True))}).status_code == 410
    assert db.session.get(Appointment, appointment.id).status == "booked"


def test_a_tampered_or_unknown_link_is_a_friendly_404(client, desk):
    client.set_cookie("lang", "en")
    person = resident()
    db.session.commit()
    appointment = booked(person, local(TODAY, 9), desk.place)
    token = links.make_token(appointment)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, "nothing", links.make_token(Appointment(id=appointment.id + 1000))):
        response = client.get(f"/rdv/{bad}")
        assert response.status_code == 404, bad
        assert "This link does not work" in response.get_data(as_text=True)


def test_an_old_token_is_refused_even_before_the_appointment(client, desk, monkeypatch):
    person = resident()
    db.session.commit()
    appointment = booked(person, local(NEXT_MONDAY, 9), desk.place)
    token = links.make_token(appointment)
    monkeypatch.setattr(links, "max_token_age", lambda: -1)
    assert client.get(f"/rdv/{token}").status_code == 404
    assert appointment.starts_at - timedelta(days=1) > NOW
