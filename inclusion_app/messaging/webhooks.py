"""Twilio's webhooks: `POST /webhooks/twilio/status` and `POST /webhooks/twilio/inbound` (DESIGN.md section 4).

Public (Twilio has no session) and exempt from CSRF, but every request must carry a valid
`X-Twilio-Signature`: HMAC-SHA1 with `TWILIO_AUTH_TOKEN` over the URL Twilio called and the POST
parameters, checked with the client's `RequestValidator` against `PUBLIC_BASE_URL` + the path and
query (so it holds behind a TLS-terminating proxy, where the app itself sees http://). A forged or
missing signature, or no token configured, gets 403 and changes nothing. Each route commits once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from inclusion_app.extensions import db
from inclusion_app.messaging import inbound
from inclusion_app.models.types import utcnow
from inclusion_app.security import csrf_exempt_signed, public

logger = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def signed_url() -> str:
    """The URL Twilio signed: `PUBLIC_BASE_URL` followed by the request's path and query string."""
    base = str(current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return base + (request.full_path if request.query_string else request.path)


def signature_is_valid() -> bool:
    """True when `X-Twilio-Signature` matches this request under `TWILIO_AUTH_TOKEN`."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    return bool(RequestValidator(str(token)).validate(signed_url(), request.form, signature))


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 403 before the view runs unless the request is signed by Twilio."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not signature_is_valid():
            logger.warning("Twilio webhook with a missing or invalid signature refused")
            abort(403)
        return view(*args, **kwargs)

    return checked


def twiml(text: str | None = None) -> Response:
    """A TwiML answer: empty (`<Response />`: send nothing) or one message."""
    answer = MessagingResponse()
    if text:
        answer.message(text)
    return Response(str(answer), mimetype="text/xml")


@bp.route("/twilio/status", methods=["POST"])
@public
@csrf_exempt_signed
@twilio_signed
def twilio_status() -> tuple[str, int]:
    """A delivery status: `MessageSid`, `MessageStatus`, optional `ErrorCode`. 200 even for an
    unknown message (logged); 400 when a field is missing."""
    sid, status = request.form.get("MessageSid", "").strip(), request.form.get("MessageStatus", "").strip().lower()
    if not sid or not status:
        return "", 400
    inbound.apply_status(sid[:64], status[:20], (request.form.get("ErrorCode") or "")[:20] or None, utcnow())
    db.session.commit()
    return "", 200


@bp.route("/twilio/inbound", methods=["POST"])
@public
@csrf_exempt_signed
@twilio_signed
def twilio_inbound() -> Response:
    """A resident's reply: `From` (E.164), `Body`. STOP…/START…/ANNULER; the answer is TwiML."""
    sid = request.form.get("MessageSid", "")[:64]
    if sid and not inbound.first_time(sid, utcnow()):
        return twiml(None)  # the same reply delivered again: already handled
    reply = inbound.handle_reply(request.form.get("From", ""), request.form.get("Body", "")[:1600], utcnow())
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the same reply handled at the same moment by another worker
        db.session.rollback()
        return twiml(None)
    return twiml(reply)
