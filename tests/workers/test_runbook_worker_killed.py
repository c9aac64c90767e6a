"""A real `opsbot worker` process killed with SIGKILL while it runs a failover runbook: the run's record is in Redis,
so a second worker takes it over once the dead one's lease runs out, goes on at the step it was on, and no completed
step runs again (the announcement is posted once, the standby scaled once)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from actions.dr.model import RunbookRequest, RunbookRun
from actions.dr.runs import RunBook
from actions.simulated.provider import SimulatedCloud
from audit.log import AuditEvent, AuditLog
from core.models import ConversationRef
from core.settings import Settings
from policies.runbooks import load_runbooks, runbook_hash
from tests.eventually import eventually
from tests.workers.test_deploy_worker_killed import _kill, _worker
from workers.context import WorkerContext
from workers.runbook_jobs import start_run, tick_human

REF = ConversationRef(channel="console", conversation_id="runbook-killed")


@pytest.fixture
def workers() -> Iterator[list[object]]:
    started: list[object] = []
    yield started
    for proc in started:
        if proc.poll() is None:  # type: ignore[attr-defined]
            _kill(proc)  # type: ignore[arg-type]


def _run(connection: redis.Redis, cloud: SimulatedCloud) -> RunbookRun:
    runbook = load_runbooks(None)["web-failover"]
    request = RunbookRequest(
        runbook=runbook.name, runbook_hash=runbook_hash(runbook), kind="run", service=runbook.service,
        primary=runbook.primary, standby=runbook.standby, primary_size=cloud.get("web-prod").count or 0,
        standby_size=cloud.get("web-dr").count or 0, requested_by="alice",
    )  # fmt: skip
    return RunBook(connection).create(request, REF, "checklist-1", "carol", steps=len(runbook.steps))


def test_a_runbook_outlives_the_worker_that_ran_it(
    settings: Settings, redis_url: str, redis_conn: redis.Redis, ctx: WorkerContext, cloud: SimulatedCloud,
    workers: list[object],
) -> None:  # fmt: skip
    book = RunBook(redis_conn)
    run = _run(redis_conn, cloud)
    workers.append(_worker(settings, redis_url))
    start_run(ctx, run)

    def at(step: int) -> RunbookRun | None:
        now = book.get(run.id)
        return now if now is not None and now.state == "waiting_human" and now.step == step else None

    eventually(lambda: at(3), 60, "the first worker at the database step (step 4)")
    assert cloud.get("web-dr").count == 12  # steps 1-3 done by the first worker
    _kill(workers[0])  # type: ignore[arg-type]
    tick_human(ctx, run.id, 3, "carol", role_ok=True)  # ticked while no worker runs
    workers.append(_worker(settings, redis_url))
    eventually(lambda: at(7), 60, "the second worker on to the coordinators' step (step 8)")
    tick_human(ctx, run.id, 7, "bob", role_ok=True)

    def ended() -> RunbookRun | None:
        now = book.get(run.id)
        return now if now is not None and now.finished else None

    done = eventually(ended, 60, "the run ended")
    assert done.state == "succeeded", done.failure
    assert cloud.get("web-prod").count == 0 and cloud.get("web-dr").count == 12
    announced = [r for _, r in ctx.outbox.read("console", "0-0") if r.text == "Failing web-prod over to web-dr"]
    assert len(announced) == 1  # posted by the first worker, never again by the second
    succeeded = [
        r.outcome for r in AuditLog(settings.data_dir).records()
        if r.event is AuditEvent.SUCCEEDED and r.params.get("run_id") == run.id
    ]  # fmt: skip
    assert sum(1 for o in succeeded if o.startswith("step 2 ")) == 1  # the standby scaled once
