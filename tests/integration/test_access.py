"""Deny by default: walk every route of the app and check who may reach it (DESIGN.md section 5)."""

import re

import pytest

from inclusion_app.security import view_access

ALL_STAFF = {"counsellor", "phone_agent", "manager", "admin"}
ABSENCES = {"counsellor", "manager", "admin"}
BOOKERS = {"counsellor", "phone_agent"}

# Every non-public endpoint with the roles allowed. A new endpoint must be added here, so
# that its access is decided on purpose (test_every_endpoint_is_listed fails otherwise).
EXPECTED_ROLES = {
    "main.dashboard": ALL_STAFF,
    "auth.logout": ALL_STAFF,
    "admin.users": {"admin"},
    "admin.unlock_login": {"admin"},
    "territory.districts": {"manager", "admin"},
    "api.me": ALL_STAFF,
    "lieux.manage_list": {"manager", "admin"},
    "lieux.manage_new": {"manager", "admin"},
    "lieux.manage_edit": {"manager", "admin"},
    "lieux.manage_deactivate": {"manager", "admin"},
    "lieux.manage_reactivate": {"manager", "admin"},
    "lieux.manage_duplicates": {"manager", "admin"},
    "lieux.manage_merge": {"manager", "admin"},
    "lieux.manage_dismiss": {"manager", "admin"},
    "api.residents_list": {"counsellor", "phone_agent", "admin"},
    "api.residents_create": {"counsellor", "phone_agent", "admin"},
    "api.residents_get": {"counsellor", "phone_agent", "admin"},
    "api.residents_update": {"counsellor", "phone_agent", "admin"},
    "api.slots_search": ALL_STAFF,
    "api.appointments_create": {"counsellor", "phone_agent"},
    "api.appointments_list": {"counsellor", "phone_agent"},
    "api.appointments_get": {"counsellor", "phone_agent"},
    "api.appointments_update": {"counsellor", "phone_agent"},
    "api.reports_coverage": {"manager", "admin"},
    "api.reports_unmet_rights": {"manager", "admin"},
    "api.reports_activity": {"manager", "admin"},
    "reports.coverage_page": {"manager", "admin"},
    "reports.unmet_rights_page": {"manager", "admin"},
    "reports.activity_page": {"manager", "admin"},
    "reports.table_csv": {"manager", "admin"},
    "scheduling.booking_start": BOOKERS,
    "scheduling.booking_create_resident": BOOKERS,
    "scheduling.booking_resident_edit": BOOKERS,
    "scheduling.booking_use_existing": BOOKERS,
    "scheduling.booking_need": BOOKERS,
    "scheduling.booking_slots": BOOKERS,
    "scheduling.booking_book": BOOKERS,
    "scheduling.appointment_detail": BOOKERS,
    "scheduling.appointment_status": BOOKERS,
    "scheduling.appointment_move": BOOKERS,
    "scheduling.appointment_slip": BOOKERS,
    "scheduling.agenda_day": {"counsellor", "phone_agent"},
    "scheduling.agenda_week": {"counsellor", "phone_agent"},
    "scheduling.agenda_set_status": {"counsellor"},
    "scheduling.help_point_day": {"counsellor", "phone_agent"},
    "scheduling.walk_ins": {"counsellor"},
    "scheduling.walk_in_add": {"counsellor"},
    "scheduling.walk_in_call_next": {"counsellor"},
    "scheduling.walk_in_status": {"counsellor"},
    "scheduling.absences": ABSENCES,
    "scheduling.absence_new": ABSENCES,
    "scheduling.absence": ABSENCES,
    "scheduling.absence_delete": ABSENCES,
    "scheduling.closures": {"manager", "admin"},
    "scheduling.closure_new": {"manager", "admin"},
    "scheduling.closure": {"manager", "admin"},
    "scheduling.closure_delete": {"manager", "admin"},
    "scheduling.rebooking": {"phone_agent"},
    "scheduling.calendar": {"counsellor"},
    "scheduling.calendar_regenerate": {"counsellor"},
    "scheduling.calendar_revoke": {"counsellor"},
    "messages.outbox": {"admin", "manager"},
    "messages.review": {"admin"},
    "messages.templates": {"admin"},
    "messages.to_call_list": {"phone_agent"},
    "messages.record_call": {"phone_agent"},
    "api.help_sessions_list": {"counsellor"},
    "api.help_sessions_create": {"counsellor"},
    "api.help_sessions_get": {"counsellor"},
    "api.help_sessions_update": {"counsellor"},
    "api.help_sessions_delete": {"counsellor"},
    "api.vocabularies": ALL_STAFF,
    "sessions.export": {"counsellor"},
    "sessions.new": {"counsellor"},
    "sessions.detail": {"counsellor"},
    "sessions.edit": {"counsellor"},
    "sessions.delete": {"counsellor"},
    "sessions.restore": {"counsellor"},
    "sessions.history": {"counsellor"},
    "sessions.follow_up": {"counsellor"},
    "sessions.follow_up_update": {"counsellor"},
    "sessions.statistics": {"counsellor"},
}
PUBLIC = {"static", "main.home", "main.set_language", "main.health", "auth.login", "api.openapi",
          "api.districts_geojson", "api.lieux_json", "api.lieux_csv", "api.lieux_geojson",
          "lieux.help_points", "lieux.help_point_map", "lieux.help_point", "scheduling.calendar_feed",
          "scheduling.resident_appointment", "webhooks.twilio_status", "webhooks.twilio_inbound"}


def concrete_path(rule):
    """A path for a rule, with each variable replaced by a plausible value."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "1" if "id" in m.group(1) else "x", rule.rule)


def non_public_rules(app):
    return [rule for rule in app.url_map.iter_rules() if not view_access(rule.endpoint)[0]]


def request_as_is(client, rule):
    method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS", "HEAD"})[0]
    return client.open(concrete_path(rule), method=method)


def test_every_endpoint_is_listed(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - PUBLIC - set(EXPECTED_ROLES) == set()
    marked_public = {endpoint for endpoint in endpoints if view_access(endpoint)[0]}
    assert marked_public == PUBLIC


def test_anonymous_is_refused_everything_not_public(app, client):
    for rule in non_public_rules(app):
        response = request_as_is(client, rule)
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, rule.rule
            assert response.get_json()["error"]["code"] == "unauthorized"
        else:
            assert response.status_code == 302, rule.rule
            assert response.headers["Location"].startswith("/login?next="), rule.rule


@pytest.mark.parametrize("role", sorted(ALL_STAFF))
def test_each_role_is_refused_what_it_is_not_given(app, client, login_as, role):
    login_as(role)
    for rule in non_public_rules(app):
        if rule.endpoint == "auth.logout":
            continue  # would end the session; checked in test_auth
        response = request_as_is(client, rule)
        if role in EXPECTED_ROLES[rule.endpoint]:
            assert response.status_code not in (401, 403), (role, rule.rule)
        else:
            assert response.status_code == 403, (role, rule.rule)


def test_an_unmarked_view_is_refused_even_to_an_admin(app, client, login_as):
    app.add_url_rule("/unmarked", "unmarked", lambda: "secret")
    login_as("admin")
    assert client.get("/unmarked").status_code == 403

