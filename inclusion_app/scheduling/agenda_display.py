"""How the desk's pages are drawn: their templates, their query arguments (`date`, `page`), and how
they write times, places and codes: local time (`TIMEZONE`) in the reader's language through
Flask-Babel (French first), labels of codes, phone numbers as people write them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as wall_time
from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from inclusion_app.lieux.display import phone_display, weekday_names
from inclusion_app.models import Appointment, HelpPoint
from inclusion_app.scheduling import agenda
from inclusion_app.scheduling.slots import local_zone
from inclusion_app.vocabularies import APPOINTMENT_STATUSES, MODES, NEEDS, PROCEDURES

TEMPLATES = "scheduling/agenda/"
#: Dates outside these years are refused in `?date=` (they would overflow, or make no sense).
FIRST_YEAR, LAST_YEAR = 2000, 2100

#: Possible endpoints of the appointment page (routes_booking), tried in order.
APPOINTMENT_ENDPOINTS = ("scheduling.appointment", "scheduling.appointment_detail")

WALK_IN_STATUSES = {
    "waiting": _l("Waiting"),
    "called": _l("Called"),
    "served": _l("Served"),
    "left": _l("Left"),
}


class Display:
    """Helpers given to the templates as `show`."""

    modes = MODES
    procedures = PROCEDURES
    needs = NEEDS
    statuses = APPOINTMENT_STATUSES
    walk_in_statuses = WALK_IN_STATUSES

    @staticmethod
    def time(moment: datetime) -> str:
        """A UTC instant as a local time of day, e.g. "09:00" (fr) or "9:00 AM" (en)."""
        return format_time(moment.astimezone(local_zone()), "short", rebase=False)

    def span(self, start: datetime, end: datetime) -> str:
        """Two instants as "09:00–09:30" in local time."""
        return f"{self.time(start)}–{self.time(end)}"

    @staticmethod
    def clock(moment: wall_time) -> str:
        """A wall-clock time of a weekly rule, e.g. "14:00"."""
        return format_time(moment, "short", rebase=False)

    @staticmethod
    def day(day: date) -> str:
        """A date in full, e.g. "lundi 4 janvier 2027"."""
        return format_date(day, "full")

    @staticmethod
    def short_day(day: date) -> str:
        """A date without the year, capitalised, e.g. "Lundi 4 janvier"."""
        text = format_date(day, "EEEE d MMMM")
        return text[:1].upper() + text[1:]

    @staticmethod
    def day_month(day: date) -> str:
        """A date without the year, within a sentence, e.g. "lundi 4 janvier"."""
        return format_date(day, "EEEE d MMMM")

    def when(self, moment: datetime) -> str:
        """A UTC instant as a local date and time, e.g. "lundi 4 janvier 2027 à 09:00"."""
        local = moment.astimezone(local_zone())
        return _("%(day)s at %(time)s", day=self.day(local.date()), time=self.time(moment))

    @staticmethod
    def weekday(number: int) -> str:
        """The name of a weekday, 0 = Monday."""
        return weekday_names()[number]

    @staticmethod
    def phone(e164: str | None) -> str:
        """A stored phone number as people write it, or "no phone"."""
        return phone_display(e164) or _("no phone")

    @staticmethod
    def minutes(count: int | None) -> str:
        """A duration in minutes, e.g. "12 min", or a dash when unknown."""
        return "–" if count is None else _("%(minutes)d min", minutes=count)

    @staticmethod
    def place(help_point: HelpPoint | None) -> str:
        """A help point's name, or "By phone" for none."""
        return help_point.nom if help_point is not None else str(MODES["phone"])

    def needs_of(self, appointment: Appointment) -> str:
        """The needs of an appointment, labelled (the interpreter's language added), or ""."""
        labels = [str(self.needs.get(need, need)) for need in appointment.needs or ()]
        if "interprete" in (appointment.needs or ()) and appointment.interpreter_language:
            labels.append(appointment.interpreter_language)
        return ", ".join(labels)

    @staticmethod
    def appointment_url(appointment_id: int) -> str:
        """The appointment's page (built by the booking pages, whichever name its endpoint has), or
        its plain path `/appointments/<id>`."""
        for endpoint in APPOINTMENT_ENDPOINTS:
            try:
                return url_for(endpoint, appointment_id=appointment_id)
            except BuildError:
                continue
        return f"/appointments/{appointment_id}"

    @staticmethod
    def help_session_url(walk_in_id: int) -> str:
        """The page to log the help session of a served walk-in."""
        return url_for("sessions.new", walk_in_id=walk_in_id)


def help_sessions_of(column: str, ids: list[int]) -> dict[int, int]:
    """{appointment or walk-in id: id of its help session} for those already logged (`column` is
    "appointment_id" or "walk_in_id"). One query."""
    from inclusion_app.sessions.pages import sessions_by_link

    return sessions_by_link(column, ids)


def render_page(template: str, **context: Any) -> str:
    """Render a template of `templates/scheduling/agenda/` with `show` (a Display), `now` (UTC) and
    the steps `one_day` and `one_week`."""
    return render_template(TEMPLATES + template, show=Display(), now=agenda.now(), one_day=timedelta(days=1),
                           one_week=timedelta(days=7), **context)


def day_argument() -> date:
    """The `date` query argument (YYYY-MM-DD), or today (local) when absent; today with a warning
    when invalid or outside 2000-2100."""
    text = request.args.get("date", "").strip()
    today = agenda.local_date(agenda.now())
    if not text:
        return today
    try:
        day: date | None = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        flash(_("This date is not valid: today is shown. Use a date such as 2026-12-01."), "warning")
        return today
    return day
