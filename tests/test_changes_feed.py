"""The change feed on the real test Redis: reading after an id, blocking until a change comes, resuming where a reader
left off, an entry of an unknown topic skipped, a publish that cannot reach Redis not failing its writer; and each
writer publishing its topic after its own write (the alert store, runbook runs, deploy records, incidents, on-call
overrides, the inventory cache, the simulated world, the cost cache)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import redis

from actions.backend import Scope
from actions.costs.model import CostTable
from actions.costs.store import CostStore
from actions.deploy.records import DeployBook
from actions.dr.model import RunbookRequest
from actions.dr.runs import RunBook
from actions.inventory.store import InventoryStore
from actions.provider import Resource
from actions.simulated import SimulatedCloud
from alerts.incidents import IncidentBook
from alerts.model import Alert, Incoming, Severity
from alerts.store import AlertBook
from core.changes import FEED, Change, Topic, latest, publish, read
from core.models import ActionName, ActionRequest, Cloud, ConversationRef
from policies.alerting.oncall import Override
from tests.deploy.test_records import request as deploy_request
from workers.escalation.overrides import OverrideStore

REF = ConversationRef(channel="console", conversation_id="ops-room")


def topics(connection: redis.Redis, after: str) -> list[tuple[str, str]]:
    return [(c.topic.value, c.subject) for c in read(connection, after)]


def test_a_reader_reads_what_came_after_its_id_and_resumes_from_the_last_one(redis_conn: redis.Redis) -> None:
    assert latest(redis_conn) == "0-0" and read(redis_conn, "0-0") == []
    publish(redis_conn, Topic.ALERTS, "12")
    publish(redis_conn, Topic.RUNS, "3")
    first = read(redis_conn, "0-0")
    assert [(c.topic, c.subject) for c in first] == [(Topic.ALERTS, "12"), (Topic.RUNS, "3")]
    assert latest(redis_conn) == first[-1].id

    publish(redis_conn, Topic.COST)
    resumed = read(redis_conn, first[-1].id)  # a reconnecting page passes the last id it saw
    assert [(c.topic, c.subject) for c in resumed] == [(Topic.COST, "")]
    assert read(redis_conn, first[0].id)[0].id == first[1].id


def test_a_blocking_read_wakes_on_the_next_change_and_an_idle_one_returns_nothing(redis_conn: redis.Redis) -> None:
    start = latest(redis_conn)
    assert read(redis_conn, start, block_ms=50) == []
    later = threading.Timer(0.05, lambda: publish(redis_conn, Topic.DEPLOYS, "7"))
    later.start()
    try:
        woke = read(redis_conn, start, block_ms=10_000)
    finally:
        later.join()
    assert [(c.topic, c.subject) for c in woke] == [(Topic.DEPLOYS, "7")]


def test_an_entry_of_an_unknown_topic_is_skipped(redis_conn: redis.Redis) -> None:
    redis_conn.xadd(FEED, {"t": "weather", "s": "rain"})
    redis_conn.xadd(FEED, {"x": "no topic"})
    publish(redis_conn, Topic.ONCALL, "primary")
    (only,) = read(redis_conn, "0-0")
    assert isinstance(only, Change) and (only.topic, only.subject) == (Topic.ONCALL, "primary")


def test_a_publish_that_cannot_reach_redis_does_not_fail_the_writer() -> None:
    gone = redis.Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.5)
    publish(gone, Topic.HEALTH, "aws")  # logged only


def test_the_alert_store_publishes_new_alerts_and_state_changes_not_repeats(redis_conn: redis.Redis) -> None:
    book = AlertBook(redis_conn)
    start = latest(redis_conn)
    incoming = Incoming(source="generic", fingerprint="5xx", severity=Severity.CRITICAL, summary="5xx")

    def prepared(i: Incoming) -> Alert:
        return Alert(number=1, source=i.source, fingerprint=i.fingerprint, severity=i.severity, summary=i.summary,
                     first_seen=0.0, last_seen=0.0)  # fmt: skip

    stored = book.ingest(incoming, prepared)
    book.ingest(incoming, prepared)  # a repeat: nothing to redraw
    book.acknowledge(stored.number, "bob", "Slack")
    book.acknowledge(stored.number, "carol", "Slack")  # already acknowledged: nothing changed
    book.resolve(stored.number, "bob", "Slack")
    assert topics(redis_conn, start) == [("alerts", "1")] * 3


def test_runbook_runs_publish_when_created_and_each_time_they_are_written(redis_conn: redis.Redis) -> None:
    book = RunBook(redis_conn)
    start = latest(redis_conn)
    request = RunbookRequest(runbook="web-failover", runbook_hash="h", kind="drill", service="web", primary="web-prod",
                             standby="web-dr", primary_size=12, standby_size=0, requested_by="bob")  # fmt: skip
    run = book.create(request, REF, "key", approved_by=None, steps=3)
    book.update(run.id, lambda r: r.model_copy(update={"step": 1}))
    book.update(run.id, lambda _r: None)  # nothing written
    book.update(run.id, lambda r: r.model_copy(update={"state": "succeeded", "finished_at": 1.0}))
    assert topics(redis_conn, start) == [("runs", str(run.id))] * 3


def test_deploy_records_publish_when_created_saved_and_updated(redis_conn: redis.Redis) -> None:
    book = DeployBook(redis_conn)
    start = latest(redis_conn)
    record = book.create(deploy_request("v2.4"), REF, "key", approved_by=None)
    book.update(record.id, lambda r: r.model_copy(update={"state": "rolling"}))
    book.save(record.model_copy(update={"state": "succeeded", "finished_at": 1.0}))
    assert topics(redis_conn, start) == [("deploys", str(record.id))] * 3


def test_incidents_publish_when_declared_and_resolved(redis_conn: redis.Redis) -> None:
    book = IncidentBook(redis_conn)
    start = latest(redis_conn)
    incident = book.declare("sev1", "web-prod down", "web-prod", "alice", [])
    book.resolve(incident.number, "traffic back", "alice")
    book.resolve(incident.number, "again", "bob")  # already resolved: nothing changed
    assert topics(redis_conn, start) == [("incidents", "1")] * 2


def test_an_on_call_override_publishes_its_schedule(redis_conn: redis.Redis) -> None:
    start = latest(redis_conn)
    now = datetime.now(UTC)
    OverrideStore(redis_conn).add("primary", Override(person="bob", start=now, end=now + timedelta(hours=8)), 0.0)
    assert topics(redis_conn, start) == [("oncall", "primary")]


def test_the_inventory_cache_publishes_health_on_each_scope_write(redis_conn: redis.Redis) -> None:
    aws = Scope(cloud=Cloud.AWS, account="prod", region="us-east-1", label="AWS prod us-east-1")
    store = InventoryStore(redis_conn)
    start = latest(redis_conn)
    vm = Resource(id="aws:prod:us-east-1:i-1", name="web-1", cloud=Cloud.AWS, kind="instance", region="us-east-1",
                  environment="prod", state="running", size="m5.large", hourly_cost=0.096)  # fmt: skip
    store.save(aws, [vm])
    store.fail(aws, "AWS is throttling")
    assert topics(redis_conn, start) == [("health", aws.key)] * 2


def test_a_change_in_the_simulated_world_publishes_health(redis_conn: redis.Redis) -> None:
    cloud = SimulatedCloud(redis_conn, size=200, step_seconds=0.0)
    start = latest(redis_conn)
    stop = ActionRequest.on(cloud.get("web-staging"), ActionName.STOP, requested_by="bob")
    cloud.execute(stop, lambda _line: None)
    cloud.execute(stop, lambda _line: None)  # stopped already: nothing written
    assert topics(redis_conn, start) == [("health", "web-staging")]


def test_the_cost_cache_publishes_each_source_read_or_failed(redis_conn: redis.Redis) -> None:
    store = CostStore(redis_conn, "t:costs:")
    start = latest(redis_conn)
    store.save("Cost Explorer", "aws", CostTable.empty(), fetched_at=1.0, forecast=None)
    store.fail("Cost Explorer", "aws", "throttled", at=2.0)
    assert topics(redis_conn, start) == [("cost", "Cost Explorer")] * 2
