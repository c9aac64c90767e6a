"""Running runbooks: every `runbook_poll_seconds` the watcher takes one look at each running run's current step
(workers.runbook_steps.perform), keeps the record, edits the one checklist message when what it says changed, and
broadcasts the status at the start, every broadcast_minutes, at a failure and at the end. A human step waits for
its tick (workers.runbook_jobs.tick_human); a paused run waits before its next step; an aborted run has its
completed action steps undone, newest first (runbook_steps.reverse), each shown on the checklist.

Any worker may run any run: its state is in Redis and in the clouds, never in a process. A lease per run
(core.leases) lets one watcher at a time look at it; a watcher that dies stops renewing it and another takes over
at the step it was on: a done step is never run again (the run's `step` moved past it when it finished), and the
step under way is check-then-act (its memo says what it started)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Protocol

import redis

from actions.dr.model import RunbookRun, StepOutcome
from actions.dr.runs import run_label
from audit.log import AuditEvent
from core.errors import OpsbotError
from core.leases import Lease, replica_name
from core.schedule import BLOCK_SLICE_SECONDS
from policies.runbook_model import Runbook
from workers import runbook_state as records
from workers.context import WorkerContext
from workers.runbook_checklist import status_line
from workers.runbook_jobs import WAKE_KEY, wakeup
from workers.runbook_report import audit, broadcast, milestone, once, show, summary
from workers.runbook_state import ABORTING, ACTIVE, ANY, STOPPABLE

log = logging.getLogger(__name__)

MAX_STEPS_PER_LOOK = 50  # steps that finish at once (posts, checks already true) run in one look, up to this


class StepRunner(Protocol):
    def __call__(
        self, ctx: WorkerContext, run: RunbookRun, runbook: Runbook, index: int, *, clock: Callable[[], float]
    ) -> StepOutcome: ...


class RunbookWatcher:
    """`tick()` looks at every running run once (tests call it with their clock moved); `start()` runs it every
    `every_seconds` on a thread. `perform`/`reverse` default to workers.runbook_steps (tests may pass their own)."""

    def __init__(
        self, ctx: WorkerContext, *, clock: Callable[[], float] = time.time, every_seconds: float | None = None,
        lease_seconds: float | None = None, holder: str | None = None, perform: StepRunner | None = None,
        reverse: StepRunner | None = None,
    ) -> None:  # fmt: skip
        self._ctx = ctx
        self._book = ctx.dr.book
        self._clock = clock
        self._every = every_seconds if every_seconds is not None else ctx.settings.runbook_poll_seconds
        self._lease_seconds = lease_seconds if lease_seconds is not None else max(10.0, 3 * self._every)
        self._holder = holder or f"{replica_name(ctx.settings)}-{uuid.uuid4().hex[:6]}"
        self._perform = perform
        self._reverse = reverse
        self._leases: dict[int, Lease] = {}
        self._stop = threading.Event()
        self._wakeup = wakeup(ctx.connection)
        self._stop_key = f"opsbot:dr:stop:{uuid.uuid4().hex}"  # its own wake-up: stop() ends its wait at once
        self._thread = threading.Thread(target=self._run, name="runbook-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, wait_seconds: float = 5.0) -> None:
        self._stop.set()
        with contextlib.suppress(redis.RedisError):  # else it ends its wait within every_seconds anyway
            self._wakeup.wake(key=self._stop_key)
        if self._thread.is_alive():
            self._thread.join(wait_seconds)
        for lease in self._leases.values():  # hand them over at once: another watcher needs not wait them out
            try:
                lease.release()
            except redis.RedisError:
                break
        self._leases.clear()

    def tick(self) -> list[int]:
        """Look at every unfinished run whose lease this watcher holds or can take; the ids it looked at."""
        running = self._book.running()
        for gone in set(self._leases) - {r.id for r in running}:
            self._leases.pop(gone).release()
        followed = []
        for run in running:
            lease = self._leases.get(run.id) or self._lease(run.id)
            if not lease.take():
                continue
            try:
                self._advance(run)
            except redis.RedisError:
                raise
            except OpsbotError as exc:  # a runbook folder that no longer loads, a cloud not configured
                log.warning("runbook run %s: not advanced this time: %s", run.id, exc)
            except Exception:  # a bug met by one run must not stop the others
                log.exception("runbook run %s: advancing it failed", run.id)
            followed.append(run.id)
        return followed

    def _lease(self, run_id: int) -> Lease:
        lease = Lease(self._ctx.connection, f"runbook:{run_id}", self._holder, ttl_seconds=self._lease_seconds)
        self._leases[run_id] = lease
        return lease

    def _run(self) -> None:
        while not self._stop.is_set():
            self._pause()
            if self._stop.is_set():
                return
            try:
                self.tick()
            except redis.RedisError as exc:
                log.warning("runbook watcher: Redis unreachable (%s); trying again in %g s", exc, self._every)
            except Exception:
                log.exception("runbook watcher: tick failed")

    def _pause(self) -> None:
        """Wait every_seconds, or less when a start, a tick, a resume or an abort wakes this watcher (or stop())."""
        until = time.monotonic() + self._every
        keys = [WAKE_KEY, self._stop_key]
        while (left := until - time.monotonic()) > 0 and not self._stop.is_set():
            try:  # in slices under the client's socket timeout
                if self._ctx.connection.blpop(keys, timeout=max(0.01, min(left, BLOCK_SLICE_SECONDS))):
                    return
            except redis.RedisError:
                self._stop.wait(left)

    # -- one run -------------------------------------------------------------------------------------------------
    def _advance(self, run: RunbookRun) -> None:
        runbook = self._runbook(run)
        if runbook is None:
            return
        if len(run.steps) != len(runbook.steps):  # created before its runbook was counted: its steps, pending
            run = self._book.update(run.id, lambda r: records.padded(r, runbook)) or run
        now = self._clock()
        if once(self._ctx, run.id, "start") is not None:
            self._say(run, runbook, now, sms=True)
            audit(self._ctx, AuditEvent.STARTED, run, status_line(run, runbook, now))
        if run.state in ("running", "waiting_human"):
            run = self._forward(run, runbook)
        elif run.state == "aborting":
            run = self._backward(run, runbook)
        now = self._clock()
        show(self._ctx, run, runbook, now)
        if run.finished:
            self._end(run, runbook, now)
        elif run.last_broadcast is None or now - run.last_broadcast >= self._broadcast_seconds(runbook):
            self._say(run, runbook, now)

    def _forward(self, run: RunbookRun, runbook: Runbook) -> RunbookRun:
        """Run the current step and the ones after it that finish at once, until one waits or fails."""
        for _ in range(MAX_STEPS_PER_LOOK):
            run, go_on = self._forward_one(run, runbook)
            if not go_on:
                break
        return run

    def _forward_one(self, run: RunbookRun, runbook: Runbook) -> tuple[RunbookRun, bool]:
        index, book = run.step, self._book
        if run.state not in ACTIVE:
            return run, False
        if index >= len(runbook.steps):
            done_at = self._clock()
            done = book.update(run.id, lambda r: records.ended(r, "succeeded", None, done_at, when=ACTIVE))
            return done or run, False
        step, began = runbook.steps[index], self._clock()
        run = book.update(run.id, lambda r: records.began(r, index, began, human=step.human)) or run
        if step.human or run.step != index or run.state not in ACTIVE:
            return run, False
        outcome = self._step(self._perform, "perform", run, runbook, index)
        now = self._clock()
        run = book.update(run.id, lambda r: records.looked(r, index, outcome, now)) or run
        if outcome.status == "waiting":
            return run, False
        if outcome.status == "failed":
            failure = f"step {index + 1} ({step.name}) failed: {outcome.detail or 'no detail'}"
            run = book.update(run.id, lambda r: records.ended(r, "failed", failure, now, when=STOPPABLE)) or run
            if milestone(self._ctx, run.id, f"step {index + 1} failed", failure, error=True):
                audit(self._ctx, AuditEvent.FAILED, run, failure)
            return run, False
        audit(self._ctx, AuditEvent.SUCCEEDED, run, f"step {index + 1} ({step.name}): {outcome.detail}")
        # Ticked on the checklist now, not after the next step (a scale may take a while): only a changed text edits.
        show(self._ctx, run, runbook, now)
        return run, True

    def _backward(self, run: RunbookRun, runbook: Runbook) -> RunbookRun:
        """Undo the completed action steps newest first; aborted when none is left."""
        for _ in range(MAX_STEPS_PER_LOOK):
            run, go_on = self._backward_one(run, runbook)
            if not go_on:
                break
        return run

    def _backward_one(self, run: RunbookRun, runbook: Runbook) -> tuple[RunbookRun, bool]:
        index, book = records.to_undo(run, runbook), self._book
        if index is None:
            end = self._clock()
            aborted = book.update(run.id, lambda r: records.ended(r, "aborted", r.failure, end, when=ABORTING))
            return aborted or run, False
        run = book.update(run.id, lambda r: records.undoing(r, index)) or run
        if run.state != "aborting":
            return run, False
        outcome = self._step(self._reverse, "reverse", run, runbook, index)
        now = self._clock()
        run = book.update(run.id, lambda r: records.undone(r, index, outcome, now)) or run
        if outcome.status == "waiting":
            return run, False
        step = runbook.steps[index]
        if outcome.status == "failed":
            failure = f"undo of step {index + 1} ({step.name}) failed: {outcome.detail}; finish it by hand"
            run = book.update(run.id, lambda r: records.ended(r, "failed", failure, now, when=ABORTING)) or run
            milestone(self._ctx, run.id, f"undo {index + 1} failed", failure, error=True)
            audit(self._ctx, AuditEvent.FAILED, run, failure)
            return run, False
        audit(self._ctx, AuditEvent.SUCCEEDED, run, f"undid step {index + 1} ({step.name}): {outcome.detail}")
        return run, True

    def _end(self, run: RunbookRun, runbook: Runbook, now: float) -> None:
        if once(self._ctx, run.id, "end") is None:
            return
        event = AuditEvent.SUCCEEDED if run.state == "succeeded" else AuditEvent.FAILED
        audit(self._ctx, event, run, run.failure or run.state)
        self._say(run, runbook, now, sms=True)
        text = summary(run, runbook, now)
        milestone(self._ctx, run.id, "summary", text, error=run.state == "failed")

    def _say(self, run: RunbookRun, runbook: Runbook, now: float, *, sms: bool = False) -> None:
        """The status line to everyone it goes to, and the time of it in the run (the cadence counts from it)."""
        self._book.update(run.id, lambda r: r.model_copy(update={"last_broadcast": now}))
        broadcast(self._ctx, run, runbook, status_line(run, runbook, now), sms=sms)

    def _step(self, call: StepRunner | None, name: str, run: RunbookRun, runbook: Runbook, index: int) -> StepOutcome:
        if call is None:
            from workers import runbook_steps  # loaded with the first run: most workers never run a runbook

            call = runbook_steps.perform if name == "perform" else runbook_steps.reverse
        try:
            return call(self._ctx, run, runbook, index, clock=self._clock)
        except OpsbotError as exc:  # a cloud refusing: the step waits and is looked at again (its timeout rules)
            return StepOutcome(status="waiting", detail=str(exc).splitlines()[0][:200])

    def _broadcast_seconds(self, runbook: Runbook) -> float:
        return 60 * (runbook.broadcast_minutes or self._ctx.settings.dr_broadcast_minutes)

    def _runbook(self, run: RunbookRun) -> Runbook | None:
        """The run's runbook as loaded now; a run whose runbook went or changed since its approval fails."""
        from policies.runbooks import runbook_hash

        runbook = self._ctx.dr.runbooks().get(run.request.runbook)
        if runbook is not None and runbook_hash(runbook) == run.request.runbook_hash:
            return runbook
        what = "is no longer loaded" if runbook is None else "changed since it was approved"
        failure = f"runbook {run.request.runbook} {what}: ask again"
        now = self._clock()
        ended = self._book.update(run.id, lambda r: records.ended(r, "failed", failure, now, when=ANY))
        said = f"{run_label(ended).capitalize()} failed: {failure}" if ended is not None else ""
        if ended is not None and milestone(self._ctx, run.id, "end", said, error=True):
            audit(self._ctx, AuditEvent.FAILED, ended, failure)
        return None


def start_runbook_watcher(ctx: WorkerContext, *, clock: Callable[[], float] = time.time) -> RunbookWatcher:
    """The watcher of a worker process (or of the embedded runtime's worker), started."""
    watcher = RunbookWatcher(ctx, clock=clock)
    watcher.start()
    return watcher
