"""Which change a request makes: checks that apply to every action, then the kind-specific rules."""

from __future__ import annotations

from dataclasses import replace

from actions.simulated import group_changes
from actions.simulated.changes import Change, refuse, single_power
from actions.simulated.world import WorldView
from actions.wording import where
from core.errors import ProviderError
from core.models import ActionName, ActionRequest

_SCALING = (ActionName.SCALE, ActionName.EMERGENCY_SCALE)


def prepare(request: ActionRequest, world: WorldView, seed: int) -> Change:
    """The change `request` makes to `world`. Raises ProviderError (a plain sentence) if it cannot be done."""
    resource = world.find(request.resource_id)
    if (resource.cloud, resource.region) != (request.cloud, request.region):
        raise ProviderError(
            f"{resource.name} is in {where(resource.cloud, resource.region)}, "
            f"not {where(request.cloud, request.region)}"
        )
    if request.action is ActionName.FAILOVER:
        change = group_changes.failover(request, resource, world, seed)
    elif resource.kind == "group" and request.action in _SCALING:
        change = group_changes.scale(request, resource, world, seed)
    elif resource.kind == "group":
        change = group_changes.power(request, resource, world)
    elif request.action in _SCALING:
        raise refuse(resource, request.action)
    else:
        group = world.by_name.get(resource.group) if resource.group else None
        siblings = world.members_of(group) if group is not None else ()
        change = single_power(request, resource, group, siblings)
    # Only what really differs is written: re-running a finished request writes nothing.
    writes = {rid: new for rid, new in change.writes.items() if world.by_id.get(rid) != new}
    return replace(change, writes=writes)
