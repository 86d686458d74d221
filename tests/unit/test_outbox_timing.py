"""When outbox messages are due: reminder offsets in wall time (DST), quiet hours, parsing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from inclusion_app.messaging import timing

PARIS = ZoneInfo("Europe/Paris")
QUIET = timing.QuietHours(time(20, 0), time(8, 30))


def paris(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=PARIS)


def test_quiet_hours_cross_midnight_and_are_half_open():
    assert timing.parse_quiet_hours("20:00-08:30") == QUIET
    assert QUIET.contains(time(20, 0))
    assert QUIET.contains(time(23, 59))
    assert QUIET.contains(time(3, 0))
    assert QUIET.contains(time(8, 29))
    assert not QUIET.contains(time(8, 30))
    assert not QUIET.contains(time(19, 59))
    assert timing.parse_quiet_hours("") is None
    with pytest.raises(ValueError, match="HH:MM"):
        timing.parse_quiet_hours("20h")


def test_offsets_are_parsed_longest_first_and_refused_when_not_durations():
    assert timing.parse_offsets("3h, 48h,2d") == [timedelta(hours=48), timedelta(hours=3)]
    assert timing.parse_offsets("90m") == [timedelta(minutes=90)]
    assert timing.parse_offsets("") == []
    for bad in ("48", "0h", "2 weeks"):
        with pytest.raises(ValueError, match="REMINDER_OFFSETS"):
            timing.parse_offsets(bad)


def test_a_reminder_outside_quiet_hours_is_due_exactly_the_offset_before():
    due = timing.reminder_due(paris("2027-01-13 10:00"), timedelta(hours=48), QUIET, PARIS)
    assert due == paris("2027-01-11 10:00")


def test_a_reminder_due_in_quiet_hours_moves_earlier_to_before_they_begin():
    # 48 h before Wednesday 08:15 is Monday 08:15, quiet: due Sunday 19:45 instead (not Monday 08:30).
    due = timing.reminder_due(paris("2027-01-13 08:15"), timedelta(hours=48), QUIET, PARIS)
    assert due == paris("2027-01-10 19:45")
    # 3 h before 23:00 is 20:00, quiet from that minute: due 19:45 the same evening.
    assert timing.reminder_due(paris("2027-01-13 23:00"), timedelta(hours=3), QUIET, PARIS) == paris("2027-01-13 19:45")


def test_48_hours_before_a_monday_after_the_october_change_is_the_saturday_at_the_same_time():
    # Clocks go back on Sunday 25 October 2026 (03:00 CEST → 02:00 CET).
    start = paris("2026-10-26 10:00")  # 09:00 UTC
    due = timing.reminder_due(start, timedelta(hours=48), QUIET, PARIS)
    assert due == paris("2026-10-24 10:00")  # 08:00 UTC, CEST
    assert due == datetime(2026, 10, 24, 8, 0, tzinfo=UTC)
    assert start - due == timedelta(hours=49)  # one more real hour: the wall clock is what residents read


def test_48_hours_before_a_monday_after_the_march_change_is_the_saturday_at_the_same_time():
    start = paris("2027-03-29 10:00")  # clocks go forward on Sunday 28 March 2027
    due = timing.reminder_due(start, timedelta(hours=48), QUIET, PARIS)
    assert due.astimezone(PARIS).replace(tzinfo=None) == datetime(2027, 3, 27, 10, 0)
    assert start - due == timedelta(hours=47)


def test_quiet_hours_end_in_local_time_across_a_clock_change():
    # Saturday 24 October 2026, 21:00 CEST: quiet hours end Sunday 08:30 CET (one more hour of night).
    end = timing.notice_due(paris("2026-10-24 21:00"), QUIET, PARIS)
    assert end.astimezone(PARIS).replace(tzinfo=None) == datetime(2026, 10, 25, 8, 30)
    assert end == datetime(2026, 10, 25, 7, 30, tzinfo=UTC)


def test_a_notice_queued_in_quiet_hours_waits_until_they_end_and_is_due_at_once_otherwise():
    assert timing.notice_due(paris("2027-01-11 21:10"), QUIET, PARIS) == paris("2027-01-12 08:30")
    assert timing.notice_due(paris("2027-01-12 06:00"), QUIET, PARIS) == paris("2027-01-12 08:30")
    assert timing.notice_due(paris("2027-01-12 10:00"), QUIET, PARIS) == paris("2027-01-12 10:00")
    assert timing.notice_due(paris("2027-01-12 23:00"), None, PARIS) == paris("2027-01-12 23:00")


def test_quiet_hours_within_one_day():
    lunch = timing.QuietHours(time(12, 0), time(14, 0))
    assert timing.notice_due(paris("2027-01-12 12:30"), lunch, PARIS) == paris("2027-01-12 14:00")
    due = timing.reminder_due(paris("2027-01-14 13:00"), timedelta(hours=48), lunch, PARIS)
    assert due == paris("2027-01-12 11:45")
