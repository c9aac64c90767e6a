"""The deploy's jobs: starting its rollouts in every cloud at once (`run_deploy`), and pausing, resuming or
cancelling them (`run_control`). Watching them roll is not a job: the clouds roll, and `workers.deploy_watch`
follows them from whichever worker holds the deploy's lease.

A deploy's job is queued durably like every action's (on every replica a failover could promote) and starts the
rollouts once: a mark made safe from a failover first (`core.once.hold_once`), and a group that has a handle is
never started again; each cloud's `start` itself returns a rollout already in flight rather than a second one."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterable, Mapping
from typing import Final, Literal, TypeVar

import redis
from pydantic import ValidationError
from rq import get_current_job
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from actions.catalogue import spec
from actions.deploy.model import DeployRecord, GroupRollout, RolloutBackend
from audit.log import AuditEvent
from core.errors import OpsbotError, TransientProviderError
from core.models import ActionName, ActionRequest, Cloud
from core.once import Hold, hold_once
from core.retrying import RetryPolicy
from workers.context import WorkerContext, current_context
from workers.deploy_progress import clock_time, started_line
from workers.deploy_reads import in_parallel, merged, read_groups
from workers.deploy_report import audit, milestone, settle_rolled_back, show
from workers.jobs import JOB_FUNCTION, KEEP_SECONDS, ActionJob, enqueue_durably
from workers.lease import Lease
from workers.queues import CRITICAL, PRIORITY, queue

Control = Literal["pause", "resume", "cancel"]
RUN_FUNCTION: Final = "workers.deploy_jobs.run_deploy"
CONTROL_FUNCTION: Final = "workers.deploy_jobs.run_control"
FAILURE_CALLBACK: Final = "workers.deploy_jobs.on_deploy_failure"
STALE_AFTER_SECONDS: Final = 10 * 60  # as workers.execution: a confirmation is for the world as it was shown
_RAN_PREFIX: Final = "opsbot:deploy-ran:"
_DONE: Final = {"pause": "Paused", "resume": "Resumed", "cancel": "Cancelled"}
_FROM: Final = {"pause": ("rolling",), "resume": ("paused",), "cancel": ("rolling", "paused")}  # deploy states
# A cloud that throttles or stumbles at the start is asked again (1 s, 2 s): a start is safe to repeat.
_START_RETRIES = RetryPolicy(attempts=3, first=1.0, most=4.0, jitter=False, longest_retry_after=10.0)

T = TypeVar("T")
log = logging.getLogger(__name__)


def enqueue_deploy(ctx: WorkerContext, record: DeployRecord) -> str:
    """Queue the start of `record`'s rollouts (a rollback on the critical queue); the job id. Once per deploy: the
    id is the deploy's number. Raises OpsbotError when Redis cannot take the job."""
    action = spec(ActionName.ROLLBACK if record.request.kind == "rollback" else ActionName.DEPLOY)
    job_id = f"deploy-{record.id}"
    what = f"{record.request.kind} {record.id} {record.request.service} {record.request.version}"
    kwargs: dict[str, object] = {"record_id": record.id}
    return _enqueue(ctx, action.queue, job_id, RUN_FUNCTION, kwargs, action.timeout_seconds, what)


def enqueue_control(ctx: WorkerContext, record_id: int, action: Control, user: str) -> str:
    """Queue a pause, resume or cancel of every group of the deploy, on the critical queue; the job id."""
    job_id = f"deploy-{record_id}-{action}-{uuid.uuid4().hex[:8]}"
    kwargs: dict[str, object] = {"record_id": record_id, "action": action, "user": user}
    return _enqueue(ctx, CRITICAL, job_id, CONTROL_FUNCTION, kwargs, spec(ActionName.ROLLBACK).timeout_seconds,
                    f"{action} deploy {record_id}")  # fmt: skip


def failover_running(connection: redis.Redis, groups: Iterable[str]) -> str | None:
    """One line when a failover of one of `groups` is queued or running: a deploy must not roll a group that is
    being failed over (nor its standby)."""
    names = set(groups)
    for name in PRIORITY:
        found = queue(name, connection)
        ids = [*found.get_job_ids(), *StartedJobRegistry(name, connection=connection).get_job_ids()]
        for job in Job.fetch_many(ids, connection=connection, serializer=found.serializer):
            request = _failover_of(job)
            if request is None:
                continue
            standby = (request.destination_id or "").rsplit("/", 1)[-1]
            hit = request.resource_name if request.resource_name in names else standby if standby in names else None
            if hit is not None and job is not None:
                doing = "running" if job.get_status() == JobStatus.STARTED else "queued"
                return f"a failover of {request.resource_name} is {doing}: deploy {hit} once it has finished"
    return None


# -- the jobs ------------------------------------------------------------------------------------------------------
def run_deploy(record_id: int) -> str:
    """Start every group's rollout (a rollback: roll each group back, stopping the rollout it undoes), then hand
    the deploy to the watcher. Returns one line of what happened."""
    ctx = current_context()
    book = ctx.deploys.book
    record = book.get(record_id)
    if record is None or record.state != "starting":
        return f"deploy {record_id}: already started or gone"
    held = hold_once(ctx.connection, f"{_RAN_PREFIX}{record_id}", ttl=KEEP_SECONDS)
    if held is Hold.TAKEN:
        return f"deploy {record_id}: already started"
    if held is Hold.UNSURE:
        return fail_start(ctx, record, "Redis did not settle after a failover; nothing was started - ask again")
    waited = book.clock() - record.created_at
    if waited > STALE_AFTER_SECONDS:
        return fail_start(ctx, record, f"waited {int(waited // 60)} min for a worker; not started - ask again")
    try:
        backends = ctx.deploys.backends()
        audit(ctx, AuditEvent.STARTED, record, "starting the rollouts", strict=True)
    except OpsbotError as exc:
        return fail_start(ctx, record, str(exc))
    current = get_current_job()
    with Lease(ctx.connection, current.origin if current is not None else CRITICAL, f"deploy-{record_id}"):
        errors = _start_all(ctx, record, backends)
    now = book.clock()
    record = book.update(record_id, lambda r: _started(r, errors, now)) or record
    readings = read_groups(record, backends)  # the first message says where each group is
    record = book.update(record_id, lambda r: merged(r, readings, now)) or record
    show(ctx, record, now)
    if record.state == "failed":
        audit(ctx, AuditEvent.FAILED, record, record.failure or "no rollout started")
        settle_rolled_back(ctx, record, now)
        return f"deploy {record_id}: {record.failure}"
    milestone(ctx, record_id, "started", started_line(record, now))
    return f"deploy {record_id}: rolling {len(record.groups)} groups"


def run_control(record_id: int, action: Control, user: str) -> str:
    """Pause, resume or cancel every group of a deploy that can be, then edit its message and audit."""
    ctx = current_context()
    book = ctx.deploys.book
    record = book.get(record_id)
    if record is None or record.state not in _FROM[action]:
        if record is not None:
            show(ctx, record, book.clock())  # the buttons pressed were stale: the message says where it is now
        return f"deploy {record_id}: nothing to {action} ({record.state if record else 'no such deploy'})"
    backends = ctx.deploys.backends()
    wanted = {"pause": ("rolling", "rolling_back"), "resume": ("paused",),
              "cancel": ("rolling", "rolling_back", "paused", "pending")}[action]  # fmt: skip
    targets = [g for g in record.groups if g.handle is not None and g.state.status in wanted]
    results = in_parallel(targets, lambda g: _control(backends[g.change.cloud], action, g))
    now = book.clock()
    stamp = f"{_DONE[action]} by {user} {clock_time(now)} UTC"
    problems = [f"{g.change.group}: {r}" for g, r in zip(targets, results, strict=True) if isinstance(r, Exception)]
    line = stamp + (f"; {'; '.join(problems)}" if problems else "")
    done = {g.change.group: str(r) for g, r in zip(targets, results, strict=True) if not isinstance(r, Exception)}
    record = book.update(record_id, lambda r: _controlled(r, action, done, line, now)) or record
    event = AuditEvent.CANCELLED if action == "cancel" else AuditEvent.SUCCEEDED if not problems else AuditEvent.FAILED
    audit(ctx, event, record, line, actor=user)
    show(ctx, record, now)
    if action == "cancel":
        settle_rolled_back(ctx, record, now)
        milestone(ctx, record_id, "cancelled", f"Deploy {record_id} cancelled by {user}: instances replaced so far "
                                               "stay on the new version")  # fmt: skip
    return line


def on_deploy_failure(job: Job, connection: redis.Redis, exc_type: object, exc_value: object, tb: object) -> None:
    """RQ failure callback (and the reaper's, for a worker that died mid-start): groups that got a rollout are
    followed by the watcher (which fails the deploy if any group has none); with none started, it failed here."""
    record_id = job.kwargs.get("record_id")
    if job.func_name != RUN_FUNCTION or not isinstance(record_id, int):
        return
    ctx = current_context()
    book = ctx.deploys.book
    record = book.get(record_id)
    if record is None or record.state != "starting":
        return
    reason = f"the worker stopped while starting the rollouts ({type(exc_value).__name__})"
    if not any(g.handle for g in record.groups):
        fail_start(ctx, record, reason)
        return
    record = book.update(record_id, lambda r: _started(r, {}, book.clock(), reason)) or record
    show(ctx, record, book.clock())


# -- starting ------------------------------------------------------------------------------------------------------
def _start_all(ctx: WorkerContext, record: DeployRecord, backends: Mapping[Cloud, RolloutBackend]) -> dict[str, str]:
    """Start every group without a handle, every cloud at once; each handle is saved as soon as its cloud answers
    (a worker that dies half way leaves the started ones to the watcher). Group name -> why it did not start."""
    book = ctx.deploys.book
    undone = book.get(record.request.rollback_of) if record.request.rollback_of is not None else None
    before = {g.change.group: g.handle for g in undone.groups} if undone is not None else {}
    todo = [g for g in record.groups if g.handle is None]

    def begin(rollout: GroupRollout) -> None:
        backend, change = backends[rollout.change.cloud], rollout.change
        if record.request.kind == "rollback":
            handle = _START_RETRIES.retrying(_transient)(backend.roll_back, change, before.get(change.group))
        elif (now := book.get(record.id)) is None or now.state != "starting":
            return  # a rollback took this deploy over while it was starting: never roll a group forward after it
        else:
            handle = _START_RETRIES.retrying(_transient)(backend.start, change)
        book.update(record.id, lambda r: _with_handle(r, change.group, handle, book.clock()))

    results = in_parallel(todo, begin)
    return {g.change.group: str(r) for g, r in zip(todo, results, strict=True) if isinstance(r, Exception)}


def _with_handle(record: DeployRecord, group: str, handle: str, now: float) -> DeployRecord | None:
    def begun(rollout: GroupRollout) -> GroupRollout:
        if rollout.change.group != group or rollout.handle is not None:
            return rollout
        state = rollout.state.model_copy(update={"status": "rolling"})
        return rollout.model_copy(update={"handle": handle, "started_at": now, "state": state})

    return record.model_copy(update={"groups": tuple(begun(g) for g in record.groups)})


def _started(record: DeployRecord, errors: dict[str, str], now: float, lost: str = "not started"
             ) -> DeployRecord | None:  # fmt: skip
    """The deploy rolling; groups that could not start are failed (the watcher then stops the others and fails the
    deploy); none started: the deploy failed."""
    if record.state != "starting":
        return None

    def settled(rollout: GroupRollout) -> GroupRollout:
        if rollout.handle is not None:
            return rollout
        detail = " ".join(errors.get(rollout.change.group, lost).split())
        state = rollout.state.model_copy(update={"status": "failed", "detail": detail})
        return rollout.model_copy(update={"state": state, "finished_at": now})

    groups = tuple(settled(g) for g in record.groups)
    failures = [f"{g.change.group}: {g.state.detail}" for g in groups if g.handle is None]
    if len(failures) == len(groups):
        return record.model_copy(update={"groups": groups, "state": "failed", "finished_at": now,
                                         "failure": "; ".join(failures)[:300]})  # fmt: skip
    return record.model_copy(update={"groups": groups, "state": "rolling"})


def fail_start(ctx: WorkerContext, record: DeployRecord, reason: str) -> str:
    """Nothing started: the deploy failed, its lock is free, its message and the audit say why."""
    now = ctx.deploys.book.clock()

    def failed(r: DeployRecord) -> DeployRecord | None:
        return None if r.state != "starting" else r.model_copy(
            update={"state": "failed", "finished_at": now, "failure": f"Not started: {reason}"})  # fmt: skip

    record = ctx.deploys.book.update(record.id, failed) or record
    audit(ctx, AuditEvent.FAILED, record, reason)
    show(ctx, record, now)
    settle_rolled_back(ctx, record, now)
    return f"deploy {record.id}: {reason}"


# -- controlling ---------------------------------------------------------------------------------------------------
def _control(backend: RolloutBackend, action: Control, rollout: GroupRollout) -> str:
    handle = rollout.handle or ""
    if action == "pause":
        return backend.pause(rollout.change, handle)
    if action == "resume":
        return backend.resume(rollout.change, handle)
    backend.cancel(rollout.change, handle)
    return handle


def _controlled(record: DeployRecord, action: Control, done: dict[str, str], line: str, now: float
                ) -> DeployRecord | None:  # fmt: skip
    if record.state not in _FROM[action]:
        return None
    status = {"pause": "paused", "resume": "rolling", "cancel": "cancelled"}[action]
    group_status = "rolling_back" if status == "rolling" and record.request.kind == "rollback" else status

    def changed(rollout: GroupRollout) -> GroupRollout:
        if rollout.change.group not in done:
            return rollout
        state = rollout.state.model_copy(update={"status": group_status})
        finished_at = now if action == "cancel" else None
        return rollout.model_copy(update={"handle": done[rollout.change.group], "state": state,
                                          "finished_at": finished_at})  # fmt: skip

    groups = tuple(changed(g) for g in record.groups)
    update: dict[str, object] = {"groups": groups, "state": status, "failure": None if action == "resume" else line}
    if action == "cancel":
        update["finished_at"] = now
    return record.model_copy(update=update)


# -- shared --------------------------------------------------------------------------------------------------------
def _transient(exc: BaseException) -> bool:
    return isinstance(exc, TransientProviderError)


def _failover_of(job: Job | None) -> ActionRequest | None:
    if job is None or job.func_name != JOB_FUNCTION:
        return None
    with contextlib.suppress(ValidationError, ValueError):
        request = ActionJob.model_validate(job.kwargs.get("job")).request
        if request.action is ActionName.FAILOVER:
            return request
    return None


def _enqueue(ctx: WorkerContext, queue_name: str, job_id: str, function: str, kwargs: dict[str, object],
             timeout: int, description: str) -> str:  # fmt: skip
    enqueue_durably(ctx, queue_name, job_id, function, kwargs, timeout=timeout, description=description,
                    on_failure=FAILURE_CALLBACK, nothing_run="nothing was started", look="`deploy status`")  # fmt: skip
    return job_id
