from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import zlib

import pytest
import redis

from actions.simulated.provider import SimulatedCloud
from audit.log import AuditEvent
from core import metrics
from core.errors import OpsbotError
from core.settings import Settings
from tests.eventually import eventually
from workers.context import WorkerContext
from workers.jobs import ActionJob, enqueue_action, pending_jobs
from workers.runner import InProcessWorker

from .helpers import REF, edits_of, job_events, job_records, scale_job, wait_for_end


def test_success_edits_progress_then_result_and_audits_every_step(
    ctx: WorkerContext, cloud: SimulatedCloud, worker: InProcessWorker
) -> None:
    job = scale_job(cloud, to=16)
    samples_before = {stage: count for stage, (count, _p50, _p99) in metrics.snapshot().items()}
    job_id = enqueue_action(ctx, job)

    edits = wait_for_end(ctx.outbox, job)

    assert [e.kind for e in edits] == ["progress"] * (len(edits) - 1) + ["result"]
    assert edits[0].text == "Running: web-prod scale"
    assert edits[-2].text == "web-prod: 16/16 instances running"  # the provider's own progress lines
    assert edits[-1].text.startswith("Done: web-prod is at 16 instances (")
    assert all(e.ref == REF for e in edits)
    assert len({e.key for e in edits}) == len(edits)
    assert cloud.get("web-prod").count == 16
    records = job_records(ctx.settings.data_dir, job_id)
    assert [r.event for r in records] == [AuditEvent.STARTED, AuditEvent.SUCCEEDED]
    for record in records:
        assert record.actor == "alice"
        assert record.where == "console:ops-room/t1"
        assert record.params["desired_count"] == 16
        assert record.params["resource_id"] == job.request.resource_id
        assert record.params["requested_by"] == "alice"
        assert record.params["approved_by"] == "bob"
    assert records[-1].outcome == "web-prod is at 16 instances"
    assert pending_jobs(ctx.connection, REF) == 0
    counts = metrics.snapshot()
    for stage in ("queue_wait", "execution"):
        assert counts[stage][0] == samples_before.get(stage, 0) + 1


def test_pending_counts_jobs_until_they_end(ctx: WorkerContext, cloud: SimulatedCloud) -> None:
    first, second = scale_job(cloud, to=14, key="a"), scale_job(cloud, to=15, key="b")
    enqueue_action(ctx, first)
    enqueue_action(ctx, second)
    assert pending_jobs(ctx.connection, REF) == 2
    assert pending_jobs(ctx.connection, REF.model_copy(update={"conversation_id": "elsewhere"})) == 0

    with InProcessWorker(ctx):
        wait_for_end(ctx.outbox, first)
        wait_for_end(ctx.outbox, second)

    assert pending_jobs(ctx.connection, REF) == 0


def test_same_key_twice_is_one_job_and_never_runs_again(ctx: WorkerContext, cloud: SimulatedCloud) -> None:
    job = scale_job(cloud, to=18)
    first = enqueue_action(ctx, job)
    assert enqueue_action(ctx, job) == first
    with InProcessWorker(ctx):
        wait_for_end(ctx.outbox, job)
        cloud.reset()  # the world changes back; a re-run would scale it again
        assert enqueue_action(ctx, job) == first
        # The result is posted a moment before the worker marks the job done in its conversation's pending count.
        eventually(lambda: pending_jobs(ctx.connection, REF) == 0, what="no job pending")

    assert job_events(ctx.settings.data_dir, first) == [AuditEvent.STARTED, AuditEvent.SUCCEEDED]
    assert [e.kind for e in edits_of(ctx.outbox, job)].count("result") == 1
    assert cloud.get("web-prod").count == 12


def test_same_key_from_many_threads_at_once_is_one_job(ctx: WorkerContext, cloud: SimulatedCloud) -> None:
    job = scale_job(cloud, to=20)
    barrier = threading.Barrier(8)
    ids: list[str] = []

    def enqueue() -> None:
        barrier.wait()
        ids.append(enqueue_action(ctx, job))

    threads = [threading.Thread(target=enqueue) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(set(ids)) == 1 and len(ids) == 8
    with InProcessWorker(ctx):
        wait_for_end(ctx.outbox, job)
    assert job_events(ctx.settings.data_dir, ids[0]) == [AuditEvent.STARTED, AuditEvent.SUCCEEDED]


_ENQUEUE_WHEN_TOLD = """
import sys, time
from core.settings import load_settings
from workers.context import build_context
from workers.jobs import ActionJob, enqueue_action
ctx = build_context(load_settings())
job = ActionJob.model_validate_json(sys.argv[1])
ctx.connection.incr("test:ready")
while not ctx.connection.exists("test:go"):
    time.sleep(0.001)
print(enqueue_action(ctx, job))
"""


def test_same_key_from_two_processes_at_once_is_one_job(
    ctx: WorkerContext, cloud: SimulatedCloud, settings: Settings, redis_url: str
) -> None:
    job = scale_job(cloud, to=19)
    env = {**os.environ, "OPSBOT_REDIS_URL": redis_url, "OPSBOT_DATA_DIR": str(settings.data_dir)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _ENQUEUE_WHEN_TOLD, job.model_dump_json()],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    eventually(lambda: int(ctx.connection.get("test:ready") or 0) == 2, what="both processes ready")
    ctx.connection.set("test:go", 1)
    ids = [p.communicate(timeout=30)[0].strip() for p in procs]

    assert ids[0] == ids[1] != ""
    with InProcessWorker(ctx):
        wait_for_end(ctx.outbox, job)
    assert job_events(ctx.settings.data_dir, ids[0]) == [AuditEvent.STARTED, AuditEvent.SUCCEEDED]
    assert pending_jobs(ctx.connection, REF) == 0


def test_job_arguments_are_plain_json(ctx: WorkerContext, cloud: SimulatedCloud) -> None:
    job = scale_job(cloud)
    job_id = enqueue_action(ctx, job)
    raw = ctx.connection.hget(f"rq:job:{job_id}", "data")
    assert isinstance(raw, bytes)
    function, _instance, args, kwargs = json.loads(zlib.decompress(raw))  # RQ compresses, then it is JSON
    assert function == "workers.execution.run_action" and args == []
    assert ActionJob.model_validate(kwargs["job"]) == job


def test_enqueue_says_in_one_line_when_the_queue_is_unreachable(ctx: WorkerContext, cloud: SimulatedCloud) -> None:
    offline = dataclasses.replace(ctx, connection=redis.Redis.from_url("redis://127.0.0.1:1/0"))
    with pytest.raises(OpsbotError, match=r"^the job queue is unreachable: nothing was run$"):
        enqueue_action(offline, scale_job(cloud))
