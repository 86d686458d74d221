"""Opening hours: validation, public holidays, time zones and DST (inclusion_app.lieux.hours)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import opening_hours
import pytest

from inclusion_app.lieux.hours import (
    InvalidHours,
    OpeningSchedule,
    check_hours,
    is_open,
    next_change,
    parse_schedule,
    weekly_open_minutes,
    weekly_table,
)

PARIS = ZoneInfo("Europe/Paris")
OFFICE = "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00; PH off"


def paris(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time between two aware datetimes (Python subtracts wall clocks within one zone)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


# --- validation ----------------------------------------------------------------------------------


def test_valid_expression_is_kept_with_blanks_collapsed() -> None:
    check = check_hours("  Mo-Fr 09:00-12:00,14:00-18:30;  Sa 08:30-12:00 ")
    assert check.is_valid
    assert check.text == "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
    assert check.error is None


@pytest.mark.parametrize(
    "text", ["lundi 9h-12h", "du lundi au vendredi de 9h à 12h", "Mo 25:00-26:00", "sur rendez-vous"]
)
def test_free_text_is_reported_not_raised(text: str) -> None:
    check = check_hours(text)
    assert not check.is_valid
    assert check.text == text
    assert check.error
    assert "\n" not in check.error


def test_parser_error_gives_the_position() -> None:
    error = check_hours("lundi 9h-12h").error
    assert error is not None
    assert error.startswith("at 1:1")


def test_empty_hours_are_not_valid() -> None:
    assert check_hours("") == check_hours("   ")
    assert not check_hours("").is_valid


def test_schedule_of_invalid_text_raises_invalid_hours() -> None:
    with pytest.raises(InvalidHours):
        parse_schedule("lundi 9h-12h")
    assert issubclass(InvalidHours, ValueError)


# --- public holidays -----------------------------------------------------------------------------


def test_library_alone_ignores_ph_without_a_country() -> None:
    """The quirk this module works around: without `country`, `PH off` never applies."""
    raw = opening_hours.OpeningHours(OFFICE)
    assert raw.is_open(datetime(2026, 7, 14, 10, 0))


@pytest.mark.parametrize("day", [date(2026, 7, 14), date(2026, 12, 25), date(2026, 5, 1), date(2027, 7, 14)])
def test_ph_off_on_french_public_holidays(day: date) -> None:
    schedule = OpeningSchedule(OFFICE)
    at = datetime.combine(day, time(10, 0), tzinfo=PARIS)
    assert schedule.is_public_holiday(day)
    assert not schedule.is_open(at)


def test_open_the_day_before_bastille_day_and_the_next_change_skips_it() -> None:
    schedule = OpeningSchedule(OFFICE)
    assert schedule.is_open(paris(2026, 7, 13, 10, 0))
    assert schedule.next_change(paris(2026, 7, 13, 15, 0)) == paris(2026, 7, 13, 17, 0)
    assert schedule.next_change(paris(2026, 7, 13, 17, 0)) == paris(2026, 7, 15, 9, 0)


def test_christmas_friday_then_saturday_morning() -> None:
    assert next_change(OFFICE, paris(2026, 12, 24, 18, 0)) == paris(2026, 12, 26, 9, 0)


def test_ph_with_its_own_hours() -> None:
    schedule = OpeningSchedule("Mo-Fr 09:00-17:00; PH 10:00-12:00")
    assert schedule.is_open(paris(2026, 7, 14, 11, 0))
    assert not schedule.is_open(paris(2026, 7, 14, 9, 30))
    assert schedule.is_open(paris(2026, 7, 13, 9, 30))


def test_ph_combined_with_a_weekday_falls_back_to_the_library_calendar() -> None:
    schedule = OpeningSchedule("Mo-Fr 09:00-12:00; PH Mo off")
    assert not schedule.is_open(paris(2026, 5, 25, 10, 0))  # Whit Monday
    assert schedule.is_open(paris(2026, 5, 26, 10, 0))


def test_local_holidays_with_a_subdivision() -> None:
    every_day = "Mo-Su 09:00-12:00; PH off"
    assert OpeningSchedule(every_day).is_open(paris(2026, 12, 26, 10, 0))
    assert not OpeningSchedule(every_day, subdiv="57").is_open(paris(2026, 12, 26, 10, 0))


def test_mayotte_time_zone_and_holiday() -> None:
    mayotte = ZoneInfo("Indian/Mayotte")
    schedule = OpeningSchedule("Mo-Su 09:00-12:00; PH off", mayotte, subdiv="976")
    assert not schedule.is_open(datetime(2026, 4, 27, 10, 0, tzinfo=mayotte))  # abolition of slavery
    change = schedule.next_change(datetime(2026, 4, 27, 7, 0, tzinfo=UTC))
    assert change == datetime(2026, 4, 28, 9, 0, tzinfo=mayotte)
    assert change.utcoffset() == timedelta(hours=3)


def test_a_custom_holiday_calendar() -> None:
    schedule = OpeningSchedule(OFFICE, holiday_calendar={date(2026, 7, 15)})
    assert schedule.is_open(paris(2026, 7, 14, 10, 0))
    assert not schedule.is_open(paris(2026, 7, 15, 10, 0))


# --- time zones and DST --------------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        OpeningSchedule(OFFICE).is_open(datetime(2026, 7, 13, 10, 0))


def test_any_aware_datetime_is_converted() -> None:
    """The library alone raises TypeError for `datetime.timezone`; the schedule converts first."""
    schedule = OpeningSchedule(OFFICE)
    assert schedule.is_open(datetime(2026, 7, 13, 8, 30, tzinfo=UTC))  # 10:30 in Paris
    assert schedule.is_open(datetime(2026, 7, 13, 4, 30, tzinfo=timezone(timedelta(hours=-4))))
    assert schedule.next_change(datetime(2026, 7, 13, 8, 30, tzinfo=UTC)) == paris(2026, 7, 13, 12, 0)


def test_dst_spring_forward_week() -> None:
    """2026-03-29: clocks go from 02:00 (+01:00) to 03:00 (+02:00) in Europe/Paris."""
    schedule = OpeningSchedule("Mo-Su 09:00-12:00")
    assert not schedule.is_open(datetime(2026, 3, 28, 7, 30, tzinfo=UTC))  # 08:30 CET
    assert schedule.is_open(datetime(2026, 3, 29, 7, 30, tzinfo=UTC))  # 09:30 CEST
    change = schedule.next_change(paris(2026, 3, 28, 12, 0))
    assert change == paris(2026, 3, 29, 9, 0)
    assert change.utcoffset() == timedelta(hours=2)
    assert elapsed(paris(2026, 3, 28, 12, 0), change) == timedelta(hours=20)


def test_dst_night_ranges_last_their_real_duration() -> None:
    schedule = OpeningSchedule("Su 01:00-04:00")
    spring = schedule.open_intervals(paris(2026, 3, 29, 0, 0), paris(2026, 3, 30, 0, 0))
    autumn = schedule.open_intervals(paris(2026, 10, 25, 0, 0), paris(2026, 10, 26, 0, 0))
    assert [elapsed(start, end) for start, end in spring] == [timedelta(hours=2)]
    assert [elapsed(start, end) for start, end in autumn] == [timedelta(hours=4)]
    assert [(start.time(), end.time()) for start, end in spring] == [(time(1, 0), time(4, 0))]


def test_weekly_minutes_are_wall_clock_even_in_a_dst_week() -> None:
    schedule = OpeningSchedule("Mo-Su 09:00-12:00")
    assert schedule.weekly_open_minutes(date(2026, 3, 23)) == 7 * 180
    assert schedule.weekly_open_minutes(date(2026, 10, 19)) == 7 * 180


def test_open_intervals_merge_across_midnight() -> None:
    schedule = OpeningSchedule("Fr 20:00-24:00; Sa 00:00-02:00")
    intervals = schedule.open_intervals(paris(2026, 7, 17, 0, 0), paris(2026, 7, 19, 0, 0))
    assert intervals == [(paris(2026, 7, 17, 20, 0), paris(2026, 7, 18, 2, 0))]


def test_no_change_within_the_horizon() -> None:
    assert OpeningSchedule("24/7").next_change(paris(2026, 1, 1, 0, 0)) is None
    assert OpeningSchedule("off").next_change(paris(2026, 1, 1, 0, 0)) is None


# --- weekly table and minutes --------------------------------------------------------------------


def test_weekly_table_for_display() -> None:
    table = weekly_table("Mo 09:30-12:30; Tu 09:30-12:30,14:00-18:00; Sa 09:00-12:00", date(2026, 7, 13))
    assert table[0] == [(time(9, 30), time(12, 30))]
    assert table[1] == [(time(9, 30), time(12, 30)), (time(14, 0), time(18, 0))]
    assert table[5] == [(time(9, 0), time(12, 0))]
    assert table[2] == table[6] == []
    assert sorted(table) == list(range(7))


def test_weekly_table_splits_a_range_past_midnight() -> None:
    table = weekly_table("Su 22:00-02:00", date(2026, 7, 13))
    assert table[6] == [(time(22, 0), time(0, 0))]
    assert table[0] == [(time(0, 0), time(2, 0))]


def test_weekly_open_minutes() -> None:
    assert weekly_open_minutes(OFFICE, date(2026, 7, 13)) == 5 * 360 + 180
    assert weekly_open_minutes('Mo-Fr 09:00-12:00 open "sur rendez-vous"', date(2026, 7, 13)) == 5 * 180
    assert weekly_open_minutes("We 14:00-16:00 unknown", date(2026, 7, 13)) == 0
    assert weekly_open_minutes("24/7", date(2026, 7, 13)) == 7 * 24 * 60


def test_weekly_minutes_ignore_holidays_in_that_week() -> None:
    assert weekly_open_minutes(OFFICE, date(2026, 7, 14)) == weekly_open_minutes(OFFICE, date(2026, 7, 7))


def test_module_functions_take_strings_or_schedules() -> None:
    schedule = parse_schedule(OFFICE)
    at = paris(2026, 7, 13, 10, 0)
    assert is_open(OFFICE, at) is is_open(schedule, at) is True
    assert next_change(OFFICE, at) == next_change(schedule, at)
    assert "Europe/Paris" in repr(schedule)
