"""Synthetic help sessions, unmet rights, walk-ins and messages (issue 7), after `synthetic`'s
residents and appointments, at the scale of DESIGN.md section 7 (city: 500,000 help sessions,
600,000 messages over three years).

Realism that the reports rely on: seasons (a quiet August, busy autumn and January: tax returns,
school year, energy vouchers), districts of unequal need (each district gets a need weight; the
needier ones have more sessions, more administrative procedures and more unmet rights), outcomes
of unmet rights that depend on how long ago they were detected, and message statuses with a few
failures. Everything is made with a seeded generator and bulk inserts, in batches.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from inclusion_app import vocabularies
from inclusion_app.extensions import db
from inclusion_app.models import Appointment, HelpPoint, HelpSession, OutboundMessage, Resident, UnmetRight, WalkIn
from inclusion_app.sessions.services import age_band

Progress = Callable[[str, int, int], None]
BATCH = 5_000
SEASON = {1: 1.2, 2: 1.0, 3: 1.0, 4: 1.1, 5: 1.2, 6: 0.9, 7: 0.6, 8: 0.3, 9: 1.2, 10: 1.3, 11: 1.2, 12: 0.8}
THEMES = list(vocabularies.THEMES)
ADMIN = vocabularies.ADMINISTRATIVE_THEME
RIGHT_WEIGHTS = {"rsa": 18, "prime_activite": 16, "complementaire_sante_solidaire": 15, "aide_logement": 14,
                 "cheque_energie": 9, "prestations_familiales": 8, "aah": 6, "aspa": 5, "assurance_chomage": 4,
                 "retraite": 3, "aide_locale": 1, "autre": 1}


class Context:
    """What the activity generator needs from the base data: ids and districts."""

    def __init__(self, rng: random.Random, counsellors: list[int], first_day: date, last_day: date) -> None:
        self.rng = rng
        self.counsellors = counsellors
        self.first_day, self.last_day = first_day, last_day
        self.help_points = [(hp_id, district_id) for hp_id, district_id in
                            db.session.execute(sa.select(HelpPoint.id, HelpPoint.district_id).order_by(HelpPoint.id))]
        districts = sorted({d for _hp, d in self.help_points if d is not None})
        self.need = {d: rng.choice((0.6, 1.0, 1.0, 1.6, 2.4)) for d in districts}
        self.days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
        self.day_weights = [0 if d.weekday() == 6 else SEASON[d.month] * (0.4 if d.weekday() == 5 else 1)
                            for d in self.days]
        self.hp_weights = [self.need.get(d, 1.0) for _hp, d in self.help_points]


def generate_activity(ctx: Context, sessions: int, messages: int, walk_ins: int, report: Progress) -> dict[str, int]:
    """Insert walk-ins, help sessions (a share linked to attended appointments) with their unmet
    rights, and messages; returns the counts inserted."""
    counts = {"walk_ins": _walk_ins(ctx, walk_ins, report)}
    counts["help_sessions"], counts["unmet_rights"] = _sessions(ctx, sessions, report)
    counts["messages"] = _messages(ctx, messages, report)
    return counts


def _walk_ins(ctx: Context, total: int, report: Progress) -> int:
    rng, done = ctx.rng, 0
    while done < total:
        rows = []
        for _ in range(min(BATCH, total - done)):
            day = rng.choices(ctx.days, ctx.day_weights)[0]
            hp_id, _district = rng.choices(ctx.help_points, ctx.hp_weights)[0]
            arrived = datetime(day.year, day.month, day.day, rng.randint(8, 16), rng.randint(0, 59), tzinfo=UTC)
            left = rng.random() < 0.1
            rows.append({"help_point_id": hp_id, "display_name": f"Ticket {rng.randint(1, 99)}", "notes": "",
                         "procedure": rng.choice(list(vocabularies.PROCEDURES)), "arrived_at": arrived,
                         "status": "left" if left else "served", "called_at": None if left else arrived,
                         "served_at": None if left else arrived + timedelta(minutes=rng.randint(5, 60)),
                         "left_at": arrived + timedelta(minutes=30) if left else None,
                         "counsellor_id": None if left else rng.choice(ctx.counsellors)})
        done += flush_batch(WalkIn, "walk-ins", rows, report, total, done)
    return done


def _attended(limit: int) -> Iterator[tuple[Any, ...]]:
    """Attended appointments (id, resident, counsellor, help point, start, resident's district), oldest first."""
    query = (sa.select(Appointment.id, Appointment.resident_id, Appointment.counsellor_id, Appointment.help_point_id,
                       Appointment.starts_at, Appointment.procedure, Resident.district_id)
             .join(Resident, Resident.id == Appointment.resident_id)
             .where(Appointment.status == "attended").order_by(Appointment.id).limit(limit))
    for row in db.session.execute(query).all():
        yield tuple(row)


def _sessions(ctx: Context, total: int, report: Progress) -> tuple[int, int]:
    """Sessions: up to 30 % from attended appointments, the rest anonymous; rights in a share."""
    linked = iter(_attended(int(total * 0.3)))
    done = rights = 0
    while done < total:
        rows = [_session_row(ctx, next(linked, None)) for _ in range(min(BATCH, total - done))]
        ids = db.session.scalars(sa.insert(HelpSession).returning(HelpSession.id, sort_by_parameter_order=True),
                                 rows).all()
        right_rows = [r for session_id, row in zip(ids, rows, strict=True) for r in _rights(ctx, session_id, row)]
        if right_rows:
            db.session.execute(sa.insert(UnmetRight), right_rows)
        db.session.commit()
        done, rights = done + len(rows), rights + len(right_rows)
        report("help sessions", done, total)
    return done, rights


def _session_row(ctx: Context, appointment: tuple[Any, ...] | None) -> dict[str, Any]:
    rng = ctx.rng
    if appointment is not None:
        appointment_id, resident_id, counsellor_id, hp_id, start, procedure, district_id = appointment
        day = start.date()
        hp_district = dict(ctx.help_points).get(hp_id)
        district_id = district_id or hp_district
    else:
        appointment_id = resident_id = procedure = None
        counsellor_id = rng.choice(ctx.counsellors)
        day = rng.choices(ctx.days, ctx.day_weights)[0]
        hp_id, district_id = rng.choices(ctx.help_points, ctx.hp_weights)[0]
    need = ctx.need.get(district_id, 1.0)
    collective = appointment is None and rng.random() < 0.04
    themes = _themes(rng, need, procedure)
    procedures = ([procedure] if procedure else rng.sample(list(vocabularies.PROCEDURES), rng.choice((1, 1, 2)))
                  ) if ADMIN in themes and not collective else []
    birth_year = None if collective or rng.random() < 0.15 else rng.randint(day.year - 90, day.year - 16)
    outcome = rng.choices(list(vocabularies.SESSION_OUTCOMES), (50, 20, 20, 10))[0] if procedures else None
    return {
        "counsellor_id": counsellor_id, "date": day, "duration_minutes": rng.choice((15, 30, 30, 45, 60, 60, 90, 120)),
        "type": "collectif" if collective else "individuel", "place_type": "lieu_activite" if hp_id else "a_distance",
        "help_point_id": hp_id, "district_id": district_id, "themes": themes, "procedures": procedures,
        "precision": "", "equipment": [rng.choice(list(vocabularies.EQUIPMENT))],
        "autonomy": None if collective else rng.choice(list(vocabularies.AUTONOMY)), "outcome": outcome,
        "referral": rng.choice(list(vocabularies.REFERRALS)) if outcome == "oriente_vers_structure" else None,
        "referral_structure": "", "resident_id": resident_id, "appointment_id": appointment_id,
        "birth_year": birth_year, "age_band": age_band(birth_year, day),
        "gender": rng.choice(list(vocabularies.GENDERS)),
        "social_status": _social_status(rng, None if birth_year is None else day.year - birth_year, need),
        "is_first_visit": rng.random() < 0.4, "title": "Atelier découverte" if collective else "",
        "level": rng.choice(list(vocabularies.WORKSHOP_LEVELS)) if collective else None,
        "participants": {"total": (n := rng.randint(3, 12))} if collective else None,
        "participants_total": n if collective else None,
    }


def _social_status(rng: random.Random, age: int | None, need: float) -> str:
    """A status plausible for the age: pupils under 18, mostly retired from 62, more jobless where
    need is high (`need` from 0.6 to 2.4)."""
    if age is None or rng.random() < 0.08:
        return "non_communique"
    if age < 18:
        return "scolarise"
    if age >= 62:
        return "retraite" if rng.random() < 0.9 else "sans_emploi"
    jobless = min(0.75, 0.3 * need)
    if age < 25 and rng.random() < 0.3:
        return "scolarise"
    return "sans_emploi" if rng.random() < jobless else "en_emploi"


def _themes(rng: random.Random, need: float, procedure: str | None) -> list[str]:
    if procedure or rng.random() < min(0.85, 0.35 * need):
        others = rng.sample(THEMES[:-1], rng.choice((0, 0, 1)))
        return [ADMIN, *others]
    return rng.sample(THEMES[:-1], rng.choice((1, 1, 2, 3)))


def _rights(ctx: Context, session_id: int, row: dict[str, Any]) -> list[dict[str, Any]]:
    rng, need = ctx.rng, ctx.need.get(row["district_id"], 1.0)
    if row["type"] == "collectif" or rng.random() > 0.08 * need:
        return []
    return [_right_row(ctx, session_id, row["date"]) for _ in range(rng.choice((1, 1, 1, 2)))]


def _right_row(ctx: Context, session_id: int, detected: date) -> dict[str, Any]:
    rng = ctx.rng
    right = rng.choices(list(RIGHT_WEIGHTS), list(RIGHT_WEIGHTS.values()))[0]
    age = (ctx.last_day - detected).days
    filed = detected + timedelta(days=rng.randint(2, 40)) if rng.random() < min(0.7, age / 60) else None
    opened = filed + timedelta(days=rng.randint(10, 90)) if filed and rng.random() < 0.65 else None
    if opened and opened > ctx.last_day:
        opened = None
    outcome = ("ouvert" if opened else "refuse" if filed and rng.random() < 0.15 else "deposee" if filed
               else rng.choices(("repere", "abandonne", "inconnu"), (60, 20, 20))[0])
    return {"session_id": session_id, "right": right, "detected_on": detected,
            "situation": rng.choice(list(vocabularies.RIGHT_SITUATIONS)),
            "form": rng.choices(list(vocabularies.NON_TAKE_UP_FORMS), (45, 25, 10, 10, 10))[0],
            "reason": rng.choice(list(vocabularies.NON_TAKE_UP_REASONS)),
            "action": rng.choice(list(vocabularies.RIGHT_ACTIONS)), "outcome": outcome, "filed_on": filed,
            "opened_on": opened, "closed_on": filed + timedelta(days=30) if outcome == "refuse" and filed else None,
            "follow_up_on": detected + timedelta(days=30) if outcome in ("repere", "deposee") else None, "notes": ""}


def _messages(ctx: Context, total: int, report: Progress) -> int:
    """A confirmation and reminders for appointments of residents reached by SMS (48 h and 3 h
    before) or by email (48 h before), up to `total`."""
    query = (sa.select(Appointment.id, Appointment.resident_id, Appointment.starts_at, Appointment.booked_at,
                       Appointment.status, Resident.phone, Resident.email, Resident.reminder_channel)
             .join(Resident, Resident.id == Appointment.resident_id)
             .where(Resident.reminder_channel.in_(("sms", "email"))).order_by(Appointment.id))
    done, now = 0, datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for appointment in db.session.execute(query).yield_per(BATCH):
        offsets = (48, 3) if appointment.reminder_channel == "sms" else (48,)
        dues = [("confirmation", appointment.booked_at),
                *(("reminder", appointment.starts_at - timedelta(hours=hours)) for hours in offsets)]
        for kind, due in dues:
            if done + len(rows) >= total:
                break
            rows.append(_message_row(ctx.rng, appointment, kind, due, now))
        if len(rows) >= BATCH or done + len(rows) >= total:
            done += flush_batch(OutboundMessage, "messages", rows, report, total, done)
        if done >= total:
            break
    return done + (flush_batch(OutboundMessage, "messages", rows, report, total, done) if rows else 0)


def _message_row(rng: random.Random, appointment: Any, kind: str, due: datetime, now: datetime) -> dict[str, Any]:
    sms = appointment.reminder_channel == "sms"
    if due > now:
        status = "pending"
    elif sms:
        status = rng.choices(("delivered", "sent", "undelivered", "failed", "expired"), (90, 4, 3, 2, 1))[0]
    else:
        status = rng.choices(("sent", "failed", "expired"), (97, 2, 1))[0]
    failed = status in ("undelivered", "failed")
    error = rng.choice(("30003", "30005", "21614") if sms else ("550", "552")) if failed else None
    when = f"{appointment.starts_at:%d/%m a %Hh%M}"
    return {"kind": kind, "channel": appointment.reminder_channel, "appointment_id": appointment.id,
            "resident_id": appointment.resident_id, "recipient": appointment.phone if sms else appointment.email,
            "language": "fr", "subject": "" if sms else f"Votre rendez-vous du {when}",
            "body": f"RDV conseiller numerique le {when}. Rep. ANNULER pour annuler." if sms
            else f"Bonjour, votre rendez-vous avec un conseiller numerique est le {when}.",
            "status": status, "due_at": due, "expires_at": appointment.starts_at, "attempts": 0 if status == "pending"
            else 1, "sent_at": None if status in ("pending", "expired") else due,
            "delivered_at": due + timedelta(seconds=5) if status == "delivered" else None,
            "provider_id": None if status in ("pending", "expired") or not sms else f"SM{rng.getrandbits(128):032x}",
            "error_code": error,
            "error_message": "", "created_at": appointment.booked_at, "updated_at": due}


def flush_batch(model: Any, what: str, rows: list[dict[str, Any]], report: Progress, total: int, done: int) -> int:
    """Insert `rows` of `model` in one statement, commit, empty the list and report `what` done
    out of `total`; returns how many were inserted."""
    count = len(rows)
    db.session.execute(sa.insert(model), rows)
    db.session.commit()
    rows.clear()
    report(what, done + count, total)
    return count
