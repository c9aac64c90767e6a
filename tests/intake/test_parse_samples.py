"""Every sample the platforms wrote (tests/samples) parses into the alerts a person would expect to see."""

from __future__ import annotations

import json

import pytest

from alerts.model import Severity
from alerts.sources import PARSERS, alertmanager, azure, gcp
from alerts.sources.sns import alarm, parse_envelope
from core.models import Cloud
from tests.payloads import sample, sample_json

AZURE_ALERT_ID = (
    "/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/"
    "12345678-1234-1234-1234-1234567890ab"
)


def test_alertmanager_firing_group_gives_one_alert_per_member() -> None:
    first, second = alertmanager.parse(sample("alertmanager_webhook_v4_firing_zulip_fixture.json"))
    assert (first.fingerprint, second.fingerprint) == ("a1bc48475b20e73d", "c2ea85182f28cbd9")
    assert first.source == "alertmanager"
    assert first.status == "firing" and first.severity is Severity.CRITICAL
    assert first.summary == "High CPU core temperature"
    assert first.description == "CPU core temperature is 34.75C"
    assert second.description == "CPU core temperature is 17.625C"
    assert first.resource == "andromeda"  # its `host` label: no service or instance label in this sample
    assert first.labels == {"alertname": "High CPU Temperature", "host": "andromeda", "severity": "critical"}
    assert first.starts_at == pytest.approx(1580948278.432911)
    assert first.ends_at is None  # the zero time 0001-01-01T00:00:00Z means "not ended"
    assert first.links[0].startswith("http://cobalt:9090/graph?g0.expr=")
    assert first.links[-1] == "http://ops1:9093"


def test_alertmanager_resolved_sample_resolves_the_same_fingerprint() -> None:
    (alert,) = alertmanager.parse(sample("alertmanager_webhook_v4_resolved_zulip_fixture.json"))
    assert (alert.status, alert.fingerprint, alert.summary) == (
        "resolved",
        "a1bc48475b20e73d",
        "High CPU core temperature",
    )
    assert alert.key == "alertmanager:a1bc48475b20e73d"


@pytest.mark.parametrize(
    ("name", "status", "severity", "summary", "resource"),
    [
        ("azure_monitor_metric_alert_fired_test_action_docs.json", "firing", Severity.INFO,
         "test-metricAlertRule: Transactions > 0.3 (value 78.09)", "test-storageAccount"),
        ("azure_monitor_metric_alert_resolved_docs.json", "resolved", Severity.INFO,
         "WCUS-R2-Gen2: Percentage CPU > 25 (value 7.727)", "wcus-r2-gen2"),
        ("azure_monitor_log_search_alert_v2_fired_test_action_docs.json", "firing", Severity.INFO,
         "test-logAlertRule-v2: Heartbeat > 0 (value 3.0)", "test-logAnalyticsWorkspace"),
        ("azure_monitor_activity_log_alert_fired_test_action_docs.json", "firing", Severity.INFO,
         "test-activityLogAlertRule: Microsoft.Compute/virtualMachines/restart/action", "test-VM"),
    ],
)  # fmt: skip
def test_azure_samples(name: str, status: str, severity: Severity, summary: str, resource: str) -> None:
    (alert,) = azure.parse(sample(name))
    essentials = sample_json(name)["data"]["essentials"]
    assert alert.fingerprint == essentials["alertId"]
    assert (alert.status, alert.severity, alert.summary, alert.resource) == (status, severity, summary, resource)
    assert alert.provider is Cloud.AZURE and alert.source == "azure"
    assert alert.labels["alertRule"] == essentials["alertRule"]


def test_azure_fired_and_resolved_times_and_custom_properties() -> None:
    (resolved,) = azure.parse(sample("azure_monitor_metric_alert_resolved_docs.json"))
    assert resolved.starts_at == pytest.approx(1553263104.371321)
    assert resolved.ends_at == pytest.approx(1553263396.224631)
    (fired,) = azure.parse(sample("azure_monitor_metric_alert_fired_test_action_docs.json"))
    assert fired.fingerprint == AZURE_ALERT_ID and fired.ends_at is None
    assert fired.labels["customKey1"] == "value1" and fired.description == "Alert rule description"


def test_azure_log_search_alert_links_to_its_results() -> None:
    (alert,) = azure.parse(sample("azure_monitor_log_search_alert_v2_fired_test_action_docs.json"))
    assert alert.links and all(link.startswith("https://portal.azure.com#@") for link in alert.links)


@pytest.mark.parametrize(
    ("name", "fingerprint", "status", "resource", "summary_start"),
    [
        ("gcp_monitoring_incident_open_v1_2_cloudforet_capture.json", "0.mtdi83m6w8ao", "firing", None,
         "CPU utilization for xxxxxxxxxxxxxxxxxxxxxxxx VM Instance labels"),
        ("gcp_monitoring_incident_closed_v1_2_gcp_sample_test.json", "0.m2d61b3s6d5d", "resolved", None,
         "CPU usage for tf-test VM Instance labels {project_id=tf-test} returned to normal"),
        ("gcp_monitoring_incident_closed_v1_2_docs.json", "0.opqiw61fsv7p", "resolved",
         "gke-cluster-1-default-pool-e2df4cbd-dgp3", "CPU utilization for internal-project gke-cluster-1-16"),
        ("gcp_monitoring_test_notification_open_via_goalert.json", "12345", "firing", "Example Resource",
         "Test Incident"),
    ],
)  # fmt: skip
def test_gcp_samples(name: str, fingerprint: str, status: str, resource: str | None, summary_start: str) -> None:
    (alert,) = gcp.parse(sample(name))
    assert (alert.fingerprint, alert.status, alert.resource) == (fingerprint, status, resource)
    assert alert.summary.startswith(summary_start)
    assert alert.severity is Severity.WARNING  # none of them says Critical or Error
    assert alert.provider is Cloud.GCP
    assert alert.links[0] == sample_json(name)["incident"]["url"]


def test_gcp_times_documentation_and_labels() -> None:
    (alert,) = gcp.parse(sample("gcp_monitoring_incident_closed_v1_2_docs.json"))
    assert (alert.starts_at, alert.ends_at) == (1577840461.0, 1577877071.0)
    assert alert.description.startswith("TEST ALERT")
    assert alert.labels["user-label-1"] == "important label" and alert.labels["zone"] == "us-central1-c"
    assert "https://myownpersonaldomain.com/playbook?name=${resource.name}" in alert.links
    (opened,) = gcp.parse(sample("gcp_monitoring_incident_open_v1_2_cloudforet_capture.json"))
    assert opened.ends_at is None and opened.description == "Server High CPU Usage"


def test_gcp_severity_from_the_policy() -> None:
    incident = sample_json("gcp_monitoring_incident_open_v1_2_cloudforet_capture.json")
    for given, expected in [("Critical", Severity.CRITICAL), ("Error", Severity.CRITICAL),
                            ("Warning", Severity.WARNING), ("No severity", Severity.WARNING)]:  # fmt: skip
        incident["incident"]["severity"] = given
        assert gcp.parse(json.dumps(incident).encode())[0].severity is expected


@pytest.mark.parametrize(
    "name", ["sns_lambda_cloudwatch_alarm_single_metric.json", "sns_lambda_cloudwatch_alarm_multiple_metrics.json"]
)
def test_cloudwatch_alarm_through_sns(name: str) -> None:
    envelope = parse_envelope(json.dumps(sample_json(name)["Records"][0]["Sns"]).encode())
    assert envelope.type == "Notification" and envelope.subject == "TestInvoke"
    (alert,) = alarm(envelope)
    assert alert.source == "sns" and alert.provider is Cloud.AWS
    assert alert.fingerprint == "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE"
    assert (alert.status, alert.severity) == ("firing", Severity.CRITICAL)
    assert alert.summary == "EXAMPLE: NetworkOut > 0"
    assert alert.resource == "TestInstance"
    assert alert.labels["InstanceId"] == "TestInstance" and alert.labels["metric"] == "NetworkOut"
    assert alert.description.splitlines()[-1].startswith("Threshold Crossed: 1 out of the last 1 datapoints")
    assert alert.starts_at == pytest.approx(1433353407.123)


def test_the_lambda_event_itself_is_accepted_too() -> None:
    envelope = parse_envelope(sample("sns_lambda_cloudwatch_alarm_single_metric.json"))
    assert alarm(envelope)[0].summary == "EXAMPLE: NetworkOut > 0"


def test_cloudwatch_states() -> None:
    sns = sample_json("sns_lambda_cloudwatch_alarm_single_metric.json")["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    expected = {"ALARM": ("firing", Severity.CRITICAL), "OK": ("resolved", Severity.CRITICAL),
                "INSUFFICIENT_DATA": ("firing", Severity.WARNING)}  # fmt: skip
    for state, (status, severity) in expected.items():
        message["NewStateValue"] = state
        message["AlarmName"] = "web-prod 5xx"
        message["AlarmArn"] = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-prod 5xx"
        (alert,) = alarm(parse_envelope(json.dumps({**sns, "Message": json.dumps(message)}).encode()))
        assert (alert.status, alert.severity) == (status, severity)
        assert alert.links == (
            "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/web-prod%205xx",
        )
        assert (alert.ends_at is not None) == (status == "resolved")


@pytest.mark.parametrize(
    "name",
    [
        "sns_notification_signed_sigv1.json",
        "sns_notification_signed_sigv2.json",
        "sns_notification_signed_sigv1_with_subject.json",
        "sns_notification_signed_sigv2_with_subject.json",
        "sns_lambda_notification_signed_sigv1_subject_null.json",
        "sns_notification_docs.json",
    ],
)
def test_a_plain_sns_message_is_one_warning(name: str) -> None:
    envelope = parse_envelope(sample(name))
    (alert,) = alarm(envelope)
    raw = sample_json(name)
    assert alert.summary == (raw.get("Subject") or raw["Message"])
    assert alert.severity is Severity.WARNING and alert.status == "firing"
    assert alert.fingerprint.startswith(raw["TopicArn"] + ":")
    assert alert.description == raw["Message"]


def test_the_same_subject_on_a_topic_is_the_same_alert() -> None:
    one = alarm(parse_envelope(sample("sns_notification_signed_sigv1.json")))[0]
    two = alarm(parse_envelope(sample("sns_lambda_notification_signed_sigv1_subject_null.json")))[0]
    assert one.fingerprint == two.fingerprint


def test_confirmations_parse_and_carry_no_alert() -> None:
    confirmation = parse_envelope(sample("sns_subscription_confirmation_docs.json"))
    assert confirmation.type == "SubscriptionConfirmation"
    assert confirmation.subscribe_url is not None and confirmation.subscribe_url.startswith("https://sns.us-west-2.")
    assert alarm(confirmation) == []
    assert parse_envelope(sample("sns_unsubscribe_confirmation_docs.json")).type == "UnsubscribeConfirmation"


def test_every_parser_is_registered() -> None:
    assert set(PARSERS) == {"alertmanager", "azure", "gcp", "generic"}
