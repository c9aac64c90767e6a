"""Power and scale operations: start the ARM long-running operation, watch it, wait for the target state.

The SDK's poller (ARMPolling on `Azure-AsyncOperation`) tells when the operation finished; the instance view
tells what the user cares about (is it running?). Both are read every `poll_seconds` until the operation is
done and the state is reached, or the deadline passes. A poller left behind by a timeout keeps polling in
its daemon thread until ARM finishes the operation; nothing waits for it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from azure.core.polling import LROPoller
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import Sku, VirtualMachineScaleSetUpdate

from actions.azure.convert import vmss_resource
from actions.azure.errors import azure_errors
from actions.azure.ids import AzureRef
from actions.azure.inventory import members_of, read_vm
from actions.backend import Scope
from actions.provider import ProgressCallback, Resource
from core.errors import ProviderError, ProviderTimeout

TARGET = {"start": "running", "stop": "stopped", "restart": "running"}
DOING = {"start": "starting", "stop": "stopping", "restart": "restarting"}


class Watch:
    """Shared by both operations: the subscription label, progress de-duplication and the deadline."""

    def __init__(self, label: str, name: str, progress: ProgressCallback, timeout: float, poll_seconds: float):
        self.label, self.name, self._progress = label, name, progress
        self.timeout, self.poll_seconds = timeout, poll_seconds
        self._deadline = time.monotonic() + timeout
        self._last: str | None = None

    def report(self, line: str) -> None:
        if line != self._last:
            self._last = line
            self._progress(f"{self.name}: {line}")

    def expired(self) -> bool:
        return time.monotonic() >= self._deadline

    def call(self, fn: Callable[[], Any]) -> Any:
        with azure_errors(self.label, self.name):
            return fn()

    def pause(self, poller: LROPoller[Any]) -> None:
        wait = max(0.0, min(self.poll_seconds, self._deadline - time.monotonic()))
        if poller.done():
            time.sleep(wait)
        else:
            self.call(lambda: poller.wait(wait))  # re-raises the operation's failure, if it failed


def set_power(client: ComputeManagementClient, ref: AzureRef, scope: Scope, action: str, watch: Watch) -> Resource:
    if ref.kind != "vm":
        whose = f"part of scale set {ref.name}" if ref.instance_id is not None else "a scale set"
        raise ProviderError(f"{watch.name} is {whose}: scale it instead.")
    if action not in TARGET:
        raise ProviderError(f"Azure VMs can be started, stopped or restarted, not '{action}'.")
    ops = client.virtual_machines
    begin = {"start": ops.begin_start, "stop": ops.begin_deallocate, "restart": ops.begin_restart}[action]
    watch.report(DOING[action])
    poller: LROPoller[None] = watch.call(
        lambda: begin(ref.resource_group, ref.name, polling_interval=watch.poll_seconds)
    )
    while True:
        done = poller.done()
        current: Resource = watch.call(lambda: read_vm(client, ref, scope))
        watch.report(current.state)
        if done:
            watch.call(poller.result)
            if current.state == TARGET[action]:
                return current
        if watch.expired():
            raise ProviderTimeout(
                f"{watch.name} is still {current.state} after {watch.timeout:g} s; check show {watch.name}"
            )
        watch.pause(poller)


def scale(client: ComputeManagementClient, ref: AzureRef, scope: Scope, count: int, watch: Watch) -> Resource:
    if ref.kind != "vmss" or ref.instance_id is not None:
        raise ProviderError(f"{watch.name} is not a scale set: only scale sets can be scaled.")
    ops = client.virtual_machine_scale_sets
    vmss = watch.call(lambda: ops.get(ref.resource_group, ref.name))
    before = int(vmss.sku.capacity or 0) if vmss.sku is not None else 0
    sku = Sku(name=vmss.sku.name, tier=vmss.sku.tier, capacity=count) if vmss.sku is not None else Sku(capacity=count)
    poller = watch.call(
        lambda: ops.begin_update(
            ref.resource_group, ref.name, VirtualMachineScaleSetUpdate(sku=sku), polling_interval=watch.poll_seconds
        )
    )
    growing = count >= before
    while True:
        done = poller.done()
        members: list[Resource] = watch.call(lambda: members_of(client, vmss, scope))
        running = sum(1 for m in members if m.state == "running")
        if growing:
            watch.report(f"{running}/{count} instances running")
        else:
            watch.report(f"{len(members)} instance{'' if len(members) == 1 else 's'}, going to {count}")
        if done:
            final = watch.call(poller.result)
            if (running >= count) if growing else (len(members) <= count):
                return vmss_resource(final, members, scope)
        if watch.expired():
            raise ProviderTimeout(
                f"{watch.name} reached {running if growing else len(members)} of {count} instances "
                f"in {watch.timeout:g} s; check show {watch.name}"
            )
        watch.pause(poller)
