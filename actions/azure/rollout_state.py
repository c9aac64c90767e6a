"""Where a scale set's rollout is, read from Azure: the model (its image), the latest rolling upgrade and the
members (`latestModelApplied`, power, `vmHealth`). Shared by `actions.azure.rollout` and its checks: the `Target`
a change rolls, the rollout `Handle`, and how a member's health is read.

A member is healthy when it runs and its health (Application Health extension or load balancer probe, in the
instance view's `vmHealth`) is not "HealthState/unhealthy"; a set with neither reports no health, and a running
member counts as healthy then."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import RollingUpgradeStatusInfo, VirtualMachineScaleSet, VirtualMachineScaleSetVM

from actions.azure.convert import text, vm_power
from actions.azure.errors import arm_message, azure_errors
from actions.azure.ids import AzureRef
from actions.deploy.model import GroupChange, RolloutState
from core.errors import ProviderError

T = TypeVar("T")
MAX_DETAIL = 200


@dataclass(frozen=True)
class Target:
    """One scale set of a change: where it is, and how errors name it."""

    ref: AzureRef
    client: ComputeManagementClient
    label: str  # the subscription's label
    group: str  # the inventory's name

    def call(self, fn: Callable[[], T]) -> T:
        """Run SDK calls; a 409 becomes a line naming the group (Azure's text says what conflicts and the fix),
        any other error the usual `core.errors` line."""
        with azure_errors(self.label, self.group):
            try:
                return fn()
            except HttpResponseError as exc:
                if exc.status_code == 409:
                    raise ProviderError(f"Azure {self.group}: {arm_message(exc)}") from exc
                raise

    def scale_set(self) -> VirtualMachineScaleSet:
        return self.call(lambda: self.client.virtual_machine_scale_sets.get(self.ref.resource_group, self.ref.name))

    def members(self) -> list[VirtualMachineScaleSetVM]:
        ops = self.client.virtual_machine_scale_set_vms
        return self.call(lambda: list(ops.list(self.ref.resource_group, self.ref.name, expand="instanceView")))

    def latest(self) -> RollingUpgradeStatusInfo | None:
        """The latest rolling upgrade, or None before the first one (Azure answers 404 then)."""
        ops = self.client.virtual_machine_scale_set_rolling_upgrades
        with azure_errors(self.label, self.group):
            try:
                return ops.get_latest(self.ref.resource_group, self.ref.name)
            except ResourceNotFoundError:
                return None


@dataclass(frozen=True)
class Handle:
    """A rollout's handle: "<image id>|<start time of the upgrade before ours, or ->|<run or paused>"."""

    image: str
    since: str
    mode: str = "run"

    def __str__(self) -> str:
        return f"{self.image}|{self.since}|{self.mode}"

    @staticmethod
    def parse(handle: str) -> Handle:
        parts = handle.rsplit("|", 2)
        if len(parts) != 3 or parts[2] not in ("run", "paused"):
            raise ProviderError(f"Azure: '{handle}' is not a scale set rollout handle.")
        return Handle(*parts)


def image_of(vmss: VirtualMachineScaleSet) -> str:
    """The image id the scale set's model names ("" for a marketplace image, which has no id)."""
    props = vmss.properties
    profile = props.virtual_machine_profile if props is not None else None
    storage = profile.storage_profile if profile is not None else None
    reference = storage.image_reference if storage is not None else None
    return text(reference.id) if reference is not None else ""


def latest_code(latest: RollingUpgradeStatusInfo | None) -> str:
    status = latest.properties.running_status if latest is not None and latest.properties is not None else None
    return text(status.code) if status is not None else ""


def latest_start(latest: RollingUpgradeStatusInfo | None) -> str:
    status = latest.properties.running_status if latest is not None and latest.properties is not None else None
    return status.start_time.isoformat() if status is not None and status.start_time is not None else "-"


def healthy(member: VirtualMachineScaleSetVM) -> bool:
    props = member.properties
    view = props.instance_view if props is not None else None
    health = view.vm_health if view is not None else None
    code = text(health.status.code) if health is not None and health.status is not None else ""
    return vm_power(member) == "running" and code.lower() != "healthstate/unhealthy"


def on_latest_model(member: VirtualMachineScaleSetVM) -> bool:
    return member.properties is None or member.properties.latest_model_applied is not False


def read_state(target: Target, change: GroupChange, handle: Handle) -> RolloutState:
    vmss, latest, members = target.scale_set(), target.latest(), target.members()
    total = int(vmss.sku.capacity or 0) if vmss.sku is not None else 0
    image = image_of(vmss)
    if image.lower() != handle.image.lower():
        return RolloutState(
            status="failed", total=total, detail=f"the scale set's image was changed to {_short(image)}"
        )
    updated = [m for m in members if on_latest_model(m)]
    counts = {
        "updated": len(updated),
        "percent": min(100, 100 * len(updated) // total) if total else 100,
        "healthy": sum(1 for m in members if healthy(m)),
        "total": total,
        "unhealthy": tuple(text(m.name) for m in updated if vm_power(m) == "running" and not healthy(m)),
    }
    ours = latest if latest is not None and latest_start(latest) != handle.since else None
    code = latest_code(ours)
    paused = handle.mode == "paused"
    if code == "Faulted":
        error = ours.properties.error if ours is not None and ours.properties is not None else None
        detail = text(error.message if error is not None else "") or "the rolling upgrade failed"
        return RolloutState(status="failed", detail=_line(detail), **counts)
    if code == "Cancelled":
        return RolloutState(status="paused" if paused else "cancelled", detail="rolling upgrade cancelled", **counts)
    if code != "RollingForward" and len(updated) == len(members) and len(updated) >= total:
        return RolloutState(status="succeeded", detail="every instance runs the new image", **counts)
    detail = _progress(ours) if code == "RollingForward" else "waiting for Azure to start the rolling upgrade"
    return RolloutState(status="paused" if paused else "rolling", detail=detail, **counts)


def _progress(latest: RollingUpgradeStatusInfo | None) -> str:
    progress = latest.properties.progress if latest is not None and latest.properties is not None else None
    if progress is None:
        return "rolling upgrade in progress"
    return (
        f"rolling upgrade: {progress.successful_instance_count or 0} done, "
        f"{progress.in_progress_instance_count or 0} upgrading, {progress.pending_instance_count or 0} pending, "
        f"{progress.failed_instance_count or 0} failed"
    )


def _short(image: str) -> str:
    return image.rstrip("/").rsplit("/", 1)[-1] or "(none)"


def _line(detail: str) -> str:
    first = detail.strip().splitlines()[0] if detail.strip() else ""
    return first if len(first) <= MAX_DETAIL else first[: MAX_DETAIL - 1] + "…"
