"""Queue figures: how long a job waits between enqueue and the moment it starts, on the local Redis,
with the in-process worker (a SimpleWorker thread) and with a forking `opsbot worker` process.

"pickup" is RQ alone: from a no-op job's enqueued_at to its started_at, both as RQ records them.
"action" is the real path: enqueue_action until the job's first progress edit is on the outbox
(idempotency marker, audit STARTED with fsync, the outbox write). Each sample starts from an idle
worker, as a chat command would.

Uses DB 15 of the Redis named by OPSBOT_REDIS_URL (default 127.0.0.1:6379) and empties it before and
after; the audit log goes to a temporary directory."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from rq import Worker
from rq.job import JobStatus

from bench.figures import Figure
from core.metrics import quantile
from core.models import ActionName, ActionRequest, ConversationRef
from core.settings import Settings
from workers.context import WorkerContext, build_context, clear_context
from workers.jobs import ActionJob, enqueue_action
from workers.queues import queue
from workers.runner import InProcessWorker

BENCH_DB = 15
WARMUP = 10
PROBES = 100
ACTIONS = 40
IDLE_SECONDS = 0.05  # between samples, so the worker is back waiting on the queues (a fork takes a while to end)
_REF = ConversationRef(channel="bench", conversation_id="bench")
_RUN_WORKER = (
    "from core.settings import load_settings\nfrom workers.runner import run_worker\nrun_worker(load_settings())\n"
)


def run() -> list[Figure]:
    base = os.environ.get("OPSBOT_REDIS_URL", "redis://127.0.0.1:6379/0")
    url = base.rsplit("/", 1)[0] + f"/{BENCH_DB}" if base.count("/") >= 3 else f"{base}/{BENCH_DB}"
    connection = redis.Redis.from_url(url)
    try:
        connection.ping()
    except redis.RedisError as exc:
        print(f"   queue: no Redis at {url.split('@')[-1]} ({exc}); skipped")
        return []
    connection.flushdb()
    try:
        with tempfile.TemporaryDirectory(prefix="opsbot-bench-") as tmp:
            settings = Settings(redis_url=url, data_dir=Path(tmp), sim_resources=2000, sim_step_seconds=0.0)
            context = build_context(settings, connection)
            try:
                with InProcessWorker(context):
                    figures = _measure(context, "in-process worker")
            finally:
                clear_context()
            with _forking_worker(settings, connection):
                figures += _measure(context, "forking worker")
    finally:
        connection.flushdb()
        connection.close()
    return figures


def _measure(context: WorkerContext, worker: str) -> list[Figure]:
    pickups = _pickups(context.connection)
    actions = _actions(context)
    return [
        Figure(f"queue pickup p50, {worker}", quantile(pickups, 0.5) * 1000, "ms", "<= 15 ms"),
        Figure(f"queue pickup p99, {worker}", quantile(pickups, 0.99) * 1000, "ms"),
        Figure(f"action enqueue -> running p50, {worker}", quantile(actions, 0.5) * 1000, "ms", "<= 15 ms"),
        Figure(f"action enqueue -> running p99, {worker}", quantile(actions, 0.99) * 1000, "ms"),
    ]


def _pickups(connection: redis.Redis) -> list[float]:
    """RQ's own enqueued_at -> started_at of a job that does nothing (a function every worker has
    imported already, so a fork does not pay for importing it)."""
    probes = queue("default", connection)
    samples: list[float] = []
    for i in range(WARMUP + PROBES):
        job = probes.enqueue("time.sleep", 0, result_ttl=60)
        deadline = time.monotonic() + 30
        while job.get_status(refresh=True) not in (JobStatus.FINISHED, JobStatus.FAILED):
            if time.monotonic() > deadline:
                raise RuntimeError("no worker finished the probe job within 30 s")
            time.sleep(0.002)
        job.refresh()  # type: ignore[no-untyped-call]
        if i >= WARMUP and job.started_at is not None and job.enqueued_at is not None:
            samples.append((job.started_at - job.enqueued_at).total_seconds())
        job.delete()
        time.sleep(IDLE_SECONDS)
    return samples


def _actions(context: WorkerContext) -> list[float]:
    group = context.provider.get("web-prod")
    samples: list[float] = []
    after = context.outbox.last_id(_REF.channel)
    for i in range(WARMUP + ACTIONS):
        # Alternate the size, so every job has something to do.
        request = ActionRequest.on(group, ActionName.SCALE, requested_by="bench", desired_count=13 + i % 2)
        key = f"bench-{time.time_ns()}"
        start = time.time()
        job = ActionJob(request=request, ref=_REF, reply_key=key, idempotency_key=key, enqueued_at=start)
        enqueue_action(context, job)
        first: float | None = None
        while True:  # the first edit is the "Running" line; wait for the result so the worker is idle again
            entries = context.outbox.read(_REF.channel, after=after, block_ms=30_000)
            if not entries:
                raise RuntimeError("no progress from the action job within 30 s")
            after = entries[-1][0]
            mine = [reply for _, reply in entries if reply.edit_of == key]
            if mine and first is None:
                first = time.time() - start
            if any(reply.kind in ("result", "error") for reply in mine):
                break
        if i >= WARMUP and first is not None:
            samples.append(first)
        time.sleep(IDLE_SECONDS)
    return samples


@contextmanager
def _forking_worker(settings: Settings, connection: redis.Redis) -> Iterator[None]:
    assert settings.redis_url is not None
    env = {
        **os.environ,
        "OPSBOT_REDIS_URL": settings.redis_url.get_secret_value(),
        "OPSBOT_DATA_DIR": str(settings.data_dir),
        "OPSBOT_SIM_RESOURCES": str(settings.sim_resources),
        "OPSBOT_SIM_STEP_SECONDS": "0",
    }
    proc = subprocess.Popen([sys.executable, "-c", _RUN_WORKER], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not Worker.all(connection=connection):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the forking worker did not start")
            time.sleep(0.05)
        yield
    finally:
        proc.terminate()  # warm shutdown: it finishes nothing, it is idle
        proc.wait(timeout=30)
