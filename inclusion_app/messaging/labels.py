"""Labels of the outbox's codes for staff pages, and plain-language explanations of provider errors.

Twilio error codes: Twilio's error dictionary (https://www.twilio.com/docs/api/errors), the codes
an SMS sender meets in France. The explanation says what happened and what to do, for an admin who
is not an SMS specialist.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

STATUS_LABELS: dict[str, LazyString] = {
    "pending": _l("Waiting to be sent"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "undelivered": _l("Not delivered"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
    "expired": _l("Expired (too late to be useful)"),
    "review": _l("To review"),
}

KIND_LABELS: dict[str, LazyString] = {
    "confirmation": _l("Confirmation"),
    "reminder": _l("Reminder"),
    "change": _l("Change"),
    "cancellation": _l("Cancellation"),
}

CHANNEL_LABELS: dict[str, LazyString] = {"sms": _l("SMS"), "email": _l("Email")}

CALL_OUTCOME_LABELS: dict[str, LazyString] = {
    "called": _l("Reached: reminded"),
    "no_answer": _l("No answer"),
    "cancelled": _l("The resident cancels (the appointment is cancelled)"),
}

#: Twilio error code -> what it means, in plain words.
PROVIDER_ERRORS: dict[str, LazyString] = {
    "20003": _l("The SMS provider refused our credentials: check the account settings."),
    "20429": _l("Too many requests to the SMS provider at once: the message is retried later."),
    "21211": _l("The number is not a valid phone number: check it with the resident."),
    "21408": _l("Sending SMS to this country is not enabled in the provider's account."),
    "21610": _l("The resident replied STOP: no SMS is sent to this number until they send START."),
    "21612": _l("The provider cannot send SMS from our sender to this number."),
    "21614": _l("The number is not a mobile phone: SMS cannot reach it (a landline?)."),
    "21617": _l("The message is too long for the provider."),
    "30001": _l("The provider's queue was full: the message is retried later."),
    "30002": _l("The provider's account is suspended: contact the provider."),
    "30003": _l("The phone was unreachable (switched off or out of coverage) when the provider tried."),
    "30004": _l("The message was blocked (by the resident's operator, or the number blocks SMS)."),
    "30005": _l("Unknown number: it no longer exists or is not in service."),
    "30006": _l("The number cannot receive SMS: a landline, or the operator cannot be reached."),
    "30007": _l("The resident's operator filtered the message as spam."),
    "30008": _l("Unknown error at the resident's operator."),
    "30032": _l("The sender number is not allowed for this destination (toll-free or unverified sender)."),
}


def explain_error(code: str | None) -> str:
    """The plain-language explanation of a provider error code; "" when unknown or None."""
    return str(PROVIDER_ERRORS[code]) if code in PROVIDER_ERRORS else ""
