"""The escalation planner: the exact pages of an escalation and their delays, repeating steps, repeats of
the whole list, and who each step pages."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.alerting.model import AlertingPolicy, Escalation, Step
from policies.alerting.oncall import Override
from policies.alerting.schedule import Schedule
from policies.alerting.steps import Cursor, next_page, resolve_target, schedule_for
from tests.policies.alerting.conftest import utc

Page = tuple[str, str | None, float]  # notify, target, delay


def plan(escalation: Escalation, limit: int = 1000) -> list[Page]:
    pages: list[Page] = []
    cursor: Cursor | None = None
    while len(pages) < limit and (page := next_page(escalation, cursor)) is not None:
        cursor, step, delay = page
        pages.append((step.notify.value, step.target, delay))
    return pages


def escalation(steps: list[dict[str, object]], repeat: int = 0) -> Escalation:
    return Escalation.model_validate({"steps": steps, "repeat": repeat})


ROUND = [
    ("channel", None, 0),
    ("dm", "oncall", 120),
    ("sms", "oncall", 180),
    ("call", "oncall", 300),
    ("call", "oncall", 300),  # every 5m ...
    ("call", "oncall", 300),
    ("call", "next", 300),  # ... until the next step, 15 minutes after the first call
    ("call", "manager", 600),
]


def test_the_example_escalation_runs_three_rounds(example: AlertingPolicy) -> None:
    assert plan(example.escalations["prod"]) == ROUND * 3
    cursors = []
    cursor: Cursor | None = None
    while (page := next_page(example.escalations["prod"], cursor)) is not None:
        cursor = page[0]
        cursors.append(cursor)
    assert cursors[:5] == [Cursor(0, 0, 0), Cursor(1, 0, 0), Cursor(2, 0, 0), Cursor(3, 0, 0), Cursor(3, 1, 0)]
    assert cursors[8] == Cursor(0, 0, 1)
    assert cursors[-1] == Cursor(5, 0, 2)


def test_a_number_of_times_then_the_next_step() -> None:
    three = escalation(
        [
            {"notify": "call", "every": "5m", "times": 3},
            {"after": "5m", "notify": "call", "to": "manager"},
        ]
    )
    assert plan(three) == [
        ("call", "oncall", 0),
        ("call", "oncall", 300),
        ("call", "oncall", 300),
        ("call", "manager", 300),
    ]
    only = escalation([{"after": "1m", "notify": "sms", "every": "2m", "times": 3}])
    assert plan(only) == [("sms", "oncall", 60), ("sms", "oncall", 120), ("sms", "oncall", 120)]


def test_repeat_restarts_the_list() -> None:
    twice_more = escalation([{"notify": "channel"}, {"after": "5m", "notify": "dm"}], repeat=2)
    assert plan(twice_more) == [("channel", None, 0), ("dm", "oncall", 300)] * 3
    delayed_start = escalation([{"after": "1m", "notify": "sms"}], repeat=1)
    assert plan(delayed_start) == [("sms", "oncall", 60), ("sms", "oncall", 60)]


def test_until_acked_never_ends() -> None:
    forever = escalation(
        [{"notify": "channel"}, {"after": "2m", "notify": "call", "every": "5m", "times": "until_acked"}]
    )
    pages = plan(forever, limit=100)
    assert len(pages) == 100
    assert pages[:3] == [("channel", None, 0), ("call", "oncall", 120), ("call", "oncall", 300)]
    assert set(pages[2:]) == {("call", "oncall", 300)}
    cursor = Cursor(1, 10_000, 0)
    assert next_page(forever, cursor) == (Cursor(1, 10_001, 0), forever.steps[1], 300)


def test_until_acked_gives_way_to_a_next_step_due_sooner() -> None:
    soon = escalation(
        [{"notify": "call", "every": "10m", "times": "until_acked"}, {"after": "4m", "notify": "call", "to": "next"}]
    )
    assert plan(soon) == [("call", "oncall", 0), ("call", "next", 240)]
    uneven = escalation(
        [{"notify": "call", "every": "4m", "times": "until_acked"}, {"after": "10m", "notify": "call", "to": "next"}]
    )
    assert plan(uneven) == [
        ("call", "oncall", 0),
        ("call", "oncall", 240),
        ("call", "oncall", 240),
        ("call", "next", 120),
    ]


def test_call_every_five_minutes_until_reached_as_documented() -> None:
    docs = (Path(__file__).parents[3] / "docs" / "escalation.md").read_text(encoding="utf-8")
    block = docs.split("**Call every 5 minutes until reached:**", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    documented = Escalation.model_validate(yaml.safe_load(block)["escalations"]["until-reached"])
    pages = plan(documented, limit=50)
    assert pages[:3] == [("channel", None, 0), ("call", "oncall", 120), ("call", "oncall", 300)]
    assert len(pages) == 50


steps_strategy = st.lists(
    st.one_of(
        st.builds(lambda after: {"after": after, "notify": "sms"}, st.integers(0, 3600)),
        st.builds(
            lambda after, every, times: {"after": after, "notify": "call", "every": every, "times": times},
            st.integers(0, 3600),
            st.integers(1, 3600),
            st.integers(2, 5),
        ),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(steps=steps_strategy, repeat=st.integers(0, 3))
def test_finite_escalations_page_times_per_round(steps: list[dict[str, object]], repeat: int) -> None:
    policy = escalation(steps, repeat)
    pages = plan(policy)
    per_round = sum(int(s.get("times", 1)) for s in steps)  # type: ignore[call-overload]
    assert len(pages) == per_round * (repeat + 1)
    assert all(delay >= 0 for _, _, delay in pages)


SCHEDULE = Schedule(
    timezone="Europe/London",
    handoff="mon 09:00",
    start=utc("2026-01-05 09:00").date(),
    people=("alice", "bob", "dave"),
    manager="carol",
)
AT = utc("2026-01-06 12:00")  # alice's week; bob is next


def step(notify: str, to: str | None = None) -> Step:
    return Step.model_validate({"notify": notify, "to": to} if to else {"notify": notify})


def test_resolve_targets() -> None:
    assert resolve_target(step("dm"), SCHEDULE, AT) == "alice"
    assert resolve_target(step("call", "oncall"), SCHEDULE, AT) == "alice"
    assert resolve_target(step("call", "next"), SCHEDULE, AT) == "bob"
    assert resolve_target(step("call", "next"), SCHEDULE, AT, paged_before=["bob"]) == "dave"
    assert resolve_target(step("call", "next"), SCHEDULE, AT, paged_before=["bob", "dave"]) is None
    assert resolve_target(step("call", "manager"), SCHEDULE, AT) == "carol"
    assert resolve_target(step("sms", "dave"), None, AT) == "dave"
    assert resolve_target(step("channel"), SCHEDULE, AT) is None
    assert resolve_target(step("call"), None, AT) is None


def test_resolve_targets_under_an_override() -> None:
    bob_covers = Override(person="bob", start=utc("2026-01-06 00:00"), end=utc("2026-01-07 00:00"), by="bob")
    assert resolve_target(step("call"), SCHEDULE, AT, [bob_covers]) == "bob"
    assert resolve_target(step("call", "next"), SCHEDULE, AT, [bob_covers]) == "dave"  # bob is already on call
    no_manager = SCHEDULE.model_copy(update={"manager": None})
    assert resolve_target(step("call", "manager"), no_manager, AT) is None


def test_schedule_for_names_the_schedule_a_step_uses(example: AlertingPolicy) -> None:
    other = Schedule(timezone="UTC", rotation="daily", handoff="08:00", start=AT.date(), people=("dave",))
    alerting = example.model_copy(update={"schedules": {**example.schedules, "secondary": other}})
    assert schedule_for(alerting, step("call")) == "primary"
    assert schedule_for(alerting, step("call", "manager")) == "primary"
    assert schedule_for(alerting, step("call", "schedule:secondary")) == "secondary"
    assert schedule_for(alerting, step("call", "dave")) is None
    assert schedule_for(alerting, step("channel")) is None
    target = step("call", "schedule:secondary")
    assert resolve_target(target, alerting.schedules["secondary"], AT) == "dave"
