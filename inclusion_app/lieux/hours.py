"""Opening hours in OpenStreetMap `opening_hours` syntax (the national standard's `horaires`).

Parsing and evaluation use `opening-hours-py` (import `opening_hours`), the maintained Rust parser.
Syntax: https://wiki.openstreetmap.org/wiki/Key:opening_hours/specification

Public holidays (`PH`). Checked with opening-hours-py 2.1.4:

- without `country=`, `PH` never matches, so `PH off` has no effect at all;
- with `country="FR"` the library uses its own built-in calendar, which covers 2000–2076 only,
  differs from the law in 2005–2007 (it still has Whit Monday), and knows no local holidays
  (Alsace-Moselle, and the abolition-of-slavery days overseas); other regions (`YT`, `RE`…)
  raise "Unknown ISO code".

So this module supplies the holiday calendar itself, from the `holidays` package (country FR,
optional subdivision such as `"57"` or `"976"`), the same calendar the slot computation uses
(DESIGN.md section 3): a day that is a public holiday is evaluated with the `PH` selector
rewritten to that day's weekday, any other day with `PH` matching nothing. When that rewrite is
not valid syntax (`PH Mo`, `PH +1 day`), the library's own FR calendar is used for that day.
Limit: a `PH` rule running past midnight (`PH 22:00-02:00`) loses its part after midnight.

Time zones: an aware datetime must carry a `zoneinfo.ZoneInfo` for the library (a
`datetime.timezone` raises TypeError inside it); every aware input is converted to the schedule's
zone first, and results are aware datetimes in that zone. DST is handled by the library: on
2026-03-29 in Europe/Paris, `01:00-04:00` is open from 01:00+01:00 to 04:00+02:00 (two real hours).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import opening_hours
from opening_hours import OpeningHours, State

logger = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Europe/Paris"
HOLIDAY_COUNTRY = "FR"
#: Days searched ahead by `next_change` before answering None (no change within a year).
DEFAULT_HORIZON_DAYS = 366
WEEKDAY_ABBREVIATIONS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")

# `ParserError` exists at run time but is missing from the package's type stubs.
_ParserError: type[Exception] = getattr(opening_hours, "ParserError", SyntaxError)
_PH_TOKEN = re.compile(r'"[^"]*"|\bPH\b')

#: A local opening range in a day: (start, end); an end of `time(0, 0)` means midnight (24:00).
TimeRange = tuple[time, time]


class InvalidHours(ValueError):
    """The text is not a valid OpenStreetMap opening_hours expression."""


@dataclass(frozen=True)
class HoursCheck:
    """Result of `check_hours`.

    - `text`: the input with blanks collapsed (what should be stored);
    - `is_valid`: True when it parses as OSM opening_hours;
    - `error`: a one-line English parser message when invalid, else None;
    - `warnings`: the parser's warnings for a valid expression (overlapping rules…).
    """

    text: str
    is_valid: bool
    error: str | None = None
    warnings: tuple[str, ...] = ()


def _error_summary(exc: Exception) -> str:
    """One line out of the parser's multi-line message: position and what was expected."""
    message = str(exc)
    where = re.search(r"-->\s*(\d+:\d+)", message)
    expected = re.search(r"^\s*=\s*(.+)$", message, re.MULTILINE)
    parts = [f"at {where.group(1)}" if where else "", expected.group(1).strip() if expected else ""]
    return ", ".join(part for part in parts if part) or "invalid opening_hours expression"


def check_hours(text: str) -> HoursCheck:
    """Validate `text` as OSM opening_hours without raising.

    An invalid string (e.g. the French free text `lundi 9h-12h`) gives `is_valid=False` and a
    one-line `error`; callers keep the raw text and report it. Empty text is invalid ("empty").
    """
    collapsed = " ".join((text or "").split())
    if not collapsed:
        return HoursCheck(collapsed, False, "empty")
    try:
        parsed = OpeningHours(collapsed)
    except _ParserError as exc:
        return HoursCheck(collapsed, False, _error_summary(exc))
    return HoursCheck(collapsed, True, None, tuple(parsed.warnings))


def _parse(expression: str, zone: ZoneInfo | None = None) -> OpeningHours:
    """Parse without any holiday calendar (PH matches nothing); raise InvalidHours."""
    try:
        return OpeningHours(expression, timezone=zone)
    except _ParserError as exc:
        raise InvalidHours(_error_summary(exc)) from exc


def _zone(timezone: str | ZoneInfo) -> ZoneInfo:
    return timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)


@lru_cache(maxsize=32)
def _calendar(subdiv: str | None) -> holidays.HolidayBase:
    """French public holidays (`holidays` package), shared by every schedule of that subdivision."""
    return holidays.country_holidays(HOLIDAY_COUNTRY, subdiv=subdiv)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


class OpeningSchedule:
    """A valid opening_hours expression bound to a time zone and a public-holiday calendar.

    `timezone` is an IANA name or ZoneInfo (default Europe/Paris). `subdiv` selects local holidays
    of the `holidays` package for FR (`"57"` Moselle, `"974"` La Réunion, `"976"` Mayotte…);
    `holiday_calendar` replaces the calendar entirely (any container of `date`).
    Raises InvalidHours when the expression does not parse.
    """

    def __init__(
        self,
        expression: str,
        timezone: str | ZoneInfo = DEFAULT_TIMEZONE,
        *,
        subdiv: str | None = None,
        holiday_calendar: Container[date] | None = None,
    ) -> None:
        self.expression = " ".join(expression.split())
        self.zone = _zone(timezone)
        self._plain = _parse(self.expression)
        self._zoned = _parse(self.expression, self.zone)
        self._uses_ph = any(match.group(0) == "PH" for match in _PH_TOKEN.finditer(self.expression))
        self._holiday_rules: dict[int, OpeningHours] = {}
        self.holidays: Container[date] = holiday_calendar if holiday_calendar is not None else _calendar(subdiv)

    def __repr__(self) -> str:
        return f"OpeningSchedule({self.expression!r}, {self.zone.key!r})"

    def is_public_holiday(self, day: date) -> bool:
        """True when the local `day` is in the holiday calendar."""
        return day in self.holidays

    def _rules_for(self, day: date) -> OpeningHours:
        """The expression to evaluate the local `day` with (see the module docstring for PH)."""
        if not self._uses_ph or not self.is_public_holiday(day):
            return self._zoned
        weekday = day.weekday()
        if weekday not in self._holiday_rules:
            self._holiday_rules[weekday] = self._holiday_expression(weekday)
        return self._holiday_rules[weekday]

    def _holiday_expression(self, weekday: int) -> OpeningHours:
        abbreviation = WEEKDAY_ABBREVIATIONS[weekday]
        rewritten = _PH_TOKEN.sub(lambda m: abbreviation if m.group(0) == "PH" else m.group(0), self.expression)
        try:
            return OpeningHours(rewritten, timezone=self.zone)
        except _ParserError:
            logger.warning("PH rule not rewritable, using the library's FR calendar: %r", self.expression)
            return OpeningHours(self.expression, timezone=self.zone, country=HOLIDAY_COUNTRY)

    def _localize(self, at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("an aware datetime is required")
        return at.astimezone(self.zone)

    def _segments(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime, bool]]:
        """(start, end, is_open) pieces covering [start, end), day by local day, in the zone."""
        day = start.date()
        while _midnight(day, self.zone) < end:
            low = max(start, _midnight(day, self.zone))
            high = min(end, _midnight(day + timedelta(days=1), self.zone))
            for piece_start, piece_end, state, _comment in self._rules_for(day).intervals(low, high):
                yield piece_start, piece_end, state == State.OPEN
            day += timedelta(days=1)

    def is_open(self, at: datetime) -> bool:
        """True when open at the aware instant `at` (an "unknown" state counts as not open).

        Raises ValueError for a naive datetime.
        """
        local = self._localize(at)
        return self._rules_for(local.date()).is_open(local)

    def next_change(self, at: datetime, *, horizon_days: int = DEFAULT_HORIZON_DAYS) -> datetime | None:
        """The next instant after `at` when open/not-open flips, aware in the schedule's zone.

        None when nothing changes within `horizon_days` days (e.g. `24/7`). Raises ValueError for a
        naive datetime.
        """
        local = self._localize(at)
        current = self.is_open(local)
        for start, _end, is_open in self._segments(local, local + timedelta(days=horizon_days)):
            if is_open != current:
                return start
        return None

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Open periods within [start, end) as aware (start, end) pairs in the zone, merged across
        midnight, holidays honoured. Raises ValueError for naive datetimes."""
        merged: list[tuple[datetime, datetime]] = []
        for low, high, is_open in self._segments(self._localize(start), self._localize(end)):
            if not is_open:
                continue
            if merged and merged[-1][1] == low:
                merged[-1] = (merged[-1][0], high)
            else:
                merged.append((low, high))
        return merged

    def weekly_table(self, week_of: date | None = None) -> dict[int, list[TimeRange]]:
        """Opening ranges of a typical week, for display: weekday (0 = Monday … 6 = Sunday) → list
        of local (start, end) wall-clock times; an end of `time(0, 0)` means midnight.

        "Typical" means the week containing `week_of` (default: this week in the zone) evaluated
        without public holidays and in wall-clock time (no DST shift). A range past midnight is
        split between the two days.
        """
        table: dict[int, list[TimeRange]] = {weekday: [] for weekday in range(7)}
        for low, high in self._typical_week(week_of):
            while low < high:
                day_end = datetime.combine(low.date() + timedelta(days=1), time(0))
                piece_end = min(high, day_end)
                table[low.weekday()].append((low.time(), piece_end.time()))
                low = piece_end
        return table

    def weekly_open_minutes(self, week_of: date | None = None) -> int:
        """Total open time of a typical week (see `weekly_table`), in minutes of wall-clock time.

        Used by the managers' coverage report (DESIGN.md section 4, `weekly_open_hours`).
        """
        seconds = sum((high - low).total_seconds() for low, high in self._typical_week(week_of))
        return int(seconds // 60)

    def _typical_week(self, week_of: date | None) -> list[tuple[datetime, datetime]]:
        """Naive open (start, end) pairs from Monday 00:00 to the next Monday of that week."""
        reference = week_of or datetime.now(self.zone).date()
        monday = datetime.combine(reference - timedelta(days=reference.weekday()), time(0))
        return [
            (low, high)
            for low, high, state, _comment in self._plain.intervals(monday, monday + timedelta(days=7))
            if state == State.OPEN
        ]


def parse_schedule(
    text: str, timezone: str | ZoneInfo = DEFAULT_TIMEZONE, *, subdiv: str | None = None
) -> OpeningSchedule:
    """Parse `text` into an OpeningSchedule; raises InvalidHours when it is not valid OSM syntax."""
    return OpeningSchedule(text, timezone, subdiv=subdiv)


def _schedule(oh: str | OpeningSchedule, timezone: str | ZoneInfo) -> OpeningSchedule:
    return oh if isinstance(oh, OpeningSchedule) else OpeningSchedule(oh, timezone)


def is_open(oh: str | OpeningSchedule, at: datetime, timezone: str | ZoneInfo = DEFAULT_TIMEZONE) -> bool:
    """`OpeningSchedule.is_open` for an expression or schedule (a string is read in `timezone`,
    with the FR holiday calendar). Raises InvalidHours, or ValueError for a naive `at`."""
    return _schedule(oh, timezone).is_open(at)


def next_change(
    oh: str | OpeningSchedule, at: datetime, timezone: str | ZoneInfo = DEFAULT_TIMEZONE
) -> datetime | None:
    """`OpeningSchedule.next_change` for an expression or schedule: aware datetime or None.
    Raises InvalidHours, or ValueError for a naive `at`."""
    return _schedule(oh, timezone).next_change(at)


def weekly_table(oh: str | OpeningSchedule, week_of: date | None = None) -> dict[int, list[TimeRange]]:
    """`OpeningSchedule.weekly_table`: weekday (0 = Monday) → local (start, end) times.
    Raises InvalidHours."""
    return _schedule(oh, DEFAULT_TIMEZONE).weekly_table(week_of)


def weekly_open_minutes(oh: str | OpeningSchedule, week_of: date | None = None) -> int:
    """`OpeningSchedule.weekly_open_minutes`: open minutes in a typical week (wall clock).
    Raises InvalidHours."""
    return _schedule(oh, DEFAULT_TIMEZONE).weekly_open_minutes(week_of)
