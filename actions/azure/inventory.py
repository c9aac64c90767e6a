"""Reading one subscription: every VM with its power state, every scale set with its members.

Power states come from `list_all(statusOnly=true)`: one paged listing instead of one instance-view request
per VM. If those items carry only the status (no hardware profile), a second `list_all()` supplies the
models and the two are joined by id. With `resource_groups` set, `list(rg, $expand=instanceView)` gives both at once.
A scale set's members come from its VM list with `$expand=instanceView` (one paged request per set)."""

from __future__ import annotations

from collections.abc import Sequence

from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import VirtualMachine, VirtualMachineScaleSet

from actions.azure.autoscale import autoscale_bounds, limits_of
from actions.azure.convert import member_resource, vm_power, vm_resource, vmss_resource
from actions.azure.ids import AzureRef, resource_group_of
from actions.backend import Scope
from actions.provider import Resource


def _vms(client: ComputeManagementClient, groups: Sequence[str]) -> list[tuple[VirtualMachine, str]]:
    ops = client.virtual_machines
    if groups:
        return [(vm, vm_power(vm)) for rg in groups for vm in ops.list(rg, expand="instanceView")]
    with_status = list(ops.list_all(status_only="true"))
    if all(vm.properties is not None and vm.properties.hardware_profile is not None for vm in with_status):
        return [(vm, vm_power(vm)) for vm in with_status]
    powers = {str(vm.id).lower(): vm_power(vm) for vm in with_status}
    return [(vm, powers.get(str(vm.id).lower(), "unknown")) for vm in ops.list_all()]


def _scale_sets(client: ComputeManagementClient, groups: Sequence[str]) -> list[VirtualMachineScaleSet]:
    ops = client.virtual_machine_scale_sets
    if groups:
        return [vmss for rg in groups for vmss in ops.list(rg)]
    return list(ops.list_all())


def members_of(client: ComputeManagementClient, vmss: VirtualMachineScaleSet, scope: Scope) -> list[Resource]:
    pages = client.virtual_machine_scale_set_vms.list(
        resource_group_of(str(vmss.id)), str(vmss.name), expand="instanceView"
    )
    return [member_resource(vm, vmss, scope) for vm in pages]


def fetch_subscription(client: ComputeManagementClient, scope: Scope, groups: Sequence[str]) -> list[Resource]:
    resources = [vm_resource(vm, scope, power) for vm, power in _vms(client, groups)]
    scale_sets = _scale_sets(client, groups)
    bounds = autoscale_bounds(client, scope.account, groups) if scale_sets else {}
    for vmss in scale_sets:
        members = members_of(client, vmss, scope)
        resources.append(vmss_resource(vmss, members, scope, limits_of(vmss, bounds)))
        resources.extend(members)
    return resources


def read_vm(client: ComputeManagementClient, ref: AzureRef, scope: Scope) -> Resource:
    return vm_resource(client.virtual_machines.get(ref.resource_group, ref.name, expand="instanceView"), scope)


def read_scale_set(client: ComputeManagementClient, ref: AzureRef, scope: Scope) -> tuple[Resource, list[Resource]]:
    vmss = client.virtual_machine_scale_sets.get(ref.resource_group, ref.name)
    members = members_of(client, vmss, scope)
    bounds = autoscale_bounds(client, scope.account, [ref.resource_group])
    return vmss_resource(vmss, members, scope, limits_of(vmss, bounds)), members


def read_member(client: ComputeManagementClient, ref: AzureRef, scope: Scope) -> Resource:
    vmss = client.virtual_machine_scale_sets.get(ref.resource_group, ref.name)
    vm = client.virtual_machine_scale_set_vms.get(
        ref.resource_group, ref.name, str(ref.instance_id), expand="instanceView"
    )
    return member_resource(vm, vmss, scope)


def read(client: ComputeManagementClient, ref: AzureRef, scope: Scope) -> Resource:
    if ref.kind == "vm":
        return read_vm(client, ref, scope)
    if ref.instance_id is not None:
        return read_member(client, ref, scope)
    return read_scale_set(client, ref, scope)[0]
