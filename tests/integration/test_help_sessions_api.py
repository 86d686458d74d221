"""The JSON API of help sessions (DESIGN.md section 4): create, read, list, patch, delete, every
validation rule with its field path, visibility (own and structure) and role refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from inclusion_app.auth.services import create_token
from inclusion_app.extensions import db
from inclusion_app.models.sessions import HelpSession, HelpSessionChange
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.slots import local_date
from tests import factories
from tests.scheduling_factories import appointment, resident
from tests.sessions_factories import help_session


def bearer(user: Any) -> dict[str, str]:
    value = create_token(user)
    db.session.commit()
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture
def today(app):
    return local_date(utcnow())


@pytest.fixture
def me(app):
    """A counsellor of the structure "Médiathèque" with a token, reading English messages."""
    user = factories.user(structures=["Médiathèque"])
    user.language = "en"
    return user, bearer(user)


def payload(today, **fields: Any) -> dict[str, Any]:
    """A valid individual remote session of today, with `fields` over it."""
    values: dict[str, Any] = {"date": today.isoformat(), "duration_minutes": 30, "type": "individuel",
                              "place_type": "a_distance", "themes": ["email"]}
    values.update(fields)
    return values


def audit_of(session_id: int) -> list[HelpSessionChange]:
    query = sa.select(HelpSessionChange).where(HelpSessionChange.session_id == session_id)
    return list(db.session.scalars(query.order_by(HelpSessionChange.id)))


def post(client, headers, body) -> Any:
    return client.post("/api/v1/help-sessions", json=body, headers=headers)


def fields_of(response) -> dict[str, str]:
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    return error["fields"]


def test_create_read_and_list(client, me, today):
    user, headers = me
    body = payload(today, themes=["aide_aux_demarches_administratives", "email"], procedures=["logement"],
                   precision="Demande APL", equipment=["telephone"], autonomy="partiellement_autonome",
                   outcome="oriente_vers_structure", referral="aide_sociale", referral_structure="CCAS",
                   profile={"birth_year": today.year - 30, "gender": "feminin", "social_status": "en_emploi",
                            "first_visit": True},
                   unmet_rights=[{"right": "aide_logement", "form": "non_demande", "reason": "complexite",
                                  "action": "simulation", "follow_up_on": (today + timedelta(days=14)).isoformat()}])
    created = post(client, headers, body)
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert (data["counsellor_id"], data["structure_id"]) == (user.id, user.structures[0].id)
    assert data["age_band"] == "vingt_cinq_trente_neuf"
    assert data["profile"] == body["profile"]
    assert (data["procedures"], data["precision"], data["referral"]) == (["logement"], "Demande APL", "aide_sociale")
    right = data["unmet_rights"][0]
    assert (right["right"], right["outcome"], right["detected_on"]) == ("aide_logement", "repere", today.isoformat())
    assert data["created_at"]
    assert client.get(f"/api/v1/help-sessions/{data['id']}", headers=headers).get_json() == data
    listed = client.get("/api/v1/help-sessions", headers=headers).get_json()
    assert (listed["total"], listed["page"], listed["per_page"]) == (1, 1, 50)
    assert listed["items"] == [data]


def test_list_filters_and_pagination(client, me, today):
    user, headers = me
    help_session(user, date=today - timedelta(days=10), themes=["sante"])
    help_session(user, date=today, type="collectif", title="Atelier", participants={"total": 3},
                 participants_total=3, themes=["email"])
    db.session.commit()

    def ids(query: str) -> int:
        return client.get(f"/api/v1/help-sessions?{query}", headers=headers).get_json()["total"]

    assert ids(f"date_from={today - timedelta(days=1)}") == 1
    assert ids(f"date_to={today - timedelta(days=1)}") == 1
    assert ids("type=collectif") == 1
    assert ids("theme=sante") == 1
    assert ids("theme=email&type=individuel") == 0
    page = client.get("/api/v1/help-sessions?per_page=1&page=2", headers=headers).get_json()
    older = (today - timedelta(days=10)).isoformat()
    assert (page["total"], len(page["items"]), page["items"][0]["date"]) == (2, 1, older)
    for query, field in (("per_page=201", "per_page"), ("type=groupe", "type"), ("theme=x", "theme"),
                         ("date_from=hier", "date_from")):
        assert field in fields_of(client.get(f"/api/v1/help-sessions?{query}", headers=headers))


@pytest.mark.parametrize(("fields", "path"), [
    ({"duration_minutes": -15}, "duration_minutes"),
    ({"duration_minutes": 1800}, "duration_minutes"),
    ({"duration_minutes": 0}, "duration_minutes"),
    ({"duration_minutes": None}, "duration_minutes"),
    ({"duration_minutes": "trente"}, "duration_minutes"),
    ({"duration_minutes": 30.5}, "duration_minutes"),
    ({"duration_minutes": True}, "duration_minutes"),
    ({"duration_minutes": [30]}, "duration_minutes"),
    ({"duration_minutes": 10**40}, "duration_minutes"),
    ({"date": None}, "date"),
    ({"date": "2026-02-30"}, "date"),
    ({"date": "2019-12-31"}, "date"),
    ({"date": 20260101}, "date"),
    ({"type": "groupe"}, "type"),
    ({"type": None}, "type"),
    ({"place_type": "bureau"}, "place_type"),
    ({"themes": []}, "themes"),
    ({"themes": ["cuisine"]}, "themes"),
    ({"themes": "email"}, "themes"),
    ({"themes": [{"code": "email"}]}, "themes"),
    ({"place_type": "lieu_activite"}, "help_point_id"),
    ({"place_type": "lieu_activite", "help_point_id": 2**31 - 1}, "help_point_id"),
    ({"place_type": "lieu_activite", "help_point_id": 2**40}, "help_point_id"),
    ({"place_type": "domicile"}, "commune_code"),
    ({"place_type": "autre", "commune_code": "8619"}, "commune_code"),
    ({"place_type": "autre", "commune_code": "2C123"}, "commune_code"),
    ({"commune_code": 86194}, "commune_code"),
    ({"district_id": 999}, "district_id"),
    ({"procedures": ["logement"]}, "procedures"),
    ({"precision": "CAF"}, "precision"),
    ({"themes": ["aide_aux_demarches_administratives"], "procedures": ["voyage"]}, "procedures"),
    ({"themes": ["aide_aux_demarches_administratives"], "precision": "x" * 301}, "precision"),
    ({"equipment": ["robot"]}, "equipment"),
    ({"equipment": ["aucun", "telephone"]}, "equipment"),
    ({"autonomy": "total"}, "autonomy"),
    ({"outcome": "fini"}, "outcome"),
    ({"outcome": "oriente_vers_structure"}, "referral"),
    ({"outcome": "finalisee", "referral": "aide_sociale"}, "referral"),
    ({"referral": "mairie", "outcome": "oriente_vers_structure"}, "referral"),
    ({"resident_id": 999}, "resident_id"),
    ({"resident_id": "abc"}, "resident_id"),
    ({"appointment_id": 999}, "appointment_id"),
    ({"walk_in_id": 999}, "walk_in_id"),
    ({"profile": ["1980"]}, "profile"),
    ({"profile": {"birth_year": 1800}}, "profile.birth_year"),
    ({"profile": {"birth_year": 3000}}, "profile.birth_year"),
    ({"profile": {"birth_year": "19x0"}}, "profile.birth_year"),
    ({"profile": {"gender": "autre"}}, "profile.gender"),
    ({"profile": {"social_status": "etudiant"}}, "profile.social_status"),
    ({"profile": {"first_visit": "maybe"}}, "profile.first_visit"),
    ({"participants": {"total": 3}}, "participants"),
    ({"title": "Atelier"}, "title"),
    ({"level": "debutant"}, "level"),
    ({"unmet_rights": {"right": "rsa"}}, "unmet_rights"),
    ({"unmet_rights": ["rsa"]}, "unmet_rights.0"),
])
def test_each_rule_names_its_field(client, me, today, fields, path):
    assert path in fields_of(post(client, me[1], payload(today, **fields)))


def test_a_future_date_is_refused_with_a_clear_message(client, me, today):
    fields = fields_of(post(client, me[1], payload(today, date=(today + timedelta(days=1)).isoformat())))
    assert fields["date"] == "The date cannot be after today."
    assert fields_of(post(client, me[1], payload(today, duration_minutes=1800)))["duration_minutes"] == \
        "Give a number between 1 and 720."


def test_every_error_is_reported_at_once(client, me):
    fields = fields_of(client.post("/api/v1/help-sessions", json={"themes": []}, headers=me[1]))
    assert set(fields) == {"date", "duration_minutes", "type", "place_type", "themes"}
    assert fields["themes"] == "Choose at least one theme."


@pytest.mark.parametrize("body", [[], "x", None, 3])
def test_a_body_that_is_not_an_object_is_a_400(client, me, body):
    response = client.post("/api/v1/help-sessions", json=body, headers=me[1])
    assert response.status_code == 400
    assert "body" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(("right", "path"), [
    ({"form": "non_demande", "reason": "complexite"}, "unmet_rights.0.right"),
    ({"right": "loto", "form": "non_demande", "reason": "complexite"}, "unmet_rights.0.right"),
    ({"right": "rsa", "reason": "complexite"}, "unmet_rights.0.form"),
    ({"right": "rsa", "form": "non_demande"}, "unmet_rights.0.reason"),
    ({"right": "rsa", "form": "x", "reason": "complexite"}, "unmet_rights.0.form"),
    ({"right": "rsa", "form": "non_demande", "reason": "complexite", "situation": "x"}, "unmet_rights.0.situation"),
    ({"right": "rsa", "form": "non_demande", "reason": "complexite", "action": "x"}, "unmet_rights.0.action"),
    ({"right": "rsa", "form": "non_demande", "reason": "complexite", "outcome": "x"}, "unmet_rights.0.outcome"),
    ({"right": "rsa", "form": "non_demande", "reason": "complexite", "outcome": "ouvert"}, "unmet_rights.0.opened_on"),
    ({"right": "rsa", "form": "non_demande", "reason": "complexite", "follow_up_on": "demain"},
     "unmet_rights.0.follow_up_on"),
    ({"right": "rsa", "form": "non_demande", "reason": "complexite", "follow_up_on": "2020-01-01"},
     "unmet_rights.0.follow_up_on"),
    ({"right": "rsa", "form": "non_demande", "reason": "complexite", "filed_on": "2099-01-01"},
     "unmet_rights.0.filed_on"),
    ({"right": "rsa", "form": "non_demande", "reason": "complexite", "closed_on": "2020-01-01"},
     "unmet_rights.0.closed_on"),
    ({"right": "rsa", "form": "non_demande", "reason": "complexite", "id": 5}, "unmet_rights.0.id"),
])
def test_each_unmet_right_rule_names_its_field(client, me, today, right, path):
    body = payload(today, unmet_rights=[{"right": "aah", "form": "non_connaissance", "reason": "langue"}, right])
    fields = fields_of(post(client, me[1], body))
    assert path.replace(".0.", ".1.") in fields
    assert not any(name.startswith("unmet_rights.0") for name in fields)


def test_a_filed_claim_defaults_to_the_session_date_and_the_city_adds_rights(app, client, me, today):
    app.config["UNMET_RIGHTS_EXTRA"] = "pass_culture:Pass culture, BAD CODE:x"
    body = payload(today, date=(today - timedelta(days=3)).isoformat(),
                   unmet_rights=[{"right": "pass_culture", "form": "non_demande", "reason": "complexite",
                                  "outcome": "deposee", "follow_up_on": (today + timedelta(days=30)).isoformat()}])
    created = post(client, me[1], body)
    assert created.status_code == 201, created.get_json()
    right = created.get_json()["unmet_rights"][0]
    assert (right["right"], right["filed_on"]) == ("pass_culture", (today - timedelta(days=3)).isoformat())


def test_place_rules_and_derived_district_and_structure(client, me, today):
    user, headers = me
    district = factories.district()
    structure = user.structures[0]
    point = factories.help_point(district_id=district.id, structure_id=structure.id)
    closed = factories.help_point(is_active=False)
    db.session.commit()
    at_point = post(client, headers, payload(today, place_type="lieu_activite", help_point_id=point.id))
    assert at_point.status_code == 201, at_point.get_json()
    assert (at_point.get_json()["district_id"], at_point.get_json()["structure_id"]) == (district.id, structure.id)
    assert "help_point_id" in fields_of(post(client, headers, payload(today, place_type="lieu_activite",
                                                                        help_point_id=closed.id)))
    home = post(client, headers, payload(today, place_type="domicile", commune_code="2a004", commune_name="Ajaccio"))
    assert home.status_code == 201, home.get_json()
    assert (home.get_json()["commune_code"], home.get_json()["district_id"]) == ("2A004", None)


def test_resident_district_comes_first(client, me, today):
    user, headers = me
    home_district, point_district = factories.district(), factories.district()
    person = resident(district_id=home_district.id)
    point = factories.help_point(district_id=point_district.id)
    db.session.commit()
    body = payload(today, place_type="lieu_activite", help_point_id=point.id, resident_id=person.id)
    assert post(client, headers, body).get_json()["district_id"] == home_district.id
    given = factories.district()
    db.session.commit()
    body = payload(today, place_type="lieu_activite", help_point_id=point.id, district_id=given.id)
    assert post(client, headers, body).get_json()["district_id"] == given.id


def test_collective_workshop_counts(client, me, today):
    headers = me[1]
    workshop = payload(today, type="collectif", title="Découvrir internet", level="debutant",
                       participants={"total": 8, "age_bands": {"soixante_dix_plus": 5, "soixante_soixante_neuf": 3},
                                     "genders": {"feminin": 6, "masculin": 1}})
    created = post(client, headers, workshop)
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert data["participants"] == {"total": 8, "age_bands": {"soixante_dix_plus": 5, "soixante_soixante_neuf": 3},
                                    "genders": {"feminin": 6, "masculin": 1}}
    assert (data["title"], data["level"], data["resident_id"], data["age_band"]) == \
        ("Découvrir internet", "debutant", None, "non_communique")
    assert db.session.get(HelpSession, data["id"]).participants_total == 8
    bad = [({"participants": {"total": 1}}, "participants.total"),
           ({"participants": None}, "participants.total"),
           ({"participants": {"total": "huit"}}, "participants.total"),
           ({"participants": {"total": 4, "genders": {"feminin": 3, "masculin": 2}}}, "participants.genders"),
           ({"participants": {"total": 4, "age_bands": {"centenaire": 1}}}, "participants.age_bands"),
           ({"participants": {"total": 4, "genders": {"feminin": -1}}}, "participants.genders.feminin"),
           ({"participants": {"total": 4, "genders": [1]}}, "participants.genders"),
           ({"title": ""}, "title"),
           ({"level": "expert"}, "level"),
           ({"profile": {"birth_year": 1950}}, "profile"),
           ({"resident_id": 1}, "resident_id"),
           ({"autonomy": "autonome"}, "autonomy")]
    for fields, path in bad:
        assert path in fields_of(post(client, headers, {**workshop, **fields})), fields


def test_links_to_appointments_are_checked(client, me, today):
    user, headers = me
    other = factories.user()
    mine = appointment(user, f"{today.isoformat()} 09:00", status="attended")
    theirs = appointment(other, f"{today.isoformat()} 10:00")
    db.session.commit()
    first = post(client, headers, payload(today, appointment_id=mine.id, resident_id=mine.resident_id))
    assert first.status_code == 201, first.get_json()
    again = fields_of(post(client, headers, payload(today, appointment_id=mine.id)))
    assert again["appointment_id"] == "A session is already logged for this appointment."
    assert "appointment_id" in fields_of(post(client, headers, payload(today, appointment_id=theirs.id)))
    # Deleting the session frees the appointment.
    assert client.delete(f"/api/v1/help-sessions/{first.get_json()['id']}", headers=headers).status_code == 204
    assert post(client, headers, payload(today, appointment_id=mine.id)).status_code == 201


def test_patch_is_partial_and_audited(client, me, today):
    user, headers = me
    created = post(client, headers, payload(today, profile={"birth_year": 1950, "gender": "masculin"},
                                            unmet_rights=[{"right": "rsa", "form": "non_demande",
                                                           "reason": "complexite"}])).get_json()
    url = f"/api/v1/help-sessions/{created['id']}"
    right_id = created["unmet_rights"][0]["id"]
    changed = client.patch(url, json={"duration_minutes": 45, "profile": {"social_status": "retraite"},
                                      "unmet_rights": [{"id": right_id, "outcome": "deposee"},
                                                       {"right": "aspa", "form": "non_connaissance",
                                                        "reason": "manque_information"}]}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    data = changed.get_json()
    assert data["duration_minutes"] == 45
    assert data["profile"] == {"birth_year": 1950, "gender": "masculin", "social_status": "retraite",
                               "first_visit": None}
    assert [(r["id"] == right_id, r["right"], r["outcome"]) for r in data["unmet_rights"]] == \
        [(True, "rsa", "deposee"), (False, "aspa", "repere")]
    assert data["unmet_rights"][0]["filed_on"] == today.isoformat()
    rows = audit_of(created["id"])
    assert [row.action for row in rows] == ["created", "updated"]
    changes = rows[1].changes
    assert changes["duration_minutes"] == [30, 45]
    assert changes["social_status"] == ["non_communique", "retraite"]
    before, after = changes["unmet_rights"]
    assert [entry.split(":")[0] for entry in before] == ["rsa"]
    assert sorted(entry.split(":")[0] for entry in after) == ["aspa", "rsa"]
    assert ":repere:" in before[0]
    assert any(entry.startswith("rsa:") and ":deposee:" in entry for entry in after)
    bad = client.patch(url, json={"duration_minutes": -5, "themes": ["x"]}, headers=headers)
    assert set(fields_of(bad)) == {"duration_minutes", "themes"}
    removed = client.patch(url, json={"unmet_rights": []}, headers=headers).get_json()
    assert removed["unmet_rights"] == []


def test_free_text_is_never_copied_into_the_audit(client, me, today):
    headers = me[1]
    body = payload(today, themes=["aide_aux_demarches_administratives"], precision="Dossier de M. Dupont")
    created = post(client, headers, body).get_json()
    client.patch(f"/api/v1/help-sessions/{created['id']}", json={"precision": "Dossier de Mme Durand"},
                 headers=headers)
    row = audit_of(created["id"])[-1]
    assert row.action == "updated"
    assert row.changes == {"precision": ["…", "…"]}
    assert not {"Dupont", "Durand"} & set(str(row.changes).split())


def test_visibility_own_structure_and_others(client, me, today):
    user, headers = me
    colleague = factories.user(structures=["Médiathèque"])
    stranger = factories.user(structures=["Centre social"])
    own = help_session(user)
    colleagues = help_session(colleague)
    strangers = help_session(stranger)
    deleted = help_session(user, deleted_at=utcnow())
    db.session.commit()
    listed = client.get("/api/v1/help-sessions", headers=headers).get_json()
    assert {item["id"] for item in listed["items"]} == {own.id, colleagues.id}
    assert client.get(f"/api/v1/help-sessions/{colleagues.id}", headers=headers).status_code == 200
    for hidden in (strangers.id, deleted.id, 2**31 - 1):
        response = client.get(f"/api/v1/help-sessions/{hidden}", headers=headers)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/help-sessions/99999999999", headers=headers).status_code == 404
    refused = client.patch(f"/api/v1/help-sessions/{colleagues.id}", json={"duration_minutes": 20}, headers=headers)
    assert refused.status_code == 403
    assert client.delete(f"/api/v1/help-sessions/{colleagues.id}", headers=headers).status_code == 403
    assert client.patch(f"/api/v1/help-sessions/{strangers.id}", json={}, headers=headers).status_code == 404


@pytest.mark.parametrize("role", ["phone_agent", "manager", "admin"])
def test_other_roles_are_refused(client, role, today):
    headers = bearer(factories.user(role=role))
    assert client.get("/api/v1/help-sessions", headers=headers).status_code == 403
    assert client.post("/api/v1/help-sessions", json=payload(today), headers=headers).status_code == 403
    assert client.get("/api/v1/vocabularies", headers=headers).status_code == 200


def test_anonymous_is_refused(client, today):
    assert client.get("/api/v1/help-sessions").status_code == 401
    assert client.post("/api/v1/help-sessions", json=payload(today)).status_code == 401
    assert client.get("/api/v1/vocabularies").status_code == 401


def test_vocabularies_have_french_and_english_labels(app, client, me):
    app.config["UNMET_RIGHTS_EXTRA"] = "pass_culture:Pass culture"
    data = client.get("/api/v1/vocabularies", headers=me[1]).get_json()
    themes = {item["code"]: item for item in data["themes"]}
    assert themes["aide_aux_demarches_administratives"]["label_en"] == "Help with administrative procedures"
    procedures = {item["code"]: item for item in data["procedures"]}
    assert (procedures["logement"]["label_fr"], procedures["logement"]["label_en"]) == ("Logement", "Housing")
    assert [item["code"] for item in data["rights"]][-1] == "pass_culture"
    for name in ("session_types", "place_types", "procedures", "equipment", "autonomy", "session_outcomes",
                 "referrals", "workshop_levels", "genders", "social_statuses", "age_bands", "right_situations",
                 "non_take_up_forms", "non_take_up_reasons", "right_actions", "right_outcomes", "needs"):
        assert data[name], name
        assert all(set(item) == {"code", "label_fr", "label_en"} for item in data[name]), name
