"""Alerts posted to the real intake (uvicorn, the intake routes, the alert store) while the Redis master fails
over: every alert the sender was answered 2xx for is in the store afterwards, and none is stored twice. Senders
retry a 503 as Alertmanager does; the store counts a retried alert as a repeat."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from pydantic import SecretStr

from alerts.store import AlertBook
from core.alert_config import AlertSourceAuth
from core.redis import connect
from core.settings import Settings
from fakes.redis_ha import SentinelRedis
from tests.eventually import eventually
from tests.intake.harness import Served
from tests.redis_ha.conftest import TOKEN, StoringIngest, stored_fingerprints, through_sentinels
from tests.redis_ha.senders import Senders

ALERTS = 400
SENDERS = 6
BEFORE_FAILOVER = 80  # acknowledged alerts before the failover is ordered


def test_every_alert_acknowledged_during_a_failover_is_stored_exactly_once(
    cluster: SentinelRedis, tmp_path: Path
) -> None:
    connection = connect(through_sentinels(cluster.url + "?wait_timeout=0.3", tmp_path))
    settings = Settings(alert_sources={"generic": AlertSourceAuth(token=SecretStr(TOKEN))})
    fingerprints = [f"storm-{n}" for n in range(ALERTS)]
    ingest = StoringIngest(book=AlertBook(connection))
    with Served(settings, connection, ingest) as served, httpx.Client(timeout=30) as http:
        senders = Senders(served.url, http, TOKEN)
        with ThreadPoolExecutor(max_workers=SENDERS) as pool:
            sent = [pool.submit(senders.send, fingerprint) for fingerprint in fingerprints]
            eventually(lambda: len(senders.acknowledged) >= BEFORE_FAILOVER, 20, "the first alerts acknowledged")
            new = cluster.failover()
            for future in sent:
                future.result(timeout=60)
    connection.close()

    assert senders.acknowledged == set(fingerprints)
    stored = stored_fingerprints(cluster.server(new))
    missing = sorted(set(fingerprints) - set(stored))
    twice = sorted(f for f in set(stored) if stored.count(f) > 1)
    assert (missing, twice) == ([], []), (
        f"{len(missing)} acknowledged alerts lost, {len(twice)} stored twice ({senders.unavailable} answers were 503)"
    )
