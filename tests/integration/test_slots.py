"""The slot search (issue 4): wall-clock rules, DST, holidays, absences, closures, bookings, filters.

Every test uses a fixed `now`; times are asserted as Paris wall-clock text ("2027-03-02 09:00").
Calendar: 2027-03-01 is a Monday; 2027-03-28 and 2027-10-31 (and 2026-10-25) are DST Sundays;
2027-03-26 is Good Friday (a holiday in Moselle only), 2027-07-14 a Wednesday.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from inclusion_app.lieux.standard import VOCABULARIES
from inclusion_app.models import NEEDS, HelpPoint, User
from inclusion_app.scheduling.slots import (
    NEED_SUPPORT,
    InvalidSearch,
    Slot,
    earliest_slot,
    find_slots,
    is_free,
)
from tests import factories
from tests import scheduling_factories as sf
from tests.scheduling_factories import PARIS, local

NOW = datetime(2027, 2, 26, 12, 0, tzinfo=UTC)  # a Friday, 13:00 in Paris
TUE, WED, SUN = 1, 2, 6


def starts(slots: Sequence[Slot]) -> list[str]:
    """Local start times of slots, "YYYY-MM-DD HH:MM"."""
    return [slot.start.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") for slot in slots]


def search(**criteria: Any) -> list[Slot]:
    """`find_slots` on site from 2027-03-01 for 7 days at NOW, unless told otherwise."""
    values: dict[str, Any] = {"mode": "on_site", "date_from": date(2027, 3, 1), "days": 7, "now": NOW}
    values.update(criteria)
    return find_slots(**values)


@pytest.fixture
def counsellor(app: Flask) -> User:
    return factories.user("counsellor")


@pytest.fixture
def place(app: Flask) -> HelpPoint:
    return factories.help_point()


class QueryCounter:
    """Counts the SELECT statements run on an engine while listening (not BEGIN and the like)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.count += statement.lstrip().upper().startswith("SELECT")


@pytest.fixture
def queries(db: Any) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    yield counter
    sa.event.remove(db.engine, "before_cursor_execute", counter)


def test_need_support_uses_the_national_vocabulary() -> None:
    assert set(NEED_SUPPORT) == set(NEEDS)
    allowed = set(VOCABULARIES["prise_en_charge_specifique"])
    assert all(values <= allowed for values in NEED_SUPPORT.values())
    assert NEED_SUPPORT["lsf"] == {"Surdité"}
    assert NEED_SUPPORT["autre"] == frozenset()


def test_simple_week(counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, TUE, "09:00", "11:00", help_point=place)
    sf.rule(counsellor, 3, "14:00", "15:00", minutes=45, help_point=place)  # Thursday: 14:45 would not fit

    slots = search()

    assert starts(slots) == ["2027-03-02 09:00", "2027-03-02 09:30", "2027-03-02 10:00", "2027-03-02 10:30",
                             "2027-03-04 14:00"]
    first = slots[0]
    assert (first.start, first.end) == (datetime(2027, 3, 2, 8, 0, tzinfo=UTC), datetime(2027, 3, 2, 8, 30, tzinfo=UTC))
    assert slots[-1].end == local("2027-03-04 14:45")
    assert {(slot.mode, slot.help_point_id, slot.counsellor_ids) for slot in slots} == {
        ("on_site", place.id, (counsellor.id,))}
    assert first.to_json(PARIS) == {"start": "2027-03-02T09:00:00+01:00", "end": "2027-03-02T09:30:00+01:00",
                                    "mode": "on_site", "help_point_id": place.id, "counsellor_id": counsellor.id}


def test_rule_ending_mid_week_and_starting_later(counsellor: User, place: HelpPoint) -> None:
    for weekday in range(5):
        sf.rule(counsellor, weekday, "09:00", "10:00", minutes=60, help_point=place, valid_until=date(2027, 3, 3))
    sf.rule(counsellor, 4, "16:00", "17:00", minutes=60, help_point=place, valid_from=date(2027, 3, 12))

    assert starts(search(days=14)) == ["2027-03-01 09:00", "2027-03-02 09:00", "2027-03-03 09:00",
                                       "2027-03-12 16:00"]


def test_spring_dst_keeps_wall_clock(counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, SUN, "09:00", "10:00", minutes=60, help_point=place)

    slots = search(date_from=date(2027, 3, 21), days=8)

    assert starts(slots) == ["2027-03-21 09:00", "2027-03-28 09:00"]
    assert [slot.start.hour for slot in slots] == [8, 7]  # UTC: +01:00 then +02:00
    assert slots[1].to_json(PARIS)["start"] == "2027-03-28T09:00:00+02:00"


def test_spring_dst_skips_the_missing_hour(counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, SUN, "01:30", "03:30", help_point=place)

    slots = search(date_from=date(2027, 3, 28), days=1)

    assert [slot.to_json(PARIS)["start"] for slot in slots] == ["2027-03-28T01:30:00+01:00",
                                                                "2027-03-28T03:00:00+02:00"]
    assert slots[0].end == local("2027-03-28 03:00")  # 30 real minutes


@pytest.mark.parametrize(("before", "change"), [(date(2026, 10, 18), date(2026, 10, 25)),
                                                (date(2027, 10, 24), date(2027, 10, 31))])
def test_autumn_dst_keeps_wall_clock(counsellor: User, place: HelpPoint, before: date, change: date) -> None:
    sf.rule(counsellor, SUN, "09:00", "10:00", minutes=60, help_point=place)
    now = datetime.combine(before - timedelta(days=7), time(0), tzinfo=UTC)

    slots = search(date_from=before, days=8, now=now)

    assert starts(slots) == [f"{before} 09:00", f"{change} 09:00"]
    assert [slot.start.hour for slot in slots] == [7, 8]  # UTC: +02:00 then +01:00


def test_autumn_dst_takes_the_first_of_ambiguous_times(counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, SUN, "01:30", "03:30", help_point=place)

    slots = search(date_from=date(2026, 10, 25), days=1, now=datetime(2026, 10, 20, tzinfo=UTC))

    assert [slot.to_json(PARIS)["start"] for slot in slots] == [
        "2026-10-25T01:30:00+02:00", "2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00",
        "2026-10-25T03:00:00+01:00"]
    assert [slot.end - slot.start for slot in slots] == [slots[0].end - slots[0].start] * 4


def test_public_holiday_has_no_slot(counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, WED, "10:00", "11:00", minutes=60, help_point=place)

    slots = search(date_from=date(2027, 7, 7), days=15, now=datetime(2027, 6, 20, tzinfo=UTC))

    assert starts(slots) == ["2027-07-07 10:00", "2027-07-21 10:00"]  # not 14 July


def test_holidays_of_a_subdivision(app: Flask, counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, 4, "10:00", "11:00", minutes=60, help_point=place)
    criteria = {"date_from": date(2027, 3, 19), "days": 15}
    assert starts(search(**criteria)) == ["2027-03-19 10:00", "2027-03-26 10:00", "2027-04-02 10:00"]

    app.config["HOLIDAYS_SUBDIVISION"] = "57"  # Moselle keeps Good Friday

    assert starts(search(**criteria)) == ["2027-03-19 10:00", "2027-04-02 10:00"]


def test_absence_removes_the_counsellor(counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, TUE, "09:00", "11:00", help_point=place)
    sf.absence(counsellor, "2027-03-02 09:30", "2027-03-02 10:30")

    assert starts(search()) == ["2027-03-02 09:00", "2027-03-02 10:30"]


def test_long_absence_started_before_the_search(counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, TUE, "09:00", "10:00", minutes=60, help_point=place)
    sf.absence(counsellor, "2027-02-01 00:00", "2027-03-05 00:00")

    assert starts(search(days=14)) == ["2027-03-09 09:00"]


def test_closure_removes_on_site_slots_only(counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, TUE, "09:00", "10:00", minutes=60, help_point=place)
    sf.rule(counsellor, TUE, "14:00", "15:00", minutes=60)
    sf.closure(place, "2027-03-02 00:00", "2027-03-03 00:00")

    assert starts(search(days=14)) == ["2027-03-09 09:00"]
    assert starts(search(mode="phone", days=14)) == ["2027-03-02 14:00", "2027-03-09 14:00"]


def test_booked_appointment_removes_the_counsellor_cancelled_does_not(place: HelpPoint) -> None:
    first, second = factories.user("counsellor"), factories.user("counsellor")
    for counsellor in (first, second):
        sf.rule(counsellor, TUE, "09:00", "10:30", help_point=place)
    sf.appointment(first, "2027-03-02 09:00", help_point=place)
    sf.appointment(second, "2027-03-02 09:00", help_point=place, status="cancelled_by_resident")
    sf.appointment(first, "2027-03-02 10:00", status="attended")  # by phone: not at the desk then

    slots = search()

    assert [(hhmm, slot.counsellor_ids) for hhmm, slot in zip(starts(slots), slots, strict=True)] == [
        ("2027-03-02 09:00", (second.id,)),
        ("2027-03-02 09:30", (first.id, second.id)),
        ("2027-03-02 10:00", (second.id,)),
    ]
    assert [slot.counsellor_id for slot in slots] == [second.id, None, second.id]


def test_same_time_and_place_is_offered_once(place: HelpPoint) -> None:
    other_place = factories.help_point()
    first, second, third = (factories.user("counsellor") for _ in range(3))
    sf.rule(second, TUE, "09:00", "09:30", help_point=place)
    sf.rule(first, TUE, "09:00", "09:30", help_point=place)
    sf.rule(third, TUE, "09:00", "09:30", help_point=other_place)

    slots = search()

    assert [(slot.help_point_id, slot.counsellor_ids, slot.counsellor_id) for slot in slots] == [
        (place.id, (first.id, second.id), None), (other_place.id, (third.id,), third.id)]
    assert slots[0].to_json(PARIS)["counsellor_id"] is None


def test_phone_counsellors_free_at_once_are_merged(app: Flask) -> None:
    first, second = factories.user("counsellor"), factories.user("counsellor")
    sf.rule(first, TUE, "09:00", "10:00", minutes=60)
    sf.rule(second, TUE, "09:00", "10:00", minutes=60)

    slots = search(mode="phone")

    assert [(slot.mode, slot.help_point_id, slot.counsellor_ids) for slot in slots] == [
        ("phone", None, (first.id, second.id))]
    assert slots[0].to_json(PARIS) == {"start": "2027-03-02T09:00:00+01:00", "end": "2027-03-02T10:00:00+01:00",
                                       "mode": "phone", "help_point_id": None, "counsellor_id": None}


def test_only_active_counsellors_at_active_help_points(db: Any, place: HelpPoint) -> None:
    closed_place = factories.help_point(is_active=False)
    sf.rule(factories.user("counsellor"), TUE, "09:00", "09:30", help_point=closed_place)
    agent = factories.user("phone_agent")
    sf.rule(agent, TUE, "10:00", "10:30", help_point=place)
    gone = factories.user("counsellor")
    gone.is_active = False
    sf.rule(gone, TUE, "11:00", "11:30", help_point=place)

    assert search() == []


def test_minimum_notice(app: Flask, counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, TUE, "09:00", "12:00", help_point=place)
    now = local("2027-03-02 09:10")

    assert starts(search(now=now)) == ["2027-03-02 10:30", "2027-03-02 11:00", "2027-03-02 11:30"]

    app.config["BOOKING_MIN_NOTICE_MINUTES"] = 0

    assert starts(search(now=now))[:2] == ["2027-03-02 09:30", "2027-03-02 10:00"]


def test_horizon(app: Flask, counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, TUE, "13:00", "15:00", minutes=60, help_point=place)

    # now + 60 days = 2027-04-27 12:00 UTC, i.e. 14:00 in Paris: the 14:00 slot is past it.
    assert starts(search(date_from=date(2027, 4, 20), days=30)) == [
        "2027-04-20 13:00", "2027-04-20 14:00", "2027-04-27 13:00"]
    with pytest.raises(InvalidSearch, match="entre 1 et 60") as error:
        search(days=61)
    assert error.value.field == "days"
    with pytest.raises(InvalidSearch) as error:
        search(date_from=date(2027, 4, 28))
    assert error.value.field == "date_from"

    app.config["BOOKING_HORIZON_DAYS"] = 10

    with pytest.raises(InvalidSearch, match="entre 1 et 10"):
        search(days=11)


@pytest.mark.parametrize(("criteria", "field"), [
    ({"mode": "video"}, "mode"), ({"days": 0}, "days"), ({"procedure": "impots"}, "procedure"),
    ({"needs": ["braille"]}, "needs"), ({"limit": 0}, "limit"), ({"mode": "phone", "help_point_id": 1},
                                                                 "help_point_id"),
    ({"district_id": 999}, "district_id"), ({"now": datetime(2027, 2, 26, 12, 0)}, "now"),
])
def test_bad_criteria_name_their_field(app: Flask, criteria: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidSearch) as error:
        search(**criteria)
    assert error.value.field == field
    assert error.value.message


def test_procedure_filter(counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, TUE, "09:00", "09:30", help_point=place, procedures=["social_sante"])
    sf.rule(counsellor, TUE, "10:00", "10:30", help_point=place)
    sf.rule(counsellor, TUE, "11:00", "11:30", help_point=place, procedures=["logement", "argent_impots"])

    assert starts(search(procedure="social_sante")) == ["2027-03-02 09:00", "2027-03-02 10:00"]
    assert starts(search(procedure="logement")) == ["2027-03-02 10:00", "2027-03-02 11:00"]
    assert len(search()) == 3


def test_needs_narrow_on_site_help_points(counsellor: User) -> None:
    deaf = factories.help_point(prise_en_charge_specifique=["Surdité", "Handicaps moteurs"])
    ramp = factories.help_point(prise_en_charge_specifique=["Handicaps moteurs"])
    plain = factories.help_point()
    for hour, place in ((9, deaf), (10, ramp), (11, plain)):
        sf.rule(counsellor, TUE, f"{hour:02d}:00", f"{hour:02d}:30", help_point=place)
    sf.rule(counsellor, TUE, "14:00", "14:30")  # phone

    assert [slot.help_point_id for slot in search(needs=["lsf"])] == [deaf.id]
    assert [slot.help_point_id for slot in search(needs=["mobilite_reduite"])] == [deaf.id, ramp.id]
    assert [slot.help_point_id for slot in search(needs=["lsf", "malvoyance"])] == []
    assert [slot.help_point_id for slot in search(needs=["autre"])] == [deaf.id, ramp.id, plain.id]
    assert starts(search(mode="phone", needs=["lsf"])) == ["2027-03-02 14:00"]


def test_district_orders_help_points_within_a_day(db: Any, counsellor: User) -> None:
    district = factories.district()  # the square lon 0.30-0.40, lat 46.55-46.60
    inside = factories.help_point(latitude=46.58, longitude=0.34)  # in the polygon, district not assigned
    near = factories.help_point(latitude=46.58, longitude=0.42)
    far = factories.help_point(latitude=46.58, longitude=0.60)
    unmapped = factories.help_point(latitude=None, longitude=None)
    for weekday, hour, place in ((TUE, 8, unmapped), (TUE, 9, far), (TUE, 10, near), (TUE, 11, inside),
                                 (WED, 8, far)):
        sf.rule(counsellor, weekday, f"{hour:02d}:00", f"{hour:02d}:30", help_point=place)

    def order(**criteria: Any) -> list[tuple[str, int | None]]:
        slots = search(**criteria)
        return list(zip(starts(slots), [slot.help_point_id for slot in slots], strict=True))

    assert order(district_id=district.id) == [
        ("2027-03-02 11:00", inside.id), ("2027-03-02 10:00", near.id), ("2027-03-02 09:00", far.id),
        ("2027-03-02 08:00", unmapped.id), ("2027-03-03 08:00", far.id)]
    assert order() == [
        ("2027-03-02 08:00", unmapped.id), ("2027-03-02 09:00", far.id), ("2027-03-02 10:00", near.id),
        ("2027-03-02 11:00", inside.id), ("2027-03-03 08:00", far.id)]
    assert starts(search(district_id=district.id, limit=2)) == ["2027-03-02 11:00", "2027-03-02 10:00"]


def test_help_point_and_counsellor_restrict(place: HelpPoint) -> None:
    other_place = factories.help_point()
    first, second = factories.user("counsellor"), factories.user("counsellor")
    sf.rule(first, TUE, "09:00", "09:30", help_point=place)
    sf.rule(second, TUE, "09:00", "09:30", help_point=place)
    sf.rule(second, TUE, "10:00", "10:30", help_point=other_place)

    assert [slot.counsellor_ids for slot in search(help_point_id=place.id)] == [(first.id, second.id)]
    assert [slot.help_point_id for slot in search(counsellor_id=second.id)] == [place.id, other_place.id]
    assert [slot.counsellor_ids for slot in search(counsellor_id=second.id)] == [(second.id,), (second.id,)]


def test_is_free(place: HelpPoint) -> None:
    first, second = factories.user("counsellor"), factories.user("counsellor")
    for counsellor in (first, second):
        sf.rule(counsellor, TUE, "09:00", "11:00", help_point=place)
    sf.appointment(first, "2027-03-02 09:30", help_point=place)

    def free(text: str, **criteria: Any) -> Slot | None:
        values: dict[str, Any] = {"mode": "on_site", "help_point_id": place.id, "now": NOW}
        values.update(criteria)
        return is_free(local(text), **values)

    slot = free("2027-03-02 09:00")
    assert slot is not None
    assert (slot.start, slot.counsellor_ids) == (local("2027-03-02 09:00"), (first.id, second.id))
    assert free("2027-03-02 09:15") is None
    assert free("2027-03-02 09:30", counsellor_id=first.id) is None
    assert free("2027-03-02 09:30", counsellor_id=second.id) is not None
    assert free("2027-03-02 09:00", help_point_id=factories.help_point().id) is None
    assert free("2027-03-02 09:00", now=local("2027-03-02 08:30")) is None  # less than an hour's notice
    assert free("2027-05-04 09:00") is None  # past the horizon
    with pytest.raises(InvalidSearch) as error:
        is_free(datetime(2027, 3, 2, 9, 0), mode="on_site", help_point_id=place.id, now=NOW)
    assert error.value.field == "start"
    with pytest.raises(InvalidSearch) as error:
        free("2027-03-02 09:00", help_point_id=None)
    assert error.value.field == "help_point_id"


def test_earliest_slot(counsellor: User, place: HelpPoint) -> None:
    sf.rule(counsellor, WED, "16:00", "17:00", help_point=place)
    sf.rule(counsellor, 4, "08:00", "09:00", help_point=factories.help_point())

    slot = earliest_slot(mode="on_site", date_from=date(2027, 2, 1), now=NOW)

    assert slot is not None
    assert starts([slot]) == ["2027-03-03 16:00"]
    sf.absence(counsellor, "2027-03-03 00:00", "2027-03-04 00:00")
    later = earliest_slot(mode="on_site", date_from=date(2027, 3, 1), now=NOW)
    assert later is not None
    assert starts([later]) == ["2027-03-05 08:00"]
    assert earliest_slot(mode="phone", date_from=date(2027, 3, 1), days=7, now=NOW) is None


def test_queries_do_not_grow_with_the_period(counsellor: User, queries: QueryCounter) -> None:
    district = factories.district()
    for number in range(5):
        place = factories.help_point()
        sf.rule(counsellor, number, "09:00", "12:00", help_point=place)
        sf.closure(place, "2027-03-10 00:00", "2027-03-11 00:00")
    sf.absence(counsellor, "2027-03-15 00:00", "2027-03-16 00:00")
    sf.appointment(counsellor, "2027-03-02 09:00", help_point=place)

    counts = []
    for days in (1, 7, 30):
        queries.count = 0
        assert search(days=days, district_id=district.id)
        counts.append(queries.count)

    assert counts == [5, 5, 5]
