"""How a job's end reaches the conversation and the audit log: success from the job itself; failure,
timeout and abandonment from RQ's failure callback, from the forking worker when its work-horse is
killed, or from the reaper when a worker died with the job. Each job's end is reported once."""

from __future__ import annotations

import logging
import uuid
from types import TracebackType
from typing import Final, Literal

import redis
from pydantic import ValidationError
from rq.exceptions import AbandonedJobError, DeserializationError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from actions.catalogue import spec
from actions.provider import Outcome
from audit.log import AuditEvent, JsonScalar
from core.broadcast import broadcast
from core.durations import measured, span
from core.errors import ProviderError
from core.models import Reply, Risk
from workers.context import WorkerContext, current_context
from workers.jobs import KEEP_SECONDS, ActionJob, forget_pending

log = logging.getLogger(__name__)

EditKind = Literal["progress", "result", "error"]

_FINAL_PREFIX: Final = "opsbot:job-final:"
_MAX_REASON: Final = 200


def label(job: ActionJob) -> str:
    """How a job is named in chat: "web-prod scale"."""
    return f"{job.request.resource_name} {spec(job.request.action).title}"


def where(job: ActionJob) -> str:
    ref = job.ref
    base = f"{ref.channel}:{ref.conversation_id}"
    return f"{base}/{ref.thread_id}" if ref.thread_id else base


def audit_params(job_id: str, job: ActionJob) -> dict[str, JsonScalar]:
    """What every audit record of a job carries: the exact request, who asked, who approved."""
    return {
        **job.request.model_dump(mode="json"),
        "approved_by": job.approved_by,
        "idempotency_key": job.idempotency_key,
        "job_id": job_id,
    }


def record(ctx: WorkerContext, event: AuditEvent, job_id: str, job: ActionJob, outcome: str) -> None:
    """STARTED must be on disk before the action runs (fails closed); what happened afterwards is recorded when
    the audit can take it, and reported in chat either way: a full disk must not hide a result that is real."""
    write = ctx.audit.append if event is AuditEvent.STARTED else ctx.audit.note
    write(
        event,
        actor=job.request.requested_by,
        where=where(job),
        what=label(job),
        params=audit_params(job_id, job),
        outcome=outcome,
    )


def edit(ctx: WorkerContext, job: ActionJob, text: str, kind: EditKind) -> None:
    """Publish an edit of the job's chat message (the one that asked for confirmation)."""
    ctx.outbox.publish(Reply(ref=job.ref, key=uuid.uuid4().hex[:12], text=text, edit_of=job.reply_key, kind=kind))


def report_success(ctx: WorkerContext, job_id: str, job: ActionJob, outcome: Outcome, seconds: float) -> None:
    # Always reported, even after a (mistaken) abandonment verdict: what happened last is the truth.
    _claim_final(ctx.connection, job_id)
    record(ctx, AuditEvent.SUCCEEDED, job_id, job, outcome.summary)
    edit(ctx, job, f"Done: {outcome.summary} ({measured(seconds)})", "result")
    forget_pending(ctx.connection, job.ref, job_id)
    _tell_incident_channels(ctx, job, f"Done: {outcome.summary}")


def report_failure(ctx: WorkerContext, job_id: str, job: ActionJob, event: AuditEvent, reason: str) -> bool:
    """Audit and tell the conversation, unless this job's end was already reported. True if reported."""
    return _report_end(ctx, job_id, job, event, reason, f"Failed: {label(job)} - {reason}")


def report_not_run(ctx: WorkerContext, job_id: str, job: ActionJob, waited_seconds: float) -> bool:
    """The job waited so long for a worker that what was confirmed may no longer be what is wanted."""
    waited = span(waited_seconds)
    reason = f"waited {waited} for a worker; not run"
    text = f"Not run: {label(job)} waited {waited} for a worker - ask again if it is still needed"
    return _report_end(ctx, job_id, job, AuditEvent.EXPIRED, reason, text)


def _report_end(ctx: WorkerContext, job_id: str, job: ActionJob, event: AuditEvent, reason: str, text: str) -> bool:
    if not _claim_final(ctx.connection, job_id):
        return False
    record(ctx, event, job_id, job, reason)
    edit(ctx, job, text, "error")
    forget_pending(ctx.connection, job.ref, job_id)
    _tell_incident_channels(ctx, job, text)
    return True


def _tell_incident_channels(ctx: WorkerContext, job: ActionJob, outcome: str) -> None:
    """Critical actions (failover, emergency scaling, prod shutdown) are news for the incident channels."""
    if job.approved_by is None and spec(job.request.action).risk is not Risk.CRITICAL:
        return
    approved = f", approved by {job.approved_by}" if job.approved_by else ""
    text = f"DR status - {label(job)} (asked by {job.request.requested_by}{approved}): {outcome}"
    broadcast(ctx.outbox, ctx.settings.incident_channels, text)


def failure_reason(job: ActionJob, error: BaseException | None, timeout: float | None) -> tuple[AuditEvent, str]:
    """(audit event, one plain line) for why a job ended without success."""
    check = f"check `show {job.request.resource_name}`"
    if isinstance(error, AbandonedJobError):
        return AuditEvent.ABANDONED, f"the worker stopped mid-job; {check}"
    if isinstance(error, JobTimeoutException):
        after = f" after {measured(timeout)}" if timeout else ""
        return AuditEvent.FAILED, f"timed out{after}; {check}"
    if isinstance(error, ProviderError):
        return AuditEvent.FAILED, _one_line(str(error)) or type(error).__name__
    name = type(error).__name__ if error is not None else "unknown error"
    return AuditEvent.FAILED, f"internal error ({name}); see the worker log and {check}"


def on_job_failure(
    job: Job,
    connection: redis.Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    traceback: TracebackType | None,
) -> None:
    """RQ failure callback (also called by StartedJobRegistry.cleanup with AbandonedJobError)."""
    action_job = _action_job(job)
    if action_job is None:
        return
    # RQ has already logged the traceback; the conversation gets one line.
    event, reason = failure_reason(action_job, exc_value, job.timeout)
    report_failure(current_context(), job.id, action_job, event, reason)


def on_horse_killed(job: Job, retpid: int, ret_val: int, rusage: object) -> None:
    """Forking worker: the work-horse died under a live parent (OOM killer, kill -9). RQ fails the
    job without calling its failure callback, so report it here."""
    action_job = _action_job(job)
    if action_job is None:
        return
    log.warning("work-horse %s died (status %s) running job %s", retpid, ret_val, job.id)
    event, reason = failure_reason(action_job, AbandonedJobError(), job.timeout)
    report_failure(current_context(), job.id, action_job, event, reason)


def _action_job(job: Job) -> ActionJob | None:
    try:
        return ActionJob.model_validate(job.kwargs.get("job"))
    except (ValidationError, ValueError, DeserializationError) as exc:
        log.warning("job %s is not an action job: %s", job.id, exc)
        return None


def _claim_final(connection: redis.Redis, job_id: str) -> bool:
    # A worker's callback and a reaper in another process may both see the same death.
    return bool(connection.set(_FINAL_PREFIX + job_id, 1, nx=True, ex=KEEP_SECONDS))


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 1] + "…"
