"""Following running deploys: every `deploy_poll_seconds` the watcher reads each running deploy's groups from their
clouds (all at once), keeps the record, edits the one progress message when what it says changed, replies in its
thread at milestones, and ends the deploy: done when every group is, failed - stopping the other groups - when a
group fails or too many of its new instances fail their health checks (then, if the manifest says auto_rollback,
it starts the rollback itself).

Any worker may watch any deploy: the deploy's state is in the clouds and in Redis, never in a process. A lease per
deploy (core.leases) lets exactly one watcher follow it; a watcher that dies stops renewing it, and another takes it
over within the lease's time - without starting any rollout again (the watcher only reads, pauses and cancels)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping

import redis

from actions.deploy.model import (
    DeployRecord,
    DeployRequest,
    GroupRollout,
    RolloutBackend,
)
from audit.log import AuditEvent
from core.errors import OpsbotError
from core.leases import Lease, replica_name
from core.models import Cloud, Reply
from workers.context import WorkerContext
from workers.deploy_jobs import STALE_AFTER_SECONDS, enqueue_deploy, fail_start
from workers.deploy_progress import head_line, progress_text
from workers.deploy_reads import in_parallel, merged, read_groups
from workers.deploy_report import audit, milestone, settle_rolled_back, show

DONE = frozenset({"succeeded", "rolled_back"})  # a group's rollout finished well (a rollback's: rolled back)
STOPPABLE = frozenset({"pending", "rolling", "rolling_back", "paused"})
OPSBOT = "opsbot"
# A deploy still "starting" this long after it was confirmed has no start job that will run it: the job gives up on
# its own after STALE_AFTER_SECONDS (and runs for at most its timeout); one that was never queued never would.
NEVER_STARTED_SECONDS = STALE_AFTER_SECONDS + 5 * 60

log = logging.getLogger(__name__)


SIMULATED_POLL_SECONDS = 1.0  # the simulated world rolls a batch in about a second


class DeployWatcher:
    """`tick()` follows every running deploy once (tests call it with their clock moved); `start()` runs it every
    `every_seconds` on a thread. `lease_seconds`: how soon another watcher takes over a deploy this one stopped
    following."""

    def __init__(
        self, ctx: WorkerContext, *, clock: Callable[[], float] = time.time, every_seconds: float | None = None,
        lease_seconds: float | None = None, holder: str | None = None,
    ) -> None:  # fmt: skip
        self._ctx = ctx
        self._book = ctx.deploys.book
        self._clock = clock
        self._every = every_seconds if every_seconds is not None else ctx.settings.deploy_poll_seconds
        self._lease_seconds = lease_seconds if lease_seconds is not None else max(10.0, 3 * self._every)
        self._holder = holder or f"{replica_name(ctx.settings)}-{uuid.uuid4().hex[:6]}"
        self._leases: dict[int, Lease] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="deploy-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, wait_seconds: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(wait_seconds)
        for lease in self._leases.values():  # hand them over at once: another watcher needs not wait them out
            try:
                lease.release()
            except redis.RedisError:
                break
        self._leases.clear()

    def tick(self) -> list[int]:
        """Follow every running deploy whose lease this watcher holds or can take; the ids it followed."""
        running = []
        for record in self._book.running():
            if record.state != "starting":
                running.append(record)
            elif self._clock() - record.created_at > NEVER_STARTED_SECONDS:  # else its start job has it
                fail_start(self._ctx, record, "no worker started it (was its job lost?) - ask again")
        for gone in set(self._leases) - {r.id for r in running}:
            self._leases.pop(gone).release()
        followed = []
        for record in running:
            lease = self._leases.get(record.id) or self._lease(record.id)
            if not lease.take():
                continue
            try:
                self._advance(record)
            except OpsbotError as exc:  # a manifest that no longer loads, a cloud not configured: said in the log
                log.warning("deploy %s: not followed this time: %s", record.id, exc)
            except redis.RedisError:
                raise
            except Exception:  # a bug met by one deploy must not stop the others being followed
                log.exception("deploy %s: following it failed", record.id)
            followed.append(record.id)
        return followed

    def _lease(self, record_id: int) -> Lease:
        lease = Lease(self._ctx.connection, f"deploy:{record_id}", self._holder, ttl_seconds=self._lease_seconds)
        self._leases[record_id] = lease
        return lease

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.tick()
            except redis.RedisError as exc:
                log.warning("deploy watcher: Redis unreachable (%s); trying again in %g s", exc, self._every)
            except Exception:  # one bad deploy must not stop the watching of the others
                log.exception("deploy watcher: tick failed")

    # -- one deploy ----------------------------------------------------------------------------------------------
    def _advance(self, record: DeployRecord) -> None:
        backends = self._ctx.deploys.backends()
        readings = read_groups(record, backends)
        now = self._clock()
        record = self._book.update(record.id, lambda r: merged(r, readings, now)) or record
        for rollout in record.groups:
            if rollout.state.status in DONE:
                name = rollout.change.group
                milestone(self._ctx, record.id, f"{name} done", f"{name} done: {rollout.state.detail or 'rolled'}")
        if record.state != "rolling":
            show(self._ctx, record, now)
            return
        failure = failing(record, now)
        if failure is not None:
            self._fail(record, failure, now, backends)
        elif all(g.state.status in DONE for g in record.groups):
            self._succeed(record, now)
        else:
            show(self._ctx, record, now)

    def _succeed(self, record: DeployRecord, now: float) -> None:
        record = self._book.update(record.id, lambda r: _ended(r, "succeeded", None, now)) or record
        audit(self._ctx, AuditEvent.SUCCEEDED, record, head_line(record, now))
        show(self._ctx, record, now)
        milestone(self._ctx, record.id, "finished", head_line(record, now))
        settle_rolled_back(self._ctx, record, now)

    def _fail(self, record: DeployRecord, failure: str, now: float, backends: Mapping[Cloud, RolloutBackend]) -> None:
        """Stop the groups still rolling where they are, fail the deploy, and roll it back if the manifest says."""
        moving = [g for g in record.groups if g.handle is not None and g.state.status in STOPPABLE]
        stopped = in_parallel(moving, lambda g: backends[g.change.cloud].cancel(g.change, g.handle or ""))
        unstopped = [g.change.group for g, r in zip(moving, stopped, strict=True) if isinstance(r, Exception)]
        if unstopped:
            failure += f" (could not stop {', '.join(unstopped)}: check it in its cloud)"
        record = self._book.update(record.id, lambda r: _ended(r, "failed", failure, now)) or record
        audit(self._ctx, AuditEvent.FAILED, record, failure)
        what = "Rollback" if record.request.kind == "rollback" else "Deploy"
        rollback = self._auto_rollback(record, now)
        if rollback is not None:
            record = self._book.get(record.id) or record
        show(self._ctx, record, now)
        milestone(self._ctx, record.id, "failed", f"{what} {record.id} failed: {failure}")
        settle_rolled_back(self._ctx, record, now)

    def _auto_rollback(self, record: DeployRecord, now: float) -> DeployRecord | None:
        """The manifest's auto_rollback: a rollback of the failed deploy, started as opsbot, in its own message in
        the thread. None when the manifest does not ask for it or there is nothing good to go back to."""
        request = record.request
        if request.kind != "deploy" or not any(g.strategy.auto_rollback for g in request.groups):
            return None
        back = rollback_request(self._ctx, record)
        if isinstance(back, str):
            self._book.update(record.id, lambda r: r.model_copy(update={"failure": f"{r.failure}; {back}"}))
            return None
        key = f"deploy-{uuid.uuid4().hex[:12]}"
        rollback = self._book.create(back, record.ref, key, OPSBOT)
        audit(self._ctx, AuditEvent.ENQUEUED, rollback, "auto_rollback in the release manifest", actor=OPSBOT)
        first = Reply(ref=record.ref, key=key, text=progress_text(rollback, now), reply_to=record.reply_key,
                      kind="progress")  # fmt: skip
        self._ctx.outbox.publish(first)
        enqueue_deploy(self._ctx, rollback)
        return rollback


def failing(record: DeployRecord, now: float) -> str | None:
    """Why the deploy must stop, one line naming the groups and instances, or None: a group failed (or was
    stopped in its cloud), or more of a group's new instances fail their health checks than its strategy allows
    once they had their warm-up."""
    lines = []
    for rollout in record.groups:
        state, change = rollout.state, rollout.change
        if state.status in ("failed", "cancelled"):
            lines.append(f"{change.group}: {state.detail or state.status}")
            continue
        warm = rollout.started_at is not None and now - rollout.started_at >= change.strategy.warmup_seconds
        share = 100 * len(state.unhealthy) / max(1, state.updated)
        if state.unhealthy and warm and share > change.strategy.max_unhealthy_percent:
            shown = ", ".join(state.unhealthy[:3]) + (", ..." if len(state.unhealthy) > 3 else "")
            count = len(state.unhealthy)
            plural = "s" if count > 1 else ""
            lines.append(f"{change.group}: {count} new instance{plural} failing health checks ({shown})")
    return "; ".join(lines) if lines else None


def rollback_request(ctx: WorkerContext, record: DeployRecord) -> DeployRequest | str:
    """The rollback of a failed deploy to the environment's last good version (else what most groups ran
    before), or one line saying why there is none."""
    request = record.request
    book = ctx.deploys.book
    before = Counter(g.from_version for g in request.groups if g.from_version and g.from_version != request.version)
    version = book.last_good(request.service, request.environment, before=request.version)
    if version is None and before:
        version = before.most_common(1)[0][0]
    if version is None:
        return "no earlier good version to roll back to"
    known = ctx.deploys.manifest().services.get(request.service)
    spec = known.versions.get(version) if known is not None else None
    if spec is None:
        return f"{version} is not in the release manifest: roll back by hand"
    changes = []
    for change in request.groups:
        to = spec.spec_for(change.cloud)
        if to is None:
            return f"{version} says nothing for {change.cloud.value}, where {change.group} runs: roll back by hand"
        changes.append(change.model_copy(update={"from_version": request.version, "to_version": version, "to": to}))
    return DeployRequest(kind="rollback", service=request.service, environment=request.environment, version=version,
                         groups=tuple(changes), rollback_of=record.id, requested_by=OPSBOT)  # fmt: skip


def _ended(record: DeployRecord, state: str, failure: str | None, now: float) -> DeployRecord | None:
    if record.state != "rolling":
        return None

    def stopped(rollout: GroupRollout) -> GroupRollout:
        if state != "failed" or rollout.state.status not in STOPPABLE or rollout.handle is None:
            return rollout
        return rollout.model_copy(
            update={"state": rollout.state.model_copy(update={"status": "cancelled"}), "finished_at": now}
        )

    groups = tuple(stopped(g) for g in record.groups)
    return record.model_copy(update={"state": state, "failure": failure, "finished_at": now, "groups": groups})


def start_deploy_watcher(ctx: WorkerContext, *, clock: Callable[[], float] = time.time) -> DeployWatcher:
    """The watcher of a worker process (or of the embedded runtime's worker), started: every deploy_poll_seconds, or
    every second at most in the simulated world, whose rollouts take seconds (a read there is one Redis call, where
    a real cloud's is a rate-limited API request)."""
    every = ctx.settings.deploy_poll_seconds
    if not ctx.settings.real_clouds:
        every = min(every, SIMULATED_POLL_SECONDS)
    watcher = DeployWatcher(ctx, clock=clock, every_seconds=every)
    watcher.start()
    return watcher
