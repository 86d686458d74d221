"""The emails sent to residents: subject and plain-text body, in the current locale.

Called by `texts.render` inside `force_locale(resident's language)`. The body says when, where
(name and full address, or that a counsellor will call), the phone numbers, what to bring
(`scheduling.documents.documents_to_bring`) and how to cancel (the signed link of
`scheduling.links`, built from `PUBLIC_BASE_URL`, or by phone).
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from inclusion_app.lieux.display import phone_display
from inclusion_app.models import Appointment
from inclusion_app.scheduling.documents import documents_to_bring
from inclusion_app.scheduling.links import resident_link
from inclusion_app.scheduling.slots import local_zone


def render_email(kind: str, appointment: Appointment, previous_start: datetime | None) -> tuple[str, str]:
    """(subject, body) of the email of `kind` about `appointment`; `previous_start` (aware) is the
    former start of a moved appointment."""
    when = long_moment(appointment.starts_at)
    subject, opening = _subject_and_opening(kind, when, long_moment(previous_start) if previous_start else "")
    lines = [_("Hello,"), "", opening, "", *_where(appointment), ""]
    if kind == "cancellation":
        lines += _phones(appointment, _("To book a new appointment, call %(phone)s."))
    else:
        lines += [*_bring(appointment), "", *_cancel(appointment)]
    lines += ["", _("The digital inclusion service")]
    return subject, "\n".join(lines).strip() + "\n"


def long_moment(moment: datetime) -> str:
    """An aware instant as a full local date and time in the current locale ("mardi 3 décembre 2026 à 14:30")."""
    local = moment.astimezone(local_zone())
    day = format_date(local.date(), "full", locale=get_locale())
    clock = _("%(hour)d:%(minute)02d", hour=local.hour, minute=local.minute)
    return _("%(day)s at %(time)s", day=day, time=clock)


def _subject_and_opening(kind: str, when: str, old: str) -> tuple[str, str]:
    if kind == "confirmation":
        return _("Your appointment is confirmed"), _("Your appointment is confirmed for %(when)s.", when=when)
    if kind == "reminder":
        return _("Reminder of your appointment"), _("We remind you of your appointment on %(when)s.", when=when)
    if kind == "change":
        return _("Your appointment has moved"), _("Your appointment of %(old)s has moved to %(when)s.",
                                                  old=old, when=when)
    return _("Your appointment is cancelled"), _("Your appointment of %(when)s is cancelled.", when=when)


def _where(appointment: Appointment) -> list[str]:
    help_point = appointment.help_point
    if appointment.mode == "phone" or help_point is None:
        number = phone_display(appointment.resident.phone) if appointment.resident else None
        return [_("It is a phone appointment: a counsellor will call you at %(number)s.", number=number or "?")]
    town = " ".join(part for part in (help_point.code_postal, help_point.commune) if part)
    lines = [_("Place: %(name)s", name=help_point.nom)]
    lines += [line for line in (help_point.adresse, help_point.complement_adresse, town) if line]
    return lines


def _phones(appointment: Appointment, template: str) -> list[str]:
    help_point = appointment.help_point if appointment.mode == "on_site" else None
    lines = []
    if help_point is not None and help_point.telephone:
        lines.append(_("Phone of the place: %(phone)s", phone=phone_display(help_point.telephone)))
    service = current_app.config.get("SERVICE_PHONE")
    if service:
        lines.append(template % {"phone": phone_display(service)})
    return lines


def _bring(appointment: Appointment) -> list[str]:
    return [_("What to bring:"), *(f"- {item}" for item in documents_to_bring(appointment.procedure))]


def _cancel(appointment: Appointment) -> list[str]:
    lines = [_("If you cannot come, please cancel so that someone else can take the slot.")]
    if current_app.config.get("PUBLIC_BASE_URL"):
        lines.append(_("See or cancel your appointment: %(link)s", link=resident_link(appointment)))
    return lines + _phones(appointment, _("Phone line of the service: %(phone)s"))
