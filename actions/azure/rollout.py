"""`AzureRollouts`: the `RolloutBackend` for Azure scale sets (Uniform orchestration), on azure-mgmt-compute.

A version is an image id (a managed image or a gallery image version). Deploying is one PATCH of the scale set's
model: the image reference, and upgradePolicy mode Rolling with its rollingUpgradePolicy. With mode Rolling a model
change is applied by a rolling upgrade that Azure starts by itself, so nothing else is called to start it
(`osRollingUpgrade` moves platform images to their latest version only; it is not how a custom image rolls).
Progress is `rollingUpgrades/latest` plus the members' `latestModelApplied` and health. Pause is
`rollingUpgrades/cancel` (instances already upgraded stay upgraded); resume is a generic model update (an empty
PATCH, what `az vmss update` sends), which Azure answers with a new rolling upgrade of the instances not on the
latest model - Microsoft Learn, "Configure rolling upgrades on Virtual Machine Scale Sets", "Restart a rolling
upgrade". A rollback cancels the upgrade in flight, waits for the cancel, and rolls the model back the same way.

The PATCH is sent without waiting for its long-running operation: on a Rolling scale set that operation lasts as
long as the whole upgrade. The handle is "<image id>|<start time of the upgrade before ours>|<run or paused>":
`rollingUpgrades/latest` may still show the previous upgrade for a moment after the PATCH, and that one is not
ours.

Strategy -> rollingUpgradePolicy: maxUnhealthyInstancePercent = 100 - min_healthy_percent and maxBatchInstancePercent
= batch_percent, both at least 5 and the batch never above the unhealthy share (Azure refuses a policy otherwise, so
the batch shrinks to keep min_healthy_percent); maxUnhealthyUpgradedInstancePercent = max_unhealthy_percent;
pauseTimeBetweenBatches = warmup_seconds as ISO 8601 ("PT60S"); maxSurge = surge > 0."""

from __future__ import annotations

from collections.abc import Sequence

from azure.core.credentials import TokenCredential
from azure.mgmt.compute.models import (
    ImageReference,
    RollingUpgradePolicy,
    UpgradePolicy,
    VirtualMachineScaleSetUpdate,
    VirtualMachineScaleSetUpdateProperties,
    VirtualMachineScaleSetUpdateStorageProfile,
    VirtualMachineScaleSetUpdateVMProfile,
)
from pydantic import HttpUrl

from actions.azure.clients import ClientFactory
from actions.azure.ids import parse_id
from actions.azure.rollout_checks import check_change
from actions.azure.rollout_state import (
    Handle,
    Target,
    image_of,
    latest_code,
    latest_start,
    on_latest_model,
    read_state,
)
from actions.backend import NoThrottle, Throttle
from actions.deploy.model import GroupChange, RolloutState, Strategy, VersionSpec
from core.cloud_config import AzureSubscription
from core.errors import ProviderError, ResourceNotFound, TransientProviderError
from core.models import Cloud


def rolling_policy(strategy: Strategy) -> UpgradePolicy:
    """The scale set's upgrade policy for `strategy` (see the module docstring for the mapping)."""
    unhealthy = max(5, 100 - strategy.min_healthy_percent)
    return UpgradePolicy(
        mode="Rolling",
        rolling_upgrade_policy=RollingUpgradePolicy(
            max_batch_instance_percent=max(5, min(strategy.batch_percent, unhealthy)),
            max_unhealthy_instance_percent=unhealthy,
            max_unhealthy_upgraded_instance_percent=strategy.max_unhealthy_percent,
            pause_time_between_batches=f"PT{strategy.warmup_seconds}S",
            max_surge=strategy.surge > 0,
        ),
    )


class AzureRollouts:
    cloud = Cloud.AZURE

    def __init__(
        self,
        subscriptions: Sequence[AzureSubscription],
        *,
        arm_url: HttpUrl | str | None = None,
        throttle: Throttle = NoThrottle(),  # noqa: B008 - stateless default
        timeout: float = 10.0,
        credential: TokenCredential | None = None,
        connection_verify: str | bool = True,
        cancel_wait: float = 4.0,
    ) -> None:
        """`cancel_wait`: how long a rollback waits for Azure to cancel the upgrade in flight before it says to
        try again (the rollback's own PATCH is refused while an upgrade rolls)."""
        self._subscriptions = {s.id: s for s in subscriptions}
        self._cancel_wait = cancel_wait
        self._clients = ClientFactory(
            arm_url=str(arm_url) if arm_url else None,
            credential=credential,
            timeout=timeout,
            throttle=throttle,
            connection_verify=connection_verify,
        )

    def close(self) -> None:
        self._clients.close()

    # --- RolloutBackend -------------------------------------------------------------------------------------
    def running(self, change: GroupChange) -> VersionSpec | None:
        target = self._target(change)
        image = image_of(target.scale_set())
        return VersionSpec(image=image) if image else None

    def check(self, change: GroupChange) -> list[str]:
        target = self._target(change)
        return check_change(change, target, lambda sub: self._clients.client(sub, target.ref.scope_key))

    def start(self, change: GroupChange) -> str:
        return str(self._roll(self._target(change), change))

    def state(self, change: GroupChange, handle: str) -> RolloutState:
        return read_state(self._target(change), change, Handle.parse(handle))

    def pause(self, change: GroupChange, handle: str) -> str:
        parsed = Handle.parse(handle)
        self._cancel(self._target(change))
        return str(Handle(parsed.image, parsed.since, "paused"))

    def resume(self, change: GroupChange, handle: str) -> str:
        target, parsed = self._target(change), Handle.parse(handle)
        latest = target.latest()
        if latest_code(latest) == "RollingForward":  # the pause's cancel is still finishing, or it already rolls
            if parsed.mode == "paused":
                raise TransientProviderError(f"Azure {change.group}: the pause is still finishing; resume again.")
            return handle
        since = latest_start(latest)
        self._patch(target, VirtualMachineScaleSetUpdate(properties=VirtualMachineScaleSetUpdateProperties()))
        return str(Handle(parsed.image, since))

    def cancel(self, change: GroupChange, handle: str) -> None:
        self._cancel(self._target(change))

    def roll_back(self, change: GroupChange, handle: str | None) -> str:
        """Cancel the upgrade in flight unless it is this rollback's own (a worker may call again after dying),
        then roll the model back."""
        target = self._target(change)
        ours = image_of(target.scale_set()).lower() == (change.to.image or "").lower()
        if not ours and latest_code(target.latest()) == "RollingForward":
            self._cancel(target, wait=True)
        return str(self._roll(target, change))

    # --- the steps ------------------------------------------------------------------------------------------
    def _roll(self, target: Target, change: GroupChange) -> Handle:
        """PATCH the model to the change's image (check-then-act: an upgrade to it already rolling, or done, is
        returned as it is; a model already on it with members behind is nudged by a generic update)."""
        image = change.to.image
        if not image:
            raise ProviderError(
                f"Azure {change.group}: version {change.to_version} has no image: add azure: image: under "
                f"versions.{change.to_version} in the release manifest"
            )
        vmss, latest = target.scale_set(), target.latest()
        code, since = latest_code(latest), latest_start(latest)
        if image_of(vmss).lower() == image.lower():
            if code == "RollingForward":
                return Handle(image, "-")
            if all(on_latest_model(m) for m in target.members()):
                return Handle(image, "-")
        elif code == "RollingForward":
            raise ProviderError(
                f"Azure {change.group}: another rolling upgrade is in progress: cancel it or wait for it to finish"
            )
        storage = VirtualMachineScaleSetUpdateStorageProfile(image_reference=ImageReference(id=image))
        update = VirtualMachineScaleSetUpdate(
            properties=VirtualMachineScaleSetUpdateProperties(
                upgrade_policy=rolling_policy(change.strategy),
                virtual_machine_profile=VirtualMachineScaleSetUpdateVMProfile(storage_profile=storage),
            )
        )
        self._patch(target, update)
        return Handle(image, since)

    def _patch(self, target: Target, update: VirtualMachineScaleSetUpdate) -> None:
        ref = target.ref
        target.call(
            lambda: target.client.virtual_machine_scale_sets.begin_update(
                ref.resource_group, ref.name, update, polling=False
            )
        )

    def _cancel(self, target: Target, *, wait: bool = False) -> None:
        """Cancel the rolling upgrade; none rolling is fine (Azure's 409 "no ongoing Rolling Upgrade")."""
        ref, ops = target.ref, target.client.virtual_machine_scale_set_rolling_upgrades
        try:
            poller = target.call(lambda: ops.begin_cancel(ref.resource_group, ref.name, polling=wait))
        except ProviderError as exc:
            if "no ongoing rolling upgrade" in str(exc).lower():
                return
            raise
        if wait:
            target.call(lambda: poller.wait(self._cancel_wait))
            if not poller.done() or latest_code(target.latest()) == "RollingForward":
                raise TransientProviderError(f"Azure {target.group}: the upgrade in flight is still cancelling; retry.")

    def _target(self, change: GroupChange) -> Target:
        ref = parse_id(change.group_id)
        if ref.kind != "vmss" or ref.instance_id is not None:
            raise ProviderError(f"Azure {change.group} is not a scale set: only scale sets roll to a version.")
        subscription = self._subscriptions.get(ref.subscription)
        if subscription is None:
            raise ResourceNotFound(f"Azure subscription {ref.subscription} is not configured.")
        label = subscription.name or subscription.id
        return Target(ref, self._clients.client(ref.subscription, ref.scope_key), label, change.group)
