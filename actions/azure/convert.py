"""SDK models (VMs, scale sets, scale-set VMs) -> our `Resource`, with the shared naming conventions.

Power state comes from the instance view's `PowerState/...` status code. Azure has two kinds of "off":
`deallocated` (no compute charge; what opsbot's stop does) and `stopped` (powered off inside the guest, still
billed). Both read "stopped" to the user; only a deallocated VM costs 0."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum

from azure.mgmt.compute.models import (
    InstanceViewStatus,
    VirtualMachine,
    VirtualMachineScaleSet,
    VirtualMachineScaleSetVM,
)

from actions.azure.ids import AzureRef, resource_group_of
from actions.azure.prices import hourly_price
from actions.backend import Scope
from actions.provider import Resource
from core.models import Cloud

STATE_WORDS = {
    "running": "running",
    "deallocated": "stopped",
    "stopped": "stopped",
    "starting": "starting",
    "stopping": "stopping",
    "deallocating": "stopping",
}
NOT_BILLED = ("deallocated", "deallocating")


def text(value: object) -> str:
    """SDK fields may be str enums; their `.value` is the wire text ("Standard_D2s_v5")."""
    if isinstance(value, Enum):
        return str(value.value)
    return "" if value is None else str(value)


def power_of(statuses: Iterable[InstanceViewStatus] | None) -> str:
    """'PowerState/deallocated' -> 'deallocated'; 'unknown' without a power status (e.g. still provisioning)."""
    for status in statuses or ():
        code = text(status.code)
        if code.lower().startswith("powerstate/"):
            return code.split("/", 1)[1].lower()
    return "unknown"


def state_word(power: str) -> str:
    return STATE_WORDS.get(power, power)


def environment_of(tags: Mapping[str, str], scope: Scope) -> str:
    for key, value in tags.items():
        if key.lower() in ("environment", "env") and value:
            return value.lower()
    return scope.environment or "prod"


def vm_power(vm: VirtualMachine | VirtualMachineScaleSetVM) -> str:
    return power_of(_vm_statuses(vm))


def _vm_statuses(vm: VirtualMachine | VirtualMachineScaleSetVM) -> list[InstanceViewStatus] | None:
    props = vm.properties
    view = props.instance_view if props is not None else None
    return view.statuses if view is not None else None


def vm_resource(vm: VirtualMachine, scope: Scope, power: str | None = None) -> Resource:
    """`power` when it came from a separate status listing; else the VM's own instance view."""
    tags = dict(vm.tags or {})
    props = vm.properties
    size = text(props.hardware_profile.vm_size) if props is not None and props.hardware_profile else ""
    power = power or power_of(_vm_statuses(vm))
    ref = AzureRef(scope.account, resource_group_of(text(vm.id)), "vm", text(vm.name))
    return Resource(
        id=ref.id, name=ref.name, cloud=Cloud.AZURE, kind="instance", region=text(vm.location),
        environment=environment_of(tags, scope), state=state_word(power), size=size,
        hourly_cost=0.0 if power in NOT_BILLED else hourly_price(size), tags=tags,
        standby=tags.get("opsbot-standby"),
    )  # fmt: skip


def member_resource(vm: VirtualMachineScaleSetVM, vmss: VirtualMachineScaleSet, scope: Scope) -> Resource:
    """A scale-set VM: named as ARM names it ("web-dr_3"), tagged like its set, group=<set name>."""
    tags = dict(vmss.tags or {}) | dict(vm.tags or {})
    size = text(vm.sku.name) if vm.sku is not None and vm.sku.name else text(vmss.sku.name if vmss.sku else "")
    power = power_of(_vm_statuses(vm))
    set_name = text(vmss.name)
    ref = AzureRef(scope.account, resource_group_of(text(vmss.id)), "vmss", set_name, text(vm.instance_id))
    return Resource(
        id=ref.id, name=text(vm.name) or f"{set_name}_{vm.instance_id}", cloud=Cloud.AZURE, kind="instance",
        region=text(vm.location or vmss.location), environment=environment_of(tags, scope), state=state_word(power),
        size=size, hourly_cost=0.0 if power in NOT_BILLED else hourly_price(size), tags=tags, group=set_name,
    )  # fmt: skip


def group_state(wanted: int, running: int) -> str:
    if wanted == 0:
        return "stopped"
    return "running" if running >= wanted else "degraded"


def vmss_resource(vmss: VirtualMachineScaleSet, members: Iterable[Resource], scope: Scope,
                  limits: tuple[int, int, str] | None = None) -> Resource:  # fmt: skip
    """count = sku.capacity (what the set is asked to run); state from how many members run. `limits`: (min,
    max, who sets them), from `actions.azure.autoscale`."""
    tags = dict(vmss.tags or {})
    size = text(vmss.sku.name) if vmss.sku is not None else ""
    count = int(vmss.sku.capacity or 0) if vmss.sku is not None else 0
    running = sum(1 for m in members if m.state == "running")
    unit = hourly_price(size)
    ref = AzureRef(scope.account, resource_group_of(text(vmss.id)), "vmss", text(vmss.name))
    return Resource(
        id=ref.id, name=ref.name, cloud=Cloud.AZURE, kind="group", region=text(vmss.location),
        environment=environment_of(tags, scope), state=group_state(count, running), size=size, count=count,
        hourly_cost=round(unit * count, 4), unit_hourly_cost=unit, tags=tags, standby=tags.get("opsbot-standby"),
        min_count=limits[0] if limits else None, max_count=limits[1] if limits else None,
        limits_from=limits[2] if limits else None,
    )  # fmt: skip
