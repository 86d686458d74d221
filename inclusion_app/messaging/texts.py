"""The texts of the messages sent to residents (SMS and email), rendered in the resident's language.

Templates are msgids of the translation catalogs (French and English; other languages are added
through the catalogs), not rows of the database. Every default SMS fits one GSM-7 segment (160
characters, 3GPP TS 23.038) whatever the help point (DESIGN.md section 6): the variable parts (place
name and address, day and month names, phone numbers) are transliterated to GSM-7 and the place is
shortened until the message fits; the whole text is transliterated last, so that a translation
with a typographic apostrophe cannot turn a message into UCS-2.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from inclusion_app.lieux.display import phone_display
from inclusion_app.messaging.gsm import gsm7_transliterate, shorten, sms_encoding
from inclusion_app.messaging.texts_email import render_email
from inclusion_app.models import Appointment
from inclusion_app.scheduling.slots import local_zone

logger = logging.getLogger(__name__)

KINDS = ("confirmation", "reminder", "change", "cancellation")
CHANNELS = ("sms", "email")
#: One GSM-7 segment (3GPP TS 23.038).
SMS_LIMIT = 160
#: The shortest place text worth sending; below it the place is left out.
MIN_PLACE = 12
#: The shortest place name kept before the street is shortened instead.
MIN_NAME = 20


@dataclass(frozen=True)
class Rendered:
    """A rendered message: `subject` ("" for SMS) and `body` (plain text)."""

    subject: str
    body: str


@dataclass(frozen=True)
class SmsParts:
    """The variable parts of an SMS, already in GSM-7: `when` ("mar. 3 déc. à 14h30"), `old` (the
    previous time of a moved appointment, or ""), `name`, `street` and `town` of the place ("" for a
    phone appointment), `number` (the resident's number a counsellor will call), `phone` (who to call)."""

    when: str
    old: str
    name: str
    street: str
    town: str
    number: str
    phone: str


def render(kind: str, appointment: Appointment, channel: str, language: str, *,
           previous_start: datetime | None = None) -> Rendered:
    """The message of `kind` (confirmation, reminder, change, cancellation) about `appointment`,
    for `channel` ("sms" or "email"), in `language` ("fr", "en"…; a language the app does not
    offer in `LANGUAGES` gets the first offered one, French). `previous_start` (aware) is the
    former start of a moved appointment (a change without it is written as a confirmation).

    Needs an application context. Raises ValueError for an unknown kind or channel.
    """
    if kind not in KINDS or channel not in CHANNELS:
        raise ValueError(f"unknown message kind or channel: {kind!r}, {channel!r}")
    if kind == "change" and previous_start is None:
        kind = "confirmation"  # without the former time, a change reads as a new confirmation
    with force_locale(message_locale(language)):
        if channel == "email":
            subject, body = render_email(kind, appointment, previous_start)
            return Rendered(subject, body)
        return Rendered("", sms_text(kind, appointment.mode, sms_parts(appointment, previous_start)))


def message_locale(language: str | None) -> str:
    """The locale a message is written in: `language` when the app offers it (`LANGUAGES`, the
    languages with a catalog), else the first offered language (French)."""
    offered = tuple(current_app.config.get("LANGUAGES") or ("fr",))
    return str(language) if language in offered else str(offered[0])


def sms_parts(appointment: Appointment, previous_start: datetime | None = None) -> SmsParts:
    """The variable parts of the SMS about `appointment`, transliterated to GSM-7 (current locale)."""
    help_point = appointment.help_point if appointment.mode == "on_site" else None
    name = street = town = ""
    if help_point is not None:
        name, street, town = (_gsm_line(text) for text in (help_point.nom, help_point.adresse, help_point.commune))
    number = phone_display(appointment.resident.phone) if appointment.resident else None
    return SmsParts(
        when=spoken_moment(appointment.starts_at),
        old=spoken_moment(previous_start) if previous_start else "",
        name=name,
        street=street,
        town=town,
        number=number or "",
        phone=contact_phone(appointment),
    )


def contact_phone(appointment: Appointment) -> str:
    """The number a resident calls about `appointment`, as people write it: the help point's phone
    for an on-site appointment, else the service's line (`SERVICE_PHONE`); "" when neither is known."""
    help_point = appointment.help_point if appointment.mode == "on_site" else None
    number = (help_point.telephone if help_point else None) or current_app.config.get("SERVICE_PHONE")
    return phone_display(number) or "" if number else ""


def spoken_moment(moment: datetime) -> str:
    """An aware instant as a short local day and time in the current locale, in GSM-7:
    "mar. 3 déc. à 14h30" (fr), "Tue 3 Dec at 14:30" (en)."""
    local = moment.astimezone(local_zone())
    day = format_date(local.date(), "EEE d MMM", locale=get_locale())
    clock = _("%(hour)d:%(minute)02d", hour=local.hour, minute=local.minute)
    return gsm7_transliterate(_("%(day)s at %(time)s", day=day, time=clock), basic_only=True)


def sms_text(kind: str, mode: str, parts: SmsParts, limit: int = SMS_LIMIT) -> str:
    """The SMS of `kind` for an appointment in `mode`, with `parts`, in GSM-7 and, whenever the
    fixed text allows, at most `limit` characters: the place is shortened, then left out; for a phone
    appointment, the resident's own number is left out when it does not fit."""
    kind_sentence = _SENTENCES[kind]

    def sentence(values: SmsParts, place: str) -> str:
        return kind_sentence(values, place, mode == "phone")

    hint = _hint(kind, parts.phone)
    place = ", ".join(part for part in (parts.name, parts.street, parts.town) if part)
    text = _compose(sentence, hint, parts, place)
    overflow = sms_encoding(text).characters - limit
    if overflow > 0 and place:
        text = _compose(sentence, hint, parts, fit_place(parts.name, parts.street, parts.town, len(place) - overflow))
    if sms_encoding(text).characters > limit and parts.number:  # a long foreign number: they know it
        text = _compose(sentence, hint, replace(parts, number=""), "")
    if sms_encoding(text).characters > limit:
        logger.warning("SMS %s text is over %d characters in locale %s", kind, limit, get_locale())
    return text


def fit_place(name: str, street: str, town: str, room: int) -> str:
    """The place in at most `room` characters, the first that fits of: "name, street, town";
    "name, street"; "shortened name, street" (the name keeps `MIN_NAME` characters); "name, shortened
    street" (the street keeps `MIN_PLACE`); the name alone, shortened; "" below `MIN_PLACE`."""
    street_first = [", ".join(part for part in (name, street, town) if part), ", ".join(p for p in (name, street) if p)]
    for candidate in street_first:
        if len(candidate) <= room:
            return candidate
    if street and room - len(street) - 2 >= MIN_NAME:
        return f"{shorten(name, room - len(street) - 2)}, {street}"
    if street and room >= MIN_NAME + 2 + MIN_PLACE:
        short_name = shorten(name, max(MIN_NAME, room // 2, room - len(street) - 2))
        return f"{short_name}, {shorten(street, room - len(short_name) - 2)}"
    return shorten(name, room) if room >= MIN_PLACE else ""


def _gsm_line(text: str | None) -> str:
    return " ".join(gsm7_transliterate(text or "", basic_only=True).split())


def _compose(sentence: Callable[[SmsParts, str], str], hint: str, parts: SmsParts, place: str) -> str:
    text = gsm7_transliterate(" ".join(f"{sentence(parts, place)} {hint}".split()))
    return text.replace("....", "...")


def _hint(kind: str, phone: str) -> str:
    if kind == "cancellation":
        return _("To book again, call %(phone)s.", phone=phone) if phone else ""
    if phone:
        return _("To cancel, reply ANNULER or call %(phone)s.", phone=phone)
    return _("To cancel, reply ANNULER.")


def _confirmation(p: SmsParts, place: str, phone_mode: bool) -> str:
    if phone_mode and not p.number:
        return _("Phone appointment confirmed: a counsellor will call you on %(when)s.", when=p.when)
    if phone_mode:
        return _("Phone appointment confirmed: a counsellor will call you at %(number)s on %(when)s.",
                 number=p.number, when=p.when)
    if place:
        return _("Appointment confirmed on %(when)s, %(place)s.", when=p.when, place=place)
    return _("Appointment confirmed on %(when)s.", when=p.when)


def _reminder(p: SmsParts, place: str, phone_mode: bool) -> str:
    if phone_mode and not p.number:
        return _("Reminder: a counsellor will call you on %(when)s.", when=p.when)
    if phone_mode:
        return _("Reminder: a counsellor will call you at %(number)s on %(when)s.", number=p.number, when=p.when)
    if place:
        return _("Reminder: appointment on %(when)s, %(place)s.", when=p.when, place=place)
    return _("Reminder: appointment on %(when)s.", when=p.when)


def _change(p: SmsParts, place: str, phone_mode: bool) -> str:
    if phone_mode:
        return _("Phone appointment moved from %(old)s to %(when)s.", old=p.old, when=p.when)
    if place:
        return _("Appointment moved from %(old)s to %(when)s, %(place)s.", old=p.old, when=p.when, place=place)
    return _("Appointment moved from %(old)s to %(when)s.", old=p.old, when=p.when)


def _cancellation(p: SmsParts, place: str, phone_mode: bool) -> str:
    if phone_mode:
        return _("Your phone appointment of %(when)s is cancelled.", when=p.when)
    if place:
        return _("Your appointment of %(when)s, %(place)s, is cancelled.", when=p.when, place=place)
    return _("Your appointment of %(when)s is cancelled.", when=p.when)


_SENTENCES: dict[str, Callable[[SmsParts, str, bool], str]] = {
    "confirmation": _confirmation, "reminder": _reminder, "change": _change, "cancellation": _cancellation,
}
