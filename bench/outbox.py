"""Benchmark: one pass of the outbox over 10,000 due SMS to a local fake provider.

Budget (DESIGN.md section 7): outbox pass, 10,000 due SMS to a local fake provider ≤ 10 s on a
2-core machine, SQLite and PostgreSQL. A fresh database (SQLite in a temporary folder by default,
or the PostgreSQL given by --database-url, whose tables are dropped and re-created) gets 10,000
residents with a mobile, 10,000 booked phone appointments over the next days (100 counsellors) and
one due reminder each, then `send_due_messages` runs once, as `flask send-due-messages` does:
claims by batches (committed), re-checks each appointment, sends, records and commits each answer.

Providers (--provider): `memory` (the in-process memory backend: the cost of the outbox itself),
`twilio` (the official Twilio client over HTTP/1.1 to a local fake server running in its own
process, as a provider would: adds the client's and the server's work, on the same 2 cores), or
`both` (default).

    .venv/bin/python -m bench.outbox [--database-url postgresql+psycopg://…] [--count 10000] [--provider both]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from bench.common import fresh_app
from inclusion_app.extensions import db
from inclusion_app.messaging.backends import sms_backend
from inclusion_app.messaging.sender import send_due_messages
from inclusion_app.models import Appointment, OutboundMessage, Resident, User

BUDGET_S = 10.0
COUNSELLORS = 100
BODY = ("Rappel : RDV tel. lun. 11 janv. a 10h00, un conseiller vous appellera au 06 12 34 56 78. "
        "Pour annuler, repondez ANNULER ou appelez le 05 49 00 00 00.")


def insert(model: type, rows: list[dict], chunk: int = 5000) -> list[int]:
    """Bulk-insert rows; return the table's ids in order."""
    for first in range(0, len(rows), chunk):
        db.session.execute(sa.insert(model), rows[first:first + chunk])
    return list(db.session.scalars(sa.select(model.id).order_by(model.id)))


def fill(app: Flask, count: int, now: datetime) -> None:
    """Residents, counsellors, appointments and one due reminder each."""
    with app.app_context():
        counsellors = insert(User, [{"email": f"c{n}@bench.example", "name": f"C {n}", "role": "counsellor",
                                     "password_hash": "x", "is_active": True} for n in range(COUNSELLORS)])
        residents = insert(Resident, [{
            "first_name": "Alex", "last_name": f"Bench {n}", "search_name": f"alex bench {n}",
            "phone": f"+336{n:08d}", "phone_is_mobile": True, "reminder_channel": "sms", "sms_consent": True,
            "language": "fr"} for n in range(count)])
        first = (now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        appointments = insert(Appointment, [{
            "resident_id": resident, "counsellor_id": counsellors[n % COUNSELLORS], "mode": "phone",
            "starts_at": first + timedelta(minutes=30 * (n // COUNSELLORS)),
            "ends_at": first + timedelta(minutes=30 * (n // COUNSELLORS) + 30), "status": "booked",
            "needs": [], "booked_at": now, "notes": ""} for n, resident in enumerate(residents)])
        insert(OutboundMessage, [{
            "kind": "reminder", "channel": "sms", "appointment_id": appointment, "resident_id": resident,
            "recipient": f"+336{n:08d}", "language": "fr", "subject": "", "body": BODY, "status": "pending",
            "due_at": now - timedelta(minutes=1), "expires_at": first + timedelta(days=30), "attempts": 0,
            "error_message": "", "created_at": now, "updated_at": now}
            for n, (resident, appointment) in enumerate(zip(residents, appointments, strict=True))])
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def serve_fake(connection: Connection) -> None:
    """In its own process (as a real provider is): the fake Twilio server until told to stop;
    then sends back how many messages it received."""
    from tests.outbox_factories import FakeTwilio

    with FakeTwilio() as fake:
        connection.send(fake.url)
        connection.recv()
        connection.send(len(fake.created()))


def one_pass(database_url: str, count: int, provider: str) -> tuple[float, Counter[str], int]:
    """(seconds of the pass, statuses after it, sends the provider received)."""
    from tests.outbox_factories import twilio_settings

    app = fresh_app(database_url)
    app.config.update(QUIET_HOURS="")
    now = datetime.now(UTC)
    fill(app, count, now)
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(target=serve_fake, args=(theirs,))
    server.start()
    with app.app_context():
        if provider == "twilio":
            app.config.update(twilio_settings(ours.recv()))
        backend = sms_backend(app)
        started = time.perf_counter()
        send_due_messages(now=now)
        elapsed = time.perf_counter() - started
        statuses = Counter(dict(db.session.execute(
            sa.select(OutboundMessage.status, sa.func.count()).group_by(OutboundMessage.status)).all()))
        db.engine.dispose()
    ours.send("stop")
    received = ours.recv() if provider == "twilio" else len(backend.sent)  # type: ignore[attr-defined]
    server.join(10)
    return elapsed, statuses, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--provider", choices=["memory", "twilio", "both"], default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        engine = url.split(":", 1)[0].split("+")[0]
        providers = ["memory", "twilio"] if args.provider == "both" else [args.provider]
        for provider in providers:
            elapsed, statuses, received = one_pass(url, args.count, provider)
            verdict = "within" if elapsed <= BUDGET_S * args.count / 10_000 else "OVER"
            print(f"{engine} {provider}: {args.count:,} due SMS in {elapsed:.2f} s "
                  f"({args.count / elapsed:,.0f}/s; budget {BUDGET_S:.0f} s per 10,000: {verdict}); "
                  f"provider received {received:,}; statuses {dict(statuses)}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
