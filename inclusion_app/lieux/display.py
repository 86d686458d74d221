"""How a help point's opening hours are shown: weekly table, open now / next opening, public holidays.

Built on the public functions of `inclusion_app.lieux.hours` (OSM opening_hours, French public
holidays from the `holidays` package). Times are wall-clock times in the app's `TIMEZONE`; days
and times are written in the request's language with Babel's CLDR data (no msgid for day names).
Hours that are not valid OSM syntax are never evaluated: the page shows the raw text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
import phonenumbers
from babel import Locale
from babel.dates import format_date, format_time, get_day_names
from flask_babel import get_locale
from flask_babel import gettext as _

from inclusion_app.lieux.hours import HOLIDAY_COUNTRY, InvalidHours, OpeningSchedule, parse_schedule
from inclusion_app.phones import REGIONS

logger = logging.getLogger(__name__)

#: Regions whose numbers are written in their national form: France and overseas France.
FRENCH_REGIONS = frozenset(REGIONS)
#: Public holidays shown ahead of today, in days.
HOLIDAY_WINDOW_DAYS = 30


@dataclass(frozen=True)
class DayRow:
    """One line of the weekly table: `name` of the weekday ("Lundi"), `ranges` as "09:00–12:00"."""

    weekday: int
    name: str
    ranges: tuple[str, ...]
    is_today: bool


@dataclass(frozen=True)
class HolidayRow:
    """A French public holiday in the coming days: its date `label`, `name`, and opening `ranges`
    that day (empty: closed)."""

    day: date
    label: str
    name: str
    ranges: tuple[str, ...]


@dataclass(frozen=True)
class HoursDisplay:
    """Everything the hours partial shows. With `is_valid` False, only `raw` is meaningful."""

    raw: str
    is_valid: bool
    days: tuple[DayRow, ...] = ()
    is_open_now: bool | None = None
    status: str = ""
    holidays: tuple[HolidayRow, ...] = ()


def _locale(locale: Locale | str | None) -> Locale:
    if isinstance(locale, Locale):
        return locale
    return Locale.parse(locale) if locale else (get_locale() or Locale.parse("fr"))


def describe_hours(horaires: str | None, now: datetime, timezone: str,
                   locale: Locale | str | None = None) -> HoursDisplay | None:
    """The display of `horaires` at the aware instant `now`, in `timezone` and `locale` (default:
    the request's). None when there are no hours; `is_valid=False` with the raw text when they do
    not parse. Never raises for bad hours."""
    if not horaires or not horaires.strip():
        return None
    try:
        schedule = parse_schedule(horaires, timezone)
        chosen = _locale(locale)
        local_now = now.astimezone(schedule.zone)
        return HoursDisplay(
            raw=horaires,
            is_valid=True,
            days=_week(schedule, local_now.date(), chosen),
            is_open_now=schedule.is_open(local_now),
            status=_status(schedule, local_now, chosen),
            holidays=_holidays(schedule, local_now.date(), chosen),
        )
    except InvalidHours:
        return HoursDisplay(raw=horaires, is_valid=False)
    except Exception:  # a valid but unusual expression the evaluation trips on: show it as written
        logger.warning("opening hours not evaluated: %r", horaires, exc_info=True)
        return HoursDisplay(raw=horaires, is_valid=False)


def is_open_now(horaires: str | None, now: datetime, timezone: str) -> bool | None:
    """True/False when the hours say whether the place is open at `now`; None when unknown."""
    if not horaires or not horaires.strip():
        return None
    try:
        return parse_schedule(horaires, timezone).is_open(now)
    except InvalidHours:
        return None
    except Exception:  # see describe_hours
        logger.warning("opening hours not evaluated: %r", horaires, exc_info=True)
        return None


def weekday_names(locale: Locale | str | None = None) -> list[str]:
    """The seven weekday names, Monday first, capitalised, in `locale` (default: the request's)."""
    names = get_day_names("wide", locale=_locale(locale))
    return [str(names[day]).capitalize() for day in range(7)]


def _clock(moment: time, locale: Locale) -> str:
    if moment == time(0):
        return _("midnight")
    return format_time(moment, "short", locale=locale)


def _range(start: time, end: time, locale: Locale) -> str:
    if start == end == time(0):
        return _("all day")
    start_text = format_time(start, "short", locale=locale)
    return f"{start_text}–{_clock(end, locale)}"


def _week(schedule: OpeningSchedule, today: date, locale: Locale) -> tuple[DayRow, ...]:
    table = schedule.weekly_table(today)
    names = weekday_names(locale)
    return tuple(
        DayRow(day, names[day], tuple(_range(start, end, locale) for start, end in table[day]), day == today.weekday())
        for day in range(7)
    )


def _when(moment: datetime, today: date, locale: Locale) -> str:
    clock = format_time(moment.time(), "short", locale=locale)
    if moment.date() == today:
        return _("today at %(time)s", time=clock)
    if moment.date() == today + timedelta(days=1):
        return _("tomorrow at %(time)s", time=clock)
    return _("%(day)s at %(time)s", day=format_date(moment.date(), "EEEE d MMMM", locale=locale), time=clock)


def _status(schedule: OpeningSchedule, now: datetime, locale: Locale) -> str:
    change = schedule.next_change(now)
    if schedule.is_open(now):
        if change is None:
            return _("Open now, at all times.")
        if _closes_tonight(change, now):
            return _("Open now, until %(time)s.", time=_clock(change.time(), locale))
        return _("Open now, until %(when)s.", when=_when(change, now.date(), locale))
    if change is None:
        return _("Closed now, with no opening in the coming year.")
    return _("Closed now. Next opening: %(when)s.", when=_when(change, now.date(), locale))


def _closes_tonight(change: datetime, now: datetime) -> bool:
    """True when `change` is later today, or exactly at the coming midnight."""
    return change.date() == now.date() or (change.time() == time(0) and change.date() == now.date() + timedelta(1))


@lru_cache(maxsize=32)
def _holiday_names(years: tuple[int, ...], language: str) -> dict[date, str]:
    calendar = holidays.country_holidays(HOLIDAY_COUNTRY, years=years, language=language)
    return dict(calendar.items())


def _holidays(schedule: OpeningSchedule, today: date, locale: Locale) -> tuple[HolidayRow, ...]:
    end = today + timedelta(days=HOLIDAY_WINDOW_DAYS)
    language = "fr" if locale.language == "fr" else "en_US"
    names = _holiday_names(tuple(sorted({today.year, end.year})), language)
    rows = []
    for day in sorted(day for day in names if today <= day <= end):
        start = datetime.combine(day, time(0), tzinfo=schedule.zone)
        intervals = schedule.open_intervals(start, start + timedelta(days=1))
        ranges = tuple(_range(low.time(), high.time(), locale) for low, high in intervals)
        label = format_date(day, "EEEE d MMMM", locale=locale)
        rows.append(HolidayRow(day, label[:1].upper() + label[1:], names[day], ranges))
    return tuple(rows)


def phone_display(e164: str | None) -> str | None:
    """A stored E.164 number as people write it: national form for France and overseas France
    (`+33549000000` → `05 49 00 00 00`, `+262639012345` → `0639 01 23 45`), international otherwise;
    the text unchanged when it does not parse."""
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) in FRENCH_REGIONS:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def is_web_address(value: str | None) -> bool:
    """True for an http(s) address: only those are turned into links (never `javascript:`)."""
    return bool(value) and str(value).lower().startswith(("https://", "http://"))
