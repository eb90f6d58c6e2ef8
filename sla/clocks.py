"""SLA clock arithmetic on a ticket's history: no Django, plain values in, a dataclass out.

A clock runs from the ticket's creation, pauses while the ticket is pending (waiting on the customer)
and stops at its goal (first public reply, or solved). Business time counts only inside the calendar's
opening hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sla.business_time import ZERO, Schedule, add_business_time, business_time_between

PAUSING_STATUSES = frozenset({"pending"})
STOPPED_STATUSES = frozenset({"solved", "closed"})


@dataclass(frozen=True)
class ClockState:
    due: datetime | None  # None while paused with time left
    breached: bool
    met_at: datetime | None  # the goal was reached in time
    paused: bool
    remaining: timedelta  # business time left (negative once breached and still running)


def running_segments(
    created_at: datetime, history: Sequence[tuple[datetime, str]], stop_at: datetime | None
) -> list[tuple[datetime, datetime | None]]:
    """The periods the clock ran: from creation, minus pending time, until ``stop_at`` (None: still running).

    ``history`` is (changed_at, to_status) in time order, the first entry being the status at creation.
    Solved/closed periods also stop the clock (a reopened ticket's clock resumes).
    """
    segments: list[tuple[datetime, datetime | None]] = []
    running_since: datetime | None = None
    events = sorted(history, key=lambda event: event[0]) or [(created_at, "new")]
    for index, (changed_at, status) in enumerate(events):
        # The first entry is the status the ticket was created with, written a moment after it.
        at = created_at if index == 0 else max(changed_at, created_at)
        if stop_at is not None and at >= stop_at:
            break
        runs = status not in PAUSING_STATUSES and status not in STOPPED_STATUSES
        if runs and running_since is None:
            running_since = at
        elif not runs and running_since is not None:
            if at > running_since:
                segments.append((running_since, at))
            running_since = None
    if running_since is not None:
        if stop_at is None:
            segments.append((running_since, None))
        elif stop_at > running_since:
            segments.append((running_since, stop_at))
    return segments


def clock_state(
    schedule: Schedule,
    *,
    target: timedelta,
    created_at: datetime,
    history: Sequence[tuple[datetime, str]],
    goal_at: datetime | None,
    now: datetime,
) -> ClockState:
    """Where one SLA clock stands at ``now``; ``goal_at`` is when its goal was reached (None: not yet)."""
    segments = running_segments(created_at, history, goal_at)
    remaining = target
    due: datetime | None = None
    for begin, end in segments:
        if end is None:
            if due is None:
                due = add_business_time(schedule, begin, remaining)
            remaining -= business_time_between(schedule, begin, max(now, begin))
            break
        spent = business_time_between(schedule, begin, end)
        if due is None and spent >= remaining:
            due = add_business_time(schedule, begin, max(remaining, ZERO))
        remaining -= spent
    if goal_at is not None:
        if due is not None and due < goal_at:
            return ClockState(due=due, breached=True, met_at=None, paused=False, remaining=remaining)
        if due is None:  # what the due time would have been, had the clock kept running after the goal
            due = add_business_time(schedule, goal_at, max(remaining, ZERO))
        return ClockState(due=due, breached=False, met_at=goal_at, paused=False, remaining=remaining)
    still_running = bool(segments) and segments[-1][1] is None
    if not still_running:
        # Paused (pending) or stopped (solved without the goal, e.g. no reply ever sent).
        breached = due is not None
        return ClockState(due=due, breached=breached, met_at=None, paused=not breached, remaining=remaining)
    assert due is not None
    return ClockState(due=due, breached=due <= now, met_at=None, paused=False, remaining=remaining)
