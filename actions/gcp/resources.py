"""Compute Engine objects -> our `Resource`: status words, machine type, labels as tags, MIG membership, cost.

Membership comes from the `created-by` metadata Compute Engine writes on every instance a MIG creates, so one
aggregated listing of instances is enough to count a group's running members (no call per group)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.cloud import compute_v1

from actions.gcp.ids import GcpRef, last_part
from actions.gcp.prices import machine_hourly
from actions.limits import AUTOSCALER
from actions.provider import Resource
from core.models import Cloud

STATES: Mapping[str, str] = {
    "PROVISIONING": "starting",
    "STAGING": "starting",
    "RUNNING": "running",
    "STOPPING": "stopping",
    "SUSPENDING": "stopping",
    "PENDING_STOP": "stopping",
    "TERMINATED": "stopped",
    "SUSPENDED": "stopped",
    "REPAIRING": "repairing",
}
STANDBY_LABEL = "opsbot-standby"


def state_of(status: str) -> str:
    return STATES.get(status, status.lower() or "unknown")


def environment_of(labels: Mapping[str, str], default: str | None) -> str:
    found = next((v for k, v in labels.items() if k.lower() in ("environment", "env") and v), None)
    return found or default or "prod"


def group_of(instance: compute_v1.Instance) -> str | None:
    """The MIG that created this instance ('projects/1/zones/z/instanceGroupManagers/api-prod' -> 'api-prod')."""
    for item in instance.metadata.items:
        if item.key == "created-by" and "/instanceGroupManagers/" in item.value:
            return last_part(item.value)
    return None


def _labelled(ref: GcpRef, labels: Mapping[str, str], default_env: str | None, **fields: Any) -> Resource:
    """A resource with what every GCP resource takes from its id and labels: environment, tags, standby."""
    environment = environment_of(labels, default_env)
    return Resource(id=ref.id, name=ref.name, cloud=Cloud.GCP, region=ref.zone, environment=environment,
                    tags=dict(labels), standby=labels.get(STANDBY_LABEL), **fields)  # fmt: skip


def instance_resource(project: str, zone: str, instance: compute_v1.Instance, default_env: str | None) -> Resource:
    machine = last_part(instance.machine_type)
    return _labelled(
        GcpRef(project, zone, "instance", instance.name),
        dict(instance.labels),
        default_env,
        kind="instance",
        state=state_of(instance.status),
        size=machine,
        hourly_cost=machine_hourly(machine),
        group=group_of(instance),
    )


def group_state(target: int, running: int) -> str:
    if target == 0:
        return "stopped"
    return "running" if running >= target else "degraded"


def mig_resource(project: str, zone: str, mig: compute_v1.InstanceGroupManager, running: int, machine: str,
                 member_labels: Mapping[str, str], default_env: str | None,
                 bounds: tuple[int, int] | None = None) -> Resource:  # fmt: skip
    """A MIG as a group. Labels: the group's all-instances labels over one member's (a MIG has none itself).
    `bounds`: its autoscaler's (min, max) when one sizes it; a MIG without one has no limits of its own."""
    labels = {**member_labels, **mig.all_instances_config.properties.labels}
    unit = machine_hourly(machine)
    return _labelled(
        GcpRef(project, zone, "mig", mig.name),
        labels,
        default_env,
        kind="group",
        state=group_state(mig.target_size, running),
        size=machine,
        count=mig.target_size,
        min_count=bounds[0] if bounds else None,
        max_count=bounds[1] if bounds else None,
        limits_from=AUTOSCALER if bounds else None,
        hourly_cost=round(unit * mig.target_size, 6),
        unit_hourly_cost=unit,
    )
