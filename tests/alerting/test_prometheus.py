"""The whole monitoring chain, real from end to end: Debian's Prometheus scrapes a tiny /metrics endpoint this test
serves, evaluates a rule labelled `resource: web-prod`, sends the alert to Debian's Alertmanager, which posts it
to opsbot's /alerts/alertmanager. The scraped series carries `instance` (127.0.0.1:<port>): the card must name
what the operator labelled, not the exporter's address."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from audit.log import AuditEvent
from fakes.alertmanager import Alertmanager
from fakes.prometheus import Prometheus
from tests.alerting.conftest import FAST, INCIDENT, TOKEN, AlertStack, AlertStackFactory

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


class Exporter:
    """A loopback /metrics endpoint in Prometheus's text format: one gauge."""

    def __init__(self, value: float) -> None:
        body = f"# HELP web_error_ratio Share of 5xx answers.\n# TYPE web_error_ratio gauge\nweb_error_ratio {value}\n"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                raw = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.target = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def exporter() -> Iterator[Exporter]:
    started = Exporter(0.2)
    yield started
    started.close()


def test_a_prometheus_rule_labelled_resource_names_the_card(
    alerts: AlertStack, exporter: Exporter, tmp_path: Path
) -> None:
    with (
        Alertmanager(alerts.url + "/alerts/alertmanager", bearer_token=TOKEN, tmp_path=tmp_path,
                     group_interval="10ms") as am,
        Prometheus([exporter.target], RULES, alertmanager=am.url, tmp_path=tmp_path),
    ):  # fmt: skip
        card = alerts.slack.message_where(lambda m: m.channel == INCIDENT and "5xx above 5%" in m.shown, 30.0)
    assert "CRIT web-prod: 5xx above 5%" in card.shown
    assert exporter.target not in card.shown  # the scraped instance; the link is Prometheus's own graph page
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
