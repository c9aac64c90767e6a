"""Who is on call: weekly and daily rotations across handoffs and daylight-saving changes, overrides from
the file and from chat, "tonight", and the next shifts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.alerting.oncall import OnCall, Override, handoff_after, on_call, rotation_after, tonight, upcoming
from policies.alerting.schedule import Schedule
from tests.policies.alerting.conftest import utc

WEEKLY = Schedule(
    timezone="Europe/London", handoff="mon 09:00", start=date(2026, 1, 5), people=("alice", "bob"), manager="carol"
)
DAILY = Schedule(
    timezone="America/New_York", rotation="daily", handoff="09:00", start=date(2026, 3, 1), people=("ann", "ben", "cat")
)
CHRISTMAS = Override(person="carol", start=utc("2026-12-24 18:00"), end=utc("2026-12-26 09:00"))


def test_weekly_rotation_across_handoffs() -> None:
    first = on_call(WEEKLY, utc("2026-01-05 09:00"))
    assert first == OnCall(
        person="alice", until=utc("2026-01-12 09:00"), next_person="bob", override=None, manager="carol", then="bob"
    )
    assert on_call(WEEKLY, utc("2026-01-12 08:59")).person == "alice"
    second = on_call(WEEKLY, utc("2026-01-12 09:00"))
    assert (second.person, second.until, second.next_person) == ("bob", utc("2026-01-19 09:00"), "alice")
    assert on_call(WEEKLY, utc("2026-01-19 09:00")).person == "alice"


def test_before_the_start_the_rotation_runs_backwards() -> None:
    before = on_call(WEEKLY, utc("2026-01-05 08:59"))
    assert (before.person, before.until) == ("bob", utc("2026-01-05 09:00"))


def test_weekly_handoff_keeps_its_wall_clock_time_across_dst() -> None:
    # London goes to summer time on Sunday 29 March 2026: Monday's 09:00 is 08:00 UTC.
    assert on_call(WEEKLY, utc("2026-03-23 09:00")).until == utc("2026-03-30 08:00")
    assert on_call(WEEKLY, utc("2026-03-30 07:59")).person == "bob"  # turn 11
    assert on_call(WEEKLY, utc("2026-03-30 08:00")).person == "alice"  # turn 12
    # ... and back on Sunday 25 October: Monday 26 October 09:00 is 09:00 UTC again.
    autumn = on_call(WEEKLY, utc("2026-10-20 12:00"))
    assert autumn.until == utc("2026-10-26 09:00")
    assert on_call(WEEKLY, utc("2026-10-26 08:59")).person == autumn.person
    assert on_call(WEEKLY, utc("2026-10-26 09:00")).person != autumn.person


def test_daily_rotation_across_dst() -> None:
    # New York goes to daylight time on Sunday 8 March 2026.
    saturday = on_call(DAILY, utc("2026-03-07 15:00"))  # 10:00 EST
    assert (saturday.person, saturday.until, saturday.next_person) == ("ann", utc("2026-03-08 13:00"), "ben")
    sunday = on_call(DAILY, utc("2026-03-08 13:00"))  # 09:00 EDT
    assert (sunday.person, sunday.until) == ("ben", utc("2026-03-09 13:00"))
    assert on_call(DAILY, utc("2026-03-08 12:59")).person == "ann"
    assert on_call(DAILY, utc("2026-03-01 14:00")).person == "ann"  # the start, 09:00 EST


def test_static_override_from_the_file() -> None:
    schedule = WEEKLY.model_copy(update={"overrides": (CHRISTMAS,)})
    before = on_call(schedule, utc("2026-12-24 17:00"))
    assert (before.person, before.until, before.override) == ("alice", utc("2026-12-24 18:00"), None)
    during = on_call(schedule, utc("2026-12-25 12:00"))
    assert (during.person, during.until, during.override) == ("carol", utc("2026-12-26 09:00"), CHRISTMAS)
    assert during.next_person == "bob"  # the rotation goes on underneath
    assert during.then == "alice"  # and alice's turn resumes when carol's ends
    after = on_call(schedule, utc("2026-12-26 09:00"))
    assert (after.person, after.until) == ("alice", utc("2026-12-28 09:00"))


def test_later_overrides_win() -> None:
    schedule = WEEKLY.model_copy(update={"overrides": (CHRISTMAS,)})
    bob_tonight = Override(person="bob", start=utc("2026-12-25 00:00"), end=utc("2026-12-25 06:00"), by="bob")
    at_three = on_call(schedule, utc("2026-12-25 03:00"), [bob_tonight])
    assert (at_three.person, at_three.until, at_three.override) == ("bob", utc("2026-12-25 06:00"), bob_tonight)
    assert on_call(schedule, utc("2026-12-25 06:00"), [bob_tonight]).person == "carol"
    dave_too = Override(person="dave", start=utc("2026-12-25 02:00"), end=utc("2026-12-25 04:00"), by="dave")
    assert on_call(schedule, utc("2026-12-25 03:00"), [bob_tonight, dave_too]).person == "dave"
    assert on_call(schedule, utc("2026-12-25 03:00"), [dave_too, bob_tonight]).person == "bob"


def test_an_override_across_a_handoff_lasts_until_its_end() -> None:
    week = Override(person="carol", start=utc("2026-01-10 00:00"), end=utc("2026-01-14 00:00"))
    now = on_call(WEEKLY, utc("2026-01-11 00:00"), [week])
    assert (now.person, now.until) == ("carol", utc("2026-01-14 00:00"))
    assert on_call(WEEKLY, utc("2026-01-14 00:00"), [week]).person == "bob"


def test_override_without_an_offset_is_in_the_schedule_time_zone() -> None:
    summer = Override(person="carol", start=datetime(2026, 7, 1, 18), end=datetime(2026, 7, 2, 9))
    schedule = WEEKLY.model_copy(update={"overrides": (summer,)})
    assert on_call(schedule, utc("2026-07-01 16:59")).person != "carol"
    now = on_call(schedule, utc("2026-07-01 17:00"))  # 18:00 in London
    assert (now.person, now.until) == ("carol", utc("2026-07-02 08:00"))


def test_overrides_are_checked() -> None:
    with pytest.raises(ValueError, match="end must be after its start"):
        Override(person="bob", start=utc("2026-01-02 00:00"), end=utc("2026-01-01 00:00"))
    with pytest.raises(ValueError, match="both with a UTC offset"):
        Override(person="bob", start=utc("2026-01-01 00:00"), end=datetime(2026, 1, 2))


@pytest.mark.parametrize(
    ("now", "until"),
    [
        ("2026-07-01 20:00", "2026-07-02 08:00"),  # 21:00 BST: until 09:00 BST tomorrow
        ("2026-07-02 07:00", "2026-07-02 08:00"),  # 08:00 BST: until 09:00 today
        ("2026-07-02 08:00", "2026-07-03 08:00"),  # 09:00 exactly: tomorrow's
        ("2026-03-28 22:00", "2026-03-29 08:00"),  # the night the clocks go forward
        ("2026-10-24 22:00", "2026-10-25 09:00"),  # the night they go back
    ],
)
def test_tonight_runs_until_the_handoff_time_of_day(now: str, until: str) -> None:
    assert tonight(WEEKLY, utc(now)) == (utc(now), utc(until))


def test_taking_tonight_puts_you_on_call_tonight() -> None:
    start, end = tonight(WEEKLY, utc("2026-01-06 20:00"))
    mine = Override(person="bob", start=start, end=end, by="bob")
    now = on_call(WEEKLY, utc("2026-01-06 23:00"), [mine])
    assert (now.person, now.until, now.override, now.then) == ("bob", utc("2026-01-07 09:00"), mine, "alice")
    assert on_call(WEEKLY, utc("2026-01-07 09:00"), [mine]).person == "alice"


def test_an_override_ending_inside_a_turn_hands_the_pager_back_to_that_turn() -> None:
    start, end = tonight(WEEKLY, utc("2026-01-14 20:00"))  # bob's week; alice takes tonight
    now = on_call(WEEKLY, utc("2026-01-14 21:00"), [Override(person="alice", start=start, end=end, by="alice")])
    assert (now.person, now.until, now.then) == ("alice", utc("2026-01-15 09:00"), "bob")


def test_upcoming_shifts() -> None:
    assert upcoming(WEEKLY, utc("2026-01-06 12:00")) == [
        (utc("2026-01-12 09:00"), utc("2026-01-19 09:00"), "bob"),
        (utc("2026-01-19 09:00"), utc("2026-01-26 09:00"), "alice"),
        (utc("2026-01-26 09:00"), utc("2026-02-02 09:00"), "bob"),
    ]
    night = Override(person="carol", start=utc("2026-01-13 18:00"), end=utc("2026-01-14 09:00"), by="carol")
    assert upcoming(WEEKLY, utc("2026-01-06 12:00"), [night], n=4) == [
        (utc("2026-01-12 09:00"), utc("2026-01-13 18:00"), "bob"),
        (utc("2026-01-13 18:00"), utc("2026-01-14 09:00"), "carol"),
        (utc("2026-01-14 09:00"), utc("2026-01-19 09:00"), "bob"),
        (utc("2026-01-19 09:00"), utc("2026-01-26 09:00"), "alice"),
    ]


def test_one_person_rotation_changes_turn_at_each_handoff() -> None:
    solo = WEEKLY.model_copy(update={"people": ("alice",)})
    now = on_call(solo, utc("2026-01-06 12:00"))
    assert (now.person, now.until, now.next_person) == ("alice", utc("2026-01-12 09:00"), "alice")
    assert rotation_after(solo, utc("2026-01-06 12:00")) == ["alice"]


def test_rotation_order_and_next_handoff() -> None:
    assert rotation_after(DAILY, utc("2026-03-01 14:00")) == ["ben", "cat", "ann"]
    assert handoff_after(DAILY, utc("2026-03-01 14:00")) == utc("2026-03-02 14:00")


def test_times_need_an_offset() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        on_call(WEEKLY, datetime(2026, 1, 6, 12))


moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))


@st.composite
def overrides(draw: st.DrawFn) -> list[Override]:
    found = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(moments)
        hours = draw(st.floats(min_value=0.01, max_value=24 * 20))
        found.append(
            Override(person=draw(st.sampled_from(["carol", "dave"])), start=start, end=start + timedelta(hours=hours))
        )
    return found


@settings(max_examples=300, deadline=None)
@given(
    at=moments,
    given_overrides=overrides(),
    schedule=st.sampled_from([WEEKLY, DAILY, WEEKLY.model_copy(update={"overrides": (CHRISTMAS,)})]),
    fraction=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_someone_is_always_on_call_until_a_later_time(
    at: datetime, given_overrides: list[Override], schedule: Schedule, fraction: float
) -> None:
    now = on_call(schedule, at, given_overrides)
    allowed = {*schedule.people, *(o.person for o in (*schedule.overrides, *given_overrides))}
    assert now.person in allowed
    assert now.until > at
    assert now.next_person in schedule.people
    between = min(at + (now.until - at) * fraction, now.until - timedelta(microseconds=1))  # timedelta rounds
    assert on_call(schedule, between, given_overrides).person == now.person
    assert on_call(schedule, now.until, given_overrides).person == now.then
    start, end = tonight(schedule, at)
    assert start == at < end <= at + timedelta(hours=25)
