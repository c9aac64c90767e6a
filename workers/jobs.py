"""Putting an action on the queue: one RQ job per idempotency key, and the per-conversation set of
jobs that have not finished yet. An enqueue is confirmed on every replica the sentinels could promote
(core.once.DURABLE) before the user is told the job is queued."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from typing import Final

import redis
from rq import Callback
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus

from actions.catalogue import spec
from core.errors import OpsbotError
from core.models import ActionRequest, ConversationRef, Frozen
from core.once import DURABLE
from core.redis import replicated
from core.settings import Settings
from workers.context import WorkerContext
from workers.queues import queue

# How long a finished job (and so its idempotency key) is remembered: a confirmation pressed again
# within a week finds the job that already ran instead of running the action a second time.
KEEP_SECONDS: Final = 7 * 24 * 3600
JOB_FUNCTION: Final = "workers.execution.run_action"
FAILURE_CALLBACK: Final = "workers.outcomes.on_job_failure"
CALLBACK_TIMEOUT_SECONDS: Final = 30
_PENDING_PREFIX: Final = "opsbot:pending:"
_UNFINISHED: Final = frozenset(
    s.value for s in (JobStatus.CREATED, JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED, JobStatus.STARTED)
)

log = logging.getLogger(__name__)


class ActionJob(Frozen):
    """Everything a worker needs to run one confirmed action and report back to the conversation."""

    request: ActionRequest
    ref: ConversationRef
    reply_key: str  # the chat message that progress edits
    idempotency_key: str
    approved_by: str | None = None
    enqueued_at: float  # unix seconds, when the conversation handed the job over


def job_id_for(idempotency_key: str) -> str:
    """The RQ job id is derived from the key, so every process computes the same id for it."""
    return "action-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def limits(settings: Settings, request: ActionRequest) -> tuple[int, int]:
    """(timeout seconds, retries) for this action. The catalogue sets them per action; a value the
    operator set explicitly (OPSBOT_JOB_TIMEOUT_SECONDS, OPSBOT_JOB_RETRIES) applies to every action."""
    action = spec(request.action)
    chosen = settings.model_fields_set
    timeout = settings.job_timeout_seconds if "job_timeout_seconds" in chosen else action.timeout_seconds
    retries = settings.job_retries if "job_retries" in chosen else action.retries
    return timeout, retries


def enqueue_action(ctx: WorkerContext, job: ActionJob) -> str:
    """Queue `job` and return its job id once the job is on every replica a failover could promote (so a
    failover cannot lose it after the conversation said "running"). The same idempotency key gives the same id
    and runs once, also when two processes enqueue it at the same moment (RQ's atomic unique enqueue), and when
    a failover makes us enqueue it again. Raises OpsbotError when Redis cannot take the job."""
    job_id = job_id_for(job.idempotency_key)
    timeout, _retries = limits(ctx.settings, job.request)
    enqueue_durably(
        ctx, spec(job.request.action).queue, job_id, JOB_FUNCTION, {"job": job.model_dump(mode="json")},
        timeout=timeout, description=f"{job.request.action.value} {job.request.resource_name}",
        on_failure=FAILURE_CALLBACK, nothing_run="nothing was run", look="the resource",
    )  # fmt: skip
    key = _pending_key(job.ref)
    with ctx.connection.pipeline() as pipe:
        pipe.sadd(key, job_id)
        pipe.expire(key, KEEP_SECONDS)
        pipe.execute()
    return job_id


def enqueue_durably(
    ctx: WorkerContext, queue_name: str, job_id: str, function: str, kwargs: dict[str, object], *, timeout: int,
    description: str, on_failure: str, nothing_run: str, look: str,
) -> None:  # fmt: skip
    """Put one job on `queue_name` under `job_id` and return once it is on every replica a failover could promote.
    An id already queued, running or run (or kept from an earlier try) is never a second job. Raises OpsbotError
    when Redis cannot take it: "the job queue is unreachable: <nothing_run>", or, unconfirmed, "... check <look>
    before asking again"."""
    target = queue(queue_name, ctx.connection)

    def kept() -> None:
        rq_job = target.create_job(
            function, kwargs=kwargs, job_id=job_id, timeout=timeout, result_ttl=KEEP_SECONDS,
            failure_ttl=KEEP_SECONDS, description=description,
            on_failure=Callback(on_failure, timeout=CALLBACK_TIMEOUT_SECONDS),
        )  # fmt: skip
        with contextlib.suppress(DuplicateJobError):
            target.enqueue_job(rq_job, unique=True)
        if not replicated(ctx.connection):
            raise TimeoutError("the job is not on every replica yet")  # the next try enqueues again if it was lost

    try:
        DURABLE.retrying(lambda exc: isinstance(exc, TimeoutError))(kept)
    except redis.RedisError as exc:
        raise OpsbotError(f"the job queue is unreachable: {nothing_run}") from exc
    except TimeoutError as exc:
        raise OpsbotError("the job queue did not confirm it kept the job (Redis failing over?): it may still run; "
                          f"check {look} before asking again") from exc  # fmt: skip


def pending_jobs(connection: redis.Redis, ref: ConversationRef) -> int:
    """This conversation's jobs that are queued or running. Entries whose job ended (or vanished)
    without removing itself are dropped here, so a crash never leaves a phantom pending job."""
    key = _pending_key(ref)
    members = [m.decode() if isinstance(m, bytes) else str(m) for m in connection.smembers(key)]
    if not members:
        return 0
    with connection.pipeline() as pipe:
        for job_id in members:
            pipe.hget(Job.key_for(job_id), "status")
        statuses = pipe.execute()
    stale = [job_id for job_id, status in zip(members, statuses, strict=True) if not _unfinished(status)]
    if stale:
        connection.srem(key, *stale)
    return len(members) - len(stale)


def forget_pending(connection: redis.Redis, ref: ConversationRef, job_id: str) -> None:
    connection.srem(_pending_key(ref), job_id)


def _pending_key(ref: ConversationRef) -> str:
    # Per conversation, not per thread: "what is still running here" spans the threads of a channel.
    return f"{_PENDING_PREFIX}{ref.channel}:{ref.conversation_id}"


def _unfinished(status: bytes | str | None) -> bool:
    if status is None:
        return False
    text = status.decode() if isinstance(status, bytes) else status
    return text in _UNFINISHED
