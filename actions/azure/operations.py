"""Power and scale operations: start the ARM long-running operation, then wait (`actions.waiting`) for the state.

The SDK's poller (ARMPolling on `Azure-AsyncOperation`) tells when the operation finished, and it is the pause
between reads: a read comes as soon as the poller sees the operation end. The instance view tells what the user
cares about (is it running?). Both are read every `poll_seconds` until the operation is done and the state is
reached, or the deadline passes. A poller left behind by a timeout keeps polling in its daemon thread until ARM
finishes the operation; nothing waits for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from azure.core.polling import LROPoller
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import Sku, VirtualMachineScaleSet, VirtualMachineScaleSetUpdate

from actions.azure.convert import vmss_resource
from actions.azure.errors import azure_errors
from actions.azure.ids import AzureRef
from actions.azure.inventory import members_of, read_vm
from actions.backend import Scope
from actions.provider import ProgressCallback, Resource
from actions.waiting import ChangedLines, Wait
from core.errors import ProviderError

T = TypeVar("T")
TARGET = {"start": "running", "stop": "stopped", "restart": "running"}
DOING = {"start": "starting", "stop": "stopping", "restart": "restarting"}


class Subject(NamedTuple):
    """What an operation works on: the subscription's label (for errors) and the resource's name (for lines)."""

    label: str
    name: str

    def call(self, fn: Callable[[], T]) -> T:
        with azure_errors(self.label, self.name):
            return fn()

    def pause(self, poller: LROPoller[Any], wait: Wait) -> Callable[[float], None]:
        """The pause between reads: until the operation ends (re-raising its failure), at most `seconds`."""

        def pause(seconds: float) -> None:
            if poller.done():
                wait.clock.sleep(seconds)
            else:
                self.call(lambda: poller.wait(seconds))

        return pause


def set_power(client: ComputeManagementClient, ref: AzureRef, scope: Scope, action: str, subject: Subject,
              progress: ProgressCallback, wait: Wait) -> Resource:  # fmt: skip
    name = subject.name
    if ref.kind != "vm":
        whose = f"part of scale set {ref.name}" if ref.instance_id is not None else "a scale set"
        raise ProviderError(f"{name} is {whose}: scale it instead.")
    if action not in TARGET:
        raise ProviderError(f"Azure VMs can be started, stopped or restarted, not '{action}'.")
    ops = client.virtual_machines
    begin = {"start": ops.begin_start, "stop": ops.begin_deallocate, "restart": ops.begin_restart}[action]
    lines = ChangedLines(progress, f"{name}: {DOING[action]}")
    poller: LROPoller[None] = subject.call(lambda: begin(ref.resource_group, ref.name, polling_interval=wait.every))

    def observe() -> tuple[bool, Resource]:
        done = poller.done()
        current = subject.call(lambda: read_vm(client, ref, scope))
        lines(f"{name}: {current.state}")
        if done:
            subject.call(poller.result)
        return done, current

    _, reached = wait.until(
        observe,
        lambda seen: seen[0] and seen[1].state == TARGET[action],
        lambda seen: f"{name} is still {seen[1].state} after {wait.seconds:g} s; check show {name}",
        pause=subject.pause(poller, wait),
    )
    return reached


class _Scaling(NamedTuple):
    final: VirtualMachineScaleSet | None  # the operation's result, once it is done
    members: list[Resource]
    running: int


def scale(client: ComputeManagementClient, ref: AzureRef, scope: Scope, count: int, subject: Subject,
          progress: ProgressCallback, wait: Wait) -> Resource:  # fmt: skip
    name = subject.name
    if ref.kind != "vmss" or ref.instance_id is not None:
        raise ProviderError(f"{name} is not a scale set: only scale sets can be scaled.")
    ops = client.virtual_machine_scale_sets
    vmss = subject.call(lambda: ops.get(ref.resource_group, ref.name))
    before = int(vmss.sku.capacity or 0) if vmss.sku is not None else 0
    sku = Sku(name=vmss.sku.name, tier=vmss.sku.tier, capacity=count) if vmss.sku is not None else Sku(capacity=count)
    poller = subject.call(
        lambda: ops.begin_update(
            ref.resource_group, ref.name, VirtualMachineScaleSetUpdate(sku=sku), polling_interval=wait.every
        )
    )
    growing = count >= before
    lines = ChangedLines(progress)

    def observe() -> _Scaling:
        done = poller.done()
        members: list[Resource] = subject.call(lambda: members_of(client, vmss, scope))
        running = sum(1 for m in members if m.state == "running")
        if growing:
            lines(f"{name}: {running}/{count} instances running")
        else:
            lines(f"{name}: {len(members)} instance{'' if len(members) == 1 else 's'}, going to {count}")
        return _Scaling(subject.call(poller.result) if done else None, members, running)

    def done(seen: _Scaling) -> bool:
        reached = seen.running >= count if growing else len(seen.members) <= count
        return seen.final is not None and reached

    def late(seen: _Scaling) -> str:
        got = seen.running if growing else len(seen.members)
        return f"{name} reached {got} of {count} instances in {wait.seconds:g} s; check show {name}"

    seen = wait.until(observe, done, late, pause=subject.pause(poller, wait))
    assert seen.final is not None  # done() saw it
    return vmss_resource(seen.final, seen.members, scope)
