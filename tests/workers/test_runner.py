from __future__ import annotations

from pathlib import Path

import pytest
import redis
from rq import Queue, Worker

from actions.simulated.provider import SimulatedCloud
from core.errors import OpsbotError
from core.redis import connect
from core.settings import Settings
from tests.eventually import eventually
from workers.context import WorkerContext, build_context, clear_context
from workers.jobs import enqueue_action
from workers.runner import InProcessWorker, run_worker

from .helpers import scale_job, wait_for_end


def test_in_process_worker_runs_jobs_on_fakeredis(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", sim_step_seconds=0.01, sim_resources=2000)
    connection = connect(settings)
    assert type(connection).__module__.startswith("fakeredis")
    connection.flushall()
    context = build_context(settings, connection)
    job = scale_job(context.provider, to=15)
    try:
        with InProcessWorker(context):
            enqueue_action(context, job)
            edits = wait_for_end(context.outbox, job)
    finally:
        clear_context()
        connection.flushall()
    assert edits[-1].text.startswith("Done: web-prod is at 15 instances")


def test_stop_ends_the_thread_and_unregisters_the_worker(ctx: WorkerContext) -> None:
    worker = InProcessWorker(ctx)
    worker.start()
    assert worker.is_alive()
    eventually(lambda: worker.name in {w.name for w in Worker.all(connection=ctx.connection)}, what="registered")

    worker.stop()

    assert not worker.is_alive()
    assert worker.name not in {w.name for w in Worker.all(connection=ctx.connection)}


def test_pickled_payload_is_refused_and_the_worker_goes_on(
    ctx: WorkerContext, cloud: SimulatedCloud, worker: InProcessWorker, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    foreign = Queue("default", connection=redis_conn).enqueue("pathlib.Path.touch", marker)  # pickle, RQ's default
    job = scale_job(cloud, to=15)
    enqueue_action(ctx, job)

    assert wait_for_end(ctx.outbox, job)[-1].text.startswith("Done: web-prod is at 15 instances")
    assert not marker.exists()
    assert redis_conn.hget(foreign.key, "status") == b"failed"


def test_worker_command_says_in_one_line_when_redis_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(redis_url="redis://127.0.0.1:1/0", data_dir=tmp_path)
    with pytest.raises(OpsbotError) as caught:
        run_worker(settings)
    assert str(caught.value).startswith("Redis at 127.0.0.1:1 is unreachable")
    assert "\n" not in str(caught.value)


def test_worker_command_names_the_sentinels_and_the_service_but_no_password(tmp_path: Path) -> None:
    url = "redis+sentinel://:hunter2-secret@127.0.0.1:1,127.0.0.1:2/opsbot-master"
    with pytest.raises(OpsbotError) as caught:
        run_worker(Settings(redis_url=url, data_dir=tmp_path))
    said = str(caught.value)
    assert said.startswith("Redis (Sentinel service 'opsbot-master' through 127.0.0.1:1, 127.0.0.1:2) is unreachable")
    assert "hunter2" not in said and "\n" not in said


def test_worker_command_needs_a_real_redis(tmp_path: Path) -> None:
    with pytest.raises(OpsbotError, match="OPSBOT_REDIS_URL"):
        run_worker(Settings(data_dir=tmp_path))
