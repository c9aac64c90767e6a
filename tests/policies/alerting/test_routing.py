"""Where an alert goes and whether it pages: first match wins, labels and environments, event mode and event
days, maintenance windows (absolute and weekly, in their time zone), and info alerts that never page."""

from __future__ import annotations

from datetime import datetime

import pytest

from alerts.model import Severity
from core.models import Cloud
from policies.alerting.loader import load_alerting
from policies.alerting.model import AlertingPolicy
from policies.alerting.routing import RouteDecision, event_day, route
from tests.policies.alerting.conftest import WriteAlerting, incoming, utc

NOON = utc("2026-11-10 12:00")  # a Tuesday, no window, no event day


def test_first_match_wins(example: AlertingPolicy) -> None:
    assert route(example, incoming(labels={"team": "payments"}), NOON) == RouteDecision(
        route="prod-critical",
        channels=("slack:C0INCIDENT", "telegram:-1001234567890"),
        escalation="prod",
        severity=Severity.CRITICAL,
        paging=True,
        quiet_reason=None,
    )
    payments = route(example, incoming(environment="qa", labels={"team": "payments"}), NOON)
    assert (payments.route, payments.channels, payments.escalation) == ("payments", ("slack:C0PAYMENTS",), "default")


def test_environment_and_fallthrough(example: AlertingPolicy) -> None:
    staging = route(example, incoming(environment="staging"), NOON)
    assert (staging.route, staging.escalation, staging.paging) == ("staging", None, False)
    assert staging.quiet_reason == "route staging does not page"
    assert staging.channels == ()  # the incident channels
    no_env = route(example, incoming(environment=None), NOON)
    assert (no_env.route, no_env.escalation, no_env.paging) == ("everything-else", "default", True)
    dr = route(example, incoming(environment="dr"), NOON)
    assert dr.route == "prod-critical"


def test_warning_takes_the_warning_route(example: AlertingPolicy) -> None:
    warning = route(example, incoming(Severity.WARNING), NOON)
    assert (warning.route, warning.severity, warning.paging) == ("everything-else", Severity.WARNING, True)


def test_event_mode_makes_warnings_critical(example: AlertingPolicy) -> None:
    busy = example.model_copy(update={"event_mode": True})
    decision = route(busy, incoming(Severity.WARNING), NOON)
    assert (decision.route, decision.severity, decision.escalation, decision.paging) == (
        "prod-critical",
        Severity.CRITICAL,
        "prod",
        True,
    )
    info = route(busy, incoming(Severity.INFO), NOON)
    assert (info.severity, info.paging, info.quiet_reason) == (Severity.INFO, False, "info")


def test_event_day_is_a_whole_day_in_the_file_time_zone(write_alerting: WriteAlerting) -> None:
    alerting = load_alerting(
        write_alerting(
            """
            event_days: [2026-12-24]
            timezone: America/New_York
            routes:
              - name: critical
                match: {severity: critical}
                escalation: main
              - name: rest
            escalations:
              main:
                steps: [{notify: channel}]
            """
        )
    )
    christmas_eve_late = utc("2026-12-25 04:59")  # 23:59 in New York
    assert event_day(alerting, christmas_eve_late)
    assert not event_day(alerting, utc("2026-12-25 05:00"))
    assert not event_day(alerting, utc("2026-12-24 04:59"))  # 23:59 on the 23rd in New York
    eve = route(alerting, incoming(Severity.WARNING), christmas_eve_late)
    assert (eve.route, eve.severity, eve.paging) == ("critical", Severity.CRITICAL, True)
    after = route(alerting, incoming(Severity.WARNING), utc("2026-12-25 05:00"))
    assert (after.route, after.severity, after.paging) == ("rest", Severity.WARNING, False)


def test_info_never_pages(example: AlertingPolicy) -> None:
    decision = route(example, incoming(Severity.INFO, environment=None), NOON)
    assert (decision.route, decision.escalation, decision.paging, decision.quiet_reason) == (
        "everything-else",
        "default",
        False,
        "info",
    )


def test_absolute_maintenance_window(example: AlertingPolicy) -> None:
    db = incoming(labels={"service": "db"})
    during = route(example, db, utc("2026-12-05 03:00"))
    assert (during.route, during.escalation, during.paging) == ("prod-critical", "prod", False)
    assert during.quiet_reason == "maintenance window db-upgrade until 04:00"
    assert route(example, db, utc("2026-12-05 04:00")).paging  # the end is not in the window
    assert route(example, db, utc("2026-12-05 01:59")).paging
    assert route(example, incoming(labels={"service": "web"}), utc("2026-12-05 03:00")).paging


WEEKLY = """
timezone: Europe/London
routes:
  - name: all
    escalation: main
maintenance:
  - name: sunday-patching
    match: {environment: [staging]}
    weekly: {days: [sun], from: "02:00", to: "05:00"}
  - name: friday-night
    match: {source: [generic]}
    weekly: {days: fri, from: "22:00", to: "02:00"}
  - name: tokyo
    timezone: Asia/Tokyo
    match: {provider: [gcp], resource: [batch-1]}
    weekly: {days: [mon], from: "09:00", to: "10:00"}
escalations:
  main:
    steps: [{notify: channel}]
"""


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        ("2026-01-04 02:00", "maintenance window sunday-patching until 05:00"),  # winter: London is UTC
        ("2026-01-04 04:59", "maintenance window sunday-patching until 05:00"),
        ("2026-01-04 05:00", None),
        ("2026-01-04 01:59", None),
        ("2026-07-05 01:00", "maintenance window sunday-patching until 05:00"),  # summer: 02:00 in London
        ("2026-07-05 04:00", None),  # 05:00 in London
        ("2026-07-05 00:59", None),
        ("2026-01-05 03:00", None),  # Monday
    ],
)
def test_weekly_window_in_its_time_zone(write_alerting: WriteAlerting, at: str, reason: str | None) -> None:
    alerting = load_alerting(write_alerting(WEEKLY))
    decision = route(alerting, incoming(environment="staging"), utc(at))
    assert (decision.paging, decision.quiet_reason) == (reason is None, reason)


def test_weekly_window_past_midnight(write_alerting: WriteAlerting) -> None:
    alerting = load_alerting(write_alerting(WEEKLY))
    generic = incoming(source="generic")
    assert route(alerting, generic, utc("2026-01-09 21:59")).paging  # Friday
    friday = route(alerting, generic, utc("2026-01-09 22:00"))
    assert friday.quiet_reason == "maintenance window friday-night until Sat 10 Jan 02:00"
    saturday = route(alerting, generic, utc("2026-01-10 01:30"))
    assert saturday.quiet_reason == "maintenance window friday-night until 02:00"
    assert route(alerting, generic, utc("2026-01-10 02:00")).paging
    assert route(alerting, generic, utc("2026-01-11 01:30")).paging  # Sunday: Saturday 22:00 is no window


def test_window_with_its_own_time_zone(write_alerting: WriteAlerting) -> None:
    alerting = load_alerting(write_alerting(WEEKLY))
    batch = incoming(provider=Cloud.GCP, resource="batch-1")
    quiet = route(alerting, batch, utc("2026-01-05 00:30"))  # Monday 09:30 in Tokyo
    assert quiet.quiet_reason == "maintenance window tokyo until 10:00"
    assert route(alerting, batch, utc("2026-01-05 01:00")).paging
    assert route(alerting, incoming(provider=Cloud.AWS, resource="batch-1"), utc("2026-01-05 00:30")).paging


def test_window_end_on_another_day_names_the_day(write_alerting: WriteAlerting) -> None:
    text = WEEKLY.replace(
        "maintenance:\n",
        "maintenance:\n  - name: freeze\n    start: 2026-12-05 22:00\n    end: 2026-12-07T09:00:00+00:00\n",
    )
    alerting = load_alerting(write_alerting(text))
    assert route(alerting, incoming(), utc("2026-12-05 21:59")).paging  # start without offset: London time
    decision = route(alerting, incoming(), utc("2026-12-05 22:00"))
    assert decision.quiet_reason == "maintenance window freeze until Mon 7 Dec 09:00"


def test_labels_match_any_of_a_list(write_alerting: WriteAlerting) -> None:
    alerting = load_alerting(
        write_alerting(
            """
            routes:
              - name: money
                match: {labels: {team: [payments, billing], tier: "1"}}
                escalation: main
              - name: rest
            escalations:
              main:
                steps: [{notify: channel}]
            """
        )
    )
    assert route(alerting, incoming(labels={"team": "billing", "tier": "1"}), NOON).route == "money"
    assert route(alerting, incoming(labels={"team": "billing", "tier": "2"}), NOON).route == "rest"
    assert route(alerting, incoming(labels={"team": "billing"}), NOON).route == "rest"


def test_no_route_matches(write_alerting: WriteAlerting) -> None:
    alerting = load_alerting(
        write_alerting(
            """
            routes:
              - name: prod
                match: {environment: prod}
                escalation: main
            escalations:
              main:
                steps: [{notify: channel}]
            """
        )
    )
    decision = route(alerting, incoming(environment="staging"), NOON)
    assert decision == RouteDecision("", (), None, Severity.CRITICAL, paging=False, quiet_reason="no route matches")


def test_shipped_default_pages_criticals_only() -> None:
    alerting = load_alerting()
    critical = route(alerting, incoming(), NOON)
    assert (critical.route, critical.channels, critical.escalation, critical.paging) == (
        "critical",
        (),
        "default",
        True,
    )
    warning = route(alerting, incoming(Severity.WARNING), NOON)
    assert (warning.route, warning.escalation, warning.paging) == ("default", None, False)


def test_times_need_an_offset(example: AlertingPolicy) -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        route(example, incoming(), datetime(2026, 12, 5, 3))
