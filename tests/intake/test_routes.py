"""POST /alerts/{source}: which sources answer, what a refusal looks like, the size limit, a store that is
down, what is logged and counted."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import pytest
import redis
from prometheus_client import REGISTRY
from pydantic import SecretStr
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.alert_config import AlertSourceAuth
from core.settings import Settings
from tests.intake.harness import Post, RecordingIngest, client, intake_app
from tests.payloads import sample

TOKEN = "route-token-Zx81"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _settings() -> Settings:
    return Settings(
        alert_sources={name: AlertSourceAuth(token=SecretStr(TOKEN)) for name in ("alertmanager", "azure", "gcp")}
    )


@pytest.fixture
def intake_settings() -> Settings:
    return _settings()


def _count(source: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value("opsbot_alert_webhooks_total", {"source": source, "outcome": outcome})
    return value or 0.0


@pytest.mark.parametrize(
    ("source", "name", "stored"),
    [
        ("alertmanager", "alertmanager_webhook_v4_firing_zulip_fixture.json", 2),
        ("azure", "azure_monitor_metric_alert_fired_test_action_docs.json", 1),
        ("gcp", "gcp_monitoring_incident_open_v1_2_cloudforet_capture.json", 1),
    ],
)
def test_each_source_stores_its_sample(
    post: Post, ingest: RecordingIngest, source: str, name: str, stored: int
) -> None:
    before = _count(source, "accepted")
    answer = post(f"/alerts/{source}", content=sample(name), headers=AUTH)
    assert (answer.status_code, answer.json()) == (200, {"stored": stored, "updated": 0})
    assert [alert.source for alert in ingest.alerts] == [source] * stored
    assert _count(source, "accepted") == before + 1


@pytest.mark.parametrize("content_type", [None, "application/json", "application/json; charset=utf-8", "text/plain"])
def test_content_type_is_not_enforced(post: Post, content_type: str | None) -> None:
    headers = AUTH | ({"Content-Type": content_type} if content_type else {})
    body = sample("azure_monitor_metric_alert_resolved_docs.json")
    assert post("/alerts/azure", content=body, headers=headers).status_code == 200


def test_unknown_and_disabled_sources_are_404(post: Post) -> None:
    unknown = post("/alerts/nagios", content=b"{}", headers=AUTH)
    assert (unknown.status_code, unknown.text) == (404, "unknown alert source 'nagios'")
    disabled = post("/alerts/generic", content=b"{}", headers=AUTH)
    assert (disabled.status_code, disabled.text) == (404, "alert source 'generic' is not enabled")
    assert post("/alerts/", content=b"{}").status_code == 404
    assert _count("unknown", "unknown") >= 1  # an attacker's path does not become a metric label


def test_only_post_is_answered(redis_conn: redis.Redis) -> None:
    app_client = client(intake_app(_settings(), redis_conn, RecordingIngest()))
    assert app_client.get("/alerts/alertmanager").status_code == 405


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{oops", "not JSON"),
        (b"[]", "expected a JSON object"),
        (json.dumps({"alerts": [{"status": "firing"}]}).encode(), "alerts[0]: missing labels"),
        (json.dumps({"alerts": [{"labels": {}, "status": "firing"}] * 1001}).encode(),
         "too many alerts (1001; limit 1000)"),
    ],
)  # fmt: skip
def test_a_malformed_body_is_400_with_one_line(post: Post, ingest: RecordingIngest, body: bytes, reason: str) -> None:
    answer = post("/alerts/alertmanager", content=body, headers=AUTH)
    assert (answer.status_code, answer.text) == (400, reason)
    assert ingest.batches == []


def test_auth_comes_before_parsing(post: Post) -> None:
    answer = post("/alerts/alertmanager", content=b"{oops")
    assert answer.status_code == 401  # nothing about the body is revealed to a stranger


def test_an_oversized_body_is_413(redis_conn: redis.Redis, ingest: RecordingIngest) -> None:
    app_client = client(intake_app(_settings(), redis_conn, ingest, max_bytes=4096))
    alert = {"status": "firing", "labels": {"alertname": "X"}, "annotations": {"summary": "y" * 5000}}
    answer = app_client.post("/alerts/alertmanager", content=json.dumps({"alerts": [alert]}), headers=AUTH)
    assert (answer.status_code, answer.text) == (413, "Request body too large (limit 0.00390625 MiB).")
    assert ingest.batches == []


def test_a_store_that_is_down_is_503_and_the_sender_retries(post: Post, ingest: RecordingIngest) -> None:
    ingest.error = redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    body = sample("alertmanager_webhook_v4_firing_zulip_fixture.json")
    answer = post("/alerts/alertmanager", content=body, headers=AUTH)
    assert (answer.status_code, answer.text) == (503, "alert store unavailable; retry")
    ingest.error = None
    assert post("/alerts/alertmanager", content=body, headers=AUTH).json() == {"stored": 2, "updated": 0}


def test_redis_down_during_the_replay_check_is_503(ingest: RecordingIngest) -> None:
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    settings = Settings(alert_sources={"generic": AlertSourceAuth(hmac_secret=SecretStr("s"))})
    stamp = str(int(time.time()))
    body = b'{"status": "firing", "severity": "info", "summary": "x"}'
    signature = hmac.new(b"s", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"X-Opsbot-Timestamp": stamp, "X-Opsbot-Signature": f"sha256={signature}"}
    answer = client(intake_app(settings, down, ingest)).post("/alerts/generic", content=body, headers=headers)
    assert (answer.status_code, answer.text) == (503, "alert store unavailable; retry")


def test_an_empty_group_is_accepted_without_a_store_call(post: Post, ingest: RecordingIngest) -> None:
    answer = post("/alerts/alertmanager", content=b'{"alerts": []}', headers=AUTH)
    assert (answer.status_code, answer.json()) == (200, {"stored": 0, "updated": 0})
    assert ingest.batches == []


def test_logs_never_hold_the_token(post: Post, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    post(f"/alerts/alertmanager?token={TOKEN}", content=sample("alertmanager_webhook_v4_firing_zulip_fixture.json"))
    post("/alerts/alertmanager", content=b"{}", headers={"Authorization": f"Bearer {TOKEN}-wrong"})
    post("/alerts/alertmanager", content=b"{oops", headers=AUTH)
    server_side = [r.getMessage() for r in caplog.records if r.name != "httpx"]  # httpx: the test's own client
    assert server_side and not any(TOKEN in line for line in server_side)
    assert "alert intake alertmanager: wrong token (401)" in server_side


def test_refusals_are_counted_by_outcome(post: Post) -> None:
    before = _count("alertmanager", "unauthorized"), _count("alertmanager", "malformed")
    post("/alerts/alertmanager", content=b"{}")
    post("/alerts/alertmanager", content=b"{}", headers=AUTH)
    assert (_count("alertmanager", "unauthorized"), _count("alertmanager", "malformed")) == (
        before[0] + 1,
        before[1] + 1,
    )


def test_an_unknown_source_name_is_shown_on_one_clean_line(post: Post) -> None:
    answer = post("/alerts/x%0Ay%1B" + "z" * 100, content=b"{}")
    assert (answer.status_code, answer.text) == (404, "unknown alert source 'xy" + "z" * 36 + "'")
