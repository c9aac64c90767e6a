"""A burst of alert cards into one Slack channel, through the whole serve stack (intake, escalation, outbox,
Deliverer, slack_sdk, the fake Slack at Slack's own 1 message/s): the first few go as cards, the rest as one digest,
the most severe first, with a button that lists them. Acknowledging a digested alert posts no new message; each
card's escalation still hears that it was delivered."""

from __future__ import annotations

from typing import Any

from alerts.model import Incoming, Severity
from audit.log import AuditEvent
from tests.alerting.conftest import (  # noqa: F401  (fixtures used through pytest)
    INCIDENT,
    AlertStackFactory,
    make_alert_stack,
    twilio,
)
from tests.eventually import eventually
from tests.slack.conftest import fake_slack, make_stack  # noqa: F401

ONE_STEP: dict[str, Any] = {
    "timezone": "UTC",
    "routes": [{"name": "all", "channels": [f"slack:{INCIDENT}"], "escalation": "slow"}],
    "escalations": {"slow": {"steps": [{"notify": "channel"}, {"after": "1h", "notify": "dm"}]}},
    "schedules": {"primary": {"timezone": "UTC", "rotation": "daily", "handoff": "09:00", "start": "2026-01-05",
                              "people": ["alice"], "manager": "carol"}},
}  # fmt: skip
BURST = 12


def test_twelve_cards_at_once_become_a_few_cards_and_one_digest(make_alert_stack: AlertStackFactory) -> None:  # noqa: F811
    alerts = make_alert_stack(ONE_STEP, min_interval=1.0)  # Slack's real pace: a burst of 4, then 1 a second
    runtime = alerts.stack.runtime
    burst = [
        Incoming(source="generic", fingerprint=f"f{n}", summary=f"problem {n}", resource=f"svc-{n}",
                 severity=Severity.CRITICAL if n % 4 == 3 else Severity.WARNING)
        for n in range(1, BURST + 1)
    ]  # fmt: skip
    runtime.alerting.escalator.ingest(burst)
    alerts.stack.settled()

    posted = [m for m in alerts.slack.messages if m.channel == INCIDENT]
    cards = [m for m in posted if m.shown.startswith("FIRING")]
    [digest] = [m for m in posted if "new alerts" in m.shown]
    # A burst of 4, then one a second: up to 4 cards, and a card or two more when storing the burst took over a
    # second (a busy machine refills the bucket meanwhile); the rest always ends in the one digest.
    assert len(posted) == len(cards) + 1 and 1 <= len(cards) <= 6
    lines = digest.shown.splitlines()
    digested = BURST - len(cards)
    assert lines[0] == f"{digested} new alerts:"
    assert lines[-1] == f"and {digested - 5} more" and len(lines) == 7
    severities = [line.split()[1] for line in lines[1:6]]
    assert severities == sorted(severities, key=["CRIT", "WARN"].index)  # the most severe first
    assert "#11 CRIT svc-11: problem 11" in lines
    assert [b["value"] for b in digest.buttons] == ["alerts:list"]
    carded = {n for n in range(1, BURST + 1) if any(f"ALERT {n} " in c.shown for c in cards)}
    assert len(carded) == len(cards)

    # Every card's escalation hears it was delivered, digested or not.
    def delivered() -> set[object]:  # told on the delivery-result thread, so a moment after the post
        return {r.params["alert"] for r in alerts.audit(AuditEvent.ALERT_DELIVERY) if r.params["ok"]}

    eventually(lambda: delivered() == set(range(1, BURST + 1)), what="delivery reports", seen=delivered)

    # An ack edits a card that went out on its own, and posts nothing for one that went out in the digest.
    in_digest = min(set(range(1, BURST + 1)) - carded)
    on_its_own = min(carded)
    posts = len(alerts.slack.calls_to("chat.postMessage"))
    runtime.alerting.desk.acknowledge(in_digest, "alice", "slack")
    runtime.alerting.desk.acknowledge(on_its_own, "alice", "slack")
    alerts.stack.settled()

    assert len(alerts.slack.calls_to("chat.postMessage")) == posts
    [card] = [c for c in cards if f"ALERT {on_its_own} " in c.shown]
    assert card.versions and card.versions[-1].startswith("ACKED by alice")
    assert digest.versions == []
