"""A real Alertmanager (Debian's prometheus-alertmanager) with a webhook receiver pointing at opsbot: alerts
fired through its API arrive as cards on the fake Slack, and its resolved notification closes them."""

from __future__ import annotations

import re
from pathlib import Path

from audit.log import AuditEvent
from fakes.alertmanager import Alertmanager
from tests.alerting.conftest import TOKEN, AlertStack
from tests.eventually import eventually


def test_alertmanager_alerts_arrive_in_chat_and_resolve(alerts: AlertStack, tmp_path: Path) -> None:
    labels = {"alertname": "HighErrorRate", "severity": "critical", "service": "web-prod", "env": "prod"}
    annotations = {"summary": "5xx above 5% for 5 minutes", "runbook_url": "https://runbooks.example/5xx"}
    with Alertmanager(alerts.url + "/alerts/alertmanager", bearer_token=TOKEN, tmp_path=tmp_path,
                      group_interval="10ms") as am:  # fmt: skip
        am.fire(labels, annotations)
        am.fire({**labels, "alertname": "DiskFull", "severity": "warning", "service": "db-prod"},
                {"summary": "disk 95% full"})  # fmt: skip
        card = alerts.slack.message_where(lambda m: "HighErrorRate" in m.shown or "5xx above 5%" in m.shown)
        assert "CRIT web-prod: 5xx above 5% for 5 minutes" in card.shown
        assert "https://runbooks.example/5xx" in card.shown
        warning = alerts.slack.message_where(lambda m: "disk 95% full" in m.shown)
        assert "WARN db-prod" in warning.shown and "not paging" in warning.shown

        am.fire(labels, annotations)  # Alertmanager repeats: no second card
        am.resolve(labels)
        eventually(lambda: bool(card.versions) and "RESOLVED by alertmanager" in card.versions[-1],
                   what="the card shows the resolution")  # fmt: skip
    cards = [m for m in alerts.slack.messages if "5xx above 5% for 5 minutes" in m.shown and "ALERT" in m.shown]
    assert len(cards) == 1
    number = int(re.search(r"ALERT (\d+) CRIT", card.shown).group(1))  # type: ignore[union-attr]
    resolved = alerts.audit(AuditEvent.ALERT_RESOLVED)
    assert [(r.actor, r.params["alert"]) for r in resolved] == [("alertmanager", number)]


def test_alertmanager_with_a_wrong_token_is_refused(alerts: AlertStack, tmp_path: Path) -> None:
    with Alertmanager(alerts.url + "/alerts/alertmanager", bearer_token="wrong", tmp_path=tmp_path) as am:
        am.fire({"alertname": "Forged", "severity": "critical"})
        eventually(lambda: "401" in am.stderr_tail(50), what="Alertmanager logs the refusal")
    assert not [m for m in alerts.slack.messages if "Forged" in m.shown]
