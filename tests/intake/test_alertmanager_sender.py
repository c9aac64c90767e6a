"""A real Prometheus Alertmanager (Debian's binary) posts to the intake route served by uvicorn, with the
bearer token from its `http_config.authorization`: its firing and resolved notifications arrive as the alerts
a person would see, under one fingerprint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr

from core.alert_config import AlertSourceAuth
from core.settings import Settings
from fakes.alertmanager import Alertmanager
from tests.eventually import eventually
from tests.intake.harness import RecordingIngest, Served

TOKEN = "am-real-sender-token-5f1"
WAIT_SECONDS = 20.0  # a bound for a hung test, not a speed assertion


def _wait_for(ingest: RecordingIngest, count: int) -> None:
    eventually(lambda: len(ingest.alerts) >= count, WAIT_SECONDS, f"{count} alerts", seen=lambda: len(ingest.alerts))


@pytest.fixture
def served(redis_conn: redis.Redis) -> Iterator[tuple[Served, RecordingIngest]]:
    ingest = RecordingIngest()
    settings = Settings(alert_sources={"alertmanager": AlertSourceAuth(token=SecretStr(TOKEN))})
    with Served(settings, redis_conn, ingest) as server:
        yield server, ingest


def test_alertmanager_fires_and_resolves_through_the_route(
    served: tuple[Served, RecordingIngest], tmp_path: Path
) -> None:
    server, ingest = served
    labels = {"alertname": "HighErrorRate", "service": "checkout", "severity": "page", "env": "prod", "cloud": "aws"}
    annotations = {"summary": "Checkout 5xx above 5%", "runbook_url": "https://runbooks.example.com/checkout-5xx"}
    with Alertmanager(f"{server.url}/alerts/alertmanager", bearer_token=TOKEN, tmp_path=tmp_path,
                      group_interval="10ms") as am:  # fmt: skip
        am.fire(labels, annotations, generator_url="http://prometheus:9090/graph?g0.expr=errors")
        _wait_for(ingest, 1)
        am.resolve(labels)
        _wait_for(ingest, 2)
    fired, resolved = ingest.alerts[:2]
    assert (fired.status, resolved.status) == ("firing", "resolved")
    assert fired.fingerprint == resolved.fingerprint and len(fired.fingerprint) == 16  # Alertmanager's own
    assert fired.summary == "Checkout 5xx above 5%" and fired.resource == "checkout"
    assert (fired.severity.value, fired.environment, fired.provider) == ("critical", "prod", "aws")
    assert fired.links[:2] == (
        "https://runbooks.example.com/checkout-5xx",
        "http://prometheus:9090/graph?g0.expr=errors",
    )
    assert fired.ends_at is None and resolved.ends_at is not None


def test_alertmanager_with_the_wrong_token_is_refused(served: tuple[Served, RecordingIngest], tmp_path: Path) -> None:
    server, ingest = served
    with Alertmanager(f"{server.url}/alerts/alertmanager", bearer_token="not-the-token", tmp_path=tmp_path) as am:
        am.fire({"alertname": "Down", "instance": "db-1:9100"})

        def refused() -> str | None:
            tail = am.stderr_tail(200)
            return tail if "401" in tail else None

        log = eventually(refused, WAIT_SECONDS, "a 401 in Alertmanager's log")
    assert "401" in log and "wrong token" in log  # Alertmanager logs our one-line reason
    assert ingest.batches == []
