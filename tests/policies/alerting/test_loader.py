"""Alerting files: the shipped default, the documented example, and files with mistakes, each reported as
FILE:LINE: what, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from policies.alerting.loader import DEFAULT_ALERTING, check_alerting, load_alerting
from policies.alerting.model import Notify
from policies.loader import load_policy
from policies.model import Policy
from tests.policies.alerting.conftest import EXAMPLE, WriteAlerting, with_phones

BASE = """
routes:
  - name: all
    escalation: main
escalations:
  main:
    steps:
      - notify: channel
      - after: 5m
        notify: sms
schedules:
  primary:
    handoff: "mon 09:00"
    start: 2026-01-05
    people: [alice, bob]
    manager: carol
"""


def problems_of(path: Path, policy: Policy | None = None) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_alerting(path, policy=policy)
    return err.value.problems


def test_shipped_default_loads_and_fits_the_shipped_policy(policy: Policy) -> None:
    alerting = load_alerting()
    assert alerting == load_alerting(DEFAULT_ALERTING)
    assert [(r.name, r.escalation, r.channels) for r in alerting.routes] == [
        ("critical", "default", ()),
        ("default", None, ()),
    ]
    assert not alerting.event_mode and alerting.event_days == ()
    primary = alerting.schedules["primary"]
    assert (primary.people, primary.manager, primary.handoff, str(primary.start)) == (
        ("alice", "bob"),
        "carol",
        "mon 09:00",
        "2026-01-05",
    )
    steps = alerting.escalations["default"].steps
    assert [(s.after, s.notify, s.target) for s in steps[:4]] == [
        (0, Notify.CHANNEL, None),
        (120, Notify.DM, "oncall"),
        (300, Notify.SMS, "oncall"),
        (300, Notify.CALL, "oncall"),
    ]
    assert (steps[3].every, steps[3].until_acked) == (300, True)
    assert check_alerting(alerting, policy) == []
    assert load_alerting(None, policy=policy) == alerting


def test_shipped_default_names_who_needs_a_phone() -> None:
    """Without phone identities, everyone the default escalation may phone is named."""
    assert check_alerting(load_alerting(), with_phones(load_policy(), {})) == [
        "alice has no phone identity: sms and call steps cannot reach them",
        "bob has no phone identity: sms and call steps cannot reach them",
        "carol has no phone identity: call steps cannot reach them",
    ]


def test_the_documented_example_loads(write_alerting: WriteAlerting, policy: Policy) -> None:
    alerting = load_alerting(write_alerting(EXAMPLE), policy=policy)
    assert [r.name for r in alerting.routes] == ["prod-critical", "payments", "staging", "everything-else"]
    assert alerting.routes[0].channels == ("slack:C0INCIDENT", "telegram:-1001234567890")
    assert alerting.escalations["prod"].repeat == 2
    assert check_alerting(alerting, policy) == []


def test_docs_show_the_example(write_alerting: WriteAlerting) -> None:
    """The full example of docs/escalation.md is the one these tests use."""
    docs = (Path(__file__).parents[3] / "docs" / "escalation.md").read_text(encoding="utf-8")
    block = docs.split("## A full example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    assert load_alerting(write_alerting(block)) == load_alerting(write_alerting(EXAMPLE))


def test_schedules_and_windows_take_the_file_time_zone(write_alerting: WriteAlerting) -> None:
    text = BASE.replace("routes:", "timezone: America/New_York\nroutes:") + (
        "maintenance:\n  - name: w\n    weekly: {days: sun, from: '02:00', to: '03:00'}\n"
    )
    alerting = load_alerting(write_alerting(text))
    assert alerting.schedules["primary"].timezone == "America/New_York"
    assert alerting.maintenance[0].timezone == "America/New_York"


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param(
            [("    escalation: main", "    escalaton: main"), ("routes:", "timezon: UTC\nroutes:"),
             ("        notify: sms", "        notify: sms\n        evry: 5m")],
            ["1: unknown key 'timezon' (did you mean 'timezone'?)",
             "4: unknown key 'escalaton' (did you mean 'escalation'?)",
             "11: unknown key 'evry' (did you mean 'every'?)"],
            id="typoed keys",
        ),
        pytest.param(
            [("notify: sms", "notify: cal"), ("  - name: all\n", "  - name: all\n    match: {severity: critcal}\n"),
             ("    manager: carol", "    manager: carol\n    rotation: dayly\n    timezone: Europe/Londn")],
            ["3: unknown severity 'critcal' (did you mean 'critical'?)",
             "10: unknown notify 'cal' (did you mean 'call'?)",
             "17: unknown rotation 'dayly' (did you mean 'daily'?)",
             "18: unknown time zone 'Europe/Londn' (did you mean 'Europe/London'?)"],
            id="misspelt values",
        ),
        pytest.param(
            [("start: 2026-01-05", "start: 2026-01-06")],
            ["13: 2026-01-06 is a Tuesday: handoffs are on Mondays, so start on one"],
            id="a weekly start off the handoff day",
        ),
    ],
)  # fmt: skip
def test_a_mistake_is_named_at_its_line_with_a_suggestion(
    write_alerting: WriteAlerting, edits: list[tuple[str, str]], expected: list[str]
) -> None:
    text = BASE
    for old, new in edits:
        text = text.replace(old, new)
    path = write_alerting(text)
    assert problems_of(path) == [f"{path}:{problem}" for problem in expected]


@pytest.mark.parametrize(
    ("after", "problem"),
    [
        ("5 mins", "bad duration '5 mins': use 30s, 5m, 1h, 1h30m, 2d or a number of seconds"),
        ("8d", "duration '8d' is out of range: 0 to 7 days"),
        ("-1", "duration '-1' is out of range: 0 to 7 days"),
        ("99999999999999999999d", "duration '99999999999999999999d' is out of range: 0 to 7 days"),
        ("[5m]", "a duration is text or a number: use 30s, 5m, 1h, 1h30m, 2d or a number of seconds"),
        ("''", "bad duration '': use 30s, 5m, 1h, 1h30m, 2d or a number of seconds"),
    ],
)
def test_bad_durations(write_alerting: WriteAlerting, after: str, problem: str) -> None:
    path = write_alerting(BASE.replace("after: 5m", f"after: {after}"))
    assert problems_of(path) == [f"{path}:8: {problem}"]


def test_repeating_steps_must_say_how_often_and_how_long(write_alerting: WriteAlerting) -> None:
    steps = """
      - notify: call
        every: 5m
      - notify: call
        times: 3
      - notify: call
        every: 0s
        times: until_acked
      - notify: call
        every: 1m
        times: 0
      - notify: channel
        to: alice
"""
    path = write_alerting(BASE.replace("      - notify: channel\n", steps.lstrip("\n")))
    assert problems_of(path) == [
        f"{path}:7: every needs times: a number above 1, or until_acked",
        f"{path}:9: times needs every: how long between the pages",
        f"{path}:12: every must be at least 1s",
        f"{path}:16: times is a number from 1 to 1000, or until_acked",
        f"{path}:17: a channel step posts to the route's channels: remove 'to'",
    ]


def test_repeat_after_an_endless_last_step_is_refused(write_alerting: WriteAlerting) -> None:
    text = BASE.replace("notify: sms", "notify: call\n        every: 5m\n        times: until_acked")
    path = write_alerting(text.replace("schedules:", "    repeat: 1\nschedules:"))
    assert problems_of(path) == [f"{path}:5: repeat never happens: the last step repeats until_acked"]


def test_names_that_refer_to_nothing(write_alerting: WriteAlerting) -> None:
    text = BASE.replace("    escalation: main", "    escalation: mian\n  - name: all") + (
        "  other:\n    handoff: '09:00'\n    rotation: daily\n    start: 2026-01-05\n    people: [dave]\n"
    )
    text = text.replace("notify: sms", "notify: sms\n        to: schedule:othr")
    path = write_alerting(text)
    assert problems_of(path) == [
        f"{path}:3: unknown escalation 'mian' (did you mean 'main'?)",
        f"{path}:4: the name 'all' is used twice",
        f"{path}:11: unknown schedule 'othr' (did you mean 'other'?)",
    ]


def test_paging_a_person_needs_a_schedule(write_alerting: WriteAlerting) -> None:
    path = write_alerting(BASE.split("schedules:")[0] + "      - notify: call\n        to: manager\n")
    assert problems_of(path) == [
        f"{path}:9: paging 'oncall' needs a schedule: add one under schedules",
        f"{path}:11: paging 'manager' needs a schedule: add one under schedules",
    ]
    no_manager = write_alerting(BASE.replace("    manager: carol\n", "") + "")
    alerting = load_alerting(no_manager)  # nobody asks for the manager yet
    assert alerting.schedules["primary"].manager is None
    asks = write_alerting(
        BASE.replace("    manager: carol\n", "").replace("notify: sms", "notify: sms\n        to: manager")
    )
    assert problems_of(asks) == [f"{asks}:10: to: manager, but schedule 'primary' has no manager"]


def test_times_of_day_need_quotes_and_a_clock_form(write_alerting: WriteAlerting) -> None:
    path = write_alerting(
        BASE.replace('handoff: "mon 09:00"', 'handoff: "monday 9"')
        + "maintenance:\n  - name: w\n    weekly: {days: [sun], from: 12:30, to: '25:00'}\n"
    )
    assert problems_of(path) == [
        f"{path}:12: bad time of day '9': use HH:MM, like \"09:00\"",
        f'{path}:18: write a time of day in quotes, like "09:00"',
        f"{path}:18: bad time of day '25:00': use HH:MM, like \"09:00\"",
    ]


def test_maintenance_windows_are_either_once_or_weekly(write_alerting: WriteAlerting) -> None:
    windows = """maintenance:
  - name: both
    start: 2026-12-05T02:00:00+00:00
    end: 2026-12-05T04:00:00+00:00
    weekly: {days: [sun], from: "02:00", to: "05:00"}
  - name: half
    start: 2026-12-05T02:00:00+00:00
  - name: backwards
    start: 2026-12-05T04:00:00+00:00
    end: 2026-12-05T02:00:00+00:00
  - name: empty
    weekly: {days: [], from: "02:00", to: "02:00"}
"""
    path = write_alerting(BASE + windows)
    assert problems_of(path) == [
        f"{path}:17: a maintenance window has start and end, or weekly (not both)",
        f"{path}:21: a maintenance window needs both start and end",
        f"{path}:23: a maintenance window's end must be after its start",
        f"{path}:27: days: give at least one",
    ]


def test_cross_check_against_the_main_policy(write_alerting: WriteAlerting, policy: Policy) -> None:
    text = (
        BASE.replace("people: [alice, bob]", "people: [alise, bob]")
        .replace("manager: carol", "manager: carl")
        .replace("  - name: all\n", "  - name: all\n    match: {environment: [prdo]}\n")
        .replace("notify: sms", "notify: sms\n        to: eve")
    )
    path = write_alerting(text)
    alerting = load_alerting(path)  # alone the file is fine
    assert check_alerting(alerting, policy) == [
        "schedule 'primary': unknown user 'alise' (did you mean 'alice'?)",
        "schedule 'primary': unknown user 'carl' (did you mean 'carol'?)",
        "escalation 'main' step 2: unknown user 'eve'",
        "unknown environment 'prdo' (did you mean 'prod'?)",
    ]
    assert problems_of(path, policy) == [
        f"{path}:3: unknown environment 'prdo' (did you mean 'prod'?)",
        f"{path}:11: escalation 'main' step 2: unknown user 'eve'",
        f"{path}:16: schedule 'primary': unknown user 'alise' (did you mean 'alice'?)",
        f"{path}:17: schedule 'primary': unknown user 'carl' (did you mean 'carol'?)",
    ]


def test_phone_problems_name_the_person(write_alerting: WriteAlerting, policy: Policy) -> None:
    path = write_alerting(BASE.replace("notify: sms", "notify: sms\n        to: dave"))
    bad = with_phones(policy, {"dave": "555-0100"})
    assert problems_of(path, bad) == [
        f"{path}:9: dave's phone '555-0100' is not E.164 (like +15550100001): sms steps fail"
    ]
    assert load_alerting(path, policy=policy).escalations["main"].steps[1].target == "dave"


def test_not_a_mapping_and_broken_files(write_alerting: WriteAlerting, tmp_path: Path) -> None:
    assert problems_of(write_alerting("- just\n- a list\n")) == [
        f"{tmp_path}/alerting.yaml:1: expected a mapping with at least 'routes'"
    ]
    assert problems_of(write_alerting("{}\n")) == [f"{tmp_path}/alerting.yaml:1: missing key 'routes'"]
    assert problems_of(write_alerting("routes: []\n")) == [f"{tmp_path}/alerting.yaml:1: routes: give at least one"]
    duplicated = write_alerting(BASE + "routes: []\n")
    assert problems_of(duplicated) == [f"{duplicated}:16: duplicate key 'routes' (first on line 1)"]
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe routes")
    assert problems_of(binary) == [f"{binary}: not UTF-8 text"]
    assert problems_of(tmp_path / "missing.yaml")[0].startswith(f"{tmp_path}/missing.yaml: cannot read")


def test_the_shape_and_the_names_are_reported_in_one_run(write_alerting: WriteAlerting, policy: Policy) -> None:
    path = write_alerting(
        """
        routes:
          - name: all
            match: {severity: critcal}
            escalation: main
          - name: all
            escalation: nightly
        escalations:
          main:
            steps:
              - notify: channel
              - after: 5 mins
                notify: sms
                to: eve
              - notfy: dm
              - notify: call
                to: schedule:othr
        schedules:
          primary:
            handoff: "mon 09:00"
            start: 2026-01-05
            people: [alise, bob]
            rotation: dayly
        """
    )
    assert problems_of(path, policy) == [
        f"{path}:3: unknown severity 'critcal' (did you mean 'critical'?)",  # the shape...
        f"{path}:5: the name 'all' is used twice",  # ...and the names, in the same run
        f"{path}:6: unknown escalation 'nightly'",
        f"{path}:11: bad duration '5 mins': use 30s, 5m, 1h, 1h30m, 2d or a number of seconds",
        f"{path}:13: escalation 'main' step 2: unknown user 'eve'",
        f"{path}:14: missing key 'notify'",
        f"{path}:14: unknown key 'notfy' (did you mean 'notify'?)",
        f"{path}:16: unknown schedule 'othr'",  # step 4: the unreadable step 3 stays
        f"{path}:21: schedule 'primary': unknown user 'alise' (did you mean 'alice'?)",
        f"{path}:22: unknown rotation 'dayly' (did you mean 'daily'?)",
    ]


def test_a_broken_escalation_or_schedule_is_still_known_by_name(write_alerting: WriteAlerting) -> None:
    text = (
        BASE.replace("      - notify: channel\n", "      - notify: channel\n        to: alice\n")
        .replace("notify: sms", "notify: sms\n        to: schedule:primary")
        .replace('handoff: "mon 09:00"', 'handoff: "someday"')
    )
    path = write_alerting(text)
    assert problems_of(path) == [
        f"{path}:7: a channel step posts to the route's channels: remove 'to'",
        f"{path}:14: weekly handoff 'someday' should look like \"mon 09:00\"",
    ]  # not "unknown escalation 'main'" nor "unknown schedule 'primary'"


def test_phone_steps_without_a_way_to_phone(write_alerting: WriteAlerting) -> None:
    path = write_alerting(BASE)
    with pytest.raises(ConfigError) as err:
        load_alerting(path, no_phone="OPSBOT_TWILIO_* is not set")
    assert err.value.problems == [f"{path}:9: escalation 'main' step 2 pages by sms but OPSBOT_TWILIO_* is not set"]
    assert load_alerting(path).escalations["main"].steps[1].notify is Notify.SMS
    more = "      - {after: 5m, notify: call}\n      - {after: 5m, notify: call, to: next}\nschedules:"
    calls = write_alerting(BASE.replace("schedules:", more))
    with pytest.raises(ConfigError) as err:
        load_alerting(calls, no_phone="OPSBOT_TWILIO_FROM is not set")
    assert err.value.problems == [
        f"{calls}:9: escalation 'main' step 2 pages by sms but OPSBOT_TWILIO_FROM is not set (and 2 more phone steps)"
    ]


def test_the_one_line_message_is_the_first_problem_and_how_many_more(write_alerting: WriteAlerting) -> None:
    path = write_alerting(BASE.replace("after: 5m", "after: soon").replace("escalation: main", "escalation: mian"))
    with pytest.raises(ConfigError) as err:
        load_alerting(path)
    assert str(err.value) == (
        f"{path}:3: unknown escalation 'mian' (did you mean 'main'?) (and 1 more: `opsbot check-config` lists them)"
    )


def test_parts_of_the_wrong_kind_are_reported_not_crashed_on(write_alerting: WriteAlerting, policy: Policy) -> None:
    path = write_alerting(
        """
        routes:
          - 5
          - {name: all, escalation: main}
          - {name: other, escalation: spare}
        escalations:
          main: page everyone
          spare: {steps: [{notify: sms, to: eve}]}
          7: {steps: []}
        schedules:
          primary: true
        """
    )
    problems = problems_of(path, policy)
    assert f"{path}:2: expected a mapping (key: value), not a number" in problems
    assert f"{path}:7: escalation 'spare' step 1: unknown user 'eve'" in problems
    assert not any("unknown escalation" in p or "unknown schedule" in p for p in problems), problems
