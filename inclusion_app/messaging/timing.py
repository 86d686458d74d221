"""When messages are due: reminder offsets, quiet hours, expiry. Pure functions, no database.

Every computation is done in local wall-clock time (`TIMEZONE`, DESIGN.md section 3) with
`zoneinfo`, then turned back into UTC, so that "48 h before" a Monday 10:00 appointment is the
Saturday at 10:00 even when the clocks change on the Sunday in between (49 real hours then).

Quiet hours (`QUIET_HOURS`, default `20:00-08:30`, may cross midnight) are half-open local
intervals [start, end): nothing is sent inside. A reminder due inside is moved *earlier*, to
`QUIET_MARGIN` before the quiet hours begin (the end of the previous allowed window, with a
margin so that a pass that starts a little late still sends it before they begin); a
confirmation, change or cancellation queued inside waits until they end.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

#: A reminder that would fall in quiet hours is due this long before they begin.
QUIET_MARGIN = timedelta(minutes=15)
_DURATION = re.compile(r"^\s*(\d{1,4})\s*([dhm])\s*$", re.IGNORECASE)
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True)
class QuietHours:
    """Local wall-clock quiet hours [start, end); `start > end` when they cross midnight."""

    start: time
    end: time

    def contains(self, wall: time) -> bool:
        """True when the local wall-clock time `wall` is quiet."""
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end


def check_settings(config: Mapping[str, Any]) -> None:
    """Raise RuntimeError naming the setting when `QUIET_HOURS` or `REMINDER_OFFSETS` does not
    parse (checked when the app starts, not at the first booking)."""
    for name, parse, example in (("QUIET_HOURS", parse_quiet_hours, "20:00-08:30"),
                                 ("REMINDER_OFFSETS", parse_offsets, "48h,3h")):
        try:
            parse(config.get(name))
        except ValueError as error:
            message = f"{name}={config.get(name)!r} is not valid ({error}); write it like {example!r}"
            raise RuntimeError(message) from None


def parse_quiet_hours(text: str | None) -> QuietHours | None:
    """`"20:00-08:30"` → QuietHours(20:00, 08:30); empty or None → None (no quiet hours).

    Raises ValueError for another writing."""
    if not text or not text.strip():
        return None
    start, separator, end = text.partition("-")
    if not separator:
        raise ValueError(f"QUIET_HOURS must read HH:MM-HH:MM, not {text!r}")
    return QuietHours(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))


def parse_offsets(text: str | None) -> list[timedelta]:
    """`"48h,3h"` → [48 h, 3 h], longest first; units d, h, m; empty → [] (no reminder).

    Raises ValueError for a part that is not a positive duration."""
    offsets = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = _DURATION.match(part)
        if match is None or int(match.group(1)) == 0:
            raise ValueError(f"REMINDER_OFFSETS: {part.strip()!r} is not a duration such as 48h, 2d or 90m")
        offsets.append(timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))}))
    return sorted(set(offsets), reverse=True)


def wall_minus(moment: datetime, offset: timedelta, zone: ZoneInfo) -> datetime:
    """The instant `offset` before `moment` counted in local wall-clock time (UTC result).

    48 h before Monday 10:00 is Saturday 10:00 whatever the clocks did on Sunday. A wall time that
    does not exist (spring gap) is read with the offset before the change (zoneinfo, fold=0)."""
    wall = moment.astimezone(zone).replace(tzinfo=None) - offset
    return wall.replace(tzinfo=zone).astimezone(UTC)


def is_quiet(moment: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> bool:
    """True when the aware instant `moment` falls in quiet hours (local wall time)."""
    return quiet is not None and quiet.contains(moment.astimezone(zone).time())


def quiet_start_before(moment: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime:
    """For an instant inside quiet hours: the instant they began (UTC)."""
    local = moment.astimezone(zone)
    day = local.date()
    if quiet.start > quiet.end and local.time() < quiet.end:
        day -= timedelta(days=1)  # after midnight: they began the evening before
    return _at(day, quiet.start, zone)


def quiet_end_after(moment: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime:
    """For an instant inside quiet hours: the instant they end (UTC)."""
    local = moment.astimezone(zone)
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += timedelta(days=1)  # before midnight: they end the next morning
    return _at(day, quiet.end, zone)


def _at(day: date, wall: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, wall, zone).astimezone(UTC)


def reminder_due(start: datetime, offset: timedelta, quiet: QuietHours | None, zone: ZoneInfo) -> datetime:
    """When a reminder `offset` before an appointment starting at `start` is due (UTC): the wall
    time `offset` before, moved earlier to `QUIET_MARGIN` before quiet hours when it falls in them."""
    due = wall_minus(start, offset, zone)
    if quiet is not None and is_quiet(due, quiet, zone):
        due = quiet_start_before(due, quiet, zone) - QUIET_MARGIN
    return due


def notice_due(now: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> datetime:
    """When a confirmation, change or cancellation queued at `now` is due: now, or the end of
    quiet hours when queued inside them (UTC)."""
    if quiet is not None and is_quiet(now, quiet, zone):
        return quiet_end_after(now, quiet, zone)
    return now
