"""A real `opsbot worker` process killed with SIGKILL while its watcher follows a deploy: the deploy's state is in the
cloud and its record in Redis, so a second worker takes the watch over once the dead one's lease runs out, and the
deploy ends without any group being started again."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from actions.deploy.manifest import load_manifest
from actions.deploy.model import DeployRecord
from actions.deploy.plan import plan_deploy
from actions.deploy.records import DeployBook
from actions.simulated.provider import SimulatedCloud
from core.models import ConversationRef
from core.settings import Settings
from tests.eventually import eventually
from workers.context import WorkerContext
from workers.deploy_jobs import enqueue_deploy

OPSBOT = str(Path(sys.executable).parent / "opsbot")
REF = ConversationRef(channel="console", conversation_id="deploy-killed")
POLL_SECONDS = 0.2
STEP_SECONDS = 0.4  # a batch in 1.6 s: web-prod's 12 instances take about 8 s, long enough to die in the middle


@pytest.fixture
def slow(settings: Settings) -> Settings:
    return settings.model_copy(update={"sim_step_seconds": STEP_SECONDS, "deploy_poll_seconds": POLL_SECONDS})


def _worker(settings: Settings, redis_url: str) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")},
        "OPSBOT_REDIS_URL": redis_url,
        "OPSBOT_DATA_DIR": str(settings.data_dir),
        "OPSBOT_SIM_RESOURCES": str(settings.sim_resources),
        "OPSBOT_SIM_STEP_SECONDS": str(settings.sim_step_seconds),
        "OPSBOT_DEPLOY_POLL_SECONDS": str(POLL_SECONDS),
    }
    return subprocess.Popen([OPSBOT, "worker"], env=env, stderr=subprocess.DEVNULL)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    for pid in (proc.pid, *pids):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            _kill(proc)


def _deploy(slow: Settings, connection: redis.Redis, cloud: SimulatedCloud) -> DeployRecord:
    inventory = {r.name: r for r in cloud.snapshot().resources}
    request = plan_deploy(
        load_manifest(None), kind="deploy", service="web", environment="prod", version="v2.4", groups=inventory,
        running={}, requested_by="alice",
    )  # fmt: skip
    return DeployBook(connection).create(request, REF, "progress-1", approved_by="carol")


def test_a_deploy_outlives_the_worker_that_watched_it(
    slow: Settings, redis_url: str, redis_conn: redis.Redis, ctx: WorkerContext, cloud: SimulatedCloud,
    workers: list[subprocess.Popen[bytes]],
) -> None:  # fmt: skip
    book = DeployBook(redis_conn)
    record = _deploy(slow, redis_conn, cloud)
    workers.append(_worker(slow, redis_url))
    enqueue_deploy(ctx, record)

    def rolling_part_way() -> DeployRecord | None:
        now = book.get(record.id)
        moved = now is not None and now.state == "rolling" and 0 < now.groups[0].state.updated < 12
        return now if moved else None

    before = eventually(rolling_part_way, what="web-prod part way through its rollout", timeout=30)
    handles = [g.handle for g in before.groups]
    assert all(handles), "every group was started by the first worker"
    _kill(workers[0])
    died_at = time.time()

    workers.append(_worker(slow, redis_url))

    def ended() -> DeployRecord | None:  # finished, and its last thread reply sent (a moment after the state)
        now = book.get(record.id)
        return now if now is not None and now.finished and "finished" in now.milestones else None

    done = eventually(ended, what="the deploy ended", timeout=60)
    assert done.state == "succeeded"
    assert [g.handle for g in done.groups] == handles  # watched on, never started again
    assert done.finished_at is not None and done.finished_at > died_at
    assert cloud.get("web-prod").version == "v2.4"
    assert "finished" in done.milestones
    assert book.busy("web", "prod") is None
