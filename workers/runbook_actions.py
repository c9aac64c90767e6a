"""The action steps that change a cloud: scaling a group (standby up, primary drained ...) and moving a DNS name.
Each is check-then-act on fresh state, so a worker that takes over a run after another died finds the work done
and never does it twice: a scale's target is absolute, and `DnsSwitch.point` is idempotent.

A scale runs `provider.execute` synchronously inside one look at the step (chosen over a background thread: the
simulated world and the demo's groups finish in seconds, a real cloud's execute returns once the change is
accepted and waits only as long as its own timeout allows; a thread would also die with its worker, where the
next look simply runs the absolute scale again)."""

from __future__ import annotations

from collections.abc import Callable

from actions.dns.model import DnsSwitch, DnsTarget
from actions.dr.model import RunbookRun, StepOutcome
from actions.provider import Resource
from core.errors import ConfigError, ProviderError, ResourceNotFound, TransientProviderError
from core.models import ActionName, ActionRequest
from policies.runbook_model import Runbook
from workers.context import WorkerContext

# A drill does no change: a simulated one is "done" after its expect_seconds times this, in the simulated world
# and in the real clouds alike (the wall time of a drill is not its RTO estimate: that counts each simulated step
# at its full expect_seconds, kept in the memo as "simulated_seconds").
DRILL_SPEED = 1 / 60


def group_now(ctx: WorkerContext, name: str) -> Resource:
    """The group called `name`, fresh from its cloud."""
    for resource in ctx.provider.snapshot().resources:
        if resource.name == name and resource.kind == "group":
            return ctx.provider.get(resource.id)
    raise ResourceNotFound(f"no group called {name} in the inventory: check the runbook's primary and standby")


def restore_size(run: RunbookRun) -> int:
    """The size a group scales up to: the primary's as the run was asked (a failback: the standby's, which took
    over the primary's size); a failover never takes capacity from the standby."""
    return max(run.request.primary_size, run.request.standby_size)


def scale(
    ctx: WorkerContext, run: RunbookRun, name: str, target: int, memo: dict[str, str], *, key: str = "size_before"
) -> StepOutcome:
    """`name` to `target` instances; remembers its size before under `key` (the undo goes back to it)."""
    try:
        group = group_now(ctx, name)
        before = {key: memo.get(key, str(group.count or 0))}
        if (group.count or 0) == target:
            return StepOutcome(status="done", detail=f"{name} at {target} instances", memo=before)
        request = ActionRequest.on(group, ActionName.SCALE, requested_by=run.request.requested_by, desired_count=target)
        outcome = ctx.provider.execute(request, _quiet)
        after = group_now(ctx, name).count or 0
    except TransientProviderError as exc:
        return StepOutcome(status="waiting", detail=f"{_line(exc)}; trying again")
    except ProviderError as exc:
        return StepOutcome(status="failed", detail=_line(exc))
    if after == target:
        return StepOutcome(status="done", detail=outcome.summary, memo=before)
    return StepOutcome(status="waiting", detail=f"{name}: {after}/{target} instances", memo=before)


def check_scale(ctx: WorkerContext, run: RunbookRun, name: str, target: int) -> tuple[str, StepOutcome | None]:
    """A drill's look at a scale: the group read fresh and the change planned (limits, autoscalers), not made.
    Returns what would change, or the outcome when it would fail."""
    try:
        group = group_now(ctx, name)
        count = group.count or 0
        if count != target:
            ctx.provider.plan(
                ActionRequest.on(group, ActionName.SCALE, requested_by=run.request.requested_by, desired_count=target)
            )
    except ProviderError as exc:
        return "", StepOutcome(status="failed", detail=f"would fail: {_line(exc)}")
    return f"would scale {name} {count} -> {target}", None


def dns_switch(ctx: WorkerContext, target: DnsTarget) -> DnsSwitch:
    """The switch for `target`'s cloud (the context builds them once, on first use)."""
    switch = ctx.dr.dns().get(target.cloud)
    if switch is None:
        cloud = target.cloud.value if target.cloud is not None else "the simulated world"
        raise ConfigError(f"no DNS switch for {cloud} ({target.zone}): configure that cloud's account")
    return switch


def place_for(run: RunbookRun, runbook: Runbook) -> str:
    """Where a switch sends the traffic: the standby on a failover, the primary on a failback."""
    return runbook.standby if runbook.kind == "failover" else runbook.primary


def switch_dns(ctx: WorkerContext, runbook: Runbook, place: str, memo: dict[str, str], *, drill: bool) -> StepOutcome:
    """The name to `place`; remembers where it pointed ("dns_before") and the change ("dns_change")."""
    target = _target(runbook)
    try:
        switch = dns_switch(ctx, target)
        state = switch.read(target)
        now = state.pointing[0] if state.pointing else "nowhere"
        before = {"dns_before": memo.get("dns_before", now)}
        if drill:
            if place not in target.places:
                return StepOutcome(status="failed", detail=f"would fail: {target.name} has no place {place}")
            return StepOutcome(status="done", detail=f"would point {target.name} at {place} (now {now})", memo=before)
        change = switch.point(target, place)
    except TransientProviderError as exc:
        return StepOutcome(status="waiting", detail=f"{_line(exc)}; trying again")
    except (ProviderError, ConfigError) as exc:
        return StepOutcome(status="failed", detail=_line(exc))
    detail = f"{target.name} -> {place} (was {before['dns_before']})"
    return StepOutcome(status="done", detail=detail, memo=before | {"dns_change": change})


def _target(runbook: Runbook) -> DnsTarget:
    if runbook.dns is None:  # the model refuses a switch_dns step without dns: a guard, not a user's case
        raise ConfigError(f"runbook {runbook.name} has no dns")
    return runbook.dns


def _line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


_quiet: Callable[[str], None] = lambda line: None  # noqa: E731 - the checklist shows the group's count instead
