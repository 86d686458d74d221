"""The main menu: which pages each role reaches from every page (labels via the catalogs)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

ALL = ("counsellor", "phone_agent", "manager", "admin")


@dataclass(frozen=True)
class NavItem:
    """A menu entry: its endpoint, label, roles, and the endpoints under which it is current."""

    endpoint: str
    label: object
    roles: tuple[str, ...]
    prefix: str | tuple[str, ...] = ""


MENU = (
    NavItem("main.dashboard", _l("Home"), ALL),
    NavItem("scheduling.booking_start", _l("Book an appointment"), ("counsellor", "phone_agent"),
            ("scheduling.booking", "scheduling.appointment_")),
    NavItem("scheduling.agenda_day", _l("Agenda"), ("counsellor", "phone_agent"), "scheduling.agenda"),
    NavItem("scheduling.walk_ins", _l("Walk-ins"), ("counsellor",), "scheduling.walk_in"),
    NavItem("sessions.history", _l("Help sessions"), ("counsellor",),
            ("sessions.history", "sessions.new", "sessions.detail", "sessions.edit", "sessions.delete",
             "sessions.statistics")),
    NavItem("sessions.follow_up", _l("To follow up"), ("counsellor",), "sessions.follow_up"),
    NavItem("scheduling.rebooking", _l("To rebook"), ("phone_agent",)),
    NavItem("messages.to_call_list", _l("To call"), ("phone_agent",)),
    NavItem("scheduling.absences", _l("Absences"), ("counsellor", "manager", "admin"), "scheduling.absence"),
    NavItem("scheduling.closures", _l("Closures"), ("manager", "admin"), "scheduling.closure"),
    NavItem("lieux.help_points", _l("Help points"), ALL, "lieux.help_point"),
    NavItem("lieux.manage_list", _l("Manage help points"), ("manager", "admin"), "lieux.manage_"),
    NavItem("reports.coverage_page", _l("Reports"), ("manager", "admin"), "reports."),
    NavItem("territory.districts", _l("Districts"), ("manager", "admin")),
    NavItem("messages.outbox", _l("Messages"), ("manager", "admin"), "messages.outbox"),
    NavItem("messages.templates", _l("Message templates"), ("admin",)),
    NavItem("admin.users", _l("Staff accounts"), ("admin",)),
)


def menu_items() -> list[tuple[NavItem, bool]]:
    """The entries of the logged-in user's menu, each with whether it is the current page."""
    if not current_user.is_authenticated:
        return []
    endpoint = request.endpoint or ""
    return [(item, endpoint == item.endpoint or bool(item.prefix) and endpoint.startswith(item.prefix))
            for item in MENU
            if current_user.role in item.roles and item.endpoint in current_app.view_functions]
