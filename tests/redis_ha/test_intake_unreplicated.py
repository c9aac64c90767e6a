"""With Sentinel, intake answers 2xx only for an alert the replicas hold. Asked to wait for more replicas than
run, it answers 503 with one line; the alert is kept, and the sender's retries count as repeats of it."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import SecretStr

from alerts.store import AlertBook
from core.alert_config import AlertSourceAuth
from core.redis import connect
from core.settings import Settings
from fakes.redis_ha import SentinelRedis
from tests.intake.harness import client, intake_app
from tests.redis_ha.conftest import TOKEN, StoringIngest, stored_fingerprints, through_sentinels


def test_an_alert_no_replica_confirmed_is_answered_503_and_its_retries_store_nothing_more(
    cluster: SentinelRedis, tmp_path: Path
) -> None:
    connection = connect(through_sentinels(cluster.url + "?wait_replicas=3&wait_timeout=0.1", tmp_path))
    settings = Settings(alert_sources={"generic": AlertSourceAuth(token=SecretStr(TOKEN))})
    book = AlertBook(connection)
    post = client(intake_app(settings, connection, StoringIngest(book=book))).post
    body = json.dumps({"fingerprint": "disk-full", "status": "firing", "severity": "critical", "summary": "disk full"})
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    answers = [post("/alerts/generic", content=body, headers=headers) for _ in range(3)]

    assert [(a.status_code, a.text) for a in answers] == [(503, "alert store not replicated yet; retry")] * 3
    assert stored_fingerprints(cluster.server(cluster.master())) == ["disk-full"]
    alert = book.get(1)
    assert alert is not None and alert.repeats == 2
    connection.close()
