"""Start, stop and restart (reset) one instance, waiting for its operation and then for its status."""

from __future__ import annotations

from collections.abc import Callable

from google.cloud import compute_v1

from actions.gcp.api import GcpApi
from actions.gcp.ids import GcpRef
from actions.gcp.resources import instance_resource
from actions.gcp.waiting import Deadline, seconds, wait_operation
from actions.provider import ProgressCallback, Resource
from core.errors import ProviderError, ProviderTimeout

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
              deadline: Deadline, default_env: str | None) -> Resource:  # fmt: skip
    if action not in ACTIONS:
        raise ProviderError(f"{ref.name}: {action[:20]} is not a power action (start, stop or restart).")
    word, target = ACTIONS[action]
    progress(f"{ref.name}: {word}")
    op = api.call(endpoint, ref.project, ref.name, _operation(api, ref, action))
    wait_operation(api, endpoint, ref, op, action, deadline)
    shown = word
    while True:
        found = instance_resource(ref.project, ref.zone, instance := _read(api, endpoint, ref), default_env)
        if found.state != shown:
            progress(f"{ref.name}: {found.state}")
            shown = found.state
        if instance.status == target:
            return found
        if deadline.expired():
            raise ProviderTimeout(
                f"{ref.name} is still {found.state} after {seconds(deadline.timeout)} s; check show {ref.name}"
            )
        deadline.sleep()
