"""Deploy freezes from the alerting file: whether a deploy is frozen now and the one line saying why, and the
file's problems with their lines."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from actions.deploy.freeze import frozen
from core.errors import ConfigError
from policies.alerting.loader import DEFAULT_ALERTING, load_alerting
from policies.alerting.model import AlertingPolicy
from policies.loader import load_policy

FREEZES = """
timezone: Europe/London
event_days: [2026-12-24]
freeze_event_days: true
routes: [{name: all}]
deploy_freezes:
  - name: wedding weekend
    start: 2027-06-18T18:00
    end: 2027-06-21T00:00
  - name: Saturday ceremonies
    weekly: {days: [sat], from: "10:00", to: "22:00"}
    services: web
  - name: night batch
    weekly: {days: [tue], from: "23:00", to: "02:00"}
    environments: [staging, dr]
"""


def alerting_from(tmp_path: Path, text: str) -> AlertingPolicy:
    path = tmp_path / "alerting.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return load_alerting(path, policy=load_policy())


def london(text: str) -> datetime:
    """A wall-clock time in London (BST in June, GMT in December) as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)


@pytest.fixture
def alerting(tmp_path: Path) -> AlertingPolicy:
    return alerting_from(tmp_path, FREEZES)


def test_a_dated_freeze_names_itself_and_its_end(alerting: AlertingPolicy) -> None:
    on = frozen(alerting, london("2027-06-19T12:00"), service="api", environment="prod")
    assert on == "Deploys to prod are frozen: wedding weekend (until Sun 23:59)"
    last_day = frozen(alerting, london("2027-06-20T23:30"), service="api", environment="prod")
    assert last_day == "Deploys to prod are frozen: wedding weekend (until 23:59)"
    assert frozen(alerting, london("2027-06-18T17:59"), service="api", environment="prod") is None
    assert frozen(alerting, london("2027-06-21T00:00"), service="api", environment="prod") is None


def test_a_freeze_covers_its_environments_only(alerting: AlertingPolicy) -> None:
    assert frozen(alerting, london("2027-06-19T12:00"), service="api", environment="staging") is None
    night = london("2027-06-23T01:00")  # Wednesday 01:00: Tuesday night's window
    assert (
        frozen(alerting, night, service="api", environment="dr")
        == "Deploys to dr are frozen: night batch (until 02:00)"
    )
    assert frozen(alerting, night, service="api", environment="prod") is None


def test_a_freeze_of_some_services_names_the_service(alerting: AlertingPolicy) -> None:
    saturday = london("2027-07-03T11:00")
    assert frozen(alerting, saturday, service="web", environment="prod") == (
        "Deploys of web to prod are frozen: Saturday ceremonies (until 22:00)"
    )
    assert frozen(alerting, saturday, service="api", environment="prod") is None


def test_the_first_freeze_in_the_file_is_named(alerting: AlertingPolicy) -> None:
    saturday_in_the_wedding_weekend = london("2027-06-19T11:00")
    assert frozen(alerting, saturday_in_the_wedding_weekend, service="web", environment="prod") == (
        "Deploys to prod are frozen: wedding weekend (until Sun 23:59)"
    )


def test_a_freeze_ending_later_names_the_date(tmp_path: Path) -> None:
    text = "routes: [{name: all}]\ndeploy_freezes: [{name: december, start: 2026-12-01T00:00, end: 2027-01-04T06:00}]"
    alerting = alerting_from(tmp_path, text)
    assert frozen(alerting, datetime(2026, 12, 6, 12, tzinfo=UTC), service="web", environment="prod") == (
        "Deploys to prod are frozen: december (until Mon 4 Jan 06:00)"
    )


def test_event_days_freeze_prod_when_asked(tmp_path: Path, alerting: AlertingPolicy) -> None:
    christmas_eve = london("2026-12-24T15:00")
    assert frozen(alerting, christmas_eve, service="web", environment="prod") == (
        "Deploys to prod are frozen: event day 2026-12-24 (Europe/London)"
    )
    assert frozen(alerting, christmas_eve, service="web", environment="staging") is None
    assert frozen(alerting, london("2026-12-25T00:30"), service="web", environment="prod") is None
    unfrozen = alerting_from(tmp_path, FREEZES.replace("freeze_event_days: true", "freeze_event_days: false"))
    assert frozen(unfrozen, christmas_eve, service="web", environment="prod") is None


def test_nothing_is_frozen_by_the_shipped_file() -> None:
    shipped = load_alerting(None)
    assert shipped.deploy_freezes == () and shipped.freeze_event_days
    assert frozen(shipped, datetime(2026, 12, 24, 12, tzinfo=UTC), service="web", environment="prod") is None


def test_the_shipped_example_reads_when_uncommented(tmp_path: Path) -> None:
    text = DEFAULT_ALERTING.read_text()
    example = re.search(r"((?:^#   .*\n)+)deploy_freezes: \[\]\n", text, re.MULTILINE)
    assert example is not None
    uncommented = re.sub(r"^#   ", "  ", example[1], flags=re.MULTILINE)
    alerting = alerting_from(tmp_path, text.replace(example[0], f"deploy_freezes:\n{uncommented}"))
    assert [f.name for f in alerting.deploy_freezes] == ["wedding weekend", "midsummer weekend", "Saturday ceremonies"]
    assert frozen(alerting, london("2027-06-26T09:00"), service="api", environment="dr") == (
        "Deploys to dr are frozen: midsummer weekend (until Sun 23:59)"
    )


def test_freeze_problems_name_their_lines(tmp_path: Path) -> None:
    text = """
    routes: [{name: all}]
    deploy_freezes:
      - name: a
        start: 2027-06-18T18:00
      - name: a
        weekly: {days: [sat], from: "10:00", to: "22:00"}
        environments: [prod, prdo]
      - name: b
        weekly: {days: [sat], from: "10:00", to: "22:00"}
        environments: []
        service: web
    """
    path = tmp_path / "alerting.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    with pytest.raises(ConfigError) as caught:
        load_alerting(path, policy=load_policy())
    assert [p.removeprefix(f"{path}:") for p in caught.value.problems] == [
        "3: a deploy freeze needs both start and end",
        "5: the name 'a' is used twice",
        "7: unknown environment 'prdo' (did you mean 'prod'?)",
        "10: environments: give at least one",
        "11: unknown key 'service' (did you mean 'services'?)",
    ]
