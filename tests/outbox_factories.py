"""Rows and fakes for the outbox tests: residents by channel, a booked appointment, a fake Twilio.

`FakeTwilio` is a local HTTP server (127.0.0.1, a thread per request) that speaks enough of Twilio's
Messages API for the official client: `POST …/Messages.json` records the form fields and answers a
message resource (or the error scripted for that recipient), `GET …/Messages.json?To=` lists what
it received for that recipient. `hang_account` makes the requests of one account SID be recorded
then left unanswered (a scheduler killed while waiting for the provider).
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections import Counter
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, HelpPoint, OutboundMessage, Resident
from inclusion_app.scheduling import booking
from tests import factories
from tests.booking_helpers import NOW, counsellor_at, local

_numbers = itertools.count(10)
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "1" * 32
SERVICE_SID = "MG" + "2" * 32
MONDAY = date(2027, 1, 11)


def mobile() -> str:
    """A fresh French mobile number in E.164."""
    return f"+336{next(_numbers):08d}"


def resident(channel: str = "sms", **fields: Any) -> Resident:
    """A resident reached by `channel`: `sms` (mobile, consent), `email`, or `none` (a landline only)."""
    number = next(_numbers)
    values: dict[str, Any] = {"first_name": "Nadia", "last_name": f"Martin {number}",
                              "search_name": f"nadia martin {number}", "language": "fr", "reminder_channel": channel}
    if channel == "sms":
        values.update(phone=mobile(), phone_is_mobile=True, sms_consent=True)
    elif channel == "email":
        values.update(email=f"nadia{number}@example.org")
    else:
        values.update(phone=f"+33549{number:06d}", phone_is_mobile=False)
    values.update(fields)
    row = Resident(**values)
    db.session.add(row)
    db.session.flush()
    return row


def desk(**help_point_fields: Any) -> HelpPoint:
    """A help point with a counsellor there on Mondays 08:00-12:00 (30-minute slots)."""
    place = factories.help_point(**help_point_fields)
    counsellor_at(place, start="08:00", end="12:00")
    return place


def book(person: Resident, place: HelpPoint, day: date = MONDAY, hour: int = 10, minute: int = 0,
         now: datetime = NOW) -> Appointment:
    """Book through `booking.book` (so the outbox hooks run) at a Paris wall-clock time."""
    request = booking.BookingRequest(resident_id=person.id, start=local(day, hour, minute), mode="on_site",
                                     help_point_id=place.id)
    return booking.book(request, None, now=now)


def messages(**where: Any) -> list[OutboundMessage]:
    """The outbox rows matching `where` (column=value), by id."""
    query = db.select(OutboundMessage).filter_by(**where).order_by(OutboundMessage.id)
    return list(db.session.scalars(query))


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for a POST of `params` to `url`."""
    return str(RequestValidator(token).compute_signature(url, params))


class FakeTwilio:
    """A local fake of Twilio's Messages API; see the module docstring."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.errors: dict[str, tuple[int, int | None]] = {}
        self.hang_account: str | None = None
        self.hang_after = 0  # requests of `hang_account` answered before it hangs
        self.hanging = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeTwilio:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def created(self) -> list[dict[str, Any]]:
        """The form fields of every message creation received."""
        with self.lock:
            return [r["form"] for r in self.requests if r["method"] == "POST"]

    def counts_by_body(self) -> Counter[str]:
        return Counter(form["Body"] for form in self.created())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Twilio's API
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed ACK

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake._post(self, form)

            def do_GET(self) -> None:
                fake._get(self)

        return Handler

    def _post(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        account = handler.path.split("/Accounts/")[1].split("/")[0]
        sid = "SM" + uuid.uuid4().hex
        error = self.errors.get(form.get("To", ""))
        with self.lock:
            self.requests.append({"method": "POST", "path": handler.path, "form": form, "sid": sid,
                                  "auth": handler.headers.get("Authorization", ""), "error": error,
                                  "account": account})
        if account == self.hang_account and self._hangs(account):
            self.hanging.set()
            self.release.wait(30)
            return
        if error is not None:
            self._answer(handler, error[0], {"code": error[1], "message": "scripted error", "status": error[0]})
            return
        self._answer(handler, 201, self._resource(sid, form))

    def _hangs(self, account: str) -> bool:
        with self.lock:
            return sum(1 for r in self.requests if r.get("account") == account) > self.hang_after

    def _get(self, handler: BaseHTTPRequestHandler) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(handler.path).query).items()}
        with self.lock:
            self.requests.append({"method": "GET", "path": handler.path, "query": query})
            found = [self._resource(r["sid"], r["form"]) for r in self.requests
                     if r["method"] == "POST" and r["form"].get("To") == query.get("To") and r["error"] is None]
        self._answer(handler, 200, {"messages": found, "next_page_uri": None, "page": 0, "page_size": 50,
                                    "uri": handler.path})

    @staticmethod
    def _resource(sid: str, form: dict[str, str]) -> dict[str, Any]:
        return {"sid": sid, "to": form.get("To"), "from": form.get("From"), "body": form.get("Body"),
                "status": "queued", "messaging_service_sid": form.get("MessagingServiceSid"),
                "account_sid": ACCOUNT_SID, "num_segments": "1"}

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def twilio_settings(fake: FakeTwilio | str, **overrides: Any) -> dict[str, Any]:
    """App settings that send SMS through the real client to `fake` (or a fake's URL)."""
    return {"SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_MESSAGING_SERVICE_SID": SERVICE_SID,
            "TWILIO_API_BASE_URL": fake if isinstance(fake, str) else fake.url,
            "PUBLIC_BASE_URL": "https://rdv.example.fr", **overrides}


def sender_loop(database_url: str, fake_url: str, account_sid: str) -> None:
    """In a scheduler process: passes of the outbox through Twilio's client to the fake until a
    pass claims nothing (what `flask scheduler` does every minute, without waiting)."""
    from inclusion_app.messaging.sender import send_due_messages
    from tests.conftest import build_app

    app = build_app(database_url, QUIET_HOURS="", **twilio_settings(fake_url, TWILIO_ACCOUNT_SID=account_sid))
    with app.app_context():
        while True:
            report = send_due_messages(batch_size=50)
            if not (report.sent or report.retried or report.failed or report.unknown):
                break
        db.engine.dispose()
