"""SMS and email backends of the outbox, chosen by `SMS_BACKEND` and `MAIL_BACKEND` (DESIGN.md section 4).

SMS: `twilio` (`inclusion_app.messaging.twilio_sms`), `console` (development: prints, the number
masked), `memory` (tests and benchmarks: records, can be scripted to fail). Email: `smtp` (with the
appointment's `.ics` attached), `console`, `memory`.

A backend's `send` returns `Sent` or raises `ProviderError` (transient: retried with backoff;
permanent: failed, and `problem` flags the resident's number). `find_sent` answers the
reconciliation of a row left in `sending` by a crash (or by `OutcomeUnknown`): the provider's id of a message to that
recipient with that body sent since then, None when the provider's log has none (the row goes to
`review`), or raises `LogUnavailable` (try again at the next pass). One backend per app, shared by
the sender's threads: every backend here is thread-safe. Never log a number or an address in clear.
"""

from __future__ import annotations

import logging
import re
import smtplib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

from flask import Flask

logger = logging.getLogger(__name__)

SMS_PROBLEMS = ("invalid", "opted_out", "not_mobile", "unreachable")


class ProviderError(Exception):
    """A provider refused or failed a message.

    `code` is the provider's code (Twilio "21614", SMTP "550") or None; `permanent` stops retries;
    `problem` is the resident's number problem to record (`SMS_PROBLEMS`) or None.
    """

    def __init__(self, code: str | None, message: str, *, permanent: bool, problem: str | None = None) -> None:
        message = redact_contacts(message)[:300]  # shown on the messages page and logged: no number, no address
        super().__init__(message)
        self.code, self.message, self.permanent, self.problem = code, message, permanent, problem


_PHONE = re.compile(r"\+?\d[\d .()-]{5,}\d")
_EMAIL = re.compile(r"[^\s@'\"<>]+@[^\s@'\"<>]+")


def redact_contacts(text: str) -> str:
    """`text` with phone numbers and email addresses replaced by "•••" (providers quote the
    recipient in their error messages: "The 'To' number +336… is not a valid phone number")."""
    def phone(match: re.Match[str]) -> str:
        return "•••" if sum(char.isdigit() for char in match.group()) >= 8 else match.group()

    return _EMAIL.sub("•••", _PHONE.sub(phone, text))


class LogUnavailable(Exception):
    """The provider's log of sent messages could not be read now."""


class OutcomeUnknown(Exception):
    """The request may or may not have reached the provider (a read timeout, a connection cut
    after the request was written): the row stays in `sending` for the reconciliation to settle,
    never re-sent blindly."""


@dataclass(frozen=True)
class Sent:
    """A message accepted by the provider: its id (Twilio SID, Message-ID) and the provider's status."""

    provider_id: str
    status: str = "sent"


class SmsBackend(Protocol):
    def send(self, to: str, body: str) -> Sent: ...

    def find_sent(self, to: str, body: str, since: datetime) -> str | None: ...


class MailBackend(Protocol):
    def send(self, to: str, subject: str, body: str, ics: bytes | None) -> Sent: ...

    def find_sent(self, to: str, body: str, since: datetime) -> str | None: ...


def mask_phone(number: str) -> str:
    """`+33612345678` → `+336******78`: enough to tell numbers apart in a log, not to call one."""
    return number[:4] + "*" * max(len(number) - 6, 0) + number[-2:] if len(number) > 6 else "***"


def mask_email(address: str) -> str:
    """`nadia@example.org` → `n***@example.org`."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


@dataclass
class MemoryRecord:
    """One message recorded by a memory backend (`ics` for email only)."""

    provider_id: str
    to: str
    body: str
    subject: str = ""
    ics: bytes | None = None


@dataclass
class MemoryBackend:
    """Records what it sends, for tests and benchmarks; thread-safe.

    `failures` maps a recipient to the errors its next sends raise, in order (then it succeeds);
    `script`, when set, is called with (to, body) before each send and may raise ProviderError.
    `hang` (a threading.Event) makes each send wait until it is set.
    """

    prefix: str = "SM"
    sent: list[MemoryRecord] = field(default_factory=list)
    failures: dict[str, list[ProviderError]] = field(default_factory=dict)
    script: Callable[[str, str], None] | None = None
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fail_next(self, to: str, *errors: ProviderError) -> None:
        """Make the next sends to `to` raise `errors`, one per send."""
        with self._lock:
            self.failures.setdefault(to, []).extend(errors)

    def send(self, to: str, body: str, subject: str = "", ics: bytes | None = None) -> Sent:
        with self._lock:
            self.calls += 1
            queued = self.failures.get(to)
            error = queued.pop(0) if queued else None
        if error is not None:
            raise error
        if self.script is not None:
            self.script(to, body)
        record = MemoryRecord(f"{self.prefix}{uuid.uuid4().hex}", to, body, subject, ics)
        with self._lock:
            self.sent.append(record)
        return Sent(record.provider_id)

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        with self._lock:
            return next((r.provider_id for r in self.sent if r.to == to and r.body == body), None)


class MemoryMail(MemoryBackend):
    """The memory email backend: same records, with subject and `.ics`."""

    def __init__(self) -> None:
        super().__init__(prefix="mail-")

    def send(self, to: str, subject: str, body: str, ics: bytes | None = None) -> Sent:  # type: ignore[override]
        return super().send(to, body, subject, ics)


class ConsoleSms:
    """Development: prints each SMS with the number masked; reconciliation finds nothing."""

    def send(self, to: str, body: str) -> Sent:
        print(f"[SMS to {mask_phone(to)}] {body}", flush=True)  # printing is the point of this backend
        return Sent(f"console-{uuid.uuid4().hex}")

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        return None


class ConsoleMail:
    """Development: prints each email (address masked), and the size of its `.ics`."""

    def send(self, to: str, subject: str, body: str, ics: bytes | None) -> Sent:
        attachment = f" [+ .ics {len(ics)} bytes]" if ics else ""
        print(f"[Email to {mask_email(to)}] {subject}{attachment}\n{body}", flush=True)
        return Sent(f"console-{uuid.uuid4().hex}")

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        return None


class SmtpMail:
    """SMTP (`SMTP_HOST`, `SMTP_PORT`, optional STARTTLS and login), from `MAIL_FROM`, one
    connection per message, the `.ics` attached as `text/calendar`. A 5xx reply is permanent,
    a 4xx reply or a connection error transient. SMTP keeps no log to ask: `find_sent` is None."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.host, self.port = str(config.get("SMTP_HOST") or "localhost"), int(config.get("SMTP_PORT") or 25)
        self.sender = str(config.get("MAIL_FROM") or "rendez-vous@localhost")
        self.starttls = bool(config.get("SMTP_STARTTLS"))
        self.login = (config.get("SMTP_USERNAME"), config.get("SMTP_PASSWORD"))

    def send(self, to: str, subject: str, body: str, ics: bytes | None) -> Sent:
        message = email_message(self.sender, to, subject, body, ics)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.login[0]:
                    smtp.login(str(self.login[0]), str(self.login[1] or ""))
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise ProviderError("550", "recipient refused", permanent=True) from error
        except smtplib.SMTPResponseException as error:
            raise ProviderError(str(error.smtp_code), str(error.smtp_error)[:300],
                                permanent=500 <= error.smtp_code < 600) from error
        except (OSError, smtplib.SMTPException) as error:
            raise ProviderError(None, f"SMTP: {type(error).__name__}", permanent=False) from error
        return Sent(str(message["Message-ID"]))

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        return None


def email_message(sender: str, to: str, subject: str, body: str, ics: bytes | None) -> EmailMessage:
    """A plain-text email with the appointment's iCalendar attached (`rendez-vous.ics`)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = make_msgid(domain=sender.partition("@")[2] or None)
    message.set_content(body)
    if ics:
        message.add_attachment(ics, maintype="text", subtype="calendar", filename="rendez-vous.ics",
                               params={"method": "PUBLISH"})
    return message


def sms_backend(app: Flask) -> SmsBackend:
    """The app's SMS backend (built once per app, from `SMS_BACKEND`). Raises ValueError for an
    unknown name."""
    if "sms_backend" not in app.extensions:
        name = app.config.get("SMS_BACKEND") or "console"
        if name == "twilio":
            from inclusion_app.messaging.twilio_sms import TwilioSms

            app.extensions["sms_backend"] = TwilioSms(app.config)
        elif name in ("console", "memory"):
            app.extensions["sms_backend"] = ConsoleSms() if name == "console" else MemoryBackend()
        else:
            raise ValueError(f"SMS_BACKEND must be twilio, console or memory, not {name!r}")
    backend: SmsBackend = app.extensions["sms_backend"]
    return backend


def mail_backend(app: Flask) -> MailBackend:
    """The app's email backend (built once per app, from `MAIL_BACKEND`). Raises ValueError for
    an unknown name."""
    if "mail_backend" not in app.extensions:
        name = app.config.get("MAIL_BACKEND") or "console"
        backends: dict[str, Callable[[], MailBackend]] = {
            "smtp": lambda: SmtpMail(app.config), "console": ConsoleMail, "memory": MemoryMail}
        if name not in backends:
            raise ValueError(f"MAIL_BACKEND must be smtp, console or memory, not {name!r}")
        app.extensions["mail_backend"] = backends[name]()
    backend: MailBackend = app.extensions["mail_backend"]
    return backend
