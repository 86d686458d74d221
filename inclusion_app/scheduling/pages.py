"""What the booking pages read and show: residents found, their flags, slots by day, appointments.

Queries for `routes_booking` (a bounded number per page, whatever the data size), and the words
of dates and times in the request's language (CLDR through Flask-Babel). Times are stored in UTC
and shown as wall-clock times in `TIMEZONE` (`slots.local_zone`). Reads only, except
`use_existing_resident` (flushes, like every service).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from babel import Locale, UnknownLocaleError
from flask import current_app
from flask_babel import format_date, format_time, get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from inclusion_app.extensions import db
from inclusion_app.inputs import MAX_ID
from inclusion_app.lieux.display import phone_display
from inclusion_app.models import HOLDING_STATUSES, Appointment, AvailabilityRule, District, HelpPoint, Resident
from inclusion_app.models.types import utcnow
from inclusion_app.residents.services import merge_residents, possible_duplicates, search_query
from inclusion_app.scheduling.slots import Slot, earliest_slot, find_slots, local_date, local_zone

#: Days of slots on one page of the slot list (keeps a page under 60 KB and a few hundred nodes).
DAYS_PER_PAGE = 7
#: Largest id of a row (the database's INTEGER) and largest start a slot button may send (year 9999).
MAX_TIMESTAMP = 253_402_300_799
#: Residents listed for one search; more means "refine the search".
SEARCH_LIMIT = 20
#: Languages offered for a resident and an interpreter (ISO 639-1), the most asked for at the
#: desks first; names are written by Babel (CLDR) in the interface's language.
LANGUAGES = ("fr", "en", "ar", "es", "pt", "tr", "uk", "ru", "ro", "fa", "ps", "so", "ti", "sq", "hy", "ka",
             "zh", "de", "it")


def now() -> datetime:
    """The current instant, aware (UTC). Tests replace it to freeze the clock."""
    return utcnow()


local_today = local_date  # the name the pages and their tests use


# ---------------------------------------------------------------- words of dates and times

def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def day_words(day: date, capitalise: bool = False) -> str:
    """A day in words, in the request's language: "lundi 11 janvier 2027"."""
    text = format_date(day, "full")
    return _upper_first(text) if capitalise else text


def time_words(moment: datetime) -> str:
    """The local wall-clock time of an aware instant, in the request's language: "09:30"."""
    return format_time(moment.astimezone(local_zone()).time(), "short")


def when_words(moment: datetime, capitalise: bool = False) -> str:
    """Date and time of an aware instant in words: "lundi 11 janvier 2027 at 09:30"."""
    local = moment.astimezone(local_zone())
    return _("%(date)s at %(time)s", date=day_words(local.date(), capitalise), time=time_words(moment))


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from `start` to `end`."""
    return int((end - start).total_seconds() // 60)


def language_name(code: str | None) -> str:
    """A language's name in the interface's language ("arabe"), or the code when Babel has none."""
    if not code:
        return ""
    try:
        name = Locale.parse(code).get_display_name(get_locale() or "fr")
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    return _upper_first(name) if name else code


def language_choices(extra: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of `LANGUAGES`, plus `extra` when it is another code (a resident's own)."""
    codes = list(LANGUAGES) + ([extra] if extra and extra not in LANGUAGES else [])
    return [(code, language_name(code)) for code in codes]


# ---------------------------------------------------------------- residents

def search_residents(text: str) -> tuple[list[Resident], bool]:
    """Visible residents matching `text` (a phone in any writing, or name words), at most
    `SEARCH_LIMIT`; and whether more matched. One query."""
    rows = list(db.session.scalars(search_query(text).limit(SEARCH_LIMIT + 1)))
    return rows[:SEARCH_LIMIT], len(rows) > SEARCH_LIMIT


def district_names(ids: Sequence[int | None]) -> dict[int, str]:
    """District id -> name for the given ids (one query; none when no id)."""
    wanted = sorted({district_id for district_id in ids if district_id is not None})
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(District.id, District.name).where(District.id.in_(wanted)))
    return {row.id: row.name for row in rows}


def resident_flags(resident: Resident) -> list[str]:
    """What the person booking must know about a resident's contact data, as sentences.

    No phone: nobody can call them (no phone appointment) and no SMS; a landline: no SMS;
    SMS chosen without consent: no SMS is sent; an SMS problem reported by the provider
    (`sms_problem_flags`): no SMS is sent either; no reminder channel: the printed slip is the only
    reminder; no district: help points cannot be sorted by distance.
    """
    flags: list[str] = []
    if not resident.phone:
        flags.append(_("No phone number: a phone appointment is not possible and no SMS can be sent."))
    elif not resident.phone_is_mobile:
        flags.append(_("No mobile phone: no SMS can be sent."))
    if resident.reminder_channel == "sms" and not resident.sms_consent:
        flags.append(_("SMS reminders are chosen but the resident has not agreed to them: no SMS will be sent."))
    flags += sms_problem_flags(resident)
    if resident.reminder_channel == "none" or (
        resident.reminder_channel == "sms" and (not resident.sms_consent or resident.sms_problem)
    ):
        flags.append(_("No reminder will be sent: give or send the printed slip."))
    if resident.district_id is None:
        flags.append(_("No district: help points are not sorted by distance from home."))
    return flags


def sms_problem_flags(resident: Resident) -> list[str]:
    """The provider's verdict on the resident's number (`Resident.sms_problem`, set by a permanent
    error or a STOP reply, issue 5) as a sentence; [] when there is none."""
    problem = resident.sms_problem
    if problem == "opted_out":
        return [_("This number refused SMS (STOP reply): no SMS is sent until the resident sends START.")]
    if problem == "not_mobile":
        return [_("The SMS provider says this number is not a mobile: no SMS can be sent. Check the number.")]
    if problem == "invalid":
        return [_("The SMS provider says this number is invalid: check it with the resident.")]
    if problem:
        return [_("SMS to this number could not be delivered (unreachable): check the number with the resident.")]
    return []


@dataclass(frozen=True)
class Duplicate:
    """A probable duplicate of a resident, as shown to choose between them."""

    id: int
    name: str
    phone: str | None
    district: str | None


def duplicates_of(resident: Resident) -> list[Duplicate]:
    """The probable duplicates of a resident (same phone, email or folded name). Two queries."""
    ids = possible_duplicates(resident)
    if not ids:
        return []
    rows = list(db.session.scalars(sa.select(Resident).where(Resident.id.in_(ids)).order_by(Resident.id)))
    names = district_names([row.district_id for row in rows])
    return [Duplicate(row.id, f"{row.first_name} {row.last_name}", phone_display(row.phone),
                      names.get(row.district_id) if row.district_id else None) for row in rows]


class ResidentInUse(ValueError):
    """The resident already holds appointments: it is not a record just created by mistake."""


RECENT_RECORD_HOURS = 24  # a record "just created" at the desk, that the booking flow may merge


def use_existing_resident(new: Resident, keep: Resident) -> Resident:
    """Merge a record just created (`new`, without any appointment) into the resident it
    duplicates (`keep`): `keep`'s empty fields are filled from it and `new` is hidden, never
    deleted (`residents.services.merge_residents`). Raises ResidentInUse when `new` holds an
    appointment, ValueError for the same resident twice. Flushes."""
    if keep.id not in possible_duplicates(new):
        raise ValueError(_("These two records do not look like the same person: nothing was merged."))
    if new.created_at < utcnow() - timedelta(hours=RECENT_RECORD_HOURS):
        raise ValueError(_("Only a record created in the last hours can be merged from here."))
    held = db.session.scalar(sa.select(sa.func.count(Appointment.id)).where(Appointment.resident_id == new.id))
    if held:
        raise ResidentInUse(_("This record already has appointments: cancel or move them first, then merge."))
    return merge_residents(keep, new)


def upcoming_appointments(resident_id: int, moment: datetime, limit: int = 10) -> list[Appointment]:
    """The resident's booked appointments that have not ended at `moment`, earliest first, with
    their help point. One query."""
    query = (sa.select(Appointment).options(joinedload(Appointment.help_point))
             .where(Appointment.resident_id == resident_id, Appointment.status == "booked",
                    Appointment.ends_at > moment)
             .order_by(Appointment.starts_at).limit(limit))
    return list(db.session.scalars(query))


# ---------------------------------------------------------------- help points and slots

def bookable_help_points(today: date) -> list[tuple[int, str]]:
    """(id, name) of the active help points where some counsellor has an on-site rule still
    valid on or after `today`, by name. One query."""
    query = (sa.select(HelpPoint.id, HelpPoint.nom)
             .join(AvailabilityRule, AvailabilityRule.help_point_id == HelpPoint.id)
             .where(HelpPoint.is_active.is_(True), AvailabilityRule.mode == "on_site",
                    sa.or_(AvailabilityRule.valid_until.is_(None), AvailabilityRule.valid_until >= today))
             .distinct().order_by(HelpPoint.nom))
    return [(row.id, row.nom) for row in db.session.execute(query)]


@dataclass(frozen=True)
class Need:
    """What a resident needs, as the need form gives it: the criteria of the slot search.

    `district_id` only orders on-site slots (nearest help points first); `help_point_id` keeps
    one help point (on site only).
    """

    mode: str
    procedure: str | None = None
    needs: tuple[str, ...] = ()
    interpreter_language: str | None = None
    district_id: int | None = None
    help_point_id: int | None = None

    def search(self) -> dict[str, Any]:
        """Keyword arguments of `find_slots` / `earliest_slot` (without the dates)."""
        on_site = self.mode == "on_site"
        return {"mode": self.mode, "procedure": self.procedure, "needs": self.needs,
                "help_point_id": self.help_point_id if on_site else None,
                "district_id": self.district_id if on_site else None}

    def query_args(self) -> dict[str, Any]:
        """The need as query arguments of the need form (for links), empty values left out."""
        values: dict[str, Any] = {"mode": self.mode, "procedure": self.procedure, "needs": list(self.needs),
                                  "interpreter_language": self.interpreter_language,
                                  "district_id": self.district_id, "help_point_id": self.help_point_id}
        return {name: value for name, value in values.items() if value not in (None, "", [])}


@dataclass
class SlotGroup:
    """The slots of one day at one place: `help_point` None for phone slots."""

    help_point: HelpPoint | None
    slots: list[Slot] = field(default_factory=list)


@dataclass
class SlotDay:
    """One local day and its slots grouped by place, in the search's order."""

    day: date
    groups: list[SlotGroup]

    @property
    def count(self) -> int:
        return sum(len(group.slots) for group in self.groups)


@dataclass
class SlotPage:
    """A page of the slot list: `days` with slots from `first_day` (inclusive) to `last_day`
    (inclusive); `earlier_from`/`later_from` start the previous and next pages (None: none)."""

    days: list[SlotDay]
    first_day: date
    last_day: date
    earlier_from: date | None
    later_from: date | None

    @property
    def count(self) -> int:
        return sum(day.count for day in self.days)


def _horizon_days() -> int:
    return int(current_app.config.get("BOOKING_HORIZON_DAYS", 60))


def slot_page(need: Need, date_from: date, moment: datetime, days: int = DAYS_PER_PAGE) -> SlotPage:
    """The free slots of `days` days from `date_from` (today at the earliest); when they hold none,
    of `days` days from the first later day that has one, so that a page is never empty while a
    slot exists before the horizon. One search (five queries) in the usual case, three at most.
    Raises slots.InvalidSearch for bad criteria (its `field` names the form field)."""
    today = local_today(moment)
    last_bookable = today + timedelta(days=_horizon_days())
    date_from = min(max(date_from, today), last_bookable)
    earlier = max(today, date_from - timedelta(days=days)) if date_from > today else None
    found = find_slots(date_from=date_from, days=days, now=moment, **need.search())
    if not found:
        first = earliest_slot(date_from=date_from, now=moment, **need.search())
        if first is None:
            return SlotPage([], date_from, last_bookable, earlier, None)
        date_from = local_today(first.start)
        found = find_slots(date_from=date_from, days=days, now=moment, **need.search())
    last_day = date_from + timedelta(days=days - 1)
    later = last_day + timedelta(days=1) if last_day < last_bookable else None
    return SlotPage(group_by_day(found), date_from, last_day, earlier, later)


def group_by_day(slots: Sequence[Slot]) -> list[SlotDay]:
    """Slots (in `find_slots` order) by local day, then by place in order of first appearance,
    each group with its help point loaded (one query)."""
    places = help_points_by_id([slot.help_point_id for slot in slots])
    days: dict[date, dict[int | None, SlotGroup]] = {}
    for slot in slots:
        groups = days.setdefault(local_today(slot.start), {})
        key = slot.help_point_id
        if key not in groups:
            groups[key] = SlotGroup(places.get(key) if key is not None else None)
        groups[key].slots.append(slot)
    return [SlotDay(day, list(groups.values())) for day, groups in days.items()]


def help_points_by_id(ids: Sequence[int | None]) -> dict[int, HelpPoint]:
    """Help points by id, with their district (one query; none when no id)."""
    wanted = sorted({help_point_id for help_point_id in ids if help_point_id is not None})
    if not wanted:
        return {}
    query = sa.select(HelpPoint).options(joinedload(HelpPoint.district)).where(HelpPoint.id.in_(wanted))
    return {row.id: row for row in db.session.scalars(query)}


def slot_value(slot: Slot) -> str:
    """What a slot's button sends: "<start, seconds since 1970 UTC>-<help point id, 0 for phone>"."""
    return f"{int(slot.start.timestamp())}-{slot.help_point_id or 0}"


def parse_slot_value(value: str | None) -> tuple[datetime, int | None] | None:
    """(start, help point id or None) from `slot_value`'s text; None when it is not one."""
    seconds, _sep, place = (value or "").partition("-")
    if not (seconds.isascii() and seconds.isdigit() and place.isascii() and place.isdigit()):
        return None
    if len(seconds) > 12 or len(place) > 10:
        return None
    if int(seconds) > MAX_TIMESTAMP or int(place) > MAX_ID:
        return None
    return datetime.fromtimestamp(int(seconds), UTC), int(place) or None


# ---------------------------------------------------------------- appointments

def appointment_details(appointment_id: int) -> Appointment | None:
    """An appointment with its resident, counsellor, help point (and its district). One query."""
    query = (sa.select(Appointment).where(Appointment.id == appointment_id)
             .options(joinedload(Appointment.resident), joinedload(Appointment.counsellor),
                      joinedload(Appointment.help_point).joinedload(HelpPoint.district)))
    return db.session.scalar(query)


def replacement_of(appointment: Appointment) -> Appointment | None:
    """The appointment that replaced a moved one, if it still holds its time. One query."""
    query = (sa.select(Appointment).where(Appointment.rescheduled_from_id == appointment.id,
                                          Appointment.status.in_(HOLDING_STATUSES))
             .order_by(Appointment.id.desc()).limit(1))
    return db.session.scalar(query)


def is_past_start(appointment: Appointment, moment: datetime) -> bool:
    """True once the appointment has started at `moment`."""
    return appointment.starts_at <= moment
