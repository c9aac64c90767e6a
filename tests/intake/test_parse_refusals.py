"""Bodies a source would never send are refused with one short line naming the field; oversize values are
trimmed to what an alert holds rather than refused; the generic format is checked field by field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alerts.model import Severity
from alerts.sources import PARSERS, Malformed, alertmanager, azure, gcp, generic
from alerts.sources.sns import alarm, parse_envelope
from core.models import Cloud
from tests.payloads import sample_json


def _body(data: Any) -> bytes:
    return json.dumps(data).encode()


def _refusal(parse: Any, body: Any) -> str:
    with pytest.raises(Malformed) as caught:
        parse(body)
    reason = str(caught.value)
    assert "\n" not in reason and "Traceback" not in reason and len(reason) <= 200
    return reason


def _am_alert(**changes: Any) -> dict[str, Any]:
    alert = {"status": "firing", "labels": {"alertname": "HighLatency"}, "annotations": {}, "fingerprint": "f1"}
    alert.update(changes)
    return alert


@pytest.mark.parametrize("source", sorted(PARSERS))
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'"text"', "expected a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    ],
)
def test_not_a_json_object(source: str, body: bytes, reason: str) -> None:
    assert _refusal(PARSERS[source], body) == reason


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"version": "4"}, "missing alerts"),
        ({"alerts": {}}, "alerts: expected a list"),
        ({"alerts": [_am_alert(), _am_alert(), {"status": "firing"}]}, "alerts[2]: missing labels"),
        ({"alerts": [_am_alert(status="foo")]}, "alerts[0]: unknown status 'foo'"),
        ({"alerts": [_am_alert(status=None)]}, "alerts[0]: missing status"),
        ({"alerts": [_am_alert(labels=["a"])]}, "alerts[0].labels: expected an object"),
        ({"alerts": ["x"]}, "alerts[0]: expected an object"),
        ({"alerts": [_am_alert(startsAt="yesterday")]}, "alerts[0].startsAt: not an RFC 3339 time"),
        ({"alerts": [_am_alert() for _ in range(1001)]}, "too many alerts (1001; limit 1000)"),
    ],
)
def test_alertmanager_refusals(payload: dict[str, Any], reason: str) -> None:
    assert _refusal(alertmanager.parse, _body(payload)) == reason


def test_alertmanager_takes_the_group_status_when_an_alert_has_none() -> None:
    alert = _am_alert()
    del alert["status"]
    (parsed,) = alertmanager.parse(_body({"status": "resolved", "alerts": [alert]}))
    assert parsed.status == "resolved"


@pytest.mark.parametrize(
    ("severity", "expected"),
    [("critical", Severity.CRITICAL), ("page", Severity.CRITICAL), ("HIGH", Severity.CRITICAL),
     ("error", Severity.CRITICAL), ("warning", Severity.WARNING), ("warn", Severity.WARNING),
     ("info", Severity.INFO), ("none", Severity.INFO), ("low", Severity.INFO), (None, Severity.WARNING),
     ("major", Severity.WARNING)],
)  # fmt: skip
def test_alertmanager_severity_label(severity: str | None, expected: Severity) -> None:
    labels = {"alertname": "X"} | ({"severity": severity} if severity else {})
    assert alertmanager.parse(_body({"alerts": [_am_alert(labels=labels)]}))[0].severity is expected


@pytest.mark.parametrize(
    ("labels", "resource"),
    [
        ({"service": "checkout", "instance": "10.0.0.7:9100", "job": "node"}, "checkout"),
        ({"instance": "web-1:9100", "job": "node"}, "web-1"),
        ({"instance": "https://shop.example.com/health", "job": "blackbox"}, "shop.example.com"),
        ({"instance": "[2001:db8::1]:9100"}, "2001:db8::1"),
        ({"resource": "lb-prod", "job": "node"}, "lb-prod"),
        # Every scraped series carries `instance`: the rule's own `resource` label is what the operator meant.
        ({"resource": "web-prod", "instance": "127.0.0.1:9100", "job": "node"}, "web-prod"),
        ({"resource": "web-prod", "service": "checkout", "instance": "10.0.0.7:9100"}, "web-prod"),
        ({"host": "db-1", "job": "node"}, "db-1"),
        ({"job": "node"}, "node"),
        ({}, None),
    ],
)
def test_alertmanager_resource_is_what_people_call_it(labels: dict[str, str], resource: str | None) -> None:
    alert = _am_alert(labels={"alertname": "Down", **labels})
    assert alertmanager.parse(_body({"alerts": [alert]}))[0].resource == resource


def test_alertmanager_summary_fallbacks_environment_provider_and_runbook() -> None:
    described = _am_alert(annotations={"description": "\n  Disk 91% full\nmore detail", "runbook_url": "https://rb/1"})
    bare = _am_alert(labels={"alertname": "InstanceDown", "instance": "db-1:9100", "env": "prod", "cloud": "aws"})
    nothing = _am_alert(labels={"alertname": "HighLatency", "environment": "staging", "provider": "gcp"})
    one, two, three = alertmanager.parse(_body({"externalURL": "http://am:9093", "alerts": [described, bare, nothing]}))
    assert one.summary == "Disk 91% full" and one.links == ("https://rb/1", "http://am:9093")
    assert two.summary == "InstanceDown on db-1:9100" and two.environment == "prod" and two.provider is Cloud.AWS
    assert three.summary == "HighLatency" and three.environment == "staging" and three.provider is Cloud.GCP


def test_alertmanager_without_fingerprint_hashes_its_labels() -> None:
    a = _am_alert(labels={"alertname": "X", "instance": "a"}, fingerprint=None)
    b = _am_alert(labels={"instance": "a", "alertname": "X"}, fingerprint=None)
    c = _am_alert(labels={"alertname": "X", "instance": "b"}, fingerprint=None)
    fa, fb, fc = (alert.fingerprint for alert in alertmanager.parse(_body({"alerts": [a, b, c]})))
    assert fa == fb != fc and len(fa) == 64


def test_oversize_values_are_trimmed_not_refused() -> None:
    labels = {f"label{i:03d}": "v" for i in range(200)} | {"alertname": "X"}
    huge = _am_alert(
        labels=labels,
        annotations={"summary": "s" * 5000 + "\nsecond line", "description": "d" * 10_000},
        fingerprint="f" * 500,
        generatorURL="https://x/" + "a" * 5000,
    )
    (alert,) = alertmanager.parse(_body({"alerts": [huge]}))
    assert len(alert.summary) == 500 and alert.summary.endswith("…")
    assert len(alert.description) == 4000
    assert len(alert.labels) == 64
    assert alert.fingerprint.startswith("sha256:") and len(alert.fingerprint) <= 200
    assert alert.links == ()  # a 5 KB URL is not a link anyone can use


def test_a_multiline_summary_becomes_one_line() -> None:
    alert = _am_alert(annotations={"summary": "CPU high\n  on web-1\t(95%)"})
    assert alertmanager.parse(_body({"alerts": [alert]}))[0].summary == "CPU high on web-1 (95%)"


def test_only_http_links_are_kept() -> None:
    alert = _am_alert(generatorURL="javascript:alert(1)", annotations={"runbook_url": "file:///etc/passwd"})
    assert alertmanager.parse(_body({"externalURL": "ftp://x", "alerts": [alert]}))[0].links == ()


def _azure() -> dict[str, Any]:
    payload: dict[str, Any] = sample_json("azure_monitor_metric_alert_fired_test_action_docs.json")
    return payload


def test_azure_refusals() -> None:
    payload = _azure()
    payload["schemaId"] = "Microsoft.Insights/activityLogs"
    assert _refusal(azure.parse, _body(payload)).startswith("schemaId is not azureMonitorCommonAlertSchema")
    payload = _azure()
    payload["data"]["essentials"]["monitorCondition"] = "Flapping"
    assert _refusal(azure.parse, _body(payload)) == "data.essentials: unknown monitorCondition 'Flapping'"
    payload = _azure()
    del payload["data"]["essentials"]["alertId"]
    assert _refusal(azure.parse, _body(payload)) == "data.essentials: missing alertId"
    payload = _azure()
    payload["data"] = "x"
    assert _refusal(azure.parse, _body(payload)) == "data: expected an object"
    payload = _azure()
    del payload["data"]["essentials"]["monitorCondition"]
    assert _refusal(azure.parse, _body(payload)) == "data.essentials: missing monitorCondition"


@pytest.mark.parametrize("value", [["Fired"], {"state": "Fired"}])
def test_a_list_or_object_where_a_word_belongs_is_refused_not_a_crash(value: Any) -> None:
    payload = _azure()
    payload["data"]["essentials"]["monitorCondition"] = value
    assert _refusal(azure.parse, _body(payload)).startswith("data.essentials: unknown monitorCondition (")
    sns = sample_json("sns_lambda_cloudwatch_alarm_single_metric.json")["Records"][0]["Sns"]
    message = json.loads(sns["Message"]) | {"NewStateValue": value}
    envelope = parse_envelope(_body({**sns, "Message": json.dumps(message)}))
    assert _refusal(alarm, envelope).startswith("Message: unknown NewStateValue (")


@pytest.mark.parametrize(
    ("severity", "expected"),
    [("Sev0", Severity.CRITICAL), ("Sev1", Severity.CRITICAL), ("Sev2", Severity.WARNING),
     ("Sev3", Severity.INFO), ("Sev4", Severity.INFO), (None, Severity.WARNING)],
)  # fmt: skip
def test_azure_severity(severity: str | None, expected: Severity) -> None:
    payload = _azure()
    payload["data"]["essentials"]["severity"] = severity
    payload["data"]["customProperties"] = {"environment": "prod"}
    (alert,) = azure.parse(_body(payload))
    assert alert.severity is expected and alert.environment == "prod"


def test_gcp_refusals() -> None:
    incident = sample_json("gcp_monitoring_incident_open_v1_2_cloudforet_capture.json")
    assert _refusal(gcp.parse, _body({"version": "1.2"})) == "missing incident"
    incident["incident"]["state"] = "acknowledged"
    assert _refusal(gcp.parse, _body(incident)) == "incident: unknown state 'acknowledged'"
    incident["incident"]["state"] = "open"
    incident["incident"]["incident_id"] = None
    assert _refusal(gcp.parse, _body(incident)) == "incident: missing incident_id"
    incident["incident"]["incident_id"] = "0.x"
    incident["incident"]["started_at"] = "soon"
    assert _refusal(gcp.parse, _body(incident)) == "incident.started_at: not a unix time"


def test_gcp_summary_falls_back_to_policy_and_condition() -> None:
    incident = sample_json("gcp_monitoring_incident_open_v1_2_cloudforet_capture.json")
    del incident["incident"]["summary"]
    assert gcp.parse(_body(incident))[0].summary == (
        "choonho-server-cpu-alert-policy-test: VM Instance - CPU utilization"
    )


def test_sns_envelope_refusals() -> None:
    good = sample_json("sns_notification_signed_sigv1.json")
    assert _refusal(parse_envelope, _body({**good, "Type": "Gossip"})).startswith("Type: input should be")
    missing = dict(good)
    del missing["MessageId"]
    assert _refusal(parse_envelope, _body(missing)) == "missing MessageId"
    assert _refusal(parse_envelope, _body({**good, "Message": 42})) == "Message: input should be a valid string"
    assert _refusal(parse_envelope, _body({**good, "Timestamp": "noon"})) == "Timestamp: not an RFC 3339 time"
    confirmation = sample_json("sns_subscription_confirmation_docs.json")
    del confirmation["SubscribeURL"]
    assert "needs SubscribeURL and Token" in _refusal(parse_envelope, _body(confirmation))
    assert _refusal(parse_envelope, _body({"Records": []})) == "Records: expected exactly one SNS record"
    assert "needs SubscribeURL and Token" in _refusal(parse_envelope, _body({**confirmation, "Token": None}))


def test_cloudwatch_alarm_with_an_unknown_state() -> None:
    sns = sample_json("sns_lambda_cloudwatch_alarm_single_metric.json")["Records"][0]["Sns"]
    message = json.loads(sns["Message"]) | {"NewStateValue": "MAYBE"}
    envelope = parse_envelope(_body({**sns, "Message": json.dumps(message)}))
    assert _refusal(alarm, envelope) == "Message: unknown NewStateValue 'MAYBE'"


GOOD = {"status": "firing", "severity": "critical", "summary": "Checkout 5xx above 5%"}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({**GOOD, "status": "burning"}, "status: input should be 'firing' or 'resolved'"),
        ({"status": "firing", "severity": "critical"}, "missing summary"),
        ({**GOOD, "summary": "   "}, "summary: string should have at least 1 character"),
        ({**GOOD, "severty": "info"}, "severty: extra inputs are not permitted"),
        ({"alerts": [GOOD, GOOD, {**GOOD, "severity": "fatal"}]},
         "alerts[2].severity: input should be 'critical', 'warning' or 'info'"),
        ({"alerts": [{**GOOD, "labels": {"team": 7}}]}, "alerts[0].labels.team: input should be a valid string"),
        ({**GOOD, "starts_at": "tomorrow-ish"}, "starts_at: not an RFC 3339 time or unix seconds"),
        ({**GOOD, "starts_at": [1]}, "starts_at: not an RFC 3339 time or unix seconds"),
        ({**GOOD, "links": ["javascript:alert(1)"]}, "links: links must be http(s) URLs"),
        ({**GOOD, "provider": "oracle"}, "provider: input should be 'aws', 'azure' or 'gcp'"),
        ({"alerts": "all of them"}, "alerts: expected a list"),
        ({"alerts": [GOOD] * 1001}, "too many alerts (1001; limit 1000)"),
    ],
)  # fmt: skip
def test_generic_refusals_name_the_field(payload: dict[str, Any], reason: str) -> None:
    assert _refusal(generic.parse, _body(payload)) == reason


def test_generic_single_alert_and_defaults() -> None:
    (alert,) = generic.parse(_body({**GOOD, "resource": "checkout", "labels": {"env": "prod"}}))
    assert (alert.source, alert.status, alert.severity) == ("generic", "firing", Severity.CRITICAL)
    assert alert.summary == "Checkout 5xx above 5%" and alert.resource == "checkout"
    assert alert.environment == "prod" and len(alert.fingerprint) == 64
    again = generic.parse(_body({**GOOD, "labels": {"env": "prod"}, "resource": "checkout", "status": "resolved"}))[0]
    assert again.fingerprint == alert.fingerprint and again.status == "resolved"
    other = generic.parse(_body({**GOOD, "resource": "search", "labels": {"env": "prod"}}))[0]
    assert other.fingerprint != alert.fingerprint


def test_generic_batch_with_every_field() -> None:
    full = {
        "fingerprint": "nightly-backup",
        "status": "resolved",
        "severity": "warning",
        "summary": "Nightly backup late",
        "description": "Backup of orders-db finished 2 h late.",
        "resource": "orders-db",
        "provider": "azure",
        "environment": "prod",
        "labels": {"team": "data"},
        "starts_at": "2026-11-07T02:00:00Z",
        "links": ["https://runbooks.example.com/backup"],
    }
    one, two = generic.parse(_body({"alerts": [full, {**GOOD, "starts_at": 1700000000}]}))
    assert one.fingerprint == "nightly-backup" and one.provider is Cloud.AZURE and one.status == "resolved"
    assert one.starts_at == 1794016800.0 and one.links == ("https://runbooks.example.com/backup",)
    assert one.labels == {"team": "data"} and one.description.startswith("Backup of orders-db")
    assert two.starts_at == 1700000000.0
