"""What a fresh reviewer found in the help sessions (issue 6), each case with its regression test."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, WalkIn
from inclusion_app.models.sessions import HelpSessionChange
from inclusion_app.sessions import services
from tests import factories
from tests.booking_helpers import local
from tests.conftest import csrf_token_from
from tests.integration.test_help_sessions_services import TODAY, values
from tests.scheduling_factories import resident
from tests.sessions_factories import help_session, unmet_right


@pytest.mark.parametrize("bad", ["²", "--5", "¹⁹⁸⁰", "1e3"])
def test_odd_digits_are_a_field_error_not_a_500(app, bad):
    counsellor = factories.user()
    for fields, path in (({"duration_minutes": bad}, "duration_minutes"),
                         ({"profile": {"birth_year": bad}}, "profile.birth_year")):
        with pytest.raises(services.SessionError) as error:
            services.create(values(**fields), counsellor, TODAY)
        assert path in error.value.fields


def test_the_database_holds_one_live_session_per_appointment(app):
    counsellor = factories.user()
    place = factories.help_point()
    appointment = Appointment(resident_id=resident().id, counsellor_id=counsellor.id, help_point_id=place.id,
                              mode="on_site", starts_at=local(date(2026, 11, 20), 10),
                              ends_at=local(date(2026, 11, 20), 10, 30), status="attended")
    db.session.add(appointment)
    db.session.flush()
    help_session(counsellor, appointment_id=appointment.id)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():  # what two saves at once would do
        help_session(counsellor, appointment_id=appointment.id)
    help_session(counsellor, appointment_id=appointment.id, deleted_at=local(date(2026, 11, 21), 9))  # allowed


def test_a_colleague_reads_but_cannot_record_the_follow_up_of_a_right(client, login_as):
    me = factories.user(structures=["Centre social"])
    mine = help_session(me)
    right = unmet_right(mine, follow_up_on=date(2026, 1, 1))
    db.session.commit()
    login_as("counsellor", structures=["Centre social"])
    page = client.get("/accompagnements/suivi").get_data(as_text=True)
    assert f"/accompagnements/suivi/{right.id}" not in page  # no form for a colleague's right
    token = csrf_token_from(client.get("/accompagnements/nouveau").get_data(as_text=True))
    response = client.post(f"/accompagnements/suivi/{right.id}", data={"csrf_token": token, "outcome": "abandonne"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(type(right), right.id).outcome == "repere"


def test_editing_a_right_is_audited(app):
    counsellor = factories.user()
    session = services.create(values(unmet_rights=[{"right": "rsa", "form": "non_demande", "reason": "complexite"}]),
                              counsellor, TODAY)
    right_id = session.unmet_rights[0].id
    services.update(session, {"unmet_rights": [{"id": right_id, "reason": "langue"}]}, counsellor, TODAY)
    actions = list(db.session.scalars(sa.select(HelpSessionChange.action)
                                      .where(HelpSessionChange.session_id == session.id)))
    assert actions == ["created", "updated"]


def test_an_unchanged_workshop_form_keeps_its_age_bands(app):
    counsellor = factories.user()
    workshop = services.create(values(type="collectif", title="Tableur", level="debutant",
                                      participants={"total": 8, "genders": {"feminin": 3},
                                                    "age_bands": {"soixante_dix_plus": 2}}), counsellor, TODAY)
    services.update(workshop, {"participants": {"total": 8, "genders": {"feminin": 3}}}, counsellor, TODAY)
    assert workshop.participants["age_bands"] == {"soixante_dix_plus": 2}


def test_a_help_point_is_refused_for_a_session_at_home(app):
    counsellor = factories.user()
    with pytest.raises(services.SessionError) as error:
        services.create(values(place_type="domicile", commune_code="86194", help_point_id=factories.help_point().id),
                        counsellor, TODAY)
    assert set(error.value.fields) == {"help_point_id"}


def test_the_same_right_twice_in_a_patch_is_refused(app):
    counsellor = factories.user()
    session = services.create(values(unmet_rights=[{"right": "rsa", "form": "non_demande", "reason": "complexite"},
                                                   {"right": "aah", "form": "non_demande", "reason": "langue"}]),
                              counsellor, TODAY)
    first = session.unmet_rights[0].id
    with pytest.raises(services.SessionError) as error:
        services.update(session, {"unmet_rights": [{"id": first}, {"id": first, "right": "aah"}]}, counsellor, TODAY)
    assert "unmet_rights.1.id" in error.value.fields


def test_huge_page_numbers_are_no_500(client, login_as):
    login_as("counsellor")
    for path in ("/accompagnements/", "/accompagnements/suivi"):
        assert client.get(f"{path}?page=99999999999999999999").status_code == 200


def test_another_structures_walk_in_does_not_prefill_the_form(client, login_as):
    elsewhere = factories.help_point()
    walk_in = WalkIn(help_point_id=elsewhere.id, display_name="Paul", status="served",
                     resident_id=resident(first_name="Paul", last_name="Autre").id)
    db.session.add(walk_in)
    db.session.commit()
    login_as("counsellor")
    assert client.get(f"/accompagnements/nouveau?walk_in_id={walk_in.id}").status_code == 404




@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_date_out_of_range_in_json_names_the_date_not_a_control_character(client, day):
    from tests.integration.test_help_sessions_api import bearer

    headers = bearer(factories.user())
    response = client.post("/api/v1/help-sessions", json=values(date=day), headers=headers)
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"date"}
    assert "1900" in fields["date"]
