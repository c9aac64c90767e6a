"""What an action on a real cloud will change, from the resources as last seen: the plan shown before the
confirmation, and the operation the worker carries out. Targets are absolute, so a finished request finds
nothing left to do."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from actions.catalogue import emergency_target
from actions.limits import AUTO_SCALING_GROUP, check_standby, check_target, emergency_cap, with_new_limits
from actions.provider import Plan, Resource
from actions.wording import CLOUD_LABELS, check_scale_target, head, per_hour, scale_plan
from core.errors import ProviderError
from core.models import ActionName, ActionRequest, Cloud

Power = Literal["start", "stop", "restart"]
_POWER: dict[ActionName, Power] = {
    ActionName.START: "start",
    ActionName.STOP: "stop",
    ActionName.RESTART: "restart",
    ActionName.SHUTDOWN: "stop",
}
_SCALING = (ActionName.SCALE, ActionName.EMERGENCY_SCALE)


@dataclass(frozen=True)
class Operation:
    """One cloud operation: set `target`'s power, or scale the group `target` to `count`."""

    target: Resource
    power: Power | None = None
    count: int | None = None
    plan: Plan | None = None  # None: already done (`done` says how it is)
    done: str = ""


def operation(
    request: ActionRequest,
    resource: Resource,
    destination: Resource | None = None,
    *,
    unclear: Collection[str] = (),
) -> Operation:
    """The operation `request` needs, given the resource (and a failover's standby) as they are now.
    `unclear`: ids of resources whose name does not name them alone (actions.naming); the plan names them
    by id too. Raises ProviderError with a plain sentence when it cannot be done at all."""
    if request.action is ActionName.FAILOVER:
        return _failover(resource, destination, unclear)
    by_id = resource.id in unclear
    if resource.kind == "group":
        group, limits = _new_limits(request, resource)
        if request.action in _SCALING:
            return _scale_request(request, group, limits, by_id)
        if request.action in (ActionName.STOP, ActionName.SHUTDOWN):
            # a group stops by going to 0
            return _scale(group, 0, emergency=False, note=f", shut down{limits}", unclear=by_id)
        if request.action is ActionName.START:
            raise ProviderError(f"{resource.name} is a group: scale it to the size it should run")
        raise ProviderError(f"{resource.name} is a group: restart its instances one by one")
    if request.action in _SCALING:
        raise ProviderError(f"{resource.name} is {_a(resource.kind)}: only groups scale")
    if resource.kind != "instance":
        raise ProviderError(f"{resource.name} is {_a(resource.kind)}: opsbot starts and stops instances only")
    return _power(resource, _POWER[request.action], by_id)


def _a(kind: str) -> str:
    word = kind.replace("_", " ")
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _new_limits(request: ActionRequest, group: Resource) -> tuple[Resource, str]:
    """The group with the limits `request` sets (the backend applies them with the scale). Only an Auto Scaling
    group's MinSize/MaxSize are changed from chat; a scale set's autoscale setting or a MIG's autoscaler are not."""
    if request.new_min_count is None and request.new_max_count is None:
        return group, ""
    if group.cloud is not Cloud.AWS or group.limits_from != AUTO_SCALING_GROUP:
        raise ProviderError(
            f"{group.name}'s limits are changed from chat on AWS groups only: "
            f"change them in {CLOUD_LABELS[group.cloud]} first"
        )
    changed, words = with_new_limits(group, request.new_min_count, request.new_max_count)
    if changed.min_count is None or changed.max_count is None:
        raise ProviderError(f"{group.name}'s limits are not known yet: try again after the next refresh")
    return changed.model_copy(update={"set_limits": (changed.min_count, changed.max_count)}), words


def _scale_request(request: ActionRequest, group: Resource, limits: str, unclear: bool) -> Operation:
    emergency = request.action is ActionName.EMERGENCY_SCALE
    target = request.desired_count
    if target is None:
        target = emergency_target(group.count or 0)
    if not emergency:
        return _scale(group, target, emergency=False, note=limits, unclear=unclear)
    target, capped = emergency_cap(group, target)
    note = f", capped at the group's maximum {target}" if capped else ""
    return _scale(group, target, emergency=True, note=note + limits, unclear=unclear)


def _scale(group: Resource, target: int, *, emergency: bool, note: str = "", unclear: bool = False) -> Operation:
    name, count = group.name, group.count or 0
    check_scale_target(name, target)
    if target == count:
        return Operation(target=group, count=target, done=f"{name} is already at {count} instances")
    check_target(group, target)
    delta = (target - count) * (group.unit_hourly_cost or 0.0)
    plan = scale_plan(group, target, delta, emergency=emergency, note=note, unclear=unclear)
    return Operation(target=group, count=target, plan=plan)


def _power(instance: Resource, power: Power, unclear: bool) -> Operation:
    name, state = instance.name, instance.state
    if power == "start" and state == "running":
        return Operation(target=instance, power=power, done=f"{name} is already running")
    if power == "stop" and state == "stopped":
        return Operation(target=instance, power=power, done=f"{name} is already stopped")
    if power == "restart" and state != "running":
        raise ProviderError(f"{name} is {state}: start it instead")
    delta = {"start": instance.hourly_cost, "stop": -instance.hourly_cost, "restart": 0.0}[power]
    after = {"start": "running", "stop": "stopped", "restart": "running (restarted)"}[power]
    words = {"start": f"{state} -> running", "stop": f"{state} -> stopped", "restart": "restart, a short outage"}
    plan = Plan(
        summary=f"{head(instance, unclear=unclear)}: {words[power]}{per_hour(delta)}",
        before=state,
        after=after,
        instances_affected=1,
        cost_delta_per_hour=round(delta, 4),
    )
    return Operation(target=instance, power=power, plan=plan)


def _failover(source: Resource, standby: Resource | None, unclear: Collection[str]) -> Operation:
    if standby is None:
        raise ProviderError(f"{source.name} has no DR standby to fail over to.")
    if source.kind != "group" or standby.kind != "group":
        raise ProviderError(f"{source.name} cannot fail over: only groups with a standby group can")
    wanted = max(source.count or 0, standby.count or 0, 1)  # a failover never takes capacity from the standby
    if wanted != (standby.count or 0):
        check_standby(standby, source, wanted)
    scaled = _scale(standby, wanted, emergency=False)
    if scaled.plan is None:
        return Operation(target=standby, count=wanted, done=f"{standby.name} already runs {wanted} instances")
    heads = f"{head(source, unclear=source.id in unclear)} -> {head(standby, unclear=standby.id in unclear)}"
    plan = scaled.plan.model_copy(
        update={"summary": f"{heads}: {standby.name} {scaled.plan.before.split()[0]}"
                f" -> {wanted} instances{per_hour(scaled.plan.cost_delta_per_hour)}"}
    )  # fmt: skip
    return Operation(target=standby, count=wanted, plan=plan)
