"""Start, stop and restart (reset) one instance, waiting for its operation and then for its status."""

from __future__ import annotations

from collections.abc import Callable

from google.cloud import compute_v1

from actions.gcp.api import GcpApi
from actions.gcp.ids import GcpRef
from actions.gcp.operations import seconds, wait_operation
from actions.gcp.resources import instance_resource
from actions.provider import ProgressCallback, Resource
from actions.waiting import ChangedLines, Wait
from core.errors import ProviderError

# action -> (progress word, the status that ends the wait)
ACTIONS = {"start": ("starting", "RUNNING"), "stop": ("stopping", "TERMINATED"), "restart": ("restarting", "RUNNING")}


def get_instance(api: GcpApi, endpoint: str, ref: GcpRef, default_env: str | None) -> Resource:
    return instance_resource(ref.project, ref.zone, _read(api, endpoint, ref), default_env)


def _read(api: GcpApi, endpoint: str, ref: GcpRef) -> compute_v1.Instance:
    def get() -> compute_v1.Instance:
        return api.clients.instances.get(
            project=ref.project, zone=ref.zone, instance=ref.name, retry=None, timeout=api.timeout
        )

    return api.call(endpoint, ref.project, ref.name, get)


def _operation(api: GcpApi, ref: GcpRef, action: str) -> Callable[[], compute_v1.Operation]:
    def begin() -> compute_v1.Operation:
        client = api.clients.instances
        method = {"start": client.start_unary, "stop": client.stop_unary, "restart": client.reset_unary}[action]
        return method(project=ref.project, zone=ref.zone, instance=ref.name, retry=None, timeout=api.timeout)

    return begin


def set_power(api: GcpApi, endpoint: str, ref: GcpRef, action: str, progress: ProgressCallback,
              wait: Wait, default_env: str | None) -> Resource:  # fmt: skip
    if action not in ACTIONS:
        raise ProviderError(f"{ref.name}: {action[:20]} is not a power action (start, stop or restart).")
    word, target = ACTIONS[action]
    lines = ChangedLines(progress, f"{ref.name}: {word}")
    op = api.call(endpoint, ref.project, ref.name, _operation(api, ref, action))
    wait_operation(api, endpoint, ref, op, action, wait)

    def observe() -> tuple[compute_v1.Instance, Resource]:
        instance = _read(api, endpoint, ref)
        found = instance_resource(ref.project, ref.zone, instance, default_env)
        lines(f"{ref.name}: {found.state}")
        return instance, found

    _, found = wait.until(
        observe,
        lambda seen: seen[0].status == target,
        lambda seen: f"{ref.name} is still {seen[1].state} after {seconds(wait.seconds)} s; check show {ref.name}",
    )
    return found
