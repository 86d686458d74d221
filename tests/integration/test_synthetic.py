"""`flask generate-synthetic`: the city-scale generator, run here at a tiny scale."""

import sqlalchemy as sa

from inclusion_app import synthetic
from inclusion_app.extensions import db
from inclusion_app.models import (
    Appointment,
    HelpPoint,
    HelpSession,
    OutboundMessage,
    Resident,
    UnmetRight,
    User,
    WalkIn,
)


def test_generates_every_kind_of_row_and_refuses_a_second_run(app, monkeypatch):
    tiny = synthetic.Scale(help_points=4, counsellors=4, phone_agents=1, managers=1, admins=1, residents=60,
                           appointments=300, help_sessions=400, messages=200, walk_ins=50, years=1)
    monkeypatch.setitem(synthetic.SCALES, "city", tiny)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["generate-synthetic", "--scale", "city"])
    assert result.exit_code == 0, result.output
    assert "appointments: 300" in result.output
    count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
    assert (count(HelpPoint), count(User), count(Resident), count(Appointment)) == (4, 7, 60, 300)
    statuses = set(db.session.scalars(sa.select(Appointment.status).distinct()))
    assert {"attended", "booked"} <= statuses
    assert (count(HelpSession), count(OutboundMessage), count(WalkIn)) == (400, 200, 50)
    assert count(UnmetRight) > 0
    assert set(db.session.scalars(sa.select(OutboundMessage.channel).distinct())) == {"sms", "email"}
    statuses = set(db.session.scalars(sa.select(HelpSession.social_status).distinct()))
    assert {"retraite", "en_emploi"} <= statuses  # by age, not drawn at random
    linked = db.session.scalar(sa.select(sa.func.count()).where(HelpSession.appointment_id.is_not(None)))
    assert 0 < linked <= 120  # at most 30 % come from attended appointments
    again = runner.invoke(args=["generate-synthetic", "--scale", "city"])
    assert again.exit_code != 0
    assert "already in this database" in again.output
