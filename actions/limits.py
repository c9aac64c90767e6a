"""A group's own capacity limits, as its cloud sets them (an Auto Scaling group's MinSize/MaxSize, a scale set's
autoscale profile, a MIG's autoscaler): a plan that crosses them is refused before anyone is asked to confirm,
in one line naming the limit and what to do, because the cloud would refuse it after the confirmation anyway."""

from __future__ import annotations

from actions.catalogue import MAX_GROUP_SIZE
from actions.provider import Resource
from actions.wording import CLOUD_LABELS
from core.errors import ProviderError

# Who sets a group's limits, as replies name it. An Auto Scaling group's MinSize/MaxSize can be changed with the
# scale (UpdateAutoScalingGroup); a zonal managed instance group whose autoscaler is on takes no manual resize at
# all (HTTP 412 conditionNotMet).
AUTO_SCALING_GROUP = "Auto Scaling group"
AUTOSCALER = "autoscaler"


def _source(group: Resource) -> str:
    return group.limits_from or "group limit"


def _cloud(group: Resource) -> str:
    return CLOUD_LABELS[group.cloud]


def check_target(group: Resource, target: int) -> None:
    """Raise ProviderError when `target` instances lie outside the group's own [min, max]."""
    name, low, high = group.name, group.min_count, group.max_count
    if high is not None and target > high:
        raise ProviderError(
            f"{name}'s maximum is {high} ({_source(group)}): ask for {high} or less, "
            f"or raise the maximum in {_cloud(group)} first"
        )
    if low is not None and target < low:
        if target == 0:
            raise ProviderError(
                f"{name}'s minimum is {low} ({_source(group)}): it cannot go to 0 - "
                f"lower the minimum in {_cloud(group)} first"
            )
        raise ProviderError(
            f"{name}'s minimum is {low} ({_source(group)}): ask for {low} or more, "
            f"or lower the minimum in {_cloud(group)} first"
        )
    if group.limits_from == AUTOSCALER and target != (group.count or 0):
        bounds = f"{low}-{high}" if low is not None and high is not None else "on"
        raise ProviderError(
            f"{name} is sized by its autoscaler ({bounds}): change the autoscaler's minimum or maximum "
            f"in {_cloud(group)} instead"
        )


def check_standby(standby: Resource, primary: Resource, target: int) -> None:
    """Raise ProviderError when a failover cannot bring `standby` to `target` instances (the primary's size):
    above its maximum, the standby must be raised first; other limits as for any scale."""
    high = standby.max_count
    if high is not None and target > high:
        raise ProviderError(
            f"{standby.name}'s maximum is {high} ({_source(standby)}), {primary.name} runs {target}: "
            f"raise {standby.name}'s maximum in {_cloud(standby)} first"
        )
    check_target(standby, target)


def with_new_limits(group: Resource, new_min: int | None, new_max: int | None) -> tuple[Resource, str]:
    """The group as it will be once a request has changed its limits, and how the plan says so (", max 10 ->
    20"). Unchanged limits: the group itself and no words."""
    if new_min is None and new_max is None:
        return group, ""
    low = group.min_count if new_min is None else new_min
    high = group.max_count if new_max is None else new_max
    if high is not None and high > MAX_GROUP_SIZE:
        raise ProviderError(f"{group.name} cannot have a maximum above {MAX_GROUP_SIZE}")
    if low is not None and high is not None and low > high:
        raise ProviderError(f"{group.name} cannot have a minimum of {low} above its maximum of {high}")
    words = [
        f", {label} {'none' if old is None else old} -> {new}"
        for label, old, new in (("min", group.min_count, new_min), ("max", group.max_count, new_max))
        if new is not None and new != old
    ]
    return group.model_copy(update={"min_count": low, "max_count": high}), "".join(words)


def emergency_cap(group: Resource, wanted: int) -> tuple[int, bool]:
    """The size an emergency scale goes to: `wanted`, or the group's maximum when `wanted` is above it (then
    True). Refused when the group already runs at its maximum: there is nothing to add."""
    count, high = group.count or 0, group.max_count
    if high is None or wanted <= high:
        return wanted, False
    if count >= high:
        raise ProviderError(
            f"{group.name} is already at its maximum {high} ({_source(group)}): "
            f"raise the maximum in {_cloud(group)} first"
        )
    return high, True
