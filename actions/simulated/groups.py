"""Groups and their member instances. Member names and ids are derived from (seed, group, index) so that
scaling a group to N always yields the same N members, in every process: that makes scaling idempotent."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence

from actions.provider import Resource
from core.models import Cloud

# What a just-launched instance reports before it takes load.
FRESH_CPU = (3.0, 12.5, 8.0, 6.5, 5.0, 5.5, 6.0, 5.0, 4.5, 5.0, 5.5, 5.0)
_NATIVE_GROUP = {Cloud.AWS: "asg", Cloud.AZURE: "vmss", Cloud.GCP: "mig"}


def _digest(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def group_id(cloud: Cloud, region: str, name: str) -> str:
    return f"{cloud}:{region}:{_NATIVE_GROUP[cloud]}/{name}"


def member_names(seed: int, group: str, count: int) -> list[str]:
    """The names of a group's first `count` members ("web-prod-a3f9"), in order."""
    names: list[str] = []
    taken: set[str] = set()
    for index in range(count):
        salt = 0
        while True:
            name = f"{group}-{_digest(seed, group, index, salt)[:4]}"
            if name not in taken:
                break
            salt += 1
        taken.add(name)
        names.append(name)
    return names


def instance_id(seed: int, cloud: Cloud, region: str, name: str) -> str:
    """A provider-shaped id: 'aws:us-east-1:i-0abc…', 'azure:westeurope:vm/web-dr-1a2b'."""
    if cloud is Cloud.AWS:
        return f"aws:{region}:i-0{_digest(seed, name)[:16]}"
    return f"{cloud}:{region}:vm/{name}"


def new_member(seed: int, group: Resource, name: str, *, state: str = "running") -> Resource:
    """A member instance as the group launches it: the group's type, tags and recent load."""
    unit = group.unit_hourly_cost or 0.0
    tags = {k: v for k, v in group.tags.items() if k in ("service", "team", "env", "owner")}
    return Resource(
        id=instance_id(seed, group.cloud, group.region, name),
        name=name,
        cloud=group.cloud,
        kind="instance",
        region=group.region,
        environment=group.environment,
        state=state,
        size=group.size,
        hourly_cost=0.0 if state == "stopped" else unit,
        tags=tags,
        cpu=(group.cpu or FRESH_CPU) if state != "stopped" else (),
        group=group.name,
        version=group.version,  # launched from the group's model, so on its release
    )


def group_state(member_states: Sequence[str], environment: str) -> str:
    """A group is as healthy as its worst member; an empty group is a standby (DR) or stopped."""
    if not member_states:
        return "standby" if environment == "dr" else "stopped"
    if "degraded" in member_states:
        return "degraded"
    if all(state == "stopped" for state in member_states):
        return "stopped"
    return "running"


def mean_cpu(members: Sequence[Resource]) -> tuple[float, ...]:
    """A group's load: the sample-by-sample mean of its members that report CPU."""
    series = [m.cpu for m in members if m.cpu]
    if not series:
        return ()
    return tuple(round(sum(samples) / len(series), 1) for samples in zip(*series, strict=False))


def refreshed_group(group: Resource, members: Sequence[Resource]) -> Resource:
    """The group with count, cost, state and load recomputed from its members."""
    return group.model_copy(
        update={
            "count": len(members),
            "hourly_cost": round(sum(m.hourly_cost for m in members), 4),
            "state": group_state([m.state for m in members], group.environment),
            "cpu": mean_cpu(members),
        }
    )


def versioned(
    group: Resource, members: Sequence[Resource], version: str, names: Collection[str] | None = None
) -> dict[str, Resource]:
    """The overlay writes that put `version` on the members called `names` (all of them when None; then the
    group's model says `version` too). A member or group already on it is not written again."""
    chosen = [m for m in members if names is None or m.name in names]
    writes = {m.id: m.model_copy(update={"version": version}) for m in chosen if m.version != version}
    if names is None and group.version != version:
        writes[group.id] = group.model_copy(update={"version": version})
    return writes
