from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from actions.simulated.provider import SimulatedCloud
from audit.log import AuditLog
from core.outbox import Outbox
from core.settings import Settings
from workers.context import WorkerContext, clear_context, install_context
from workers.runner import InProcessWorker


@pytest.fixture
def cloud(redis_conn: redis.Redis, settings: Settings) -> SimulatedCloud:
    return SimulatedCloud(
        redis_conn, seed=settings.sim_seed, size=settings.sim_resources, step_seconds=settings.sim_step_seconds
    )


def make_context(settings: Settings, connection: redis.Redis, provider: SimulatedCloud) -> WorkerContext:
    return WorkerContext(
        settings=settings,
        connection=connection,
        provider=provider,
        audit=AuditLog(settings.data_dir),
        outbox=Outbox(connection),
    )


@pytest.fixture
def ctx(settings: Settings, redis_conn: redis.Redis, cloud: SimulatedCloud) -> Iterator[WorkerContext]:
    context = make_context(settings, redis_conn, cloud)
    install_context(context)
    yield context
    clear_context()


@pytest.fixture
def worker(ctx: WorkerContext) -> Iterator[InProcessWorker]:
    running = InProcessWorker(ctx)
    running.start()
    yield running
    running.stop()
