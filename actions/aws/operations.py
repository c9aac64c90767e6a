"""Start/stop/restart an instance and scale a group: make the AWS call, then poll (`actions.waiting`) until AWS
reports the target state, reporting each change as one short line. Running out of time raises `ProviderTimeout`
naming the state the resource stopped in, so the on-call engineer knows where it got to."""

from __future__ import annotations

from actions.aws.api import Record, ScopeApi
from actions.aws.inventory import group_resource, group_type, in_service, instance_resource, members_left, state_word
from actions.provider import ProgressCallback, Resource
from actions.waiting import ChangedLines, Wait
from core.errors import ProviderError, ResourceNotFound

POWER_ACTIONS = ("start", "stop", "restart")
_TARGET = {"start": "running", "stop": "stopped", "restart": "running"}
_UNDERWAY = {"start": "starting", "stop": "stopping", "restart": "restarting"}


def local_id(resource: Resource) -> str:
    """'aws:prod:us-east-1:i-0abc' -> 'i-0abc'; 'aws:prod:us-east-1:asg/web-prod' -> 'asg/web-prod'."""
    return resource.id.split(":", 3)[3]


def set_power(api: ScopeApi, resource: Resource, action: str, progress: ProgressCallback, wait: Wait) -> Resource:
    if resource.kind == "group":
        raise ProviderError(f"{resource.name} is a group: scale it instead")
    if resource.kind != "instance":
        raise ProviderError(f"{resource.name} is a {resource.kind}: only instances can be started or stopped")
    if action not in POWER_ACTIONS:
        raise ProviderError(f"{action} is not a power action; use start, stop or restart")
    instance_id, name, target = local_id(resource), resource.name, _TARGET[action]

    def poll() -> Record:
        found = api.instances([instance_id])
        if not found:
            raise ResourceNotFound(f"{name} was not found in AWS {api.account.name} {api.region}")
        return found[0]

    def state(record: Record) -> str:
        return state_word(str(record["State"]["Name"]))

    api.power(instance_id, action)
    lines = ChangedLines(progress, f"{name}: {_UNDERWAY[action]}")

    def observe() -> Record:
        record = poll()
        lines(f"{name}: {state(record)}")
        return record

    record = wait.until(
        observe,
        lambda r: r["State"]["Name"] == target,
        lambda r: f"{name} is still {state(r)} after {wait.seconds:g} s; check show {name}",
    )
    return instance_resource(api.scope, record, cpu=resource.cpu)


def scale(api: ScopeApi, group: Resource, count: int, progress: ProgressCallback, wait: Wait) -> Resource:
    if group.kind != "group":
        raise ProviderError(f"{group.name} is not a group: only groups can be scaled")
    if count < 0:
        raise ProviderError(f"{group.name} cannot have {count} instances")
    name = group.name

    def poll() -> Record:
        found = api.groups([name])
        if not found:
            raise ResourceNotFound(f"{name} was not found in AWS {api.account.name} {api.region}")
        return found[0]

    before = int(poll().get("DesiredCapacity", 0))
    growing = count >= before

    def reached(g: Record) -> int:
        return in_service(g) if growing else members_left(g)

    def done(g: Record) -> bool:
        return reached(g) >= count if growing else reached(g) <= count

    def late(g: Record) -> str:
        if growing:
            return f"{name} reached {reached(g)} of {count} instances in {wait.seconds:g} s; check show {name}"
        return f"{name} still has {reached(g)} instances, not {count}, after {wait.seconds:g} s; check show {name}"

    api.set_desired_capacity(name, count)
    lines = ChangedLines(progress, f"{name}: {before} -> {count} instances")

    def observe() -> Record:
        g = poll()
        lines(f"{name}: {reached(g)}/{count} instances running" if growing
              else f"{name}: {reached(g)} instances, going down to {count}")  # fmt: skip
        return g

    record = wait.until(observe, done, late)
    return group_resource(api.scope, record, group_type(record) or group.size, cpu=group.cpu)
