"""Residents' signed links to their appointment (no account): `/rdv/<token>`.

The token is `itsdangerous.URLSafeTimedSerializer(SECRET_KEY, salt="appointment-link")` over the
appointment id: it cannot be forged nor changed to reach another appointment, and it carries the
time it was signed. A link works until the appointment starts (`starts_at`, checked on every
visit, whatever the token's age); the token's own age is also capped (`max_token_age`) so that an
old token stays dead even if its appointment were moved far ahead. Never log a token (STYLE.md).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from inclusion_app.extensions import db
from inclusion_app.models import Appointment

SALT = "appointment-link"
#: The path of the public page, followed by the token (the route `scheduling.resident_appointment`).
PATH = "/rdv/"
#: Days a token stays readable beyond the booking horizon (a link is signed at booking or later).
TOKEN_SLACK_DAYS = 2


class LinkInvalid(Exception):
    """The token is forged, damaged, too old, or names no appointment (the page answers 404)."""


class LinkExpired(Exception):
    """The appointment has started or is over: the link no longer shows it (the page answers 410)."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def max_token_age() -> int:
    """Seconds a token is accepted: the booking horizon (`BOOKING_HORIZON_DAYS`, default 60) plus
    `TOKEN_SLACK_DAYS` days."""
    return (int(current_app.config.get("BOOKING_HORIZON_DAYS", 60)) + TOKEN_SLACK_DAYS) * 24 * 3600


def make_token(appointment: Appointment) -> str:
    """A new signed token for the appointment (URL-safe text, about 40 characters)."""
    return _serializer().dumps(appointment.id)


def resident_link(appointment: Appointment) -> str:
    """The absolute URL of the resident's page of `appointment`, from `PUBLIC_BASE_URL` (the
    address residents reach). Built without a request, so that SMS jobs can call it too."""
    base = str(current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return f"{base}{PATH}{make_token(appointment)}"


def appointment_for(token: str, now: datetime) -> Appointment:
    """The appointment a token names, while it has not started at `now` (aware).

    Raises LinkInvalid (bad, too old or unknown token) or LinkExpired (started at or before `now`).
    """
    try:
        appointment_id = _serializer().loads(token, max_age=max_token_age())
    except BadSignature:  # SignatureExpired is a BadSignature too
        raise LinkInvalid() from None
    appointment = db.session.get(Appointment, appointment_id) if isinstance(appointment_id, int) else None
    if appointment is None:
        raise LinkInvalid()
    if appointment.starts_at <= now:
        raise LinkExpired()
    return appointment
