"""Changes to groups: scale (and emergency scale), start / stop / shutdown / restart, failover to a standby."""

from __future__ import annotations

from collections.abc import Sequence

from actions.catalogue import emergency_target
from actions.limits import check_standby, check_target, emergency_cap, with_new_limits
from actions.provider import Plan, Resource
from actions.simulated.changes import Change, progress_points, refuse
from actions.simulated.groups import FRESH_CPU, member_names, new_member, refreshed_group
from actions.simulated.world import WorldView
from actions.wording import check_scale_target, head, per_hour, scale_plan
from core.errors import ProviderError
from core.models import ActionName, ActionRequest


def resize(
    seed: int, group: Resource, members: Sequence[Resource], target: int
) -> tuple[list[Resource], dict[str, Resource | None]]:
    """The group's members at `target`, and the overlay writes that get there. Members have fixed names per
    index, so growing re-creates exactly the instances that shrinking removed."""
    names = member_names(seed, group.name, target)
    existing = {m.name: m for m in members}
    kept = [existing.get(name) or new_member(seed, group, name) for name in names]
    writes: dict[str, Resource | None] = {m.id: m for m in kept if m.name not in existing}
    wanted = set(names)
    writes.update({m.id: None for m in members if m.name not in wanted})
    return kept, writes


def scale(request: ActionRequest, group: Resource, world: WorldView, seed: int) -> Change:
    group, limits = with_new_limits(group, request.new_min_count, request.new_max_count)
    name, count = group.name, group.count or 0
    target = request.desired_count
    emergency = request.action is ActionName.EMERGENCY_SCALE
    if target is None:
        if not emergency:
            raise ProviderError(f"say how many instances {name} should have")
        target = emergency_target(count)
    capped = False
    if emergency:
        target, capped = emergency_cap(group, target)
    check_scale_target(name, target)
    if target != count:
        check_target(group, target)
    if group.state == "stopped" and count > 0:
        raise ProviderError(f"{name} is stopped: start it first")
    members, writes = resize(seed, group, world.members_of(group), target)
    after = refreshed_group(group, members)
    writes[group.id] = after
    delta = after.hourly_cost - group.hourly_cost
    if target >= count:
        steps = tuple(f"{name}: {count + k}/{target} instances running" for k in progress_points(target - count))
    else:
        steps = tuple(f"{name}: {k}/{count - target} instances removed" for k in progress_points(count - target))
    return Change(
        plan=scale_plan(group, target, delta, emergency=emergency, note=(_capped(target) if capped else "") + limits),
        result=after,
        outcome=f"{name} is at {target} instances",
        steps=steps,
        writes=writes,
        already=f"{name} is already at {count} instances" if target == count else None,
    )


def _capped(maximum: int) -> str:
    return f", capped at the group's maximum {maximum}"


def power(request: ActionRequest, group: Resource, world: WorldView) -> Change:
    """start / stop / shutdown / restart of every instance in a group. Stopping or shutting down leaves it no
    instance running, which a group with a minimum does not allow."""
    group, limits = with_new_limits(group, request.new_min_count, request.new_max_count)
    action, name = request.action, group.name
    if action in (ActionName.STOP, ActionName.SHUTDOWN) and (group.min_count or 0) > 0:
        check_target(group, 0)
    members = list(world.members_of(group))
    unit = group.unit_hourly_cost or 0.0
    running = {"state": "running", "hourly_cost": unit, "cpu": group.cpu or FRESH_CPU}
    already: str | None = None
    writes: dict[str, Resource | None] = {}
    if action is ActionName.START:
        if not members:
            raise ProviderError(f"{name} has no instances: scale it instead")
        todo = [m for m in members if m.state == "stopped"]
        writes.update({m.id: m.model_copy(update=running) for m in todo})
        summary, done, outcome = (
            f"start {len(todo)} instances",
            "started",
            f"{name} is running {len(members)} instances",
        )
        already = None if todo else f"{name} is already running"
    elif action is ActionName.STOP:
        todo = [m for m in members if m.state != "stopped"]
        writes.update({m.id: m.model_copy(update={"state": "stopped", "hourly_cost": 0.0, "cpu": ()}) for m in todo})
        summary, done, outcome = f"stop {len(todo)} instances", "stopped", f"{name} is stopped"
        already = None if todo else f"{name} is already stopped"
    elif action is ActionName.SHUTDOWN:
        todo = members
        writes.update({m.id: None for m in todo})
        summary, done, outcome = f"shut down all {len(todo)} instances", "shut down", f"{name} is shut down"
        already = None if todo else f"{name} is already shut down"
    else:
        todo = [m for m in members if m.state != "stopped"]
        if not todo:
            raise ProviderError(f"{name} is stopped: start it instead")
        writes.update({m.id: m.model_copy(update=running) for m in todo if m.state != "running"})
        summary, done = f"rolling restart of {len(todo)} instances, no downtime", "restarted"
        outcome = f"{name} restarted: {len(todo)} instances running"
    after_members = [new for m in members if (new := writes.get(m.id, m)) is not None]
    after = refreshed_group(group, after_members)
    writes[group.id] = after
    delta = after.hourly_cost - group.hourly_cost
    cost = "" if action is ActionName.RESTART else per_hour(delta)
    return Change(
        plan=Plan(
            summary=f"{head(group)}: {summary}{limits}{cost}",
            before=f"{group.state}, {group.count or 0} instances",
            after=f"{after.state}, {after.count or 0} instances",
            instances_affected=len(todo),
            cost_delta_per_hour=round(delta, 4),
        ),
        result=after,
        outcome=outcome,
        steps=tuple(f"{name}: {k}/{len(todo)} instances {done}" for k in progress_points(len(todo))),
        writes=writes,
        already=already,
    )


def failover(request: ActionRequest, primary: Resource, world: WorldView, seed: int) -> Change:
    """Bring the standby up to the primary's size and move the traffic to it. The primary keeps running."""
    name = primary.name
    if primary.kind != "group":
        raise refuse(primary, ActionName.FAILOVER)
    if request.destination_id:
        standby = world.find(request.destination_id)
    elif primary.standby:
        standby = world.find(primary.standby)
    else:
        raise ProviderError(f"{name} has no standby: it cannot fail over")
    if standby.kind != "group" or standby.id == primary.id:
        raise ProviderError(f"{standby.name} cannot take over from {name}")
    current = standby.count or 0
    target = max(current, primary.count or 0)
    if target == 0:
        raise ProviderError(f"{name} has no instances: there is nothing to fail over")
    if target != current:
        check_standby(standby, primary, target)
    members, writes = resize(seed, standby, world.members_of(standby), target)
    members = [m if m.state != "stopped" else new_member(seed, standby, m.name) for m in members]
    writes.update({m.id: m for m in members if world.by_id.get(m.id) != m})
    after = refreshed_group(standby, members)
    after = after.model_copy(update={"tags": {**after.tags, "traffic": "serving"}})
    writes[standby.id] = after
    writes[primary.id] = primary.model_copy(update={"tags": {**primary.tags, "traffic": "drained"}})
    serving = standby.tags.get("traffic") == "serving" and primary.tags.get("traffic") != "serving"
    sname, delta = standby.name, after.hourly_cost - standby.hourly_cost
    grow = f"{sname} {current} -> {target} instances" if target > current else f"{sname} at {target} instances"
    steps = [f"{sname}: {current + k}/{target} instances running" for k in progress_points(target - current)]
    return Change(
        plan=Plan(
            summary=f"{head(primary)} -> {head(standby)}: {grow}, traffic moves to {sname}",
            before=f"traffic on {name}",
            after=f"traffic on {sname} ({target} instances)",
            instances_affected=(target - current) + (primary.count or 0),
            cost_delta_per_hour=round(delta, 4),
        ),
        result=after,
        outcome=f"{sname} serves {name}'s traffic with {target} instances",
        steps=(*steps, f"{name}: traffic moving to {sname}"),
        writes=writes,
        already=f"{sname} already serves {name}'s traffic" if serving and target == current else None,
    )
