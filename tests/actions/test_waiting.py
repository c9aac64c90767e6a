"""The one way a backend waits for a cloud operation, on a clock the test moves: reads a poll interval apart, the
last pause cut to the deadline, the timeout line naming what was seen last, and progress lines without repeats."""

from __future__ import annotations

import pytest

from actions.waiting import ChangedLines, Wait
from core.errors import ProviderTimeout
from tests.actions.helpers import StepClock


def test_a_state_reached_at_once_is_returned_without_a_pause() -> None:
    clock = StepClock()
    assert Wait(5.0, 1.0, clock=clock).until(lambda: "running", lambda s: s == "running", str) == "running"
    assert clock.slept == []


def test_reads_come_every_interval_until_the_state() -> None:
    clock, states = StepClock(), iter(["pending", "pending", "running"])
    seen = Wait(10.0, 2.0, clock=clock).until(lambda: next(states), lambda s: s == "running", str)
    assert (seen, clock.slept) == ("running", [2.0, 2.0])


def test_the_last_pause_ends_at_the_deadline_and_the_timeout_names_the_last_state() -> None:
    clock = StepClock()
    with pytest.raises(ProviderTimeout, match=r"^db-prod is still stopping after 5 s; check show db-prod$"):
        Wait(5.0, 2.0, clock=clock).until(
            lambda: "stopping",
            lambda s: s == "stopped",
            lambda s: f"db-prod is still {s} after 5 s; check show db-prod",
        )
    assert clock.slept == [2.0, 2.0, 1.0]  # read at 0, 2, 4 and 5: the last one at the deadline itself


def test_backoff_lengthens_the_pauses_up_to_the_longest() -> None:
    clock = StepClock()
    with pytest.raises(ProviderTimeout):
        Wait(20.0, 1.0, clock=clock, backoff=2.0, longest=5.0).until(lambda: 0, lambda _n: False, str)
    assert clock.slept == [1.0, 2.0, 4.0, 5.0, 5.0, 3.0]


def test_one_wait_spans_two_polls_under_one_deadline() -> None:
    clock = StepClock()
    wait = Wait(5.0, 1.0, clock=clock)
    operation = iter(["RUNNING", "RUNNING", "DONE"])
    wait.until(lambda: next(operation), lambda s: s == "DONE", str)
    assert wait.left() == 3.0
    with pytest.raises(ProviderTimeout, match=r"^STAGING$"):
        wait.until(lambda: "STAGING", lambda s: s == "RUNNING", str)
    assert (clock.at, wait.left()) == (5.0, 0.0)


def test_a_pause_of_its_own_replaces_the_clock_sleep() -> None:
    clock, states = StepClock(), iter(["updating", "succeeded"])
    pauses: list[float] = []

    def pause(seconds: float) -> None:  # e.g. an SDK poller that wakes when the operation ends
        pauses.append(seconds)
        clock.at += seconds / 2

    Wait(5.0, 1.0, clock=clock).until(lambda: next(states), lambda s: s == "succeeded", str, pause=pause)
    assert (pauses, clock.slept) == ([1.0], [])


def test_changed_lines_drop_a_line_equal_to_the_one_before() -> None:
    shown: list[str] = []
    lines = ChangedLines(shown.append, "web: 3 -> 5 instances")
    for line in ("web: 3/5 instances running", "web: 3/5 instances running", "web: 5/5 instances running"):
        lines(line)
    assert shown == ["web: 3 -> 5 instances", "web: 3/5 instances running", "web: 5/5 instances running"]
