"""Alerting files: the shipped default, the documented example, and small files written by a test."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.model import Incoming, Severity
from policies.alerting.loader import load_alerting
from policies.alerting.model import AlertingPolicy
from policies.loader import load_policy
from policies.model import Policy

WriteAlerting = Callable[[str], Path]

# The example of docs/escalation.md.
EXAMPLE = """
event_mode: false
event_days: [2026-12-24, 2026-12-31]
timezone: Europe/London

routes:
  - name: prod-critical
    match: {severity: [critical], environment: [prod, dr]}
    channels: ["slack:C0INCIDENT", "telegram:-1001234567890"]
    escalation: prod
  - name: payments
    match: {labels: {team: payments}}
    channels: ["slack:C0PAYMENTS"]
    escalation: default
  - name: staging
    match: {environment: [staging]}
    escalation: null
  - name: everything-else
    escalation: default

maintenance:
  - name: db-upgrade
    match: {labels: {service: db}}
    start: 2026-12-05T02:00:00+00:00
    end: 2026-12-05T04:00:00+00:00
  - name: sunday-patching
    match: {environment: [staging]}
    weekly: {days: [sun], from: "02:00", to: "05:00"}

escalations:
  prod:
    steps:
      - notify: channel
      - after: 2m
        notify: dm
        to: oncall
      - after: 3m
        notify: sms
      - after: 5m
        notify: call
        every: 5m
        times: until_acked
      - after: 15m
        notify: call
        to: next
      - after: 10m
        notify: call
        to: manager
    repeat: 2
  default:
    steps: [{notify: channel}, {after: 5m, notify: dm}, {after: 10m, notify: sms}]

schedules:
  primary:
    timezone: Europe/London
    rotation: weekly
    handoff: "mon 09:00"
    start: 2026-01-05
    people: [alice, bob]
    manager: carol
    overrides:
      - {person: carol, start: 2026-12-24T18:00:00+00:00, end: 2026-12-26T09:00:00+00:00}
"""

PHONES = {"alice": "+15550100001", "bob": "+15550100002", "carol": "+15550100003", "dave": "+15550100004"}


def write(tmp_path: Path, text: str, name: str = "alerting.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def write_alerting(tmp_path: Path) -> WriteAlerting:
    return lambda text: write(tmp_path, text)


@pytest.fixture
def example(tmp_path: Path) -> AlertingPolicy:
    return load_alerting(write(tmp_path, EXAMPLE, "example.yaml"))


def with_phones(policy: Policy, phones: dict[str, str] = PHONES) -> Policy:
    """The policy with exactly these phone identities (whatever the shipped policy has)."""
    users = {}
    for name, user in policy.users.items():
        kept = tuple(i for i in user.identities if not i.startswith("phone:"))
        extra = (f"phone:{phones[name]}",) if name in phones else ()
        users[name] = user.model_copy(update={"identities": kept + extra})
    return policy.model_copy(update={"users": users})


@pytest.fixture
def policy() -> Policy:
    """The shipped main policy, its four users with phones."""
    return with_phones(load_policy())


def utc(text: str) -> datetime:
    """ "2026-12-05 03:00" -> that moment in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def incoming(
    severity: Severity = Severity.CRITICAL,
    environment: str | None = "prod",
    labels: dict[str, str] | None = None,
    **fields: object,
) -> Incoming:
    return Incoming.model_validate(
        {
            "source": "alertmanager",
            "fingerprint": "f1",
            "summary": "web-prod 5xx above 5%",
            "severity": severity,
            "environment": environment,
            "labels": labels or {},
            **fields,
        }
    )
