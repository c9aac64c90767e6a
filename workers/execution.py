"""The job function RQ runs for every action (JSON arguments only).

Retries of transient provider errors happen here, with tenacity, rather than through RQ's `Retry`:
only `TransientProviderError` is retried (RQ retries any exception, so a permanent error would run
again), the provider's `retry_after` is honoured, each retry is audited and shown as it happens, the
job's timeout covers all attempts, and nothing needs RQ's scheduler. Because RQ itself never
retries these jobs, a job abandoned by a dead worker is never silently run a second time: a human
looks first.

A job runs once also through a Redis failover: before acting, the worker marks the job's idempotency key as run
and waits until that mark is on every replica a failover could promote (`core.once.hold_once`). A job taken
from the queue of a master that then failed over is still queued on the new one: the worker that takes it there
finds the mark and does not act again."""

from __future__ import annotations

import logging
import time
from typing import Final

from rq import get_current_job

from actions.catalogue import spec
from actions.provider import Outcome
from audit.log import AuditEvent
from core.errors import ProviderError, TransientProviderError
from core.metrics import share
from core.once import Hold, hold_once
from core.retrying import RetryCallState, RetryPolicy
from workers.context import WorkerContext, current_context
from workers.jobs import KEEP_SECONDS, ActionJob, job_id_for, limits
from workers.lease import Lease
from workers.outcomes import edit, label, record, report_failure, report_not_run, report_success

# A confirmation is for the world as it was shown: a job that found no worker for this long (all
# workers down) is not run late; the conversation is told to ask again.
STALE_AFTER_SECONDS: Final = 10 * 60
BACKOFF_FIRST_SECONDS: Final = 1.0
BACKOFF_MAX_SECONDS: Final = 30.0
_RAN_PREFIX: Final = "opsbot:job-ran:"

log = logging.getLogger(__name__)


def run_action(job: dict[str, object]) -> str:
    """Run one confirmed action; returns the outcome summary. Failures raise and are reported by
    the failure callback (workers.outcomes.on_job_failure)."""
    action_job = ActionJob.model_validate(job)
    ctx = current_context()
    job_id = job_id_for(action_job.idempotency_key)
    held = hold_once(ctx.connection, _RAN_PREFIX + job_id, ttl=KEEP_SECONDS)
    if held is Hold.TAKEN:
        # Requeued by hand, re-enqueued after its record expired, or still queued on a master that took over
        # from the one this job was first taken from: an action runs at most once.
        log.warning("job %s already ran; not running %s again", job_id, label(action_job))
        return "not run: this job already ran"
    if held is Hold.UNSURE:
        reason = f"Redis did not settle after a failover; not run - check `show {action_job.request.resource_name}`"
        report_failure(ctx, job_id, action_job, AuditEvent.FAILED, reason)
        return "not run: Redis did not settle"
    waited = max(0.0, time.time() - action_job.enqueued_at)
    share(ctx.connection, "queue_wait", waited)
    if waited > STALE_AFTER_SECONDS:
        report_not_run(ctx, job_id, action_job, waited)
        return "not run: waited too long for a worker"
    current = get_current_job()
    queue_name = current.origin if current is not None else spec(action_job.request.action).queue
    record(ctx, AuditEvent.STARTED, job_id, action_job, f"job {job_id} on {queue_name}")
    edit(ctx, action_job, f"Running: {label(action_job)}", "progress")
    started = time.perf_counter()
    try:
        with Lease(ctx.connection, queue_name, job_id):
            outcome = _execute_with_retries(ctx, job_id, action_job)
    finally:
        share(ctx.connection, "execution", time.perf_counter() - started)
    report_success(ctx, job_id, action_job, outcome, time.perf_counter() - started)
    return outcome.summary


def _execute_with_retries(ctx: WorkerContext, job_id: str, job: ActionJob) -> Outcome:
    _timeout, retries = limits(ctx.settings, job.request)

    def progress(line: str) -> None:
        # The provider's lines name their resource ("web-prod: 16/20 instances running"): shown as they are.
        edit(ctx, job, line, "progress")

    def announce(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        delay = state.upcoming_sleep
        reason = " ".join(str(error).split()) or type(error).__name__
        record(ctx, AuditEvent.RETRIED, job_id, job, f"{reason}; retry {state.attempt_number} of {retries}")
        progress(f"{reason}; retrying in {delay:g} s")

    # 1 s, 2 s, 4 s ... without jitter: the pause is shown to the user; the provider's `retry_after` when it says.
    policy = RetryPolicy(
        attempts=retries + 1, first=BACKOFF_FIRST_SECONDS, most=BACKOFF_MAX_SECONDS, jitter=False,
        longest_retry_after=BACKOFF_MAX_SECONDS,
    )  # fmt: skip
    retrying = policy.retrying(_transient, before_sleep=announce)
    try:
        return retrying(ctx.provider.execute, job.request, progress)
    except TransientProviderError as exc:
        if retries == 0:
            raise
        tries = retries + 1
        raise ProviderError(f"{' '.join(str(exc).split())} (gave up after {tries} tries)") from exc


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, TransientProviderError)
