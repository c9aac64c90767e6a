"""The wait steps: a condition read fresh on every look, "failed" once `timeout_seconds` passed since the step's
`started_at` (set by the engine when the step began). In a drill the condition is read for real; when it does
not hold (the change it waits on was only simulated) it counts as met after its expect_seconds x DRILL_SPEED."""

from __future__ import annotations

from actions.dr.model import RunbookRun, StepOutcome
from core.errors import ConfigError, ProviderError, TransientProviderError
from policies.runbook_model import Do, Runbook, Step, Wait
from policies.runbook_params import min_healthy
from workers.context import WorkerContext
from workers.runbook_actions import DRILL_SPEED, _line, dns_switch, group_now, restore_size


def wait(ctx: WorkerContext, run: RunbookRun, runbook: Runbook, index: int, now: float) -> StepOutcome:
    step = runbook.steps[index]
    started = run.steps[index].started_at or now
    try:
        held, detail = _condition(ctx, run, runbook, index, step)
    except TransientProviderError as exc:
        held, detail = False, f"{_line(exc)}; trying again"
    except (ProviderError, ConfigError) as exc:
        return StepOutcome(status="failed", detail=_line(exc))
    waited = now - started
    if held:
        return StepOutcome(status="done", detail=f"{detail} after {waited:.0f} s")
    if run.request.kind == "drill":
        if waited >= step.expect_seconds * DRILL_SPEED:
            memo = {"simulated_seconds": str(step.expect_seconds)}
            return StepOutcome(status="done", detail=f"would wait: {detail} (simulated)", memo=memo)
        return StepOutcome(status="waiting", detail=f"{detail} (simulated)")
    if waited >= step.timeout_seconds:
        return StepOutcome(status="failed", detail=f"{detail} after {step.timeout_seconds} s: timed out")
    return StepOutcome(status="waiting", detail=detail)


def _condition(ctx: WorkerContext, run: RunbookRun, runbook: Runbook, index: int, step: Step) -> tuple[bool, str]:
    if step.wait is Wait.DNS_SETTLED:
        return _dns_settled(ctx, run, runbook, index)
    name = runbook.standby if step.wait is Wait.STANDBY_HEALTHY else runbook.primary
    least = min_healthy(runbook, step)
    want = least if least is not None else restore_size(run)
    group = group_now(ctx, name)
    healthy = 0 if group.state == "stopped" else group.count or 0
    return healthy >= want, f"{name} {healthy}/{want} running"


def _dns_settled(ctx: WorkerContext, run: RunbookRun, runbook: Runbook, index: int) -> tuple[bool, str]:
    """The latest DNS change made before this step, live at the name servers."""
    changes = [
        run.steps[i].memo["dns_change"]
        for i in range(index)
        if runbook.steps[i].do is Do.SWITCH_DNS and "dns_change" in run.steps[i].memo
    ]
    if runbook.dns is None or not changes:
        return run.request.kind != "drill", "no DNS change to wait for"
    target = runbook.dns
    if dns_switch(ctx, target).settled(target, changes[-1]):
        return True, f"{target.name} live"
    return False, f"{target.name} not yet live"
