"""A forking `opsbot worker` process on the real Redis: killed with SIGKILL in the middle of a job, or
timing a hung job out."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.simulated.provider import SimulatedCloud
from audit.log import AuditEvent
from core.models import ActionName
from core.settings import Settings
from tests.eventually import eventually
from workers.context import WorkerContext
from workers.jobs import enqueue_action, job_id_for, pending_jobs
from workers.reaper import reap_abandoned

from .helpers import REF, edits_of, job_events, scale_job, wait_for_end

_RUN_WORKER = (
    "from core.settings import load_settings; from workers.runner import run_worker; run_worker(load_settings())"
)


@pytest.fixture
def worker_process(settings: Settings, redis_url: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "OPSBOT_REDIS_URL": redis_url,
        "OPSBOT_DATA_DIR": str(settings.data_dir),
        "OPSBOT_SIM_RESOURCES": str(settings.sim_resources),
        "OPSBOT_SIM_STEP_SECONDS": str(settings.sim_step_seconds),
    }
    proc = subprocess.Popen([sys.executable, "-c", _RUN_WORKER], env=env)
    yield proc
    if proc.poll() is None:
        _kill(proc.pid, *_children(proc.pid))
        proc.wait(timeout=10)


def test_killed_worker_and_job_are_reported_after_reaping(
    ctx: WorkerContext, cloud: SimulatedCloud, worker_process: subprocess.Popen[bytes]
) -> None:
    cloud.inject("hang", action=ActionName.SCALE)  # the job is surely mid-way when the worker dies
    job = scale_job(cloud, to=20)
    job_id = enqueue_action(ctx, job)
    eventually(lambda: job_events(ctx.settings.data_dir, job_id) == [AuditEvent.STARTED], what="the job started")
    eventually(
        lambda: bool(edits_of(ctx.outbox, job)), what="its first edit"
    )  # "Running: ..." follows the audit record
    horse = _children(worker_process.pid)
    assert horse, "the forking worker runs the job in a child process"

    _kill(worker_process.pid, *horse)  # the whole machine goes: worker and work-horse
    worker_process.wait(timeout=10)
    assert edits_of(ctx.outbox, job)[-1].kind == "progress"
    eventually(lambda: reap_abandoned(ctx.connection) > 0, 30, "the job reaped", every=0.5)

    edits = wait_for_end(ctx.outbox, job)
    assert edits[-1].kind == "error"
    assert edits[-1].text == "Failed: web-prod scale - the worker stopped mid-job; check `show web-prod`"
    assert job_events(ctx.settings.data_dir, job_id) == [AuditEvent.STARTED, AuditEvent.ABANDONED]
    assert pending_jobs(ctx.connection, REF) == 0
    assert reap_abandoned(ctx.connection) == 0  # reported once


def test_killed_work_horse_is_reported_by_its_worker_at_once(
    ctx: WorkerContext, cloud: SimulatedCloud, worker_process: subprocess.Popen[bytes]
) -> None:
    cloud.inject("hang", action=ActionName.SCALE)
    job = scale_job(cloud, to=20)
    job_id = enqueue_action(ctx, job)
    eventually(lambda: job_events(ctx.settings.data_dir, job_id) == [AuditEvent.STARTED], what="the job started")

    _kill(*_children(worker_process.pid))  # the OOM killer takes the work-horse only

    edits = wait_for_end(ctx.outbox, job)
    assert edits[-1].text == "Failed: web-prod scale - the worker stopped mid-job; check `show web-prod`"
    assert job_events(ctx.settings.data_dir, job_id) == [AuditEvent.STARTED, AuditEvent.ABANDONED]
    assert worker_process.poll() is None  # the worker itself lives on and takes the next job
    cloud.clear_faults()
    after = scale_job(cloud, to=13, key="after")
    enqueue_action(ctx, after)
    assert wait_for_end(ctx.outbox, after)[-1].text.startswith("Done: web-prod is at 13 instances")
    assert job_id == job_id_for(job.idempotency_key)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except FileNotFoundError:
        return []


def _kill(*pids: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_forking_worker_times_out_a_hung_job(
    ctx: WorkerContext, cloud: SimulatedCloud, worker_process: subprocess.Popen[bytes]
) -> None:
    cloud.inject("hang", action=ActionName.SCALE)
    short = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"job_timeout_seconds": 1}))
    job = scale_job(cloud, to=20)
    job_id = enqueue_action(short, job)

    edits = wait_for_end(ctx.outbox, job)

    assert edits[-1].text == "Failed: web-prod scale - timed out after 1 s; check `show web-prod`"
    assert job_events(ctx.settings.data_dir, job_id) == [AuditEvent.STARTED, AuditEvent.FAILED]
    assert worker_process.poll() is None
