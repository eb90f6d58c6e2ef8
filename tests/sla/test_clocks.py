"""SLA clocks from a ticket's status history: pending pauses, solving stops, business hours apply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sla.business_time import Schedule, business_time_between
from sla.clocks import clock_state, running_segments

ALWAYS = Schedule.twenty_four_seven("UTC")
OFFICE = Schedule(time_zone="UTC", weekly=tuple([((9 * 60, 17 * 60),)] * 5 + [(), ()]))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, opening time
H = timedelta(hours=1)


def test_a_running_clock_is_due_target_business_time_after_creation():
    state = clock_state(OFFICE, target=4 * H, created_at=T0, history=[(T0, "new")], goal_at=None, now=T0 + H)
    assert state.due == T0 + 4 * H
    assert not state.breached and not state.paused and state.met_at is None
    assert state.remaining == 3 * H


def test_due_moves_to_the_next_business_day():
    state = clock_state(OFFICE, target=10 * H, created_at=T0, history=[(T0, "new")], goal_at=None, now=T0)
    assert state.due == datetime(2026, 3, 3, 11, 0, tzinfo=UTC)


def test_time_pending_does_not_count():
    history = [(T0, "new"), (T0 + H, "pending"), (T0 + 3 * H, "open")]
    state = clock_state(ALWAYS, target=4 * H, created_at=T0, history=history, goal_at=None, now=T0 + 3 * H)
    assert state.due == T0 + 6 * H  # 1 h before the pause, 3 h after it


def test_while_pending_the_clock_is_paused_without_a_due_time():
    history = [(T0, "new"), (T0 + H, "pending")]
    state = clock_state(ALWAYS, target=4 * H, created_at=T0, history=history, goal_at=None, now=T0 + 10 * H)
    assert state.paused and state.due is None and not state.breached
    assert state.remaining == 3 * H


def test_a_clock_that_ran_out_before_the_pause_stays_breached():
    history = [(T0, "new"), (T0 + 5 * H, "pending")]
    state = clock_state(ALWAYS, target=4 * H, created_at=T0, history=history, goal_at=None, now=T0 + 6 * H)
    assert state.breached and state.due == T0 + 4 * H and not state.paused


def test_running_past_the_due_time_is_a_breach():
    state = clock_state(ALWAYS, target=H, created_at=T0, history=[(T0, "open")], goal_at=None, now=T0 + 2 * H)
    assert state.breached and state.remaining == -H


def test_goal_reached_in_time_is_met():
    state = clock_state(ALWAYS, target=2 * H, created_at=T0, history=[(T0, "open")], goal_at=T0 + H, now=T0 + 5 * H)
    assert state.met_at == T0 + H and not state.breached and state.due == T0 + 2 * H


def test_goal_reached_late_is_breached():
    state = clock_state(ALWAYS, target=H, created_at=T0, history=[(T0, "open")], goal_at=T0 + 2 * H, now=T0 + 5 * H)
    assert state.breached and state.met_at is None and state.due == T0 + H


def test_solved_then_reopened_resumes_the_clock():
    history = [(T0, "open"), (T0 + H, "solved"), (T0 + 5 * H, "open")]
    segments = running_segments(T0, history, None)
    assert segments == [(T0, T0 + H), (T0 + 5 * H, None)]
    state = clock_state(ALWAYS, target=2 * H, created_at=T0, history=history, goal_at=None, now=T0 + 5 * H)
    assert state.due == T0 + 6 * H


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[datetime, str]]:
    steps = draw(st.lists(st.tuples(st.integers(1, 600), st.sampled_from(["open", "pending", "on_hold"])), max_size=8))
    at, result = T0, [(T0, "new")]
    for minutes, status in steps:
        at += timedelta(minutes=minutes)
        result.append((at, status))
    return result


@settings(max_examples=150, deadline=None)
@given(histories(), st.integers(1, 3000), st.integers(0, 6000))
def test_due_is_where_running_business_time_reaches_the_target(history, target_minutes, extra_minutes):
    target = timedelta(minutes=target_minutes)
    now = history[-1][0] + timedelta(minutes=extra_minutes)  # the history is in the past
    state = clock_state(OFFICE, target=target, created_at=T0, history=history, goal_at=None, now=now)
    if state.due is None:
        assert state.paused and not state.breached and state.remaining > timedelta(0)
        return
    # Business time spent running (not pending) between creation and the due time is the target.
    spent = sum(
        (
            business_time_between(OFFICE, begin, min(end or state.due, state.due))
            for begin, end in running_segments(T0, history, None)
            if begin < state.due
        ),
        timedelta(0),
    )
    assert spent == target
    assert state.breached == (state.due <= now)
    assert not state.paused
