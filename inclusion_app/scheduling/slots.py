"""Free appointment slots (issue 4): the search behind `GET /api/v1/slots` and the booking checks.

A slot is a time at which a resident can be booked with a counsellor, on site at a help point or by
phone. The rules (DESIGN.md sections 3 "Time" and 4 "Slot"):

- the weekly `AvailabilityRule`s of active counsellors give wall-clock times in `TIMEZONE` (default
  Europe/Paris): a 09:00 rule is 09:00 local on both sides of a DST change; a wall-clock time that
  does not exist (spring forward, 02:00-03:00) is skipped, an ambiguous one (fall back) is its first
  occurrence (`fold=0`); a slot lasts `slot_minutes` of real time;
- French public holidays (`holidays.France`, with the optional `HOLIDAYS_SUBDIVISION` setting, e.g.
  "57" for Moselle or "974" for La Réunion) have no slot at all;
- a counsellor is not offered while absent (`Absence`) or holding an appointment (`HOLDING_STATUSES`,
  whatever its mode and place); a help point has no on-site slot while closed (`Closure`) or inactive;
- nothing starts before now + `BOOKING_MIN_NOTICE_MINUTES` (default 60) nor at or after now +
  `BOOKING_HORIZON_DAYS` days (default 60).

Cost: at most five queries whatever the period (rules with their help points, the district,
absences, closures, appointments of the window), then pure Python. Budget: 50 ms for all help points
over 30 days at city scale (DESIGN.md section 7; measured by `bench/slots.py`). Reads only.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import holidays
from flask import current_app
from flask_babel import gettext as _

from inclusion_app.models import MODES, NEEDS
from inclusion_app.models.scheduling import Mode
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.slot_sources import (
    Blocked,
    Instant,
    Place,
    SlotSearch,
    district_distances,
    load_blocked,
    rule_rows,
)
from inclusion_app.vocabularies import PROCEDURES

DEFAULT_TIMEZONE = "Europe/Paris"
DEFAULT_MIN_NOTICE_MINUTES = 60
DEFAULT_HORIZON_DAYS = 60
ONE_DAY = timedelta(days=1)

#: Booking need (DESIGN.md section 4) -> values of the national standard's `prise_en_charge_specifique`
#: (v1.0.2, `inclusion_app.lieux.standard.VOCABULARIES`) of which a help point must list at least one
#: to serve it. An on-site search keeps the help points that serve every need asked; an empty set
#: narrows nothing (`autre`: the counsellor arranges it with the resident). Needs do not narrow phone
#: slots: a phone appointment takes place nowhere, and the counsellor adapts the call.
NEED_SUPPORT: dict[str, frozenset[str]] = {
    "lsf": frozenset({"Surdité"}),
    "interprete": frozenset({"Langues étrangères (anglais)", "Langues étrangères (autres)"}),
    "mobilite_reduite": frozenset({"Handicaps moteurs"}),
    "malvoyance": frozenset({"Déficience visuelle"}),
    "autre": frozenset(),
}


class InvalidSearch(ValueError):
    """A refused search parameter: `field` names it as in the API's query string, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Slot:
    """A free slot: `start`/`end` aware UTC datetimes, `mode` "on_site" or "phone", `help_point_id`
    (None for phone), `counsellor_ids` the sorted ids of every counsellor free then (at least one)."""

    start: datetime
    end: datetime
    mode: str
    help_point_id: int | None
    counsellor_ids: tuple[int, ...]

    @property
    def counsellor_id(self) -> int | None:
        """The counsellor when exactly one is free, else None (one is assigned at booking)."""
        return self.counsellor_ids[0] if len(self.counsellor_ids) == 1 else None

    def to_json(self, tz: tzinfo) -> dict[str, Any]:
        """The API's Slot (DESIGN.md section 4): `start`/`end` ISO 8601 with the offset of `tz`."""
        return {
            "start": self.start.astimezone(tz).isoformat(),
            "end": self.end.astimezone(tz).isoformat(),
            "mode": self.mode,
            "help_point_id": self.help_point_id,
            "counsellor_id": self.counsellor_id,
        }


class _Rule(NamedTuple):
    counsellor_id: int
    help_point_id: int | None
    weekday: int
    start_minute: int  # wall-clock minutes since local midnight
    end_minute: int
    slot_minutes: int
    valid_from: date
    valid_until: date | None


_Key = tuple[Instant, Instant, int | None]  # (start, end, help point) of a slot within one day


def local_zone() -> ZoneInfo:
    """The zone of wall-clock times (`TIMEZONE`, default Europe/Paris)."""
    return ZoneInfo(current_app.config.get("TIMEZONE") or DEFAULT_TIMEZONE)


def local_date(moment: datetime) -> date:
    """The local date (`TIMEZONE`) of an aware instant."""
    return moment.astimezone(local_zone()).date()


def booking_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """(earliest start, end of the horizon) in UTC: a slot may start at or after the first and
    strictly before the second, i.e. now + `BOOKING_MIN_NOTICE_MINUTES` (default 60) and now +
    `BOOKING_HORIZON_DAYS` days (default 60). Raises InvalidSearch (field `now`) for a naive `now`."""
    if now is None:
        now = utcnow()
    elif now.tzinfo is None:
        raise InvalidSearch("now", _("now must be an aware datetime."))
    notice = timedelta(minutes=_setting("BOOKING_MIN_NOTICE_MINUTES", DEFAULT_MIN_NOTICE_MINUTES))
    horizon = timedelta(days=_setting("BOOKING_HORIZON_DAYS", DEFAULT_HORIZON_DAYS))
    now = now.astimezone(UTC)
    return now + notice, now + horizon


def find_slots(
    *,
    mode: str,
    date_from: date,
    days: int,
    help_point_id: int | None = None,
    district_id: int | None = None,
    procedure: str | None = None,
    needs: Sequence[str] = (),
    counsellor_id: int | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[Slot]:
    """The free slots of `mode` on the local days `date_from` .. `date_from + days - 1`.

    `help_point_id` keeps one help point (on site only), `counsellor_id` one counsellor;
    `procedure` (a La Coop category code) keeps the rules that list it or list none; `needs` (codes
    of `NEEDS`) keep the help points that serve them (`NEED_SUPPORT`). A time is offered once: the
    counsellors free at the same place (or by phone) with the same start and end share one `Slot`.
    Order: earliest first; with `district_id` (on site), within one local day the help points
    nearest the district come first (0 km inside it), then by start. `limit` keeps the first ones.
    Days past the booking horizon are left out. Raises InvalidSearch (a ValueError) with the field
    at fault: `mode`, `days` (below 1 or above `BOOKING_HORIZON_DAYS`), `date_from` (after the
    horizon), `help_point_id` (with phone), `procedure`, `needs`, `limit`, `district_id` (unknown).
    """
    if limit is not None and limit < 1:
        raise InvalidSearch("limit", _("The limit must be at least 1."))
    search = _search(mode=mode, date_from=date_from, days=days, now=now, help_point_id=help_point_id,
                     counsellor_id=counsellor_id, procedure=procedure, needs=needs, district_id=district_id)
    slots: list[Slot] = []
    for day_slots in _slots_by_day(search):
        slots.extend(day_slots)
        if limit is not None and len(slots) >= limit:
            break
    return slots[:limit]


def earliest_slot(
    *,
    mode: str,
    date_from: date,
    days: int | None = None,
    help_point_id: int | None = None,
    district_id: int | None = None,
    procedure: str | None = None,
    needs: Sequence[str] = (),
    counsellor_id: int | None = None,
    now: datetime | None = None,
) -> Slot | None:
    """The free slot that starts first for these criteria (see `find_slots`), or None.

    `days` defaults to the booking horizon (`BOOKING_HORIZON_DAYS`): the search runs to its end.
    Recorded at booking as the first slot offered (managers' indicator `median_days_to_first_slot`,
    DESIGN.md section 4). Among slots starting at once, the nearest the district (if given) wins.
    Raises InvalidSearch as `find_slots`.
    """
    if days is None:
        days = _setting("BOOKING_HORIZON_DAYS", DEFAULT_HORIZON_DAYS)
    search = _search(mode=mode, date_from=date_from, days=days, now=now, help_point_id=help_point_id,
                     counsellor_id=counsellor_id, procedure=procedure, needs=needs, district_id=district_id)
    first_day = next(_slots_by_day(search), [])
    return min(first_day, key=lambda slot: slot.start, default=None)


def is_free(
    slot_start: datetime,
    *,
    mode: str,
    help_point_id: int | None,
    counsellor_id: int | None = None,
    procedure: str | None = None,
    needs: Sequence[str] = (),
    now: datetime | None = None,
) -> Slot | None:
    """The free slot starting at `slot_start` (aware) with these criteria, or None when there is none.

    None too when the start is too soon (minimum notice) or past the horizon. With `counsellor_id`
    the slot holds that counsellor alone. Used by booking to refuse a start that is not offered.
    Raises InvalidSearch: `start` naive, `help_point_id` missing on site or given for phone, and
    the fields of `find_slots`.
    """
    if slot_start.tzinfo is None:
        raise InvalidSearch("start", _("The start must carry a UTC offset."))
    if mode == Mode.ON_SITE and help_point_id is None:
        raise InvalidSearch("help_point_id", _("An on-site slot needs a help point."))
    now = utcnow() if now is None else now
    earliest, horizon_end = booking_window(now)
    if not earliest <= slot_start < horizon_end:
        return None
    day = slot_start.astimezone(local_zone()).date()
    slots = find_slots(mode=mode, date_from=day, days=1, help_point_id=help_point_id, procedure=procedure,
                       needs=needs, counsellor_id=counsellor_id, now=now)
    return next((slot for slot in slots if slot.start == slot_start), None)


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _search(
    *, mode: str, date_from: date, days: int, now: datetime | None, help_point_id: int | None,
    counsellor_id: int | None, procedure: str | None, needs: Sequence[str], district_id: int | None,
) -> SlotSearch | None:
    """The checked criteria of a search, or None when none of its days is bookable."""
    _check_criteria(mode, help_point_id, procedure, needs)
    window = _window(date_from, days, now)
    if window is None:
        return None
    return SlotSearch(mode, *window, help_point_id, counsellor_id, procedure, tuple(needs), district_id)


def _check_criteria(mode: str, help_point_id: int | None, procedure: str | None, needs: Sequence[str]) -> None:
    if mode not in MODES:
        raise InvalidSearch("mode", _("The mode must be one of: %(codes)s.", codes=", ".join(MODES)))
    if mode == Mode.PHONE and help_point_id is not None:
        raise InvalidSearch("help_point_id", _("A phone slot takes place at no help point: omit help_point_id."))
    if procedure is not None and procedure not in PROCEDURES:
        raise InvalidSearch("procedure", _("The procedure must be one of: %(codes)s.", codes=", ".join(PROCEDURES)))
    unknown = [need for need in needs if need not in NEEDS]
    if isinstance(needs, str) or unknown:
        raise InvalidSearch("needs", _("Each need must be one of: %(codes)s.", codes=", ".join(NEEDS)))


def _window(date_from: date, days: int, now: datetime | None) -> tuple[date, date, datetime, datetime] | None:
    """(first day, last day, window start, window end) of a search, or None when nothing is bookable."""
    earliest, horizon_end = booking_window(now)
    horizon = _setting("BOOKING_HORIZON_DAYS", DEFAULT_HORIZON_DAYS)
    if not 1 <= days <= horizon:
        raise InvalidSearch("days", _("days must be between 1 and %(horizon)s (the booking horizon).", horizon=horizon))
    zone = local_zone()
    last_bookable = horizon_end.astimezone(zone).date()
    if date_from > last_bookable:
        raise InvalidSearch("date_from", _("date_from must be on or before %(day)s: appointments are booked at "
                                           "most %(horizon)s days ahead.", day=last_bookable.isoformat(),
                                           horizon=horizon))
    first = max(date_from, earliest.astimezone(zone).date())
    last = min(date_from + timedelta(days=days - 1), last_bookable)
    if first > last:
        return None
    start = max(earliest, datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC))
    end = min(horizon_end, datetime.combine(last + ONE_DAY, time(0), tzinfo=zone).astimezone(UTC))
    return first, last, start, end


def _slots_by_day(search: SlotSearch | None) -> Iterator[list[Slot]]:
    """The free slots of each local day of the search that has some, in the order of `find_slots`.

    Reads the database (five queries at most) when first asked, then computes a day at a time, so
    that `earliest_slot` and a `limit` stop early.
    """
    if search is None:
        return
    rules, places = _usable_rules(search)
    distances = None
    if search.district_id is not None and search.mode == Mode.ON_SITE:
        distances = district_distances(search.district_id, places)
        if distances is None:
            raise InvalidSearch("district_id", _("No district has this id."))
    if not rules:
        return
    blocked = load_blocked(search, sorted({rule.counsellor_id for rule in rules}), sorted(places))
    for free in _free_by_day(search, rules, blocked):
        yield _ordered(free, search.mode, distances)


def _usable_rules(search: SlotSearch) -> tuple[list[_Rule], dict[int, Place]]:
    """The rules that may give slots (procedure and needs checked), with the help points they name."""
    rules: list[_Rule] = []
    places: dict[int, Place] = {}
    for row in rule_rows(search):
        if search.procedure is not None and row.procedures and search.procedure not in row.procedures:
            continue
        if row.help_point_id is not None:
            if not _serves(row.prise_en_charge_specifique or (), search.needs):
                continue
            places[row.help_point_id] = Place(row.latitude, row.longitude, row.district_id)
        rules.append(_Rule(row.counsellor_id, row.help_point_id, row.weekday, _minutes(row.start_time),
                           _minutes(row.end_time), row.slot_minutes, row.valid_from, row.valid_until))
    return rules, places


def _serves(support: Iterable[str], needs: Sequence[str]) -> bool:
    """True when a help point listing `support` (prise_en_charge_specifique) serves every need."""
    listed = set(support)
    return all(not NEED_SUPPORT[need] or NEED_SUPPORT[need] & listed for need in needs)


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


class _Clock:
    """Wall-clock minutes of local days to instants (seconds since 1970 UTC), memoised per search."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._instants: dict[tuple[date, int], Instant | None] = {}

    def instant(self, day: date, minute: int) -> Instant | None:
        """The instant of `minute` past local midnight of `day` (zoneinfo); None when that time
        does not exist (spring forward); the first of the two when ambiguous (fall back, fold=0)."""
        key = (day, minute)
        if key not in self._instants:
            local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
            instant = local.astimezone(UTC)
            exists = instant.astimezone(self.zone).replace(tzinfo=None) == local.replace(tzinfo=None)
            self._instants[key] = int(instant.timestamp()) if exists else None
        return self._instants[key]

    def slots(self, day: date, rule: _Rule) -> Iterator[tuple[Instant, Instant]]:
        """(start, end) instants of the rule's slots on `day`: every `slot_minutes` from its start
        time while the slot fits before its end time (wall clock); each lasts `slot_minutes`."""
        length = rule.slot_minutes * 60
        for minute in range(rule.start_minute, rule.end_minute - rule.slot_minutes + 1, rule.slot_minutes):
            start = self.instant(day, minute)
            if start is not None:
                yield start, start + length


@lru_cache(maxsize=64)
def _holidays(year: int, subdivision: str | None) -> frozenset[date]:
    """French public holidays of one year (`holidays` package), optionally with a subdivision's own."""
    return frozenset(holidays.France(years=year, subdiv=subdivision))


def _rules_by_day(search: SlotSearch, rules: list[_Rule]) -> Iterator[tuple[date, list[_Rule]]]:
    """Each working day of the search with the rules valid on it (public holidays skipped)."""
    subdivision = current_app.config.get("HOLIDAYS_SUBDIVISION") or None
    weekly: dict[int, list[_Rule]] = defaultdict(list)
    for rule in rules:
        weekly[rule.weekday].append(rule)
    for offset in range((search.last_day - search.first_day).days + 1):
        day = search.first_day + timedelta(days=offset)
        if day in _holidays(day.year, subdivision):
            continue
        yield day, [rule for rule in weekly[day.weekday()]
                    if rule.valid_from <= day and (rule.valid_until is None or day <= rule.valid_until)]


def _free_by_day(search: SlotSearch, rules: list[_Rule], blocked: Blocked) -> Iterator[dict[_Key, set[int]]]:
    """For each working day with a free slot, in order: the counsellors free at each (start, end,
    help point) of that day."""
    clock = _Clock(local_zone())
    first, last = search.window_start.timestamp(), search.window_end.timestamp()
    for day, day_rules in _rules_by_day(search, rules):
        free: dict[_Key, set[int]] = defaultdict(set)
        for rule in day_rules:
            who, place = rule.counsellor_id, rule.help_point_id
            for start, end in clock.slots(day, rule):
                if first <= start < last and blocked.allows(who, place, start, end):
                    free[(start, end, place)].add(who)
        if free:
            yield free


def _ordered(free: dict[_Key, set[int]], mode: str, distances: dict[int, float] | None) -> list[Slot]:
    """One day's slots by start (then end, help point id), or with `distances` by distance, then start."""
    if distances is None:
        keys = sorted(free, key=lambda key: (key[0], key[1], key[2] or 0))
    else:
        table = distances
        keys = sorted(free, key=lambda key: (table.get(key[2] or 0, math.inf), key[0], key[1], key[2] or 0))
    moments = {instant: datetime.fromtimestamp(instant, UTC) for key in keys for instant in key[:2]}
    return [Slot(moments[start], moments[end], mode, place, tuple(sorted(free[(start, end, place)])))
            for start, end, place in keys]
