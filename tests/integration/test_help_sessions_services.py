"""Rules of `sessions.services` that the pages rely on: derived structure, walk-in links, soft
delete and restore with their audit rows, the follow-up of an unmet right, edits over time."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import WalkIn
from inclusion_app.models.sessions import HelpSessionChange
from inclusion_app.models.types import utcnow
from inclusion_app.sessions import services
from tests import factories
from tests.sessions_factories import help_session, unmet_right

TODAY = date(2026, 11, 27)


def values(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"date": "2026-11-20", "duration_minutes": 30, "type": "individuel",
                            "place_type": "a_distance", "themes": ["email"]}
    return {**base, **fields}


def actions(session_id: int) -> list[str]:
    query = sa.select(HelpSessionChange.action).where(HelpSessionChange.session_id == session_id)
    return list(db.session.scalars(query.order_by(HelpSessionChange.id)))


def test_structure_is_the_help_points_when_the_counsellor_belongs_to_it(app):
    counsellor = factories.user(structures=["A", "B"])
    first, second = counsellor.structures
    point_of_b = factories.help_point(structure_id=second.id)
    other_structure = factories.user(structures=["C"]).structures[0]
    foreign_point = factories.help_point(structure_id=other_structure.id)
    at_b = services.create(values(place_type="lieu_activite", help_point_id=point_of_b.id), counsellor, TODAY)
    elsewhere = services.create(values(place_type="lieu_activite", help_point_id=foreign_point.id), counsellor, TODAY)
    assert (at_b.structure_id, elsewhere.structure_id) == (second.id, first.id)
    alone = factories.user()
    assert services.create(values(), alone, TODAY).structure_id is None


def test_walk_ins_link_once_and_only_at_ones_help_points(app):
    counsellor = factories.user(structures=["A"])
    mine = factories.help_point(structure_id=counsellor.structures[0].id)
    other = factories.help_point()
    here = WalkIn(help_point_id=mine.id, display_name="Ticket 4", status="served")
    there = WalkIn(help_point_id=other.id, display_name="Ticket 5", status="served")
    db.session.add_all([here, there])
    db.session.flush()
    services.create(values(walk_in_id=here.id), counsellor, TODAY)
    with pytest.raises(services.SessionError) as again:
        services.create(values(walk_in_id=here.id), counsellor, TODAY)
    assert again.value.fields["walk_in_id"] == "Un accompagnement est déjà enregistré pour ce passage sans rendez-vous."
    with pytest.raises(services.SessionError) as foreign:
        services.create(values(walk_in_id=there.id), counsellor, TODAY)
    assert set(foreign.value.fields) == {"walk_in_id"}


def test_delete_and_restore_are_audited_and_restore_checks_the_link(app):
    counsellor = factories.user()
    point = factories.help_point()
    walk_in = WalkIn(help_point_id=point.id, display_name="Ticket 1", status="served", counsellor_id=counsellor.id)
    db.session.add(walk_in)
    db.session.flush()
    session = services.create(values(walk_in_id=walk_in.id), counsellor, TODAY)
    services.delete(session, counsellor, utcnow())
    assert session.deleted_by_id == counsellor.id
    assert not services.can_read(counsellor, session)
    assert db.session.scalars(services.visible_sessions(counsellor)).all() == []
    services.restore(session, counsellor, utcnow())
    assert (session.deleted_at, actions(session.id)) == (None, ["created", "deleted", "restored"])
    services.delete(session, counsellor, utcnow())
    services.create(values(walk_in_id=walk_in.id), counsellor, TODAY)
    with pytest.raises(services.SessionError) as taken:
        services.restore(session, counsellor, utcnow())
    assert set(taken.value.fields) == {"walk_in_id"}


def test_only_the_author_edits_and_other_roles_read_nothing(app):
    author = factories.user(structures=["A"])
    colleague = factories.user(structures=["A"])
    manager = factories.user(role="manager", structures=["A"])
    session = help_session(author)
    assert services.can_read(colleague, session)
    assert (services.can_edit(author, session), services.can_edit(colleague, session)) == (True, False)
    assert not services.can_read(manager, session)
    assert db.session.scalars(services.visible_sessions(manager)).all() == []


def test_following_up_a_right(app):
    counsellor = factories.user()
    session = help_session(counsellor, date=date(2026, 11, 2))
    right = unmet_right(session, follow_up_on=date(2026, 11, 16))
    services.update_right(right, {"outcome": "deposee", "follow_up_on": "2026-12-15"}, counsellor, TODAY)
    assert (right.outcome, right.filed_on, right.follow_up_on) == ("deposee", TODAY, date(2026, 12, 15))
    services.update_right(right, {"outcome": "ouvert", "opened_on": "2026-11-27"}, counsellor, TODAY)
    assert (right.outcome, right.filed_on, right.opened_on) == ("ouvert", TODAY, TODAY)
    changes = db.session.scalars(sa.select(HelpSessionChange.changes).where(
        HelpSessionChange.session_id == session.id).order_by(HelpSessionChange.id)).all()
    assert changes[0][f"unmet_rights.{right.id}.outcome"] == ["repere", "deposee"]


@pytest.mark.parametrize(("fields", "path"), [
    ({"outcome": "ouvert"}, "opened_on"),
    ({"filed_on": "2026-11-01"}, "filed_on"),
    ({"closed_on": "2026-12-01"}, "closed_on"),
    ({"outcome": "gagne"}, "outcome"),
    ({"follow_up_on": ["2026-12-01"]}, "follow_up_on"),
    ({"filed_on": "2026-11-20", "opened_on": "2026-11-10"}, "opened_on"),
])
def test_follow_up_errors_name_the_field(app, fields, path):
    counsellor = factories.user()
    right = unmet_right(help_session(counsellor, date=date(2026, 11, 2)))
    with pytest.raises(services.SessionError) as error:
        services.update_right(right, fields, counsellor, TODAY)
    assert path in error.value.fields
    assert right.outcome == "repere"


def test_edits_keep_a_help_point_closed_since_and_follow_the_date(app):
    counsellor = factories.user()
    point = factories.help_point()
    session = services.create(values(place_type="lieu_activite", help_point_id=point.id, profile={"birth_year": 1966},
                                     unmet_rights=[{"right": "rsa", "form": "non_demande", "reason": "langue"}]),
                              counsellor, TODAY)
    point.is_active = False
    services.update(session, {"date": "2025-12-31"}, counsellor, TODAY)
    assert (session.help_point_id, session.age_band) == (point.id, "quarante_cinquante_neuf")
    assert session.unmet_rights[0].detected_on == date(2025, 12, 31)
    changes = db.session.scalars(sa.select(HelpSessionChange.changes).where(
        HelpSessionChange.action == "updated")).one()
    assert changes == {"date": ["2026-11-20", "2025-12-31"]}


def test_switching_to_a_workshop_must_clear_the_identity(app):
    counsellor = factories.user()
    session = services.create(values(profile={"birth_year": 1990}), counsellor, TODAY)
    with pytest.raises(services.SessionError) as error:
        services.update(session, {"type": "collectif", "title": "Atelier", "participants": {"total": 5}},
                        counsellor, TODAY)
    assert set(error.value.fields) == {"profile"}
    services.update(session, {"type": "collectif", "title": "Atelier", "participants": {"total": 5},
                              "profile": {"birth_year": None}}, counsellor, TODAY)
    assert (session.type, session.participants_total, session.age_band) == ("collectif", 5, "non_communique")


@pytest.mark.parametrize("bad", [{"profile": "1980"}, {"unmet_rights": "rsa"}, {"participants": 3},
                                 {"themes": None}, {"date": ["2026-11-20"]}, {"duration_minutes": "9" * 40}])
def test_bad_types_in_an_update_are_errors_not_crashes(app, bad):
    counsellor = factories.user()
    session = services.create(values(), counsellor, TODAY)
    with pytest.raises(services.SessionError) as error:
        services.update(session, bad, counsellor, TODAY)
    assert set(error.value.fields) == set(bad)
    assert session.duration_minutes == 30


def test_the_factory_makes_a_readable_session(app):
    counsellor = factories.user(structures=["A"])
    session = help_session(counsellor, date=TODAY - timedelta(days=1))
    data = services.to_dict(session)
    assert (data["date"], data["type"], data["structure_id"]) == ("2026-11-26", "individuel",
                                                                   counsellor.structures[0].id)


def test_a_claim_filed_on_a_right_already_recorded_defaults_to_today(app):
    counsellor = factories.user()
    session = services.create(values(unmet_rights=[{"right": "rsa", "form": "non_demande", "reason": "langue"},
                                                   {"right": "aah", "form": "non_demande", "reason": "langue",
                                                    "outcome": "deposee"}]), counsellor, TODAY)
    kept, new = session.unmet_rights
    assert new.filed_on == date(2026, 11, 20)
    services.update(session, {"unmet_rights": [{"id": kept.id, "outcome": "deposee"}, {"id": new.id}]},
                    counsellor, TODAY)
    assert (kept.filed_on, new.filed_on) == (TODAY, date(2026, 11, 20))


def test_the_api_list_runs_the_same_queries_for_3_or_30_sessions(app, client):
    from inclusion_app.auth.services import create_token

    counsellor = factories.user()
    headers = {"Authorization": f"Bearer {create_token(counsellor)}"}

    def queries_for(count: int) -> int:
        for _number in range(count):
            unmet_right(help_session(counsellor))
        db.session.commit()
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert client.get("/api/v1/help-sessions?per_page=200", headers=headers).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return len(statements)

    assert queries_for(3) == queries_for(27)


def test_a_new_help_point_derives_the_district_again_unless_one_is_given(app):
    counsellor = factories.user()
    north, south, chosen = factories.district(), factories.district(), factories.district()
    first = factories.help_point(district_id=north.id)
    second = factories.help_point(district_id=south.id)
    session = services.create(values(place_type="lieu_activite", help_point_id=first.id), counsellor, TODAY)
    assert session.district_id == north.id
    services.update(session, {"duration_minutes": 40}, counsellor, TODAY)
    assert session.district_id == north.id
    services.update(session, {"help_point_id": second.id}, counsellor, TODAY)
    assert session.district_id == south.id
    services.update(session, {"help_point_id": first.id, "district_id": chosen.id}, counsellor, TODAY)
    assert session.district_id == chosen.id
