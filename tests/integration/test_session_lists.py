"""The help-session lists of counsellors (issue 6): the history (filters, pages, bounded
queries, who reads and who edits), delete and restore, the follow-up list of unmet rights, and the
statistics on a small hand-made data set whose right answers are written in the tests.

Interface texts are checked in English (language cookie). "Today" is frozen at TODAY.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import HelpSessionChange, UnmetRight, User
from inclusion_app.sessions import pages, stats
from tests import factories
from tests.scheduling_factories import resident
from tests.session_page_helpers import (
    TODAY,
    counsellor,
    get,
    post,
)
from tests.session_page_helpers import colleagues as make_colleagues
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


@pytest.fixture
def colleagues(me: User) -> tuple[User, User]:
    return make_colleagues()


def test_history_lists_mine_and_my_structures_with_filters(english: Any, me: User, colleagues: Any) -> None:
    mate, stranger = colleagues
    mine = help_session(me, date=date(2026, 11, 2), themes=["email"], outcome="finalisee")
    admin = help_session(me, date=date(2026, 11, 10), themes=["aide_aux_demarches_administratives"],
                         procedures=["logement"], type="individuel")
    unmet_right(admin)
    workshop = help_session(me, date=date(2026, 10, 5), type="collectif", themes=["bureautique"],
                            participants={"total": 6}, participants_total=6, title="Tableur")
    theirs = help_session(mate, date=date(2026, 11, 3), themes=["sante"])
    hidden = help_session(stranger, date=date(2026, 11, 4), themes=["email"])
    db.session.commit()

    def ids(query: str) -> list[int]:
        html = get(english, f"/accompagnements/?{query}")
        return [int(found) for found in re.findall(r'href="/accompagnements/(\d+)"', html)]

    assert ids("") == [admin.id, hidden.id][:1] + [theirs.id, mine.id, workshop.id]
    assert hidden.id not in ids("")
    assert ids("scope=mine") == [admin.id, mine.id, workshop.id]
    assert ids("scope=structures") == [theirs.id]
    assert ids("theme=email") == [mine.id]
    assert ids("procedure=logement") == [admin.id]
    assert ids("type=collectif") == [workshop.id]
    assert ids("outcome=finalisee") == [mine.id]
    assert ids("with_rights=1") == [admin.id]
    assert ids("date_from=2026-11-01&date_to=2026-11-05") == [theirs.id, mine.id]
    response = english.get("/accompagnements/?theme=nope&date_from=hier")
    assert response.status_code == 400
    assert "Choose one of the options offered." in response.get_data(as_text=True)


def _queries_for(client: Any, path: str) -> int:
    count = 0

    def counter(*_args: Any) -> None:
        nonlocal count
        count += 1

    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        get(client, path)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)
    return count


def test_history_is_paginated_with_a_bounded_number_of_queries(english: Any, me: User) -> None:
    for day in range(3):
        unmet_right(help_session(me, date=date(2026, 11, 1 + day)))
    db.session.commit()
    few = _queries_for(english, "/accompagnements/")
    for day in range(22):
        unmet_right(help_session(me, date=date(2026, 10, 1 + day), place_type="lieu_activite",
                                 help_point_id=factories.help_point().id))
    db.session.commit()
    many = _queries_for(english, "/accompagnements/")
    assert many == few
    first = get(english, "/accompagnements/")
    assert "25 sessions" in first
    assert "Page 1 of 2" in first
    assert first.count('<th scope="row"><a href="/accompagnements/') == 20
    second = get(english, "/accompagnements/?page=2")
    assert second.count('<th scope="row"><a href="/accompagnements/') == 5


def test_who_reads_and_who_edits(app: Any, english: Any, me: User, colleagues: Any, login_as: Any) -> None:
    mate, stranger = colleagues
    mine, theirs, hidden = help_session(me), help_session(mate), help_session(stranger)
    db.session.commit()
    assert "Edit" in get(english, f"/accompagnements/{mine.id}")
    html = get(english, f"/accompagnements/{theirs.id}")
    assert f'href="/accompagnements/{theirs.id}/modifier"' not in html
    get(english, f"/accompagnements/{theirs.id}/modifier", 403)
    get(english, f"/accompagnements/{theirs.id}/supprimer", 403)
    get(english, f"/accompagnements/{hidden.id}", 404)
    get(english, f"/accompagnements/{hidden.id}/modifier", 404)
    get(english, "/accompagnements/99999", 404)
    english.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    login_as("manager")
    get(english, f"/accompagnements/{mine.id}", 403)
    get(english, "/accompagnements/", 403)



def test_delete_asks_to_confirm_then_hides_the_session_until_restored(english: Any, me: User) -> None:
    session = help_session(me)
    db.session.commit()
    confirm = get(english, f"/accompagnements/{session.id}/supprimer")
    assert "Delete the session" in confirm
    assert session.deleted_at is None
    post(english, f"/accompagnements/{session.id}/supprimer", {}, 302)
    db.session.refresh(session)
    assert session.deleted_at is not None
    assert f"/accompagnements/{session.id}\"" not in get(english, "/accompagnements/")
    assert f'href="/accompagnements/{session.id}"' in get(english, "/accompagnements/?scope=deleted")
    assert "Restore the session" in get(english, f"/accompagnements/{session.id}")
    post(english, f"/accompagnements/{session.id}/restaurer", {}, 302)
    db.session.refresh(session)
    assert session.deleted_at is None
    actions = db.session.scalars(sa.select(HelpSessionChange.action).where(HelpSessionChange.session_id == session.id))
    assert {"deleted", "restored"} <= set(actions)


# ---------------------------------------------------------------- follow-up


def test_the_follow_up_list_and_recording_an_outcome(english: Any, me: User, colleagues: Any) -> None:
    mate, stranger = colleagues
    session = help_session(me, date=date(2026, 11, 2))
    due = unmet_right(session, right="rsa", follow_up_on=date(2026, 11, 10))
    today = unmet_right(session, right="aah", follow_up_on=TODAY)
    unmet_right(session, right="aspa", follow_up_on=date(2026, 11, 25))  # not yet
    unmet_right(session, right="retraite", follow_up_on=date(2026, 11, 3), outcome="refuse",
                closed_on=date(2026, 11, 3))  # final
    mates = unmet_right(help_session(mate, date=date(2026, 11, 5)), right="cheque_energie", follow_up_on=TODAY)
    unmet_right(help_session(stranger, date=date(2026, 11, 5)), right="aide_locale", follow_up_on=TODAY)
    db.session.commit()

    html = get(english, "/accompagnements/suivi")
    shown = re.findall(r'action="/accompagnements/suivi/(\d+)', html)
    assert [int(found) for found in shown] == [due.id, today.id]  # a colleague's right: listed, no form
    assert f'id="r{mates.id}-h"' in html
    post(english, f"/accompagnements/suivi/{mates.id}", {"outcome": "inconnu"}, 403,
         token_from="/accompagnements/suivi")

    path = f"/accompagnements/suivi/{due.id}"
    response = post(english, path, {"outcome": "ouvert", "on": "", "follow_up_on": "2026-12-10"}, 400,
                    token_from="/accompagnements/suivi")
    page = response.get_data(as_text=True)
    assert f'id="r{due.id}-on-error"' in page
    assert 'value="2026-12-10"' in page
    post(english, path, {"outcome": "deposee", "on": "2026-11-18", "follow_up_on": "2026-12-10"}, 302,
         token_from="/accompagnements/suivi")
    db.session.refresh(due)
    assert (due.outcome, due.filed_on, due.follow_up_on) == ("deposee", date(2026, 11, 18), date(2026, 12, 10))
    assert f"/accompagnements/suivi/{due.id}" not in get(english, "/accompagnements/suivi")
    stranger_right = db.session.scalar(sa.select(UnmetRight.id).where(UnmetRight.right == "aide_locale"))
    post(english, f"/accompagnements/suivi/{stranger_right}", {"outcome": "inconnu"}, 404,
         token_from="/accompagnements/suivi")


# ---------------------------------------------------------------- statistics


@pytest.fixture
def activity_data(me: User, colleagues: Any) -> None:
    """November 2026: three individual sessions and one workshop of mine (4 hours in all); outside
    the figures: one of October, one deleted, one of a colleague."""
    mate, _stranger = colleagues
    first = help_session(me, date=date(2026, 11, 2), duration_minutes=30, themes=["email", "sante"],
                         outcome="finalisee", autonomy="autonome", age_band="soixante_dix_plus", gender="feminin")
    unmet_right(first, right="rsa")
    unmet_right(first, right="rsa", outcome="deposee", filed_on=date(2026, 11, 2))
    second = help_session(me, date=date(2026, 11, 9), duration_minutes=45,
                          themes=["aide_aux_demarches_administratives"], procedures=["logement", "social_sante"],
                          outcome="doit_revenir", age_band="soixante_dix_plus", gender="masculin")
    unmet_right(second, right="aah")
    help_session(me, date=date(2026, 11, 20), duration_minutes=45, themes=["email"], outcome="finalisee",
                 gender="feminin")
    help_session(me, date=date(2026, 11, 12), duration_minutes=120, type="collectif", themes=["bureautique"],
                 title="Tableur", participants={"total": 8}, participants_total=8)
    help_session(me, date=date(2026, 10, 31), duration_minutes=60, themes=["email"])
    help_session(me, date=date(2026, 11, 3), themes=["email"], deleted_at=datetime(2026, 11, 4, tzinfo=UTC))
    help_session(mate, date=date(2026, 11, 3), themes=["email"])
    db.session.commit()
    return


def test_statistics_of_a_period(me: User, activity_data: None) -> None:
    figures = stats.activity(me.id, date(2026, 11, 1), date(2026, 11, 30))
    assert figures.totals == stats.Totals(sessions=4, individual=3, collective=1, people=11, minutes=240)
    assert figures.totals.hours == 4.0
    assert figures.themes == {"email": 2, "aide_aux_demarches_administratives": 1, "bureautique": 1, "sante": 1}
    assert figures.procedures == {"logement": 1, "social_sante": 1}
    assert figures.outcomes == {"finalisee": 2, "doit_revenir": 1}
    assert figures.autonomy == {"autonome": 1}
    assert figures.age_bands == {"soixante_dix_plus": 2, "non_communique": 1}
    assert figures.genders == {"feminin": 2, "masculin": 1}
    assert figures.rights == {"aah": {"repere": 1}, "rsa": {"deposee": 1, "repere": 1}}


def test_the_statistics_page_defaults_to_this_month(english: Any, me: User, activity_data: None) -> None:
    html = get(english, "/accompagnements/statistiques")
    assert 'id="date_from" name="date_from" value="2026-11-01"' in html
    assert 'id="date_to" name="date_to" value="2026-11-30"' in html
    assert "<strong>4</strong> sessions (3 individual, 1 collective)" in html
    assert "<strong>11</strong> people accompanied" in html
    assert "<strong>4</strong> hours" in html
    october = get(english, "/accompagnements/statistiques?date_from=2026-10-01&date_to=2026-10-31")
    assert "<strong>1</strong> sessions" in october
    bad = english.get("/accompagnements/statistiques?date_from=2026-11-10&date_to=2026-11-01")
    assert bad.status_code == 400
    assert "The end of the period cannot be before its start." in bad.get_data(as_text=True)


@pytest.mark.parametrize("query", ["page=abc", "page=-3", "date_from=2026-02-30", "scope=everyone&type=x",
                                   "with_rights=maybe", "date_from=20260101"])
def test_odd_history_arguments_are_never_a_server_error(english: Any, me: User, query: str) -> None:
    assert english.get(f"/accompagnements/?{query}").status_code in (200, 400)
    assert english.get(f"/accompagnements/statistiques?{query}").status_code in (200, 400)


def test_the_follow_up_list_runs_a_bounded_number_of_queries(english: Any, me: User, colleagues: Any) -> None:
    mate, _stranger = colleagues
    unmet_right(help_session(me, date=date(2026, 11, 2), resident_id=resident().id), follow_up_on=TODAY)
    db.session.commit()
    few = _queries_for(english, "/accompagnements/suivi")
    for day in range(1, 12):
        owner = me if day % 2 else mate
        unmet_right(help_session(owner, date=date(2026, 11, day), resident_id=resident().id), follow_up_on=TODAY)
    db.session.commit()
    assert _queries_for(english, "/accompagnements/suivi") == few
    html = get(english, "/accompagnements/suivi")
    assert html.count('<section class="readback"') == 12
    assert html.count('action="/accompagnements/suivi/') == 7  # forms for one's own rights only
