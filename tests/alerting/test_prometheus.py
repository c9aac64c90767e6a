"""The whole monitoring chain, real from end to end: Debian's Prometheus scrapes a tiny /metrics endpoint this test
serves, evaluates a rule labelled `resource: web-prod`, sends the alert to Debian's Alertmanager, which posts it
to opsbot's /alerts/alertmanager. The scraped series carries `instance` (127.0.0.1:<port>): the card must name
what the operator labelled, not the exporter's address."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from audit.log import AuditEvent
from fakes.alertmanager import Alertmanager
from fakes.prometheus import Prometheus
from tests.alerting.conftest import FAST, INCIDENT, TOKEN, AlertStack, AlertStackFactory
from tests.loopback_http import Answer, LoopbackHttp

RULES: dict[str, Any] = {
    "groups": [
        {
            "name": "web",
            "rules": [
                {
                    "alert": "HighErrorRate",
                    "expr": "web_error_ratio > 0.05",
                    "for": "0s",
                    "labels": {"severity": "critical", "resource": "web-prod", "env": "prod"},
                    "annotations": {"summary": "5xx above 5%"},
                }
            ],
        }
    ]
}


@pytest.fixture
def exporter() -> Iterator[str]:
    """A loopback /metrics endpoint in Prometheus's text format, one gauge; its scrape target (host:port)."""
    body = b"# HELP web_error_ratio Share of 5xx answers.\n# TYPE web_error_ratio gauge\nweb_error_ratio 0.2\n"
    with LoopbackHttp(lambda _request: Answer(200, body, "text/plain; version=0.0.4")) as server:
        yield f"127.0.0.1:{server.port}"


def test_a_prometheus_rule_labelled_resource_names_the_card(alerts: AlertStack, exporter: str, tmp_path: Path) -> None:
    with (
        Alertmanager(alerts.url + "/alerts/alertmanager", bearer_token=TOKEN, tmp_path=tmp_path,
                     group_interval="10ms") as am,
        Prometheus([exporter], RULES, alertmanager=am.url, tmp_path=tmp_path),
    ):  # fmt: skip
        card = alerts.slack.message_where(lambda m: m.channel == INCIDENT and "5xx above 5%" in m.shown, 30.0)
    assert "CRIT web-prod: 5xx above 5%" in card.shown
    assert exporter not in card.shown  # the scraped instance; the link is Prometheus's own graph page
    number = int(re.search(r"ALERT (\d+) CRIT", card.shown).group(1))  # type: ignore[union-attr]
    received = [r for r in alerts.audit(AuditEvent.ALERT_RECEIVED) if r.params["alert"] == number]
    assert received[0].params["resource"] == "web-prod"


def _am_body(labels: dict[str, str]) -> str:
    alert = {"status": "firing", "labels": labels, "annotations": {"summary": "node down"},
             "startsAt": "2026-12-06T03:00:00Z", "fingerprint": "f" + str(len(labels))}  # fmt: skip
    return json.dumps({"version": "4", "status": "firing", "alerts": [alert]})


def test_the_alerting_file_sets_which_label_names_the_resource(make_alert_stack: AlertStackFactory) -> None:
    # This team labels its exporters by `service` and wants that before a rule's `resource`.
    stack = make_alert_stack({**FAST, "sources": {"alertmanager": {"resource_labels": ["service", "instance"]}}})
    labels = {"alertname": "NodeDown", "severity": "critical", "resource": "web-prod", "service": "checkout",
              "instance": "10.0.0.7:9100"}  # fmt: skip
    answer = httpx.post(stack.url + "/alerts/alertmanager", content=_am_body(labels),
                        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)  # fmt: skip
    assert answer.status_code == 200
    assert "CRIT checkout: node down" in stack.card().shown


def test_without_the_configured_labels_the_instance_host_is_the_resource(
    make_alert_stack: AlertStackFactory,
) -> None:
    stack = make_alert_stack({**FAST, "sources": {"alertmanager": {"resource_labels": ["service", "instance"]}}})
    labels = {"alertname": "NodeDown", "severity": "critical", "instance": "db-1:9100", "job": "node"}
    httpx.post(stack.url + "/alerts/alertmanager", content=_am_body(labels),
               headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)  # fmt: skip
    assert "CRIT db-1: node down" in stack.card().shown
