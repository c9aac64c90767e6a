"""Zonal managed instance groups: read one fresh, and resize one, waiting until its members run (or are gone).

A MIG's own record has its target size but neither machine type nor labels (those live in its template), so a
fresh read takes them from one member; progress counts members from listManagedInstances."""

from __future__ import annotations

from google.cloud import compute_v1

from actions.gcp.api import GcpApi
from actions.gcp.autoscalers import Autoscalers
from actions.gcp.ids import GcpRef, last_part
from actions.gcp.operations import seconds, wait_operation
from actions.gcp.power import get_instance
from actions.gcp.resources import group_state, mig_resource
from actions.provider import ProgressCallback, Resource
from actions.waiting import ChangedLines, Wait
from core.errors import ProviderError

Members = list[compute_v1.ManagedInstance]


def managed_instances(api: GcpApi, endpoint: str, ref: GcpRef, page_size: int) -> Members:
    def page(token: str) -> compute_v1.InstanceGroupManagersListManagedInstancesResponse:
        request = compute_v1.ListManagedInstancesInstanceGroupManagersRequest(
            project=ref.project, zone=ref.zone, instance_group_manager=ref.name, max_results=page_size,
            page_token=token,
        )  # fmt: skip
        pager = api.clients.migs.list_managed_instances(request=request, retry=None, timeout=api.timeout)
        return next(iter(pager.pages))

    return [m for p in api.pages(endpoint, ref.project, ref.name, page) for m in p.managed_instances]


def running(members: Members) -> int:
    return sum(1 for m in members if m.instance_status == "RUNNING" and m.current_action != "DELETING")


def _mig(api: GcpApi, endpoint: str, ref: GcpRef) -> compute_v1.InstanceGroupManager:
    def get() -> compute_v1.InstanceGroupManager:
        return api.clients.migs.get(
            project=ref.project, zone=ref.zone, instance_group_manager=ref.name, retry=None, timeout=api.timeout
        )

    return api.call(endpoint, ref.project, ref.name, get)


def get_mig(api: GcpApi, endpoint: str, ref: GcpRef, default_env: str | None, page_size: int,
            autoscalers: Autoscalers | None = None) -> Resource:  # fmt: skip
    mig = _mig(api, endpoint, ref)
    bounds = autoscalers.of(endpoint, ref, mig) if autoscalers is not None else None
    members = managed_instances(api, endpoint, ref, page_size)
    size, labels = "", {}
    if members:
        member = get_instance(api, endpoint, ref._replace(kind="instance", name=last_part(members[0].instance)), None)
        size, labels = member.size, member.tags
    return mig_resource(ref.project, ref.zone, mig, running(members), size, labels, default_env, bounds)


def scale(api: GcpApi, endpoint: str, ref: GcpRef, group: Resource, count: int, progress: ProgressCallback,
          wait: Wait, page_size: int) -> Resource:  # fmt: skip
    """Resize, wait for the operation, then until `count` members run (growing) or only `count` are left."""
    if count < 0:
        raise ProviderError(f"{ref.name} cannot have {count} instances.")
    shrinking = group.count is not None and count < group.count

    def resize() -> compute_v1.Operation:
        return api.clients.migs.resize_unary(
            project=ref.project, zone=ref.zone, instance_group_manager=ref.name, size=count, retry=None,
            timeout=api.timeout,
        )  # fmt: skip

    lines = ChangedLines(progress, f"{ref.name}: resizing to {count}")
    wait_operation(api, endpoint, ref, api.call(endpoint, ref.project, ref.name, resize), "resize", wait)

    def observe() -> Members:
        members = managed_instances(api, endpoint, ref, page_size)
        lines(f"{ref.name}: {running(members)}/{count} instances running")
        return members

    members = wait.until(
        observe,
        lambda seen: len(seen) == count and (running(seen) >= count or shrinking),
        lambda seen: (
            f"{ref.name} reached {running(seen)} of {count} instances in {seconds(wait.seconds)} s; "
            f"check show {ref.name}"
        ),
    )
    unit, up = group.unit_hourly_cost or 0.0, running(members)
    return group.model_copy(
        update={"count": count, "state": group_state(count, up), "hourly_cost": round(unit * count, 6)}
    )
