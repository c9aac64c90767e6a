"""Start/stop/restart an instance and scale a group: make the AWS call, then poll until AWS reports the target
state, reporting each change as one short line. Running out of time raises `ProviderTimeout` naming the state
the resource stopped in, so the on-call engineer knows where it got to."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from actions.aws.api import Record, ScopeApi
from actions.aws.inventory import group_resource, group_type, in_service, instance_resource, members_left, state_word
from actions.provider import ProgressCallback, Resource
from core.errors import ProviderError, ProviderTimeout, ResourceNotFound

POWER_ACTIONS = ("start", "stop", "restart")
_TARGET = {"start": "running", "stop": "stopped", "restart": "running"}
_UNDERWAY = {"start": "starting", "stop": "stopping", "restart": "restarting"}

T = TypeVar("T")


def wait_until(
    poll: Callable[[], T],
    done: Callable[[T], bool],
    line: Callable[[T], str],
    on_timeout: Callable[[T], str],
    *,
    progress: ProgressCallback,
    first_line: str,
    timeout: float,
    poll_seconds: float,
) -> T:
    """Poll until `done`; report `line` whenever it changes; raise ProviderTimeout(on_timeout(last)) at the end."""
    deadline = time.monotonic() + timeout
    last_line = first_line
    progress(first_line)
    while True:
        observed = poll()
        text = line(observed)
        if text != last_line:
            progress(text)
            last_line = text
        if done(observed):
            return observed
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProviderTimeout(on_timeout(observed))
        time.sleep(min(poll_seconds, remaining))


def local_id(resource: Resource) -> str:
    """'aws:prod:us-east-1:i-0abc' -> 'i-0abc'; 'aws:prod:us-east-1:asg/web-prod' -> 'asg/web-prod'."""
    return resource.id.split(":", 3)[3]


def set_power(
    api: ScopeApi, resource: Resource, action: str, progress: ProgressCallback, timeout: float, poll_seconds: float
) -> Resource:
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
    record = wait_until(
        poll,
        lambda r: r["State"]["Name"] == target,
        lambda r: f"{name}: {state(r)}",
        lambda r: f"{name} is still {state(r)} after {timeout:g} s; check show {name}",
        progress=progress,
        first_line=f"{name}: {_UNDERWAY[action]}",
        timeout=timeout,
        poll_seconds=poll_seconds,
    )
    return instance_resource(api.scope, record, cpu=resource.cpu)


def scale(
    api: ScopeApi, group: Resource, count: int, progress: ProgressCallback, timeout: float, poll_seconds: float
) -> Resource:
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

    def line(g: Record) -> str:
        if growing:
            return f"{name}: {reached(g)}/{count} instances running"
        return f"{name}: {reached(g)} instances, going down to {count}"

    def late(g: Record) -> str:
        if growing:
            return f"{name} reached {reached(g)} of {count} instances in {timeout:g} s; check show {name}"
        return f"{name} still has {reached(g)} instances, not {count}, after {timeout:g} s; check show {name}"

    api.set_desired_capacity(name, count)
    record = wait_until(
        poll,
        done,
        line,
        late,
        progress=progress,
        first_line=f"{name}: {before} -> {count} instances",
        timeout=timeout,
        poll_seconds=poll_seconds,
    )
    return group_resource(api.scope, record, group_type(record) or group.size, cpu=group.cpu)
