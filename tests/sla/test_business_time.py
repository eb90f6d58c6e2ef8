"""Business time arithmetic: opening hours, time zones, DST, holidays and closed days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.business_time import (
    NoBusinessHoursError,
    Schedule,
    add_business_minutes,
    add_business_time,
    business_minutes_between,
    business_time_between,
    open_intervals,
    parse_hhmm,
)

NINE_TO_FIVE = ((9 * 60, 17 * 60),)
WEEKDAYS = tuple([NINE_TO_FIVE] * 5 + [(), ()])
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def office(time_zone: str = "Europe/Berlin", holidays: frozenset[date] = frozenset()) -> Schedule:
    return Schedule(time_zone=time_zone, weekly=WEEKDAYS, holidays=holidays)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


# --- examples a support lead would check by hand ----------------------------------------------------


def test_adding_within_the_same_day():
    assert add_business_minutes(office(), berlin(2026, 3, 2, 10, 0), 90) == berlin(2026, 3, 2, 11, 30)


def test_adding_past_closing_time_continues_the_next_morning():
    # Monday 16:00 + 2 h: one hour on Monday, one on Tuesday.
    assert add_business_minutes(office(), berlin(2026, 3, 2, 16, 0), 120) == berlin(2026, 3, 3, 10, 0)


def test_a_ticket_opened_at_night_starts_counting_at_opening_time():
    assert add_business_minutes(office(), berlin(2026, 3, 2, 22, 15), 30) == berlin(2026, 3, 3, 9, 30)


def test_friday_afternoon_carries_over_the_weekend():
    assert add_business_minutes(office(), berlin(2026, 3, 6, 16, 30), 60) == berlin(2026, 3, 9, 9, 30)


def test_holidays_are_closed_days():
    easter_monday = date(2026, 4, 6)
    due = add_business_minutes(office(holidays=frozenset({easter_monday})), berlin(2026, 4, 3, 16, 0), 120)
    # Good Friday 3 April counts (not listed), the weekend and Easter Monday do not.
    assert due == berlin(2026, 4, 7, 10, 0)


def test_time_zone_of_the_calendar_not_of_the_input():
    # 08:30 UTC is 09:30 in Berlin in winter: half an hour of business time by 10:00 Berlin.
    start = datetime(2026, 1, 12, 8, 30, tzinfo=UTC)
    assert business_minutes_between(office(), start, berlin(2026, 1, 12, 10, 0)) == 30
    assert add_business_minutes(office("America/New_York"), start, 60) == datetime(2026, 1, 12, 10, 0, tzinfo=NEW_YORK)


def test_between_counts_only_opening_hours_and_is_signed():
    start, end = berlin(2026, 3, 6, 16, 0), berlin(2026, 3, 9, 10, 0)  # Friday 16:00 -> Monday 10:00
    assert business_minutes_between(office(), start, end) == 120
    assert business_minutes_between(office(), end, start) == -120


def test_split_shifts_and_lunch_breaks():
    weekly = tuple([((8 * 60, 12 * 60), (13 * 60, 17 * 60))] * 7)
    schedule = Schedule(time_zone="UTC", weekly=weekly)
    start = datetime(2026, 5, 4, 11, 30, tzinfo=UTC)
    assert add_business_minutes(schedule, start, 60) == datetime(2026, 5, 4, 13, 30, tzinfo=UTC)


def test_twenty_four_seven_is_plain_time():
    start = berlin(2026, 3, 28, 23, 0)
    assert add_business_minutes(Schedule.twenty_four_seven("Europe/Berlin"), start, 600) == start + timedelta(hours=10)


def test_spring_forward_night_shift_is_one_hour_shorter():
    # A 00:00-06:00 night shift on the night Berlin moves its clocks from 02:00 to 03:00: 5 real hours.
    schedule = Schedule(time_zone="Europe/Berlin", weekly=tuple([((0, 6 * 60),)] * 7))
    assert business_minutes_between(schedule, berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 29, 6, 0)) == 5 * 60
    # Two hours after midnight is 03:00 local on that night.
    assert add_business_minutes(schedule, berlin(2026, 3, 29, 0, 0), 120) == berlin(2026, 3, 29, 3, 0)


def test_fall_back_night_shift_is_one_hour_longer():
    schedule = Schedule(time_zone="Europe/Berlin", weekly=tuple([((0, 6 * 60),)] * 7))
    assert business_minutes_between(schedule, berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 25, 6, 0)) == 7 * 60


def test_opening_hours_follow_local_time_across_dst():
    # Business hours stay 09:00-17:00 local: in UTC they start at 08:00 in winter and 07:00 in summer.
    before = add_business_minutes(office(), datetime(2026, 3, 27, 0, 0, tzinfo=UTC), 1)
    after = add_business_minutes(office(), datetime(2026, 3, 30, 0, 0, tzinfo=UTC), 1)
    assert before.astimezone(UTC).hour == 8 and after.astimezone(UTC).hour == 7


def test_a_calendar_without_hours_raises():
    with pytest.raises(NoBusinessHoursError):
        add_business_minutes(Schedule(time_zone="UTC"), berlin(2026, 1, 1, 0, 0), 1)
    every_day = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(4 * 366))
    with pytest.raises(NoBusinessHoursError):
        add_business_minutes(office(holidays=every_day), berlin(2026, 1, 1, 0, 0), 1)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(office(), datetime(2026, 1, 1, 9, 0), 10)


def test_zero_is_the_start_itself_and_negative_is_refused():
    start = berlin(2026, 3, 7, 12, 0)  # a Saturday
    assert add_business_minutes(office(), start, 0) == start
    with pytest.raises(ValueError):
        add_business_minutes(office(), start, -1)


@pytest.mark.parametrize(
    ("text", "minutes"), [("09:00", 540), ("9:05", 545), ("00:00", 0), ("24:00", 1440), ("17:30", 1050)]
)
def test_parse_hhmm(text, minutes):
    assert parse_hhmm(text) == minutes


@pytest.mark.parametrize("text", ["9", "25:00", "12:60", "ab:cd", "24:01", "12:5", ""])
def test_parse_hhmm_refuses_nonsense(text):
    with pytest.raises(ValueError):
        parse_hhmm(text)


# --- properties ---------------------------------------------------------------------------------------

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata"]


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    def day() -> st.SearchStrategy:
        return st.lists(st.tuples(st.integers(0, 1440), st.integers(0, 1440)).map(sorted).map(tuple), max_size=3)

    weekly = draw(st.lists(day(), min_size=7, max_size=7))
    if not any(s < e for d in weekly for s, e in d):
        weekly[draw(st.integers(0, 6))] = [(9 * 60, 17 * 60)]
    holidays = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=20))
    return Schedule(
        time_zone=draw(st.sampled_from(ZONES)),
        weekly=tuple(tuple(d) for d in weekly),
        holidays=holidays,
        always_open=draw(st.integers(0, 9)) == 0,
    )


instants = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=0)
)
durations = st.integers(0, 60 * 24 * 20).map(lambda m: timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(schedules(), instants, durations)
def test_between_start_and_start_plus_delta_is_delta(schedule, start, delta):
    due = add_business_time(schedule, start, delta)
    assert due >= start
    assert business_time_between(schedule, start, due) == delta


@settings(max_examples=150, deadline=None)
@given(schedules(), instants, durations, durations)
def test_adding_is_monotonic_and_composes(schedule, start, first, second):
    one = add_business_time(schedule, start, first)
    both = add_business_time(schedule, start, first + second)
    assert one <= both
    # Adding in two steps lands on the same instant, or (when the first step ends exactly at a
    # closing time) on the next opening, which is the same amount of business time.
    stepped = add_business_time(schedule, one, second)
    assert business_time_between(schedule, both, stepped) == timedelta(0)


@settings(max_examples=150, deadline=None)
@given(schedules(), instants, instants, instants)
def test_between_is_additive_and_bounded_by_real_time(schedule, a, b, c):
    a, b, c = sorted([a, b, c])
    ab, bc, ac = (business_time_between(schedule, x, y) for x, y in ((a, b), (b, c), (a, c)))
    assert ab + bc == ac
    assert timedelta(0) <= ac <= c - a
    assert business_time_between(schedule, c, a) == -ac


@settings(max_examples=100, deadline=None)
@given(schedules(), instants, st.integers(1, 60 * 24 * 10).map(lambda m: timedelta(minutes=m)))
def test_due_is_the_earliest_such_instant_and_inside_opening_hours(schedule, start, delta):
    due = add_business_time(schedule, start, delta)
    assert business_time_between(schedule, start, due - timedelta(seconds=1)) < delta
    # The due instant is inside (or at the end of) an open interval.
    assert any(begin < due <= end for begin, end in open_intervals(schedule, start, days=40))


@settings(max_examples=100, deadline=None)
@given(schedules(), instants)
def test_holidays_count_nothing(schedule, start):
    for holiday in sorted(schedule.holidays)[:3]:
        tz = schedule.tz
        begin = datetime.combine(holiday, datetime.min.time(), tzinfo=tz)
        end = datetime.combine(holiday + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        if not schedule.always_open:
            assert business_time_between(schedule, begin, end) == timedelta(0)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ZONES), instants, durations)
def test_twenty_four_seven_equals_wall_time(zone, start, delta):
    schedule = Schedule.twenty_four_seven(zone)
    assert add_business_time(schedule, start, delta) == start + delta
    assert business_time_between(schedule, start, start + delta) == delta
