"""The Twilio SMS backend: the official `twilio` client, its error codes mapped to retry or stop.

Settings: `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `TWILIO_MESSAGING_SERVICE_SID` (preferred) or
`TWILIO_FROM`, `PUBLIC_BASE_URL` (the status callback is `<PUBLIC_BASE_URL>/webhooks/twilio/status`),
and `TWILIO_API_BASE_URL` to point the client at a local fake server or a proxy instead of
`https://api.twilio.com` (a `TwilioHttpClient` that rewrites the host, RECIPES.md).

Error codes (Twilio's error dictionary, https://www.twilio.com/docs/api/errors): `PERMANENT`
codes stop retries and flag the number (`problem`); `TRANSIENT` codes, HTTP 429 and 5xx, and
connection errors are retried with backoff; any other 4xx is a permanent failure without a flag
(our request or account is at fault, not the resident's number). A request that may have reached
Twilio without an answer (read timeout) raises OutcomeUnknown: the reconciliation settles it.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from inclusion_app.messaging.backends import LogUnavailable, OutcomeUnknown, ProviderError, Sent

logger = logging.getLogger(__name__)
# The client logs query strings (a recipient's number when listing messages) at INFO: keep it quiet.
_client_logger = logging.getLogger("inclusion_app.messaging.twilio_http")
_client_logger.setLevel(logging.WARNING)

#: Twilio code → the resident's number problem (None: failed, the number is not at fault).
PERMANENT: dict[int, str | None] = {
    21211: "invalid",      # invalid 'To' phone number
    21217: "invalid",      # phone number does not appear to be valid
    30005: "invalid",      # unknown destination handset (the number does not exist)
    21610: "opted_out",    # the recipient replied STOP
    21614: "not_mobile",   # 'To' number is not a valid mobile number
    30006: "unreachable",  # landline or unreachable carrier
    21612: "unreachable",  # Twilio cannot route to this number
    30004: "unreachable",  # message blocked by the recipient or the carrier
    21408: None,           # permission to send to this region not enabled (our account)
    21606: None,           # the 'From' number cannot send SMS (our account)
    30007: None,           # filtered by the carrier as spam
}
#: Retried with backoff: rate limits, queue overflow, the provider down, our account blocked
#: for a while (credit exhausted, suspended: an admin can fix it before the messages expire).
TRANSIENT = frozenset({20429, 20500, 20503, 30001, 30008, 20003, 20005, 30002})
TWILIO_HOST = re.compile(r"^https://[a-z0-9.-]*twilio\.com", re.IGNORECASE)
TIMEOUT_SECONDS = 30.0


def classify(status: int | None, code: int | None, message: str) -> ProviderError:
    """The ProviderError for a Twilio answer: HTTP `status`, Twilio `code` (None when absent)."""
    text = f"{code or status}: {message}"
    if code in PERMANENT:
        return ProviderError(str(code), text, permanent=True, problem=PERMANENT[code])
    if code in TRANSIENT or status is None or status == 429 or status >= 500:
        return ProviderError(str(code) if code else str(status), text, permanent=False)
    return ProviderError(str(code) if code else str(status), text, permanent=True)


def not_sent(error: requests.RequestException) -> bool:
    """True when the request surely never reached Twilio (no connection could be made): safe to
    retry. A read timeout or a connection cut later may have created the message."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectionError) and isinstance(reason, NewConnectionError)


class RewritingHttpClient(TwilioHttpClient):
    """The client's HTTP layer with Twilio's host replaced by `base_url` (a mock or a proxy)."""

    def __init__(self, base_url: str | None, **kwargs: Any) -> None:
        super().__init__(timeout=TIMEOUT_SECONDS, logger=_client_logger, **kwargs)
        self.base_url = base_url.rstrip("/") if base_url else None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if self.base_url:
            url = TWILIO_HOST.sub(self.base_url, url)
        return super().request(method, url, *args, **kwargs)


class TwilioSms:
    """Sends through Twilio's Messages API; one client per thread (the client keeps a session)."""

    def __init__(self, config: Any) -> None:
        self.account_sid = str(config.get("TWILIO_ACCOUNT_SID") or "")
        self.auth_token = str(config.get("TWILIO_AUTH_TOKEN") or "")
        self.service_sid = config.get("TWILIO_MESSAGING_SERVICE_SID")
        self.sender = config.get("TWILIO_FROM")
        self.base_url = config.get("TWILIO_API_BASE_URL")
        self.callback = f"{str(config.get('PUBLIC_BASE_URL') or '').rstrip('/')}/webhooks/twilio/status"
        if not self.account_sid or not self.auth_token or not (self.service_sid or self.sender):
            raise ValueError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                             "TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM")
        self._local = threading.local()

    def client(self) -> Client:
        """This thread's client."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = Client(self.account_sid, self.auth_token, http_client=RewritingHttpClient(self.base_url))
            self._local.client = client
        return client

    def send(self, to: str, body: str) -> Sent:
        """Create the message (`To` E.164, `Body`, `StatusCallback`, the service SID or `From`).
        Raises ProviderError."""
        fields: dict[str, Any] = {"to": to, "body": body, "status_callback": self.callback}
        if self.service_sid:
            fields["messaging_service_sid"] = self.service_sid
        else:
            fields["from_"] = self.sender
        try:
            message = self.client().messages.create(**fields)
        except TwilioRestException as error:
            raise classify(error.status, error.code, str(error.msg)) from error
        except requests.RequestException as error:
            if not_sent(error):
                raise ProviderError(None, f"Twilio unreachable: {type(error).__name__}", permanent=False) from error
            raise OutcomeUnknown(type(error).__name__) from error
        except TwilioException as error:
            raise OutcomeUnknown(type(error).__name__) from error
        return Sent(str(message.sid), str(message.status or "queued"))

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        """The SID of a message to `to` with this exact body sent since `since`, from Twilio's
        list of messages by recipient and date; None when there is none. Raises LogUnavailable."""
        try:
            for message in self.client().messages.list(to=to, date_sent_after=since, limit=200):
                if message.body == body:
                    return str(message.sid)
        except (TwilioException, requests.RequestException) as error:
            raise LogUnavailable(type(error).__name__) from error
        return None
