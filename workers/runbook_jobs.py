"""What people do to a runbook run, each one short call from the conversation (no long job: the watcher,
workers.runbook_watch, runs the steps): start it, tick a human step, pause, resume, abort. Each answers one line
for the person who asked, changes the run with an optimistic update (the watcher writes it at the same time), and
is audited."""

from __future__ import annotations

from collections.abc import Callable

import redis

from actions.dr.model import RunbookRun, StepRun
from actions.dr.runs import run_label
from audit.log import AuditEvent
from core.errors import OpsbotError
from core.schedule import Schedule
from policies.runbook_model import Runbook
from workers.context import WorkerContext
from workers.runbook_report import audit, show

ACTIVE = frozenset({"running", "waiting_human"})
# The watchers wait on this between looks (core.schedule's wake-up list, its due set left empty): a start, a tick,
# a resume or an abort wakes one at once instead of on its next poll.
_DUE, WAKE_KEY = "opsbot:dr:due", "opsbot:dr:wake"


def wakeup(connection: redis.Redis) -> Schedule:
    return Schedule(connection, _DUE, WAKE_KEY)


def start_run(ctx: WorkerContext, run: RunbookRun) -> None:
    """A run just created (RunBook.create put it in the running set): audited as started and its checklist shown;
    the watcher takes its first step on its next look."""
    audit(ctx, AuditEvent.ENQUEUED, run, f"approved by {run.approved_by or 'nobody'}")
    runbook = _runbook(ctx, run)
    if runbook is not None:
        show(ctx, run, runbook, ctx.dr.book.clock())
    wakeup(ctx.connection).wake()


def tick_human(ctx: WorkerContext, run_id: int, step: int, user: str, role_ok: bool) -> str:
    """`user` ticks human step `step` (0-based) of the run; `role_ok`: the caller checked the step's role."""
    run = ctx.dr.book.get(run_id)
    if run is None:
        return f"There is no runbook run {run_id}."
    runbook = _runbook(ctx, run)
    if runbook is None or step >= len(runbook.steps) or not runbook.steps[step].human:
        return f"Step {step + 1} of {run_label(run)} is not a step a person ticks."
    wanted = runbook.steps[step]
    if not role_ok:
        audit(ctx, AuditEvent.DENIED, run, f"step {step + 1} tick refused: needs {wanted.role or 'operator'}",
              actor=user)  # fmt: skip
        return f"{user} may not tick step {step + 1} ({wanted.name}): it needs {wanted.role or 'operator'}."
    now = ctx.dr.book.clock()
    why = ""

    def ticked(r: RunbookRun) -> RunbookRun | None:
        nonlocal why
        if r.finished or r.state == "aborting":
            why = f"{_cap(run_label(r))} is {r.state}: nothing to tick."
            return None
        if r.step != step or step >= len(r.steps) or r.steps[step].status != "waiting":
            why = f"Step {step + 1} of {run_label(r)} is not waiting for a tick (it is on step {r.step + 1})."
            return None
        why = ""
        record = r.steps[step].model_copy(update={"status": "done", "finished_at": now, "by": user})
        state = "running" if r.state == "waiting_human" else r.state  # a paused run stays paused
        return r.model_copy(update={"steps": _with(r.steps, step, record), "step": step + 1, "state": state})

    after = ctx.dr.book.update(run_id, ticked)
    if why or after is None:
        return why or f"There is no runbook run {run_id}."
    audit(ctx, AuditEvent.CONFIRMED, after, f"step {step + 1} ({wanted.name}) ticked", actor=user)
    show(ctx, after, runbook, now)
    wakeup(ctx.connection).wake()
    return f"Ticked step {step + 1} of {run_label(after)}: {wanted.name}."


def pause(ctx: WorkerContext, run_id: int, user: str) -> str:
    """Stop before the next step (a step under way finishes its look; an action already started lands)."""

    def paused(r: RunbookRun) -> RunbookRun | None:
        return r.model_copy(update={"state": "paused", "paused_by": user}) if r.state in ACTIVE else None

    return _change(ctx, run_id, user, paused, "paused", "Paused {label}: it stops before its next step.")


def resume(ctx: WorkerContext, run_id: int, user: str) -> str:
    def resumed(r: RunbookRun) -> RunbookRun | None:
        return r.model_copy(update={"state": "running", "paused_by": None}) if r.state == "paused" else None

    return _change(ctx, run_id, user, resumed, "resumed", "Resumed {label}.")


def abort(ctx: WorkerContext, run_id: int, user: str) -> str:
    """Stop the run and undo its completed action steps, newest first (the watcher runs the undos; the
    conversation asked for the confirmation already)."""

    def aborting(r: RunbookRun) -> RunbookRun | None:
        if r.finished or r.state == "aborting":
            return None
        return r.model_copy(update={"state": "aborting", "aborted_by": user, "failure": f"aborted by {user}"})

    return _change(ctx, run_id, user, aborting, "aborted",
                   "Aborting {label}: undoing its completed steps, newest first.")  # fmt: skip


def _change(
    ctx: WorkerContext, run_id: int, user: str, change: Callable[[RunbookRun], RunbookRun | None], verb: str, said: str
) -> str:
    book = ctx.dr.book
    before = book.get(run_id)
    if before is None:
        return f"There is no runbook run {run_id}."
    after = book.update(run_id, change)
    if after is None:
        return f"There is no runbook run {run_id}."
    label = run_label(after)
    if after == before or after.state == before.state:
        return f"{_cap(label)} is {after.state.replace('_', ' ')}: it cannot be {verb} now."
    audit(ctx, AuditEvent.CANCELLED if verb == "aborted" else AuditEvent.CONFIRMED, after, verb, actor=user)
    runbook = _runbook(ctx, after)
    if runbook is not None:
        show(ctx, after, runbook, book.clock())
    if after.state != "paused":  # a resume or an abort: the watcher acts on it now
        wakeup(ctx.connection).wake()
    return said.format(label=label)


def _runbook(ctx: WorkerContext, run: RunbookRun) -> Runbook | None:
    try:
        return ctx.dr.runbooks().get(run.request.runbook)
    except OpsbotError:  # a runbook folder that does not load: the watcher fails the run with the reason
        return None


def _cap(label: str) -> str:
    return label[:1].upper() + label[1:]


def _with(steps: tuple[StepRun, ...], index: int, record: StepRun) -> tuple[StepRun, ...]:
    return (*steps[:index], record, *steps[index + 1 :])
