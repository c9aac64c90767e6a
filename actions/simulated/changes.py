"""What an action does to the simulated world, as a pure function of one world version: the plan shown
before confirmation, the overlay writes, the progress lines and the outcome. Targets are absolute, so
preparing the same request against its own result finds nothing left to do (idempotence)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from actions.provider import Plan, Resource
from actions.simulated.groups import FRESH_CPU, refreshed_group
from actions.simulated.prices import hourly_price
from actions.wording import head, per_hour
from core.errors import ProviderError
from core.models import ActionName, ActionRequest

KIND_WORDS = {"disk": "a disk", "database": "a database", "load_balancer": "a load balancer", "group": "a group"}
PAST = {
    ActionName.SCALE: "scaled",
    ActionName.EMERGENCY_SCALE: "scaled",
    ActionName.START: "started",
    ActionName.STOP: "stopped",
    ActionName.RESTART: "restarted",
    ActionName.SHUTDOWN: "shut down",
    ActionName.FAILOVER: "failed over",
}
UP_STATE = {"instance": "running", "database": "available"}


@dataclass(frozen=True)
class Change:
    plan: Plan
    result: Resource  # the resource the user asked about, after the change
    outcome: str  # "web-prod is at 20 instances"
    steps: tuple[str, ...] = ()  # progress lines, one per simulated step
    writes: dict[str, Resource | None] = field(default_factory=dict)  # overlay: id -> resource, None = removed
    already: str | None = None  # set when the world is already as requested: why nothing will be done


def progress_points(total: int, steps: int = 4) -> list[int]:
    """A few evenly spaced counts ending at `total`: 8 -> [2, 4, 6, 8]."""
    steps = max(1, min(steps, total))
    return sorted({round(total * i / steps) for i in range(1, steps + 1)})


def refuse(resource: Resource, action: ActionName) -> ProviderError:
    """The plain sentence for an action this kind of resource does not support."""
    if resource.kind == "instance":
        if resource.group is not None and action in (ActionName.SCALE, ActionName.EMERGENCY_SCALE):
            return ProviderError(f"{resource.name} is an instance of {resource.group}: scale {resource.group} instead")
        what = "a single VM"
    else:
        what = KIND_WORDS.get(resource.kind, f"a {resource.kind}")
    verb = "fail over" if action is ActionName.FAILOVER else f"be {PAST[action]}"
    return ProviderError(f"{resource.name} is {what}: it cannot {verb}")


def single_power(
    request: ActionRequest, resource: Resource, group: Resource | None, siblings: Sequence[Resource]
) -> Change:
    """start / stop / shutdown / restart of one VM or database (a group member also updates its group)."""
    action, name = request.action, resource.name
    up_state = UP_STATE.get(resource.kind)
    if up_state is None:
        raise refuse(resource, action)
    stopped = resource.state == "stopped"
    if group is not None:
        unit = group.unit_hourly_cost or 0.0
    else:
        unit = hourly_price(resource.cloud, resource.kind, resource.size)
    if action is ActionName.START:
        new, already = resource.model_copy(update={"state": up_state, "hourly_cost": unit, "cpu": FRESH_CPU}), None
        if not stopped:
            already = f"{name} is already {resource.state}"
        summary, outcome = f"{head(resource)}: start{per_hour(unit)}", f"{name} is {up_state}"
        steps: tuple[str, ...] = (f"{name}: starting", f"{name}: {up_state}")
    elif action is ActionName.RESTART:
        if stopped:
            raise ProviderError(f"{name} is stopped: start it instead")
        minutes = 2 if resource.kind == "database" or resource.tags.get("role", "").startswith("database") else 1
        cpu = resource.cpu if resource.state == up_state and resource.cpu else FRESH_CPU  # a sick VM cools down
        new, already = resource.model_copy(update={"state": up_state, "cpu": cpu}), None
        summary = f"{head(resource)}: restart, about {minutes} min of downtime"
        outcome = f"{name} restarted and is {up_state}"
        steps = (f"{name}: stopping", f"{name}: starting", f"{name}: {up_state} again")
    else:  # stop and shutdown both leave it stopped; shutdown is the critical, no-questions variant
        word = "shut down" if action is ActionName.SHUTDOWN else "stop"
        new = resource.model_copy(update={"state": "stopped", "hourly_cost": 0.0, "cpu": ()})
        already = f"{name} is already stopped" if stopped else None
        summary = f"{head(resource)}: {word}{per_hour(-resource.hourly_cost)}"
        outcome = f"{name} is {'shut down' if action is ActionName.SHUTDOWN else 'stopped'}"
        steps = (f"{name}: stopping", f"{name}: stopped")
    if already:
        new = resource
    writes: dict[str, Resource | None] = {} if already else {resource.id: new}
    if group is not None and not already:
        members = [new if m.id == resource.id else m for m in siblings]
        writes[group.id] = refreshed_group(group, members)
    delta = new.hourly_cost - resource.hourly_cost
    plan = Plan(
        summary=summary,
        before=resource.state,
        after=new.state,
        instances_affected=1,
        cost_delta_per_hour=round(delta, 4),
    )
    return Change(plan=plan, result=new, outcome=outcome, steps=steps, writes=writes, already=already)
