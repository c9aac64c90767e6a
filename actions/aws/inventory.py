"""botocore records -> `Resource`s, following the backends' shared conventions (names, environment, standby,
group membership, state words, list prices). Pure functions: no calls, so they are cheap to test and to run on
thousands of records."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from actions.aws import prices
from actions.aws.api import CpuSamples, Record
from actions.backend import Scope
from actions.limits import AUTO_SCALING_GROUP
from actions.provider import Resource
from core.models import Cloud

GROUP_TAG = "aws:autoscaling:groupName"
STANDBY_TAG = "opsbot-standby"
ENVIRONMENT_KEYS = ("environment", "env")
DEFAULT_ENVIRONMENT = "prod"  # unknown is treated as prod: the strictest policies apply
CPU_SAMPLES_KEPT = 6
_EC2_STATES = {"pending": "starting", "shutting-down": "terminating"}
_LEAVING = frozenset({"Terminating", "Terminating:Wait", "Terminating:Proceed", "Terminated", "Detaching", "Detached"})


def instance_id_of(scope: Scope, instance_id: str) -> str:
    return f"{scope.key}:{instance_id}"


def group_id_of(scope: Scope, name: str) -> str:
    return f"{scope.key}:asg/{name}"


def tags_of(record: Record) -> dict[str, str]:
    return {str(tag["Key"]): str(tag.get("Value", "")) for tag in record.get("Tags") or ()}


def environment_of(tags: dict[str, str], scope: Scope) -> str:
    """`environment` (any case of the key) before `env`, then the account's default, then prod."""
    by_key = {key.lower(): value for key, value in tags.items() if value}
    for key in ENVIRONMENT_KEYS:
        if key in by_key:
            return by_key[key].lower()
    return scope.environment or DEFAULT_ENVIRONMENT


def state_word(ec2_state: str) -> str:
    return _EC2_STATES.get(ec2_state, ec2_state)


def recent_cpu(points: Sequence[tuple[datetime, float]]) -> tuple[float, ...]:
    return tuple(round(value, 1) for _, value in points[-CPU_SAMPLES_KEPT:])


def group_cpu(members: Iterable[str], samples: CpuSamples) -> tuple[float, ...]:
    """Mean CPU of a group's members per sample time, oldest first."""
    by_time: defaultdict[datetime, list[float]] = defaultdict(list)
    for member in members:
        for timestamp, value in samples.get(member, ()):
            by_time[timestamp].append(value)
    points = sorted((timestamp, sum(values) / len(values)) for timestamp, values in by_time.items())
    return recent_cpu(points)


def instance_resource(scope: Scope, record: Record, cpu: tuple[float, ...] = ()) -> Resource:
    tags = tags_of(record)
    instance_type = str(record.get("InstanceType", ""))
    hourly = prices.instance_hourly(instance_type)
    return Resource(
        id=instance_id_of(scope, record["InstanceId"]),
        name=tags.get("Name") or record["InstanceId"],
        cloud=Cloud.AWS,
        kind="instance",
        region=scope.region,
        environment=environment_of(tags, scope),
        state=state_word(record["State"]["Name"]),
        size=instance_type,
        hourly_cost=hourly,
        unit_hourly_cost=hourly,
        tags=tags,
        cpu=cpu,
        group=tags.get(GROUP_TAG),
        standby=tags.get(STANDBY_TAG),
    )


def in_service(group: Record) -> int:
    return sum(1 for member in group.get("Instances", ()) if member.get("LifecycleState") == "InService")


def members_left(group: Record) -> int:
    """Instances still in the group, counting those launching but not those on their way out."""
    return sum(1 for member in group.get("Instances", ()) if member.get("LifecycleState") not in _LEAVING)


def group_state(group: Record) -> str:
    wanted = int(group.get("DesiredCapacity", 0))
    if wanted == 0:
        return "stopped"
    return "running" if in_service(group) >= wanted else "degraded"


def group_type(group: Record) -> str | None:
    """The instance type most members run; None for an empty group (then ask its launch template)."""
    types = Counter(str(m["InstanceType"]) for m in group.get("Instances", ()) if m.get("InstanceType"))
    return types.most_common(1)[0][0] if types else None


def _size(group: Record, key: str) -> int | None:
    value = group.get(key)
    return None if value is None else int(value)


def group_resource(scope: Scope, group: Record, instance_type: str, cpu: tuple[float, ...] = ()) -> Resource:
    tags = tags_of(group)
    name = str(group["AutoScalingGroupName"])
    count = int(group.get("DesiredCapacity", 0))
    unit = prices.instance_hourly(instance_type)
    return Resource(
        id=group_id_of(scope, name),
        name=name,
        cloud=Cloud.AWS,
        kind="group",
        region=scope.region,
        environment=environment_of(tags, scope),
        state=group_state(group),
        size=instance_type,
        count=count,
        min_count=_size(group, "MinSize"),
        max_count=_size(group, "MaxSize"),
        limits_from=AUTO_SCALING_GROUP,  # MinSize/MaxSize come with every group in describe_auto_scaling_groups
        hourly_cost=round(count * unit, 6),
        unit_hourly_cost=unit,
        tags=tags,
        cpu=cpu,
        standby=tags.get(STANDBY_TAG),
    )


def volume_resource(scope: Scope, volume: Record) -> Resource:
    tags = tags_of(volume)
    volume_type = str(volume.get("VolumeType", ""))
    size_gib = int(volume.get("Size", 0))
    return Resource(
        id=f"{scope.key}:{volume['VolumeId']}",
        name=tags.get("Name") or str(volume["VolumeId"]),
        cloud=Cloud.AWS,
        kind="disk",
        region=scope.region,
        environment=environment_of(tags, scope),
        state=str(volume.get("State", "")),  # the AWS word: available, in-use, creating...
        size=f"{size_gib} GiB {volume_type}".strip(),
        hourly_cost=prices.volume_hourly(volume_type, size_gib),
        tags=tags,
    )
