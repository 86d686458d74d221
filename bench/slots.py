"""Benchmark: the slot search at city scale, all help points over 30 days.

Budget (DESIGN.md section 7): slot search, all help points, 30 days ≤ 50 ms on a 2-core machine,
SQLite and PostgreSQL. The data set is built with bulk inserts into a fresh database (SQLite in a
temporary folder by default, or the PostgreSQL given by --database-url, whose tables are dropped and
re-created, then analysed): the 24 Grand Poitiers districts, 60 help points in Poitiers' bounding
box (two of them inactive), 80 counsellors with 2-4 weekly on-site half-days and 1-2 phone half-days
(plus expired rules), absences, closures, about 10,000 appointments holding their time over the
next 30 days, some cancelled ones, and --past older appointments (history the queries must not
read). Each search runs --runs times; the median is compared with the budget.

    .venv/bin/python -m bench.slots [--database-url postgresql+psycopg://…] [--runs 20] [--past 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask

from bench.common import fresh_app
from inclusion_app.extensions import db
from inclusion_app.lieux.standard import VOCABULARIES
from inclusion_app.models import Absence, Appointment, AvailabilityRule, Closure, HelpPoint, Resident, User
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.slots import earliest_slot, find_slots, is_free
from inclusion_app.territory.services import (
    DistrictLocator,
)

BUDGET_MS = 50.0
PARIS = ZoneInfo("Europe/Paris")
HELP_POINTS, COUNSELLORS, RESIDENTS = 60, 80, 3000
HALF_DAYS = [(weekday, start, end) for weekday in range(5)
             for start, end in ((clock(9), clock(12, 30)), (clock(13, 30), clock(17)))]
PROCEDURES = ["social_sante", "logement", "argent_impots", "travail_formation"]
BOOKED_SHARE = 0.85  # of the generated slot times: about 10,000 appointments over 30 days



def insert(model: type[Any], rows: list[dict[str, Any]], chunk: int = 5000) -> list[int]:
    """Bulk-insert rows (Core INSERT, executemany by chunks); return the ids of the table, in order."""
    for first in range(0, len(rows), chunk):
        db.session.execute(sa.insert(model), rows[first:first + chunk])
    return list(db.session.scalars(sa.select(model.id).order_by(model.id)))


def make_help_points(rng: random.Random) -> list[int]:
    """60 active help points spread over Poitiers, each in its district, some with special support."""
    locator = DistrictLocator.from_database()
    support = list(VOCABULARIES["prise_en_charge_specifique"])
    rows = []
    for number in range(HELP_POINTS):
        latitude, longitude = rng.uniform(46.54, 46.62), rng.uniform(0.29, 0.42)
        rows.append({
            "lieu_id": f"bench-{number}", "nom": f"Lieu {number}", "commune": "Poitiers", "code_postal": "86000",
            "adresse": f"{number} rue du Bench", "latitude": latitude, "longitude": longitude,
            "district_id": locator.locate(longitude, latitude), "date_maj": date(2026, 11, 1),
            "prise_en_charge_specifique": rng.sample(support, rng.randint(0, 3)), "is_active": number % 30 != 29,
        })
    return insert(HelpPoint, rows)


def make_counsellors() -> list[int]:
    """80 active counsellors (the password hash is a placeholder: nobody logs in)."""
    rows = [{"email": f"counsellor{n}@bench.example", "name": f"Counsellor {n}", "role": "counsellor",
             "password_hash": "x", "is_active": True} for n in range(COUNSELLORS)]
    return insert(User, rows)


def make_rules(rng: random.Random, counsellors: list[int], places: list[int], today: date) -> list[dict[str, Any]]:
    """Weekly rules: each counsellor on site 2-4 half-days at one or two help points, by phone 1-2."""
    rows = []
    for index, counsellor in enumerate(counsellors):
        on_site, phone_count = rng.randint(2, 4), rng.randint(1, 2)
        half_days = rng.sample(HALF_DAYS, on_site + phone_count)
        homes = [places[index % len(places)], rng.choice(places)]
        for number, (weekday, start, end) in enumerate(half_days):
            phone = number >= on_site
            rows.append({
                "counsellor_id": counsellor, "mode": "phone" if phone else "on_site", "weekday": weekday,
                "help_point_id": None if phone else homes[number % 2], "start_time": start, "end_time": end,
                "slot_minutes": rng.choice([20, 20, 30, 45]), "valid_from": today - timedelta(days=200),
                "valid_until": None, "procedures": rng.choice([[], [], [rng.choice(PROCEDURES)]]),
            })
        if index % 3 == 0:  # an expired rule
            expired = {"valid_from": today - timedelta(days=400), "valid_until": today - timedelta(days=1)}
            rows.append({**rows[-1], **expired})
    insert(AvailabilityRule, rows)
    return rows


def slot_times(rule: dict[str, Any], today: date, days: int) -> Iterator[tuple[datetime, datetime]]:
    """UTC (start, end) of a rule's slots over the next `days` days (no DST or holiday subtlety)."""
    length = rule["slot_minutes"]
    first = rule["start_time"].hour * 60 + rule["start_time"].minute
    stop = rule["end_time"].hour * 60 + rule["end_time"].minute
    for offset in range(days):
        day = today + timedelta(days=offset)
        if day.weekday() != rule["weekday"] or rule["valid_until"] is not None:
            continue
        for minute in range(first, stop - length + 1, length):
            start = datetime.combine(day, clock(minute // 60, minute % 60), tzinfo=PARIS).astimezone(UTC)
            yield start, start + timedelta(minutes=length)


def upcoming_appointments(rng: random.Random, rules: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """About 10,000 booked appointments on the rules' slots over 30 days, and a few cancelled ones."""
    rows = []
    for rule in rules:
        for start, end in slot_times(rule, today, 30):
            if rng.random() < BOOKED_SHARE:
                rows.append(_appointment(rule["counsellor_id"], rule["help_point_id"], start, end, "booked"))
            if rng.random() < 0.04:
                rows.append(_appointment(rule["counsellor_id"], rule["help_point_id"], start, end,
                                         "cancelled_by_resident"))
    return rows


def _appointment(counsellor: int, place: int | None, start: datetime, end: datetime, status: str) -> dict[str, Any]:
    return {"counsellor_id": counsellor, "help_point_id": place, "mode": "phone" if place is None else "on_site",
            "starts_at": start, "ends_at": end, "status": status, "needs": []}


def past_appointments(rng: random.Random, counsellors: list[int], count: int, now: datetime) -> list[dict[str, Any]]:
    """`count` appointments over the two years before the search, spaced so that none overlap."""
    per_counsellor = max(1, count // len(counsellors))
    step = timedelta(days=700) / per_counsellor
    rows = []
    for counsellor in counsellors:
        start = now - timedelta(days=730) + timedelta(minutes=rng.randint(0, 600))
        for _ in range(per_counsellor):
            rows.append(_appointment(counsellor, None, start, start + timedelta(minutes=30),
                                     rng.choice(["attended", "attended", "no_show", "cancelled_by_service"])))
            start += step
    return rows


def make_appointments(rows: list[dict[str, Any]], residents: list[int]) -> None:
    """Give residents in turn by start time (never two overlapping for one resident), then insert
    the latest first: SQLite's no-double-booking triggers then look at few rows each."""
    rows.sort(key=lambda row: row["starts_at"])
    for index, row in enumerate(rows):
        row["resident_id"] = residents[index % len(residents)]
    insert(Appointment, rows[::-1], chunk=10000)


def make_absences_and_closures(rng: random.Random, counsellors: list[int], places: list[int], now: datetime) -> None:
    """25 absences of 1-5 days and 5 closures of 1-3 days within the next 30 days."""
    def span(longest: int) -> dict[str, datetime]:
        start = now + timedelta(days=rng.randint(0, 28), hours=rng.randint(0, 12))
        return {"starts_at": start, "ends_at": start + timedelta(days=rng.randint(1, longest))}
    insert(Absence, [{"counsellor_id": rng.choice(counsellors), "reason": "congé", **span(5)} for _ in range(25)])
    insert(Closure, [{"help_point_id": rng.choice(places), "reason": "travaux", **span(3)} for _ in range(5)])


def build(app: Flask, past: int, seed: int = 86) -> dict[str, int]:
    """Fill the database; return counts of what was made."""
    rng = random.Random(seed)
    now = utcnow()
    today = now.astimezone(PARIS).date()
    with app.app_context():
        places, counsellors = make_help_points(rng), make_counsellors()
        rules = make_rules(rng, counsellors, places, today)
        residents = insert(Resident, [{"first_name": "Bench", "last_name": str(n), "search_name": f"bench {n}"}
                                      for n in range(RESIDENTS)])
        upcoming = upcoming_appointments(rng, rules, today)
        make_appointments(upcoming + past_appointments(rng, counsellors, past, now), residents)
        make_absences_and_closures(rng, counsellors, places, now)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":  # the statistics autovacuum would gather in time
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        holding = sum(row["status"] == "booked" for row in upcoming)
    return {"rules": len(rules), "upcoming": len(upcoming), "holding": holding, "past": past}


class Timing(NamedTuple):
    """Figures of one search run several times: wall-clock milliseconds (median, best, first run),
    median CPU milliseconds of this process (steadier on a busy machine; PostgreSQL's own work is
    not in it), SELECTs per run, slots answered."""

    median: float
    best: float
    first: float
    cpu: float
    selects: int
    size: int


def timed(app: Flask, search: Callable[[], Any], runs: int) -> Timing:
    """Run `search` `runs` times, each in a fresh session, counting its SELECT statements."""
    statements = [0]

    def count(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements[0] += statement.lstrip().upper().startswith("SELECT")

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        times, cpu, answer = [], [], None
        for _ in range(runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            answer = search()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            db.session.remove()
        sa.event.remove(db.engine, "before_cursor_execute", count)
    size = len(answer) if isinstance(answer, list) else int(answer is not None)
    return Timing(statistics.median(times), min(times), times[0], statistics.median(cpu), statements[0] // runs, size)


def searches(app: Flask) -> dict[str, Callable[[], Any]]:
    """The searches timed, by label."""
    with app.app_context():
        today = utcnow().astimezone(PARIS).date()
        district = db.session.scalar(sa.select(HelpPoint.district_id).where(HelpPoint.district_id.is_not(None)))
        first = find_slots(mode="on_site", date_from=today, days=7)[0]
    return {
        "on site, all help points, 30 days": lambda: find_slots(mode="on_site", date_from=today, days=30),
        "phone, 30 days": lambda: find_slots(mode="phone", date_from=today, days=30),
        "on site, 30 days, nearest a district": lambda: find_slots(mode="on_site", date_from=today, days=30,
                                                                    district_id=district),
        "earliest slot, on site, horizon (60 days)": lambda: earliest_slot(mode="on_site", date_from=today),
        "is_free, one start": lambda: is_free(first.start, mode="on_site", help_point_id=first.help_point_id),
    }


def main() -> None:
    """Build the data set, run the searches and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--past", type=int, default=100_000, help="appointments before today (history)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        app = fresh_app(url)
        started = time.perf_counter()
        counts = build(app, args.past)
        built = time.perf_counter() - started
        print(f"slot search benchmark, {url.split(':', 1)[0]}: {HELP_POINTS} help points, {COUNSELLORS} "
              f"counsellors, {counts['rules']} rules, {counts['holding']} appointments holding time over 30 days "
              f"({counts['upcoming']} upcoming in all), {counts['past']} past; built in {built:.1f} s")
        print(f"  load average before the runs: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
        for label, search in searches(app).items():
            figures = timed(app, search, args.runs)
            verdict = "ok" if figures.median <= BUDGET_MS else "OVER BUDGET"
            print(f"  {label:42s}: median {figures.median:5.1f} ms (best {figures.best:5.1f}, first "
                  f"{figures.first:5.1f}, CPU {figures.cpu:5.1f})  {figures.selects} SELECTs, {figures.size} "
                  f"slots  budget {BUDGET_MS:.0f} ms {verdict}")


if __name__ == "__main__":
    main()
