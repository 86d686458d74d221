"""The help-session form of counsellors (issue 6): prefill from an appointment or a walk-in,
errors next to their fields with everything typed kept, "add another unmet right", a workshop,
editing, and the links from the agenda, the appointment page and the walk-in desk.

Interface texts are checked in English (language cookie), so these tests do not depend on the
French catalog. "Today" is frozen at TODAY.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import HelpSession, User, WalkIn
from inclusion_app.sessions import pages
from tests import factories
from tests.scheduling_factories import resident
from tests.session_page_helpers import (
    NEW,
    TODAY,
    appointment,
    checked,
    counsellor,
    get,
    local,
    post,
    selected,
    valid,
)
from tests.sessions_factories import help_session, unmet_right


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "today", lambda: TODAY)


@pytest.fixture
def english(client: Any) -> Any:
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def me(login_as: Any, english: Any) -> User:
    return counsellor(login_as)


# ---------------------------------------------------------------- prefill


def test_the_form_is_prefilled_from_an_attended_on_site_appointment(english: Any, me: User) -> None:
    place = factories.help_point(nom="France services des 3 Cités")
    district = factories.district(name="Trois-Cités")
    person = resident(first_name="Odile", last_name="Prefill", district_id=district.id)
    booked = appointment(me, place=place, minutes=45, procedure="logement", who=person)
    db.session.commit()

    html = get(english, f"{NEW}?appointment_id={booked.id}")
    assert 'name="date" value="2026-11-20"' in html
    assert checked(html, "duration", "45")
    assert checked(html, "place_type", "lieu_activite")
    assert selected(html, "help_point_id", str(place.id))
    assert checked(html, "themes", "aide_aux_demarches_administratives")
    assert checked(html, "procedures", "logement")
    assert checked(html, "resident_id", str(person.id))
    assert "Linked to the record of Odile Prefill" in html
    assert f'name="district_id" value="{district.id}"' in html  # the resident's district, kept
    assert f'name="appointment_id" value="{booked.id}"' in html


def test_a_phone_appointment_prefills_a_remote_session_with_its_own_length(english: Any, me: User) -> None:
    booked = appointment(me, minutes=40, procedure=None)
    db.session.commit()
    html = get(english, f"{NEW}?appointment_id={booked.id}")
    assert checked(html, "place_type", "a_distance")
    assert checked(html, "duration", "autre")
    assert 'name="duration_custom" value="40"' not in html  # attributes before value
    assert re.search(r'id="duration_custom"[^>]*value="40"', html)
    assert not checked(html, "themes", "aide_aux_demarches_administratives")


def test_the_form_is_prefilled_from_a_served_walk_in(english: Any, me: User) -> None:
    place = factories.help_point(nom="Centre social")
    person = resident(first_name="Gaspard", last_name="Walkin")
    walk_in = WalkIn(help_point_id=place.id, resident_id=person.id, display_name="Gaspard", procedure="argent_impots",
                     status="served", counsellor_id=me.id, arrived_at=local(TODAY, 10))
    db.session.add(walk_in)
    db.session.commit()

    html = get(english, f"{NEW}?walk_in_id={walk_in.id}")
    assert 'name="date" value="2026-11-20"' in html
    assert checked(html, "place_type", "lieu_activite")
    assert selected(html, "help_point_id", str(place.id))
    assert checked(html, "resident_id", str(person.id))
    assert checked(html, "procedures", "argent_impots")
    assert f'name="walk_in_id" value="{walk_in.id}"' in html


def test_without_a_link_the_form_defaults_to_today_and_the_counsellors_help_point(english: Any, me: User) -> None:
    html = get(english, NEW)
    place_id = db.session.scalar(sa.select(sa.func.min(HelpSession.id)))  # none yet
    assert place_id is None
    assert 'name="date" value="2026-11-20"' in html
    assert checked(html, "type", "individuel")
    assert checked(html, "duration", "30")
    assert re.search(r'<select id="help_point_id".*<option value="\d+" selected>Médiathèque des Couronneries', html,
                     re.S)
    assert html.count('<legend>Unmet right ') == 1
    assert len(html.encode()) < 60_000


def test_another_counsellors_appointment_is_not_found_and_a_logged_one_leads_to_its_session(
        english: Any, me: User) -> None:
    other = factories.user(role="counsellor")
    theirs = appointment(other)
    mine = appointment(me)
    logged = help_session(me, appointment_id=mine.id)
    db.session.commit()
    get(english, f"{NEW}?appointment_id={theirs.id}", 404)
    response = english.get(f"{NEW}?appointment_id={mine.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/accompagnements/{logged.id}")


# ---------------------------------------------------------------- saving and errors


def test_saving_a_session_with_an_unmet_right_goes_to_its_page(english: Any, me: User) -> None:
    person = resident(first_name="Maëlys", last_name="Saved")
    booked = appointment(me, who=person, minutes=30)
    db.session.commit()
    data = valid(appointment_id=str(booked.id), resident_id=str(person.id),
                 themes=["email", "aide_aux_demarches_administratives"], procedures=["logement"],
                 precision="APL", **{"unmet_rights.0.right": "aide_logement", "unmet_rights.0.form": "non_demande",
                                     "unmet_rights.0.reason": "complexite",
                                     "unmet_rights.0.follow_up_on": "2026-12-01"})
    response = post(english, NEW, data, 302)
    session = db.session.scalar(sa.select(HelpSession))
    assert response.headers["Location"].endswith(f"/accompagnements/{session.id}")
    assert (session.appointment_id, session.resident_id, session.procedures) == (booked.id, person.id, ["logement"])
    assert [(r.right, r.follow_up_on) for r in session.unmet_rights] == [("aide_logement", date(2026, 12, 1))]

    html = get(english, f"/accompagnements/{session.id}")
    assert "The help session is saved." in html
    assert f'href="/booking/resident/{person.id}"' in html  # book a follow-up
    assert "Housing aid" in html
    assert "created" in html  # the audit trail


ERROR_CASES = {
    "no theme": ({"themes": []}, "themes", None),
    "30 hours": ({"duration": "autre", "duration_custom": "1800"}, "duration_minutes", 'value="1800"'),
    "negative duration": ({"duration": "autre", "duration_custom": "-5"}, "duration_minutes", 'value="-5"'),
    "future date": ({"date": "2026-11-21"}, "date", 'value="2026-11-21"'),
    "help point missing": ({"place_type": "lieu_activite", "help_point_id": ""}, "help_point_id", None),
    "commune missing": ({"place_type": "domicile", "commune_name": "Migné"}, "commune_code", 'value="Migné"'),
    "bad INSEE code": ({"place_type": "autre", "commune_code": "ABCDE"}, "commune_code", 'value="ABCDE"'),
    "procedure without the theme": ({"procedures": ["logement"]}, "procedures", None),
    "referral without referral outcome": ({"referral": "aide_sociale"}, "referral", None),
    "birth year": ({"profile.birth_year": "1800"}, "profile-birth_year", 'value="1800"'),
    "right without its form": ({"unmet_rights.0.right": "rsa", "unmet_rights.0.reason": "complexite"},
                               "unmet_rights-0-form", None),
    "workshop without title": ({"type": "collectif", "participants.total": "8"}, "title", 'value="8"'),
    "workshop of one": ({"type": "collectif", "title": "Premiers pas", "participants.total": "1"},
                        "participants-total", 'value="Premiers pas"'),
}


@pytest.mark.parametrize(("changes", "field", "kept"), ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_each_error_is_shown_next_to_its_field_and_what_was_typed_is_kept(
        english: Any, me: User, changes: dict[str, Any], field: str, kept: str | None) -> None:
    response = post(english, NEW, valid(**{"commune_name": "kept text", **changes}), 400)
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert f'<a href="#{field}">' in html  # the summary links to the field
    assert f'id="{field}"' in html
    assert 'value="kept text"' in html or "commune_name" in changes
    if kept:
        assert kept in html
    assert db.session.scalar(sa.select(sa.func.count(HelpSession.id))) == 0


def test_another_unmet_right_is_added_keeping_everything_typed(english: Any, me: User) -> None:
    data = valid(commune_name="typed", themes=["email", "sante"],
                 **{"unmet_rights.0.right": "rsa", "unmet_rights.0.form": "non_connaissance",
                    "unmet_rights.0.reason": "manque_information"})
    html = post(english, NEW, {**data, "action": "add_right"}, 200).get_data(as_text=True)
    assert html.count("<legend>Unmet right ") == 2
    assert 'name="rights_count" value="2"' in html
    assert selected(html, "unmet_rights-0-right", "rsa")
    assert 'id="unmet_rights-1-right"' in html
    assert checked(html, "themes", "sante")
    assert 'value="typed"' in html
    assert db.session.scalar(sa.select(sa.func.count(HelpSession.id))) == 0

    # The second right lacks its reason: the message goes to the second fieldset.
    second = {"unmet_rights.1.right": "aah", "unmet_rights.1.form": "non_demande", "rights_count": "2"}
    html = post(english, NEW, {**data, **second}, 400).get_data(as_text=True)
    assert 'id="unmet_rights-1-reason-error"' in html
    assert "Unmet right 2: Reason" in html
    post(english, NEW, {**data, **second, "unmet_rights.1.reason": "langue"}, 302)
    saved = db.session.scalar(sa.select(HelpSession))
    assert [right.right for right in saved.unmet_rights] == ["rsa", "aah"]


def test_a_blank_first_right_is_skipped_and_errors_still_point_to_the_right_fieldset(english: Any, me: User) -> None:
    data = valid(rights_count="2", **{"unmet_rights.1.right": "rsa", "unmet_rights.1.reason": "langue"})
    html = post(english, NEW, data, 400).get_data(as_text=True)
    assert 'id="unmet_rights-1-form-error"' in html
    assert 'id="unmet_rights-0-form-error"' not in html


def test_a_workshop_is_saved_with_its_counts_and_no_identity(english: Any, me: User) -> None:
    data = valid(type="collectif", title="Premiers pas", level="debutant", resident_id="",
                 outcome="finalisee", **{"participants.total": "8", "participants.genders.feminin": "5",
                                         "profile.birth_year": "1950"})
    post(english, NEW, data, 302)
    saved = db.session.scalar(sa.select(HelpSession))
    assert (saved.title, saved.participants_total, saved.outcome, saved.birth_year) == ("Premiers pas", 8, None, None)
    assert saved.participants["genders"] == {"feminin": 5}



def test_editing_keeps_the_form_and_records_the_change(english: Any, me: User) -> None:
    session = help_session(me, duration_minutes=30, themes=["email"])
    unmet_right(session, follow_up_on=date(2026, 12, 1))
    db.session.commit()
    path = f"/accompagnements/{session.id}/modifier"
    html = get(english, path)
    assert checked(html, "duration", "30")
    assert checked(html, "themes", "email")
    assert selected(html, "unmet_rights-0-right", "rsa")
    right_id = session.unmet_rights[0].id
    assert f'name="unmet_rights.0.id" value="{right_id}"' in html

    data = valid(duration="60", **{"unmet_rights.0.id": str(right_id), "unmet_rights.0.right": "rsa",
                                   "unmet_rights.0.form": "non_connaissance",
                                   "unmet_rights.0.reason": "manque_information",
                                   "unmet_rights.0.follow_up_on": "2026-12-15"})
    post(english, path, {**data, "duration": "autre", "duration_custom": "900"}, 400, token_from=path)
    post(english, path, data, 302, token_from=path)
    db.session.refresh(session)
    assert session.duration_minutes == 60
    assert [(r.id, r.follow_up_on) for r in session.unmet_rights] == [(right_id, date(2026, 12, 15))]
    post(english, path, {**data, "unmet_rights.0.remove": "1"}, 302, token_from=path)
    db.session.refresh(session)
    assert session.unmet_rights == []
    detail = get(english, f"/accompagnements/{session.id}")
    assert "changed" in detail
    assert "duration_minutes" in detail



# ---------------------------------------------------------------- links from the agenda


def test_the_agenda_and_the_appointment_page_link_to_the_session(english: Any, me: User,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from inclusion_app.scheduling import agenda

    monkeypatch.setattr(agenda, "now", lambda: local(TODAY, 12))
    booked = appointment(me)
    db.session.commit()
    day = get(english, "/agenda?date=2026-11-20")
    assert f'href="/accompagnements/nouveau?appointment_id={booked.id}"' in day
    assert "Log the help session" in get(english, f"/appointments/{booked.id}")
    logged = help_session(me, appointment_id=booked.id)
    db.session.commit()
    day = get(english, "/agenda?date=2026-11-20")
    assert f'href="/accompagnements/{logged.id}"' in day
    assert "See the session" in day
    assert f'href="/accompagnements/{logged.id}"' in get(english, f"/appointments/{booked.id}")


def test_a_served_walk_in_links_to_its_session(english: Any, me: User) -> None:
    place = factories.help_point(nom="Accueil")
    walk_in = WalkIn(help_point_id=place.id, display_name="Ticket 3", status="served", counsellor_id=me.id,
                     arrived_at=datetime.now(UTC) - timedelta(minutes=20))
    db.session.add(walk_in)
    db.session.commit()
    queue = get(english, f"/walk-ins?help_point_id={place.id}")
    assert f'href="/accompagnements/nouveau?walk_in_id={walk_in.id}"' in queue
    logged = help_session(me, walk_in_id=walk_in.id)
    db.session.commit()
    assert f'href="/accompagnements/{logged.id}"' in get(english, f"/walk-ins?help_point_id={place.id}")


def test_odd_form_values_are_field_errors(english: Any, me: User) -> None:
    data = valid(rights_count="25", help_point_id="12abc", place_type="lieu_activite",
                 **{"unmet_rights.0.id": "99999999999", "unmet_rights.0.right": "rsa",
                    "participants.total": "1e5", "profile.birth_year": "19 50"})
    html = post(english, NEW, data, 400).get_data(as_text=True)
    assert 'id="help_point_id-error"' in html
    assert 'id="profile-birth_year-error"' in html
    assert html.count("<legend>Unmet right ") == 20
