"""A storm of 10,000 copies of one alert, from many senders at once: one alert, one card, one page; every copy
counted. Then forged, replayed and malformed webhooks change nothing."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx

from alerts.model import Incoming, Severity
from audit.log import AuditEvent
from tests.alerting.conftest import INCIDENT, TOKEN, AlertStack

STORM = 10_000


def test_ten_thousand_duplicates_make_one_alert_and_one_card(alerts: AlertStack) -> None:
    escalator = alerts.stack.runtime.alerting.escalator
    item = Incoming(source="alertmanager", fingerprint="storm", severity=Severity.CRITICAL, summary="storm of 5xx",
                    resource="web-prod")  # fmt: skip
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: escalator.ingest([item]), range(STORM - 200)))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(timeout=10) as client, ThreadPoolExecutor(max_workers=8) as pool:  # and some over HTTP
        url = alerts.url + "/alerts/alertmanager"
        answers = list(pool.map(lambda _: client.post(url, content=_am(), headers=headers), range(200)))
    assert all(a.status_code == 200 for a in answers)
    assert sum(r.stored for r in results) + sum(a.json()["stored"] for a in answers) == 1
    alert = escalator.book.get(1)
    assert alert is not None and alert.repeats == STORM - 1
    alerts.stack.settled()
    cards = [m for m in alerts.slack.messages if "storm of 5xx" in m.shown and m.channel == INCIDENT]
    assert len([c for c in cards if "escalation ended" not in c.shown]) == 1
    assert len(alerts.audit(AuditEvent.ALERT_RECEIVED)) == 1


def _am() -> str:
    """The same alert as Alertmanager sends it (webhook v4), fingerprint "storm"."""
    return json.dumps({
        "version": "4", "status": "firing", "receiver": "opsbot", "groupKey": "{}:{}", "groupLabels": {},
        "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am", "truncatedAlerts": 0,
        "alerts": [{"status": "firing", "labels": {"alertname": "Storm", "severity": "critical", "service": "web-prod"},
                    "annotations": {"summary": "storm of 5xx"}, "startsAt": "2026-12-02T03:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom", "fingerprint": "storm"}],
    })  # fmt: skip


def test_forged_malformed_and_oversized_webhooks_store_nothing(alerts: AlertStack) -> None:
    url = alerts.url + "/alerts/generic"
    good = json.dumps({"status": "firing", "summary": "disk full", "severity": "critical"})
    with httpx.Client(timeout=10) as client:
        forged = client.post(url, content=good, headers={"Authorization": "Bearer guessed"})
        missing = client.post(url, content=good)
        malformed = client.post(url, content="{not json", headers={"Authorization": f"Bearer {TOKEN}"})
        shaped = client.post(url, content=json.dumps({"alerts": [{"status": "firing", "severity": "critical"}]}),
                             headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        huge = client.post(url, content=b"x" * (2 * 1024 * 1024), headers={"Authorization": f"Bearer {TOKEN}"})
        disabled = client.post(alerts.url + "/alerts/azure", content=good)
    assert (forged.status_code, missing.status_code) == (401, 401)
    assert malformed.status_code == 400 and len(malformed.text.splitlines()) == 1
    assert shaped.status_code == 400 and "summary" in shaped.text
    assert huge.status_code == 413
    assert disabled.status_code == 404 and "not enabled" in disabled.text
    assert alerts.stack.runtime.alerting.escalator.book.open_alerts() == ([], 0)
    assert not [m for m in alerts.slack.messages if "disk full" in m.shown]


def test_an_alert_whose_first_delivery_failed_half_way_is_posted_on_the_retry(alerts: AlertStack) -> None:
    # The Slack outbox stream is not a stream (an operator's mistake, a Redis in trouble): storing the alert works,
    # posting its card fails, the sender gets 503 and retries - and the retry posts it.
    conn = alerts.stack.runtime.connection
    conn.rename("opsbot:outbox:urgent:slack", "opsbot:outbox:urgent:slack-saved")
    conn.set("opsbot:outbox:urgent:slack", "not a stream")
    failed = alerts.fire("half-way", summary="half-way alert")
    assert failed.status_code == 503 and len(failed.text.splitlines()) == 1
    conn.delete("opsbot:outbox:urgent:slack")
    conn.rename("opsbot:outbox:urgent:slack-saved", "opsbot:outbox:urgent:slack")
    retried = alerts.fire("half-way", summary="half-way alert")
    assert retried.status_code == 200
    card = alerts.card()
    assert "half-way alert" in card.shown
    assert alerts.fire("half-way", summary="half-way alert").json() == {"stored": 0, "updated": 1}
    alerts.stack.settled()
    assert len([m for m in alerts.slack.messages if "half-way alert" in m.shown and m.channel == INCIDENT]) == 1


def test_a_stalled_opening_is_finished_by_the_workers_sweep(alerts: AlertStack) -> None:
    conn = alerts.stack.runtime.connection
    conn.rename("opsbot:outbox:urgent:slack", "opsbot:outbox:urgent:slack-saved")
    conn.set("opsbot:outbox:urgent:slack", "not a stream")
    assert alerts.fire("no-retry", summary="sender never retries").status_code == 503
    conn.delete("opsbot:outbox:urgent:slack")
    conn.rename("opsbot:outbox:urgent:slack-saved", "opsbot:outbox:urgent:slack")
    escalator = alerts.stack.runtime.alerting.escalator
    assert escalator.reopen_stalled() == 0  # too recent: its sender may still retry
    later = escalator.clock() + 60
    escalator.clock = lambda: later
    assert escalator.reopen_stalled() == 1
    assert "sender never retries" in alerts.card().shown
    assert escalator.reopen_stalled() == 0
