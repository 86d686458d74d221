"""The admin pages of messages (issue 5), on SQLite and PostgreSQL: the outbox list with its
filters, masking, failure reasons and review actions; the failure banner; the SMS templates page.
Pages are read in English (`lang` cookie) so that the tests hold whatever the French catalog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from inclusion_app.extensions import db
from inclusion_app.models import OutboundMessage
from inclusion_app.models.types import utcnow
from tests.conftest import csrf_token_from
from tests.messaging_factories import count_queries, message


@pytest.fixture
def as_role(client, login_as):
    """`as_role(role)`: log the client in with that role, pages in English."""
    def log_in(role: str) -> FlaskClient:
        client.set_cookie("lang", "en")
        login_as(role)
        return client
    return log_in


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_admin_sees_messages_newest_first_with_numbers_in_clear(app, as_role) -> None:
    now = utcnow()
    message(recipient="+33612345678", body="older", created_at=now - timedelta(hours=2))
    message(recipient="+33698765432", body="newer", created_at=now)
    db.session.commit()
    html = page(as_role("admin"), "/messages/")
    assert "+33612345678" in html
    assert "+33698765432" in html
    assert html.index("+33698765432") < html.index("+33612345678")
    assert "2 messages" in html


def test_manager_sees_numbers_masked_and_no_text(app, as_role) -> None:
    message(recipient="+33612345678", body="Rappel secret")
    message(channel="email", recipient="nadia@example.org", body="Courriel")
    db.session.commit()
    html = page(as_role("manager"), "/messages/")
    assert "+33 6 •• •• •• 78" in html
    assert "n•••@example.org" in html
    assert "12345678" not in html
    assert "nadia" not in html
    assert "Rappel secret" not in html
    assert 'name="recipient"' not in html


@pytest.mark.parametrize("role", ["counsellor", "phone_agent"])
def test_desk_roles_cannot_read_the_outbox(app, as_role, role) -> None:
    assert as_role(role).get("/messages/").status_code == 403


def test_filters_by_status_channel_kind_and_recipient(app, as_role) -> None:
    message(status="failed", recipient="+33611111111")
    message(status="sent", recipient="+33622222222")
    message(status="failed", channel="email", recipient="a@example.org")
    message(status="failed", kind="confirmation", recipient="+33633333333")
    db.session.commit()
    client = as_role("admin")
    html = page(client, "/messages/?status=failed&channel=sms&kind=reminder")
    assert "+33611111111" in html
    assert "+33622222222" not in html
    assert "a@example.org" not in html
    assert "+33633333333" not in html
    html = page(client, "/messages/?recipient=06+22+22+22+22")
    assert "+33622222222" in html
    assert "+33611111111" not in html


def test_filters_by_local_creation_day(app, as_role) -> None:
    from tests.scheduling_factories import local
    message(recipient="+33611111111", created_at=local("2026-11-02 00:30"))  # 1 November 23:30 UTC
    message(recipient="+33622222222", created_at=local("2026-11-01 12:00"))
    db.session.commit()
    html = page(as_role("admin"), "/messages/?date_from=2026-11-02&date_to=2026-11-02")
    assert "+33611111111" in html
    assert "+33622222222" not in html


def test_bad_filters_show_errors_next_to_fields_not_500(app, as_role) -> None:
    client = as_role("admin")
    html = page(client, "/messages/?status=nonsense&date_from=2026-12-10&date_to=2026-12-01&recipient=hello")
    assert "Choose one of the options offered." in html
    assert "The last day must not be before the first day." in html
    assert "Enter a phone number or an email address." in html
    assert client.get("/messages/?date_from=not-a-date&page=-3").status_code == 200


def test_counts_by_status_ignore_the_status_filter(app, as_role) -> None:
    for status in ("failed", "failed", "sent", "review"):
        message(status=status)
    db.session.commit()
    html = page(as_role("admin"), "/messages/?status=sent")
    assert "<strong>2</strong> <a" in html  # failed
    assert "1 message" in html


def test_failure_reason_is_explained_in_plain_words(app, as_role) -> None:
    message(status="failed", error_code="21610", error_message="Attempt to send to unsubscribed recipient")
    message(status="undelivered", error_code="30003", error_message="Unreachable destination handset")
    db.session.commit()
    html = page(as_role("admin"), "/messages/")
    assert "Code 21610:" in html
    assert "Attempt to send to unsubscribed recipient" in html
    assert "The resident replied STOP" in html
    assert "switched off or out of coverage" in html


def test_pages_of_20_in_bounded_queries_whatever_the_data(app, as_role) -> None:
    client = as_role("admin")
    for _ in range(3):
        message()
    db.session.commit()
    few = count_queries(lambda: page(client, "/messages/"))
    for _ in range(62):
        message(status="review", error_code="21211")
    db.session.commit()
    many = count_queries(lambda: page(client, "/messages/"))
    assert many == few
    assert page(client, "/messages/").count('<tr id="message-') == 20
    assert page(client, "/messages/?page=4").count('<tr id="message-') == 5


def _review(client: FlaskClient, row: OutboundMessage, action: str) -> int:
    token = csrf_token_from(page(client, "/messages/"))
    return client.post(f"/messages/{row.id}/review", data={"action": action, "csrf_token": token}).status_code


def test_admin_marks_a_review_message_as_sent(app, as_role) -> None:
    row = message(status="review")
    db.session.commit()
    assert _review(as_role("admin"), row, "mark_sent") == 302
    db.session.refresh(row)
    assert row.status == "sent"
    assert row.sent_at is not None


def test_admin_sends_a_review_message_again_while_useful(app, as_role) -> None:
    row = message(status="review", due_at=utcnow() - timedelta(hours=1), claimed_by="worker-1")
    db.session.commit()
    assert _review(as_role("admin"), row, "send_again") == 302
    db.session.refresh(row)
    assert row.status == "pending"
    assert row.claimed_by is None
    assert abs((row.due_at - utcnow()).total_seconds()) < 60


def test_a_message_too_late_to_be_useful_is_not_sent_again(app, as_role) -> None:
    row = message(status="review", expires_at=utcnow() + timedelta(minutes=5))
    db.session.commit()
    client = as_role("admin")
    assert "Send message" not in page(client, "/messages/")
    assert _review(client, row, "send_again") == 302
    db.session.refresh(row)
    assert row.status == "review"


def test_only_review_rows_can_be_changed(app, as_role) -> None:
    row = message(status="failed")
    db.session.commit()
    assert _review(as_role("admin"), row, "mark_sent") == 302
    db.session.refresh(row)
    assert row.status == "failed"


def test_manager_cannot_act_on_review_rows(app, as_role) -> None:
    row = message(status="review")
    db.session.commit()
    client = as_role("manager")
    html = page(client, "/messages/")
    assert "Mark message" not in html
    token = csrf_token_from(page(client, "/login")) if "csrf_token" not in html else csrf_token_from(html)
    response = client.post(f"/messages/{row.id}/review", data={"action": "mark_sent", "csrf_token": token})
    assert response.status_code == 403
    db.session.refresh(row)
    assert row.status == "review"


def test_review_post_without_csrf_token_changes_nothing(app, as_role) -> None:
    row = message(status="review")
    db.session.commit()
    response = as_role("admin").post(f"/messages/{row.id}/review", data={"action": "mark_sent"})
    assert response.status_code == 400
    db.session.refresh(row)
    assert row.status == "review"


def _failures(failed: int, sent: int) -> None:
    for _ in range(failed):
        message(status="failed", error_code="30002")
    for _ in range(sent):
        message(status="sent")
    db.session.commit()


def test_a_burst_of_failures_shows_a_banner_to_admins_on_every_page(app, as_role) -> None:
    _failures(10, 9)
    client = as_role("admin")
    for path in ("/dashboard", "/admin/users"):
        html = page(client, path)
        assert "Many messages are failing." in html
        assert "/messages/?status=failed" in html


def test_no_banner_for_managers(app, as_role) -> None:
    _failures(10, 0)
    assert "Many messages are failing." not in page(as_role("manager"), "/dashboard")


@pytest.mark.parametrize(("failed", "sent"), [(9, 0), (10, 10), (30, 31)])
def test_no_banner_below_the_threshold(app, as_role, failed, sent) -> None:
    _failures(failed, sent)
    assert "Many messages are failing." not in page(as_role("admin"), "/dashboard")


def test_old_failures_show_no_banner(app, as_role) -> None:
    old = utcnow() - timedelta(hours=1)
    for _ in range(12):
        message(status="failed", updated_at=old, due_at=old)
    db.session.commit()
    assert "Many messages are failing." not in page(as_role("admin"), "/dashboard")


def test_templates_page_shows_each_template_with_its_counts(app, as_role) -> None:
    from tests import factories
    factories.help_point(nom="Médiathèque des Côteaux " * 5)
    db.session.commit()
    html = page(as_role("admin"), "/messages/templates")
    assert "translation catalogs" in html
    assert html.count("GSM-7") >= 16
    assert "UCS-2" not in html.split("Check a text")[0]
    assert "1 segment" in html
    assert "Coteaux" in html


def test_pasted_text_with_a_typographic_apostrophe_warns_of_ucs2(app, as_role) -> None:
    html = page(as_role("admin"), "/messages/templates?text=L%E2%80%99accueil+est+ouvert")
    assert "UCS-2" in html
    assert "Warning: ’ is not in the GSM-7 alphabet" in html
    assert "L&#39;accueil est ouvert" in html  # the GSM-7 writing offered


def test_pasted_text_over_the_limit_is_an_error_next_to_the_field(app, as_role) -> None:
    html = page(as_role("admin"), "/messages/templates?text=" + "x" * 1700)
    assert "At most 1600 characters." in html


@pytest.mark.parametrize("role", ["manager", "counsellor", "phone_agent"])
def test_templates_page_is_for_admins(app, as_role, role) -> None:
    assert as_role(role).get("/messages/templates").status_code == 403
