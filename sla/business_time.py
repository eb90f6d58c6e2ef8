"""Business time arithmetic: no Django, aware datetimes in, aware datetimes out.

A ``Schedule`` is a time zone, opening intervals per weekday in local wall-clock time and a set of
closed dates (holidays). Opening hours are turned into real (UTC) intervals day by day, so a day on
which the clocks change counts the hours that really pass (an 01:00-03:00 interval is 1 hour on the
spring-forward night and 3 hours on the fall-back night). Wall-clock times that do not exist (inside a
spring-forward gap) are read with the offset from before the change, i.e. moved forward, and whatever
overlaps that causes are merged.

    add_business_time(schedule, start, delta)      the earliest moment by which ``delta`` of business
                                                   time has passed since ``start``
    business_time_between(schedule, start, end)    business time inside [start, end), negative if end < start
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# How far ahead add_business_time looks for enough opening hours before giving up (holidays could
# close every remaining day of a badly configured calendar).
SEARCH_DAYS = 3 * 366
ZERO = timedelta(0)

Interval = tuple[int, int]  # minutes since local midnight, [start, end), end at most 1440


class NoBusinessHoursError(ValueError):
    """The schedule has no opening hours in the time searched."""


def _normalise_day(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, non-overlapping, non-empty intervals within one day."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, int(s)), min(MINUTES_PER_DAY, int(e))) for s, e in intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


@dataclass(frozen=True)
class Schedule:
    """Opening hours. ``weekly[0]`` is Monday; each day a sequence of (start, end) minutes since midnight."""

    time_zone: str = "UTC"
    weekly: tuple[tuple[Interval, ...], ...] = field(default_factory=lambda: tuple(() for _ in range(7)))
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("weekly needs exactly 7 days, Monday first")
        object.__setattr__(self, "weekly", tuple(_normalise_day(day) for day in self.weekly))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        ZoneInfo(self.time_zone)  # fail early on an unknown zone

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def has_hours(self) -> bool:
        return self.always_open or any(self.weekly)

    @classmethod
    def twenty_four_seven(cls, time_zone: str = "UTC") -> Schedule:
        return cls(time_zone=time_zone, always_open=True)


def parse_hhmm(value: str) -> int:
    """ "09:30" -> 570; "24:00" -> 1440 (the end of a day). Raises ValueError on anything else."""
    hours, _sep, minutes = value.strip().partition(":")
    if not _sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"{value!r} is not a time like 09:30")
    total = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or total > MINUTES_PER_DAY:
        raise ValueError(f"{value!r} is not a time of day")
    return total


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _local_instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of ``minute`` past local midnight on ``day`` (1440 is the next day's midnight)."""
    if minute >= MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), minute - MINUTES_PER_DAY
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    return local.astimezone(UTC)


def _day_intervals(schedule: Schedule, day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    if day in schedule.holidays:
        return []
    result = []
    for start, end in schedule.weekly[day.weekday()]:
        start_utc, end_utc = _local_instant(day, start, tz), _local_instant(day, end, tz)
        if end_utc > start_utc:
            result.append((start_utc, end_utc))
    return result


def open_intervals(
    schedule: Schedule, start: datetime, *, days: int = SEARCH_DAYS
) -> Iterator[tuple[datetime, datetime]]:
    """Merged, increasing open intervals (UTC) that end after ``start``, clipped to begin no earlier than it,
    covering ``days`` local days from ``start``'s local date."""
    _require_aware(start, "start")
    start = start.astimezone(UTC)
    if schedule.always_open:
        yield start, datetime.max.replace(tzinfo=UTC)
        return
    tz = schedule.tz
    # From the day before: a local day's intervals may reach into the next (DST gaps) in UTC terms.
    first_day = start.astimezone(tz).date() - timedelta(days=1)
    pending: tuple[datetime, datetime] | None = None
    for offset in range(days + 2):
        day_list = sorted(_day_intervals(schedule, first_day + timedelta(days=offset), tz))
        for begin, end in day_list:
            if pending is not None and begin <= pending[1]:
                pending = (pending[0], max(pending[1], end))
                continue
            if pending is not None and pending[1] > start:
                yield max(pending[0], start), pending[1]
            pending = (begin, end)
    if pending is not None and pending[1] > start:
        yield max(pending[0], start), pending[1]


def add_business_time(schedule: Schedule, start: datetime, delta: timedelta) -> datetime:
    """The earliest instant ``t`` with ``business_time_between(schedule, start, t) == delta`` (``delta`` >= 0).

    ``delta`` of zero returns ``start`` itself. Raises NoBusinessHoursError when the calendar has no
    opening hours within about three years.
    """
    _require_aware(start, "start")
    if delta < ZERO:
        raise ValueError("delta must not be negative")
    if delta == ZERO:
        return start
    if schedule.always_open:
        return start + delta
    if not schedule.has_hours:
        raise NoBusinessHoursError("the calendar has no opening hours")
    remaining = delta
    for begin, end in open_intervals(schedule, start):
        length = end - begin
        if remaining <= length:
            return (begin + remaining).astimezone(start.tzinfo)
        remaining -= length
    raise NoBusinessHoursError("the calendar has no opening hours in the next three years")


def business_time_between(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """Business time in [start, end); negative when ``end`` is before ``start``."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end < start:
        return -business_time_between(schedule, end, start)
    if schedule.always_open:
        return end - start
    end_utc = end.astimezone(UTC)
    days = (end_utc - start.astimezone(UTC)).days + 2
    total = ZERO
    for begin, finish in open_intervals(schedule, start, days=days):
        if begin >= end_utc:
            break
        total += min(finish, end_utc) - begin
    return total


def add_business_minutes(schedule: Schedule, start: datetime, minutes: int | float) -> datetime:
    return add_business_time(schedule, start, timedelta(minutes=minutes))


def business_minutes_between(schedule: Schedule, start: datetime, end: datetime) -> float:
    return business_time_between(schedule, start, end) / timedelta(minutes=1)
