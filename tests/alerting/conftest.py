"""A whole `opsbot serve` for alerts: the Slack stack of tests/slack (fake Slack Web API, real bolt and
slack_sdk, Deliverer, uvicorn on a free port, in-process worker with the escalation timers) plus the Twilio
fake, an alerting file with escalation delays compressed to a second, and alert sources enabled."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from audit.log import AuditEvent, AuditLog, AuditRecord
from fakes.slack_api import FakeSlackApi, PostedMessage
from fakes.twilio_api import FakeTwilioAPI, signed_post
from tests.slack.conftest import (  # noqa: F401  (fixtures used through pytest)
    SlackStack,
    StackFactory,
    fake_slack,
    make_stack,
    policy_file,
)

TOKEN = "alert-source-token"
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-auth-token-for-tests"
TWILIO_FROM = "+15550109999"
PUBLIC = "https://opsbot.example"
ALICE_PHONE = "+15550100001"
BOB_PHONE = "+15550100002"
CAROL_PHONE = "+15550100003"
INCIDENT = "C0INCIDENT"

FAST: dict[str, Any] = {
    "timezone": "UTC",
    "routes": [
        {"name": "critical", "match": {"severity": ["critical"]}, "channels": [f"slack:{INCIDENT}"],
         "escalation": "fast"},
        {"name": "rest", "channels": [f"slack:{INCIDENT}"]},
    ],
    "escalations": {
        "fast": {"steps": [
            {"notify": "channel"},
            {"after": "1s", "notify": "dm"},
            {"after": "1s", "notify": "sms"},
            {"after": "1s", "notify": "call"},
            {"after": "2s", "notify": "call", "to": "manager"},
        ]},
    },
    "schedules": {
        "primary": {"timezone": "UTC", "rotation": "daily", "handoff": "09:00", "start": "2026-01-05",
                    "people": ["alice"], "manager": "carol"},
    },
}  # fmt: skip


def policy_with_phones(tmp_path: Path) -> Path:
    """The Slack tests' policy (alice known by Slack's sample user ids), with alice's phone kept."""
    data = yaml.safe_load(policy_file(tmp_path).read_text(encoding="utf-8"))
    data["users"]["alice"]["identities"].append(f"phone:{ALICE_PHONE}")
    path = tmp_path / "policy-with-phones.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def alerting_file(tmp_path: Path, data: dict[str, Any] | None = None) -> Path:
    path = tmp_path / "alerting.yaml"
    path.write_text(yaml.safe_dump(data or FAST, sort_keys=False), encoding="utf-8")
    return path


class AlertStack:
    """The running stack plus what the monitoring systems and Twilio would send to it."""

    def __init__(self, stack: SlackStack, twilio: FakeTwilioAPI) -> None:
        self.stack = stack
        self.twilio = twilio
        self.slack: FakeSlackApi = stack.fake
        self.http = httpx.Client(timeout=10)

    @property
    def url(self) -> str:
        return self.stack.url

    def fire(self, fingerprint: str = "web-5xx", *, status: str = "firing", severity: str = "critical",
             summary: str = "5xx above 5%", resource: str = "web-prod", **extra: Any) -> httpx.Response:  # fmt: skip
        body = {"fingerprint": fingerprint, "status": status, "severity": severity, "summary": summary,
                "resource": resource, "environment": "prod", **extra}  # fmt: skip
        return self.http.post(self.url + "/alerts/generic", content=json.dumps(body),
                              headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip

    def card(self, channel: str = INCIDENT, number: int = 1, timeout: float = 15.0) -> PostedMessage:
        return self.slack.message_where(lambda m: m.channel == channel and f"ALERT {number} " in m.shown, timeout)

    def twilio_post(self, path_with_query: str, params: dict[str, str]) -> httpx.Response:
        form = {"AccountSid": TWILIO_SID, **params}
        return signed_post(self.url, path_with_query, form, TWILIO_TOKEN, PUBLIC)

    def audit(self, event: AuditEvent) -> list[AuditRecord]:
        return [r for r in AuditLog(self.stack.settings.data_dir).records() if r.event is event]


@pytest.fixture
def twilio() -> Iterator[FakeTwilioAPI]:
    with FakeTwilioAPI(TWILIO_SID, TWILIO_TOKEN) as fake:
        yield fake


AlertStackFactory = Callable[..., AlertStack]


@pytest.fixture
def make_alert_stack(
    make_stack: StackFactory,  # noqa: F811
    twilio: FakeTwilioAPI,
    tmp_path: Path,
) -> Iterator[AlertStackFactory]:
    made: list[AlertStack] = []

    def _make(alerting: dict[str, Any] | None = None, **overrides: Any) -> AlertStack:
        values: dict[str, Any] = {
            "policy": policy_with_phones(tmp_path),
            "alerting": alerting_file(tmp_path, alerting),
            "alert_sources": {"generic": {"token": TOKEN}, "alertmanager": {"token": TOKEN}},
            "twilio_account_sid": TWILIO_SID,
            "twilio_auth_token": TWILIO_TOKEN,
            "twilio_from": TWILIO_FROM,
            "twilio_api_url": twilio.url,
            "public_url": PUBLIC,
            **overrides,
        }
        made.append(AlertStack(make_stack(**values), twilio))
        return made[-1]

    yield _make
    for stack in made:
        stack.http.close()


@pytest.fixture
def alerts(make_alert_stack: AlertStackFactory) -> AlertStack:
    return make_alert_stack()
