"""A counsellor's appointments as an iCalendar feed (RFC 5545, DESIGN.md section 6) behind a secret URL.

The URL is `<PUBLIC_BASE_URL>/calendar/<token>.ics`. The token (256 bits, shown once when generated)
is stored as its SHA-256 digest in `User.calendar_token_hash`; generating a new one ends the old
URL. The feed holds what a calendar on a phone may show: the time, the mode, the procedure, the
help point's address and the resident's first name only; never a phone number nor a last name.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy.orm import joinedload

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, User
from inclusion_app.vocabularies import MODES, NEEDS, PROCEDURES

#: Appointments from this long ago are kept in the feed (and up to the booking horizon ahead).
PAST_DAYS = 30
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,128}")
PRODID = "-//Grand Poitiers//inclusion_app agenda//FR"
CANCELLED = ("cancelled_by_resident", "cancelled_by_service")


def digest(token: str) -> str:
    """SHA-256 hex digest of a clear calendar token, as stored in `User.calendar_token_hash`."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(user: User) -> str:
    """Give `user` a new calendar token and return it in clear (shown once, stored hashed); the
    previous URL stops working."""
    token = secrets.token_urlsafe(32)
    user.calendar_token_hash = digest(token)
    db.session.flush()
    return token


def revoke(user: User) -> None:
    """End `user`'s calendar feed: its URL answers 404 from now on."""
    user.calendar_token_hash = None
    db.session.flush()


def user_for_token(token: str) -> User | None:
    """The active counsellor whose feed token is `token`, else None (malformed tokens included).

    The lookup is by digest, then the digests are compared in constant time."""
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    wanted = digest(token)
    user = db.session.scalar(sa.select(User).where(User.calendar_token_hash == wanted))
    if user is None or not hmac.compare_digest(user.calendar_token_hash or "", wanted):
        return None
    return user if user.is_active and user.role == "counsellor" else None


def feed_url(token: str) -> str:
    """The full address of a feed, built from `PUBLIC_BASE_URL`."""
    return f"{str(current_app.config['PUBLIC_BASE_URL']).rstrip('/')}/calendar/{token}.ics"


def _host() -> str:
    return urlsplit(str(current_app.config["PUBLIC_BASE_URL"])).hostname or "localhost"


def feed(user: User, at: datetime) -> bytes:
    """The iCalendar text of `user`'s appointments starting from `PAST_DAYS` days before `at` to the
    booking horizon (`BOOKING_HORIZON_DAYS`, default 60): one VEVENT each, times in UTC, UID
    `appointment-<id>@<host of PUBLIC_BASE_URL>`, cancelled ones with STATUS:CANCELLED. Labels in
    the counsellor's language (French by default). One query."""
    horizon = timedelta(days=int(current_app.config.get("BOOKING_HORIZON_DAYS", 60)))
    query = (sa.select(Appointment)
             .options(joinedload(Appointment.resident), joinedload(Appointment.help_point))
             .where(Appointment.counsellor_id == user.id, Appointment.starts_at >= at - timedelta(days=PAST_DAYS),
                    Appointment.starts_at < at + horizon)
             .order_by(Appointment.starts_at, Appointment.id))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    with force_locale(user.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        calendar.add("x-wr-calname", _("Appointments – %(name)s", name=user.name))
        host = _host()
        for appointment in db.session.scalars(query):
            calendar.add_component(_event(appointment, host, at))
    return calendar.to_ical()


def _event(appointment: Appointment, host: str, at: datetime) -> Event:
    event = Event()
    event.add("uid", f"appointment-{appointment.id}@{host}")
    event.add("dtstamp", appointment.status_changed_at or appointment.booked_at or at)
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", summary(appointment))
    event.add("location", location(appointment))
    event.add("status", "CANCELLED" if appointment.status in CANCELLED else "CONFIRMED")
    event.add("sequence", 0 if appointment.status_changed_at is None else 1)
    if appointment.needs:
        event.add("description", _("Needs: %(needs)s", needs=", ".join(str(NEEDS.get(need, need))
                                                                         for need in appointment.needs)))
    return event


def summary(appointment: Appointment) -> str:
    """Mode, procedure (when known) and the resident's first name, e.g. "On site – Housing – Nadia"."""
    parts = [str(MODES.get(appointment.mode, appointment.mode))]
    if appointment.procedure:
        parts.append(str(PROCEDURES.get(appointment.procedure, appointment.procedure)))
    parts.append(appointment.resident.first_name)
    return " – ".join(parts)


def location(appointment: Appointment) -> str:
    """The help point's name and address, or "Phone" for a phone appointment."""
    place = appointment.help_point
    if place is None:
        return _("Phone")
    town = " ".join(part for part in (place.code_postal, place.commune) if part)
    return ", ".join(part for part in (place.nom, place.adresse, place.complement_adresse, town) if part)


def appointments_ics(appointments: list[Appointment], at: datetime, language: str) -> bytes:
    """The iCalendar text attached to a resident's email: one VEVENT per appointment, built as in
    the counsellor's feed (same UID, so that a calendar updates the event; a cancelled one carries
    STATUS:CANCELLED), labels in `language`. A change attaches the old (cancelled) and the new."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    with force_locale(language):
        host = _host()
        for appointment in appointments:
            calendar.add_component(_event(appointment, host, at))
    return calendar.to_ical()
