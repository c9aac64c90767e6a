"""What each runbook step does, one look at a time: the engine (workers/runbook_watch.py) calls `perform` on the
current step every runbook_poll_seconds until it says "done" or "failed", and `reverse` on each completed action
step, newest first, when a run is aborted. Every look is check-then-act on fresh state and the step's memo, so a
worker taking over from a dead one never does a step's work twice.

A drill (`run.request.kind == "drill"`) runs every read and check for real (groups, DNS, health checks, the
scale's plan against the group's limits) and simulates every change: "done" after its expect_seconds x
DRILL_SPEED (see workers.runbook_actions), with what it would have done ("would scale web-dr 0 -> 12
(simulated)") and memo "simulated_seconds" for the RTO estimate; "failed" with what would have failed."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from actions.dr.model import RunbookRun, StepOutcome
from core.models import Reply
from policies.runbook_model import UNDO, Do, Runbook, Step
from policies.runbook_params import fill
from workers.context import WorkerContext
from workers.runbook_actions import (
    DRILL_SPEED,
    check_scale,
    place_for,
    restore_size,
    scale,
    switch_dns,
)
from workers.runbook_waits import wait

__all__ = ["DRILL_SPEED", "perform", "reverse"]

HEALTH_TIMEOUT_SECONDS = 5.0  # one GET; the step itself retries until its timeout_seconds
POSTED_KEEP_SECONDS = 30 * 86400
_SCALES = {Do.SCALE_STANDBY, Do.SCALE_PRIMARY, Do.DRAIN_PRIMARY, Do.DRAIN_STANDBY}

Clock = Callable[[], float]


def perform(
    ctx: WorkerContext, run: RunbookRun, runbook: Runbook, index: int, *, clock: Clock = time.time
) -> StepOutcome:
    """One look at step `index`. A human step is never performed here (the engine waits for its tick)."""
    step, now = runbook.steps[index], clock()
    if step.human:
        return StepOutcome(status="waiting", detail=f"waiting for {step.role or 'operator'} to tick it")
    if step.wait is not None:
        return wait(ctx, run, runbook, index, now)
    memo = dict(run.steps[index].memo)
    if step.do is Do.HEALTH_CHECK:
        return _health_check(step, fill(runbook, step.url or ""), run.steps[index].started_at or now, now)
    if step.do is Do.POST:
        return _post(ctx, run, fill(runbook, step.message or ""), index)
    if step.do is Do.SWITCH_DNS:
        place = place_for(run, runbook)
        outcome = switch_dns(ctx, runbook, place, memo, drill=run.request.kind == "drill")
        return _simulated(outcome, run, step, index, now) if run.request.kind == "drill" else outcome
    name, target = _scale_target(run, runbook, step)
    if run.request.kind == "drill":
        would, failed = check_scale(ctx, run, name, target)
        if failed is not None:
            return failed
        return _simulated(StepOutcome(status="done", detail=would), run, step, index, now)
    return scale(ctx, run, name, target, memo)


def reverse(
    ctx: WorkerContext, run: RunbookRun, runbook: Runbook, index: int, *, clock: Clock = time.time
) -> StepOutcome:
    """The undo of completed action step `index` (UNDO in the model): back to the group's size before, or the
    name back where it pointed; "done" when there is nothing to undo. A drill changed nothing: nothing to undo."""
    step, memo = runbook.steps[index], dict(run.steps[index].memo)
    if step.do is None or UNDO[step.do] is None or not step.undo:
        return StepOutcome(status="done", detail="nothing to undo")
    if run.request.kind == "drill":
        return StepOutcome(status="done", detail="nothing to undo (a drill changes nothing)")
    if step.do is Do.SWITCH_DNS:
        if "dns_before" not in memo or memo["dns_before"] not in (runbook.dns.places if runbook.dns else {}):
            return StepOutcome(status="done", detail="nothing to undo")
        back = switch_dns(ctx, runbook, memo["dns_before"], memo, drill=False)
        return back.model_copy(update={"memo": {"undo_change": back.memo["dns_change"]}}) if back.memo else back
    if "size_before" not in memo:
        return StepOutcome(status="done", detail="nothing to undo")
    name, _ = _scale_target(run, runbook, step)
    return scale(ctx, run, name, int(memo["size_before"]), memo, key="size_undone_from")


def _scale_target(run: RunbookRun, runbook: Runbook, step: Step) -> tuple[str, int]:
    if step.do is Do.SCALE_STANDBY:
        return runbook.standby, restore_size(run)
    if step.do is Do.SCALE_PRIMARY:
        return runbook.primary, restore_size(run)
    if step.do is Do.DRAIN_PRIMARY:
        return runbook.primary, 0
    return runbook.standby, 0


def _simulated(outcome: StepOutcome, run: RunbookRun, step: Step, index: int, now: float) -> StepOutcome:
    """A drill's change: its reads passed; "done" once expect_seconds x DRILL_SPEED passed since it began."""
    if outcome.status != "done":
        return outcome
    started = run.steps[index].started_at or now
    detail = f"{outcome.detail} (simulated)"
    if now - started < step.expect_seconds * DRILL_SPEED:
        return StepOutcome(status="waiting", detail=detail, memo=outcome.memo)
    return StepOutcome(
        status="done", detail=detail, memo=outcome.memo | {"simulated_seconds": str(step.expect_seconds)}
    )


def _health_check(step: Step, url: str, started: float, now: float) -> StepOutcome:
    """GET the url (its parameters filled in); any other answer (or none) is looked at again until the step's
    timeout_seconds."""
    began = time.perf_counter()
    try:
        status = httpx.get(url, timeout=HEALTH_TIMEOUT_SECONDS, follow_redirects=False).status_code
        seen = f"HTTP {status}"
    except httpx.HTTPError as exc:
        status, seen = None, f"no answer ({type(exc).__name__})"
    took = (time.perf_counter() - began) * 1000
    if status == step.expect_status:
        return StepOutcome(status="done", detail=f"{seen} in {took:.0f} ms")
    detail = f"{url}: {seen}, expected {step.expect_status}"
    if now - started >= step.timeout_seconds:
        return StepOutcome(status="failed", detail=f"{detail} after {step.timeout_seconds} s")
    return StepOutcome(status="waiting", detail=detail)


def _post(ctx: WorkerContext, run: RunbookRun, text: str, index: int) -> StepOutcome:
    """The message to the run's incident channels (where it was asked, when it has none), exactly once: a Redis
    mark taken before publishing keeps a worker that takes over from posting it again."""
    if run.request.kind == "drill":
        return StepOutcome(status="done", detail=f"would post: {text} (simulated)", memo={"simulated_seconds": "0"})
    refs = run.channels or (run.ref,)
    mark = f"opsbot:runbook:{run.id}:posted:{index}"
    posted = StepOutcome(status="done", detail=f"posted to {len(refs)} channel{'' if len(refs) == 1 else 's'}",
                         memo={"posted": "1"})  # fmt: skip
    if run.steps[index].memo.get("posted") or not ctx.connection.set(mark, "1", nx=True, ex=POSTED_KEEP_SECONDS):
        return posted
    for i, ref in enumerate(refs):
        ctx.outbox.publish(Reply(ref=ref, key=f"urgent-runbook-{run.id}-{index}-{i}", text=text))
    return posted
