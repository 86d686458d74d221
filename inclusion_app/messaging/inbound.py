"""What Twilio tells us: delivery statuses and residents' replies (services; they flush only).

Delivery statuses (`MessageStatus` of the status callback): `delivered`, `undelivered` and `failed`
are final; `queued`, `accepted`, `sending`, `sent` are only recorded in `provider_status`. A
delivered row is never downgraded (callbacks may arrive late, twice, or out of order), and a
permanent `ErrorCode` flags the number as a failed send does (`twilio_sms.PERMANENT`).

Replies (keywords, case and accents ignored): Twilio's opt-out words and their French forms
(`STOP_WORDS`, first word of the reply) opt every resident with that number out: `sms_problem =
opted_out`, consent withdrawn, pending SMS cancelled (the provider acknowledges; we send nothing);
`START_WORDS` opt them back in; `ANNULER` (the whole reply) cancels the one upcoming appointment
of that number, which queues the cancellation SMS; with none or several, the reply tells them to
call `SERVICE_PHONE` (nothing when it is not set).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from inclusion_app.extensions import db
from inclusion_app.lieux.display import phone_display
from inclusion_app.messaging.gsm import gsm7_transliterate
from inclusion_app.messaging.sender import flag_number
from inclusion_app.messaging.twilio_sms import PERMANENT
from inclusion_app.models import Appointment, InboundMessage, OutboundMessage, Resident
from inclusion_app.phones import InvalidPhone, parse_phone
from inclusion_app.text import fold

logger = logging.getLogger(__name__)

#: Twilio's default opt-out keywords, and the French ones.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET", "ARRETER",
                        "DESABONNER", "DESINSCRIRE"})
#: Twilio's default opt-in keywords.
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
CANCEL_WORD = "ANNULER"
FINAL = ("delivered", "undelivered", "failed")
#: Our statuses a callback may move to `delivered`, or to `undelivered`/`failed`.
TO_DELIVERED = ("sending", "sent", "undelivered", "failed", "review")
TO_FAILED = ("sending", "sent", "review")


def apply_status(sid: str, status: str, error_code: str | None, now: datetime) -> bool:
    """Record a delivery status for the message whose provider id is `sid`; False when no row has
    it (acknowledged anyway, and logged). Repeated or late callbacks change nothing."""
    row = db.session.execute(sa.select(OutboundMessage.id, OutboundMessage.resident_id, OutboundMessage.channel)
                             .where(OutboundMessage.provider_id == sid)).first()
    if row is None:
        logger.info("status callback for an unknown message (%s)", status)
        return False
    if status == "delivered":
        _update(row.id, TO_DELIVERED, status="delivered", delivered_at=now, provider_status=status)
    elif status in ("undelivered", "failed"):
        changed = _update(row.id, TO_FAILED, status=status, provider_status=status, error_code=error_code,
                          error_message=f"provider: {status}" + (f" ({error_code})" if error_code else ""))
        problem = PERMANENT.get(int(error_code)) if error_code and error_code.isdecimal() else None
        if changed and problem and row.channel == "sms" and row.resident_id is not None:
            flag_number(row.resident_id, problem, now)
    else:
        _update(row.id, ("sending", "sent"), provider_status=status[:20])
    return True


def _update(row_id: int, allowed: tuple[str, ...], **values: object) -> bool:
    result = db.session.execute(sa.update(OutboundMessage)
                                .where(OutboundMessage.id == row_id, OutboundMessage.status.in_(allowed))
                                .values(**values).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def handle_reply(sender: str, body: str, now: datetime) -> str | None:
    """Act on a resident's reply from `sender` (E.164); return the text to answer, or None."""
    residents = residents_with_number(sender)
    if not residents:
        logger.info("reply from a number no resident has")
        return None
    words = re.findall(r"[A-Z]+", fold(body).upper())
    if words and words[0] in STOP_WORDS:
        opt_out(residents, now)
    elif words and words[0] in START_WORDS:
        opt_in(residents, now)
    elif words == [CANCEL_WORD]:
        return cancel_by_reply(residents, now)
    return None


def residents_with_number(number: str) -> list[Resident]:
    """The residents (not merged, not deleted) whose phone is `number`, written in any usual way."""
    try:
        number = parse_phone(number).e164
    except InvalidPhone:
        return []
    return list(db.session.scalars(sa.select(Resident).where(
        Resident.phone == number, Resident.merged_into_id.is_(None), Resident.deleted_at.is_(None))
        .order_by(Resident.id)))


def opt_out(residents: list[Resident], now: datetime) -> None:
    """STOP: no SMS any more to these residents; their pending SMS are cancelled."""
    for resident in residents:
        resident.sms_consent = False
        flag_number(resident.id, "opted_out", now)
    db.session.flush()
    db.session.expire_all()
    logger.info("%d resident(s) opted out of SMS", len(residents))


def opt_in(residents: list[Resident], now: datetime) -> None:
    """START: SMS consent back on; an opt-out is cleared (other number problems stay)."""
    for resident in residents:
        resident.sms_consent, resident.sms_consent_at = True, now
        if resident.sms_problem == "opted_out":
            resident.sms_problem, resident.sms_problem_at = None, None
    db.session.flush()


def cancel_by_reply(residents: list[Resident], now: datetime) -> str | None:
    """ANNULER: cancel the only upcoming booked appointment of these residents (the cancellation SMS
    is queued by `booking.set_status`); else the text telling them to call the service."""
    from inclusion_app.scheduling import booking

    upcoming = list(db.session.scalars(sa.select(Appointment).where(
        Appointment.resident_id.in_([resident.id for resident in residents]), Appointment.status == "booked",
        Appointment.starts_at > now).limit(2)))
    if len(upcoming) == 1:
        try:
            booking.set_status(upcoming[0], "cancelled_by_resident", None, now=now)
        except booking.BookingError:
            logger.info("cancellation by reply refused for appointment %s", upcoming[0].id)
        else:
            return None
    return _call_us(residents[0].language, several=len(upcoming) > 1)


def _call_us(language: str, *, several: bool) -> str | None:
    number = current_app.config.get("SERVICE_PHONE")
    if not number:
        return None
    with force_locale(language or "fr"):
        if several:
            text = _("You have several appointments: to cancel one, call %(phone)s.", phone=phone_display(number))
        else:
            text = _("We found no appointment to cancel. For help, call %(phone)s.", phone=phone_display(number))
    return gsm7_transliterate(text)


def first_time(provider_id: str, now: datetime) -> bool:
    """Record an inbound reply's provider id; False when it was already recorded (a repeated
    callback). Flushes the new row (committed with the reply's effects)."""
    if db.session.get(InboundMessage, provider_id) is not None:
        return False
    db.session.add(InboundMessage(provider_id=provider_id, received_at=now))
    db.session.flush()
    return True
