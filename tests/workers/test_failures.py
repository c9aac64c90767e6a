from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator

import pytest

from actions.simulated.provider import SimulatedCloud
from audit.log import AuditEvent
from core.models import ActionName
from workers.context import WorkerContext
from workers.jobs import enqueue_action, pending_jobs
from workers.runner import InProcessWorker

from .helpers import REF, job_events, scale_job, wait_for_end

Tuned = Callable[..., WorkerContext]


@pytest.fixture
def tuned(ctx: WorkerContext) -> Iterator[Tuned]:
    """Starts an in-process worker on the test context with some settings changed."""
    workers: list[InProcessWorker] = []

    def start(**overrides: object) -> WorkerContext:
        context = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update=overrides))
        workers.append(InProcessWorker(context))
        workers[-1].start()
        return context

    yield start
    for worker in workers:
        worker.stop()


def test_transient_error_is_retried_then_succeeds(tuned: Tuned, cloud: SimulatedCloud) -> None:
    context = tuned()
    cloud.inject("transient", action=ActionName.SCALE, times=1)
    job = scale_job(cloud, to=17)
    job_id = enqueue_action(context, job)

    edits = wait_for_end(context.outbox, job)

    assert edits[-1].text.startswith("Done: web-prod is at 17 instances")
    assert "AWS is throttling requests for web-prod; retrying in 1 s" in [e.text for e in edits]
    assert job_events(context.settings.data_dir, job_id) == [
        AuditEvent.STARTED,
        AuditEvent.RETRIED,
        AuditEvent.SUCCEEDED,
    ]


def test_permanent_error_fails_at_once_with_one_line(tuned: Tuned, cloud: SimulatedCloud) -> None:
    context = tuned()
    cloud.inject("fail", action=ActionName.SCALE)
    job = scale_job(cloud, to=17)
    job_id = enqueue_action(context, job)

    edits = wait_for_end(context.outbox, job)

    assert edits[-1].kind == "error"
    assert edits[-1].text == "Failed: web-prod scale - AWS rejected the request for web-prod"
    assert job_events(context.settings.data_dir, job_id) == [AuditEvent.STARTED, AuditEvent.FAILED]
    assert cloud.get("web-prod").count == 12
    assert pending_jobs(context.connection, REF) == 0


def test_transient_errors_that_outlast_the_retries_fail(tuned: Tuned, cloud: SimulatedCloud) -> None:
    context = tuned(job_retries=1)
    cloud.inject("transient", action=ActionName.SCALE, times=2)
    job = scale_job(cloud, to=17)
    job_id = enqueue_action(context, job)

    edits = wait_for_end(context.outbox, job)

    assert edits[-1].text == (
        "Failed: web-prod scale - AWS is throttling requests for web-prod (gave up after 2 tries)"
    )
    assert job_events(context.settings.data_dir, job_id) == [
        AuditEvent.STARTED,
        AuditEvent.RETRIED,
        AuditEvent.FAILED,
    ]


def test_hung_provider_times_out_and_the_worker_goes_on(tuned: Tuned, cloud: SimulatedCloud) -> None:
    context = tuned(job_timeout_seconds=1)
    cloud.inject("hang", action=ActionName.SCALE)
    hung = scale_job(cloud, to=17, key="hung")
    hung_id = enqueue_action(context, hung)

    edits = wait_for_end(context.outbox, hung)

    assert edits[-1].kind == "error"
    assert edits[-1].text == "Failed: web-prod scale - timed out after 1 s; check `show web-prod`"
    assert job_events(context.settings.data_dir, hung_id) == [AuditEvent.STARTED, AuditEvent.FAILED]
    after = scale_job(cloud, to=13, key="after")
    enqueue_action(context, after)
    assert wait_for_end(context.outbox, after)[-1].text.startswith("Done: web-prod is at 13 instances")


def test_job_that_waited_too_long_for_a_worker_is_not_run(tuned: Tuned, cloud: SimulatedCloud) -> None:
    context = tuned()
    job = scale_job(cloud, to=17).model_copy(update={"enqueued_at": time.time() - 3600})  # all workers were down
    job_id = enqueue_action(context, job)

    edits = wait_for_end(context.outbox, job)

    assert [e.text for e in edits] == [
        "Not run: web-prod scale waited 1 h for a worker - ask again if it is still needed"
    ]
    assert job_events(context.settings.data_dir, job_id) == [AuditEvent.EXPIRED]
    assert cloud.get("web-prod").count == 12
    assert pending_jobs(context.connection, REF) == 0
