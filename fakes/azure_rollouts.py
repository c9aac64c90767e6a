"""Rolling upgrades of scale sets on the fake ARM (`fakes.azure_arm.FakeArm` routes these paths here).

What azure-mgmt-compute calls to roll a scale set to a new image, answered as ARM answers them:
- `PATCH .../virtualMachineScaleSets/{name}` with `properties.upgradePolicy` and
  `virtualMachineProfile.storageProfile.imageReference.id`: the model changes; with mode Rolling and members not on
  the latest model, a rolling upgrade starts by itself (an empty PATCH, `az vmss update`, restarts a cancelled one:
  "Restart a rolling upgrade" in Microsoft Learn's "Configure rolling upgrades on Virtual Machine Scale Sets").
  The policy is validated as the REST reference says (5..100 for the batch and unhealthy shares, the batch not
  above the unhealthy share); a PATCH while an upgrade rolls is a 409.
- `GET .../rollingUpgrades/latest` (the REST example's shape: policy, runningStatus, progress, error; a 404 before
  any upgrade) and `POST .../rollingUpgrades/cancel` (202 + an operation; 409 "There is no ongoing Rolling
  Upgrade to cancel." as Azure answers when none rolls).
- the set and its members with `latestModelApplied` and the instance view's `vmHealth`.
- what the checks before a deploy read (images, sizes, usages): `fakes.azure_capacity`, as `capacity`.

The upgrade moves one step per `rollingUpgrades/latest` read (and per poll of its operation): a batch starts
(in place, or with maxSurge new instances beside the old), then finishes; after each batch the unhealthy share of
the upgraded instances is checked against maxUnhealthyUpgradedInstancePercent and the upgrade goes Faulted past it,
with Azure's own error code and wording. `fail_image` makes new instances on an image fail their health checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakes.azure_arm import ScaleSet, member_json, scale_set_json
from fakes.azure_capacity import Capacity

if TYPE_CHECKING:
    from fakes.azure_arm import FakeArm, _Handler

SET_ROUTE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute"
    r"/virtualMachineScaleSets/(?P<name>[^/]+)(?P<rest>/.*)?$",
    re.IGNORECASE,
)
START = "2026-11-28T17:00:00.0000000+00:00"  # timestamps count from here, one second per upgrade


@dataclass
class Upgrade:
    policy: dict[str, Any]
    start_time: str
    status: str = "RollingForward"  # RollingForward, Cancelled, Completed, Faulted
    batch: list[str] = field(default_factory=list)  # instances being upgraded now
    replacing: list[str] = field(default_factory=list)  # maxSurge: the old instances the batch replaces
    successful: int = 0
    failed: int = 0
    error: dict[str, Any] | None = None


@dataclass
class Model:
    """The rolling-upgrade side of one scale set: its model's image and policy, the image each member runs."""

    image: str
    policy: dict[str, Any]
    images: dict[str, str] = field(default_factory=dict)  # instance id -> image (missing: the model's)
    unhealthy: set[str] = field(default_factory=set)  # instance ids failing their health checks
    upgrade: Upgrade | None = None
    upgrades: int = 0
    previous: Upgrade | None = None  # the upgrade before the latest, shown while the latest is `hidden`
    hidden: int = 0  # reads of rollingUpgrades/latest that still show `previous`


class RollingUpgrades:
    """`RollingUpgrades(arm)` adds these routes to a FakeArm; the fake's lock guards everything here."""

    def __init__(self, arm: FakeArm) -> None:
        self.arm = arm
        arm.routes.append(self.serve)
        self.models: dict[tuple[str, ...], Model] = {}
        self.capacity = Capacity(arm)  # images, sizes and quotas, for the checks before a deploy
        self.failing: set[str] = set()  # images whose new instances fail their health checks
        self.lag_reads = 0  # see `lag`

    # --- controls -------------------------------------------------------------------------------------------
    def track(self, sub: str, rg: str, name: str, image: str, *, mode: str = "Manual") -> Model:
        """Give an existing fake scale set a model image (and an upgrade policy mode); its members run it."""
        with self.arm.lock:
            model = Model(image, {"mode": mode})
            self.models[_key(sub, rg, name)] = model
            self.capacity.add_image(image)
            return model

    def fail_image(self, image: str) -> None:
        """New instances on `image` fail their health checks (the broken release)."""
        with self.arm.lock:
            self.failing.add(image.lower())

    def make_unhealthy(self, sub: str, rg: str, name: str, instance_id: str) -> None:
        with self.arm.lock:
            self.models[_key(sub, rg, name)].unhealthy.add(instance_id)

    def lag(self, reads: int) -> None:
        """A new upgrade shows in `rollingUpgrades/latest` only after `reads` reads; until then the latest is the
        one before it (Azure registers the upgrade a model change starts a moment after the PATCH answers)."""
        with self.arm.lock:
            self.lag_reads = reads

    def model(self, sub: str, rg: str, name: str) -> Model:
        with self.arm.lock:
            return self.models[_key(sub, rg, name)]

    # --- serving --------------------------------------------------------------------------------------------
    def serve(self, handler: _Handler, method: str, path: str, query: dict[str, str], body: Any) -> bool:
        """Answer the request if it is one of ours (the caller holds the fake's lock); False: not ours."""
        if self.capacity.serve(handler, method, path, query):
            return True
        found = SET_ROUTE.match(path)
        key = _key(found["sub"], found["rg"], found["name"]) if found else None
        if found is None or key not in self.models or key not in self.arm.scale_sets:
            return False
        return self._scale_set(handler, method, (found["rest"] or "").lower(), query, body, key)

    def _scale_set(
        self, handler: _Handler, method: str, rest: str, query: dict[str, str], body: Any, key: tuple[str, ...]
    ) -> bool:
        ss, model = self.arm.scale_sets[key], self.models[key]
        view = query.get("$expand", "").lower() == "instanceview"
        if method == "GET" and rest == "":
            handler._send(200, self._set_json(ss, model))
        elif method in ("PATCH", "PUT") and rest == "" and "sku" not in (body or {}):
            self._update(handler, ss, model, body or {})
        elif method == "GET" and rest == "/virtualmachines":
            ids = sorted(ss.members, key=int)
            handler._page([self._member_json(ss, model, i, view) for i in ids], handler.path.split("?")[0], query)
        elif method == "GET" and rest.startswith("/virtualmachines/") and rest.rsplit("/", 1)[1] in ss.members:
            handler._send(200, self._member_json(ss, model, rest.rsplit("/", 1)[1], view))
        elif method == "GET" and rest == "/rollingupgrades/latest":
            self._latest(handler, ss, model)
        elif method == "POST" and rest == "/rollingupgrades/cancel":
            self._cancel(handler, ss, model)
        else:
            return False  # scaling (a PATCH of sku.capacity) and the rest: the ARM fake's own routes
        return True

    def _update(self, handler: _Handler, ss: ScaleSet, model: Model, body: dict[str, Any]) -> None:
        upgrade = model.upgrade
        if upgrade is not None and upgrade.status == "RollingForward":
            handler._error(
                409,
                "OperationNotAllowed",
                f"Operation 'Update' is not allowed on Virtual Machine Scale Set '{ss.name}' since a "
                "Rolling Upgrade is in progress. Cancel it or wait until it completes.",
            )
            return
        props = body.get("properties") or {}
        policy = props.get("upgradePolicy")
        refusal = _invalid_policy(policy) if policy else None
        if refusal is not None:
            handler._error(400, "InvalidParameter", refusal)
            return
        image = ((props.get("virtualMachineProfile") or {}).get("storageProfile") or {}).get("imageReference") or {}
        for instance in ss.members:
            model.images.setdefault(instance, model.image)  # members keep what they run when the model moves
        if policy:
            model.policy = policy
        if image.get("id"):
            model.image = image["id"]
        stale = [i for i in ss.members if model.images.get(i, model.image).lower() != model.image.lower()]
        op_id = self.arm.start_operation(ss.name, lambda: True)
        if model.policy.get("mode") == "Rolling" and stale:
            model.upgrades += 1
            model.previous, model.hidden = model.upgrade, self.lag_reads
            model.upgrade = Upgrade(
                dict(model.policy.get("rollingUpgradePolicy") or {}),
                START.replace("17:00:00", f"17:00:{model.upgrades:02d}"),
            )
            op_id = self.arm.start_operation(ss.name, lambda: self._step(ss, model))
        handler._accepted(ss.sub, ss.location, op_id, 200, self._set_json(ss, model))

    def _latest(self, handler: _Handler, ss: ScaleSet, model: Model) -> None:
        upgrade, pending = model.upgrade, 0
        if model.hidden > 0:
            model.hidden -= 1
            upgrade = model.previous
        elif upgrade is not None and ss.name.lower() not in self.arm.stalled:
            self._step(ss, model)
            pending = sum(1 for i in ss.members if self._image(model, i) != model.image.lower())
            pending -= len(upgrade.replacing)
        if upgrade is None:
            handler._error(404, "NotFound", f"Rolling upgrade status of scale set '{ss.name}' was not found.")
            return
        props: dict[str, Any] = {
            "policy": upgrade.policy,
            "runningStatus": {
                "code": upgrade.status,
                "startTime": upgrade.start_time,
                "lastAction": "Start",
                "lastActionTime": upgrade.start_time,
            },
            "progress": {
                "successfulInstanceCount": upgrade.successful,
                "failedInstanceCount": upgrade.failed,
                "inProgressInstanceCount": len(upgrade.batch),
                "pendingInstanceCount": max(0, pending),
            },
        }
        if upgrade.error is not None:
            props["error"] = upgrade.error
        handler._send(
            200,
            {
                "properties": props,
                "type": "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades",
                "location": ss.location,
                "tags": {},
            },
        )

    def _cancel(self, handler: _Handler, ss: ScaleSet, model: Model) -> None:
        upgrade = model.upgrade
        if upgrade is None or upgrade.status != "RollingForward":
            handler._error(409, "OperationNotAllowed", "There is no ongoing Rolling Upgrade to cancel.")
            return
        if upgrade.batch:
            self._finish_batch(ss, model, upgrade)  # the batch in flight completes; no further batch starts
        if upgrade.status == "RollingForward":
            upgrade.status = "Cancelled"
        op_id = self.arm.start_operation(ss.name, lambda: True)
        handler._accepted(ss.sub, ss.location, op_id)

    # --- the upgrade ----------------------------------------------------------------------------------------
    def _step(self, ss: ScaleSet, model: Model) -> bool:
        """One step of the upgrade; True when it has ended."""
        upgrade = model.upgrade
        if upgrade is None or upgrade.status != "RollingForward":
            return True
        if upgrade.batch:
            self._finish_batch(ss, model, upgrade)
            return upgrade.status != "RollingForward"
        target = model.image.lower()
        pending = sorted((i for i in ss.members if self._image(model, i) != target), key=int)
        if not pending:
            upgrade.status = "Completed"
            return True
        size = max(1, ss.capacity * int(upgrade.policy.get("maxBatchInstancePercent", 20)) // 100)
        taken = pending[:size]
        if upgrade.policy.get("maxSurge"):
            upgrade.replacing = taken
            for _ in taken:
                new = str(ss.next_id)
                ss.next_id += 1
                ss.members[new] = "starting"
                model.images[new] = model.image
                upgrade.batch.append(new)
        else:
            for instance in taken:
                ss.members[instance] = "starting"  # reimaged in place
                model.images[instance] = model.image
                model.unhealthy.discard(instance)
            upgrade.batch = taken
        return False

    def _finish_batch(self, ss: ScaleSet, model: Model, upgrade: Upgrade) -> None:
        failing = model.image.lower() in self.failing
        for instance in upgrade.batch:
            ss.members[instance] = "running"
            if failing:
                model.unhealthy.add(instance)
                upgrade.failed += 1
            else:
                upgrade.successful += 1
        batch, upgrade.batch = upgrade.batch, []
        upgraded = [i for i in ss.members if self._image(model, i) == model.image.lower()]
        bad = [i for i in upgraded if i in model.unhealthy]
        share = 100 * len(bad) // max(1, len(upgraded))
        threshold = int(upgrade.policy.get("maxUnhealthyUpgradedInstancePercent", 20))
        if bad and share > threshold:
            upgrade.status, upgrade.replacing = "Faulted", []  # with maxSurge the old instances stay
            message = (
                f"Rolling Upgrade failed after exceeding the MaxUnhealthyUpgradedInstancePercent value defined "
                f"in the RollingUpgradePolicy. {share}% of instances are in an unhealthy state after being "
                f"upgraded - more than the threshold of {threshold}%. The most impactful error is: Instance "
                f"found to be unhealthy or unreachable.. First failed instance ID is: {sorted(bad, key=int)[0]}."
            )
            upgrade.error = {"code": "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade", "message": message}
            return
        for old in upgrade.replacing:  # maxSurge: the new batch is healthy, so the old instances go
            ss.members.pop(old, None)
            model.images.pop(old, None)
            model.unhealthy.discard(old)
        upgrade.replacing = []
        if batch and all(self._image(model, i) == model.image.lower() for i in ss.members):
            upgrade.status = "Completed"

    def _image(self, model: Model, instance: str) -> str:
        return model.images.get(instance, model.image).lower()

    # --- shapes ---------------------------------------------------------------------------------------------
    def _set_json(self, ss: ScaleSet, model: Model) -> dict[str, Any]:
        out = scale_set_json(ss)
        out["properties"]["upgradePolicy"] = model.policy
        out["properties"]["virtualMachineProfile"] = {"storageProfile": {"imageReference": {"id": model.image}}}
        return out

    def _member_json(self, ss: ScaleSet, model: Model, instance: str, view: bool) -> dict[str, Any]:
        out = member_json(ss, instance, ss.members[instance], view)
        out["properties"]["latestModelApplied"] = self._image(model, instance) == model.image.lower()
        if view:
            healthy = instance not in model.unhealthy and ss.members[instance] == "running"
            word = "healthy" if healthy else "unhealthy"
            out["properties"]["instanceView"]["vmHealth"] = {
                "status": {"code": f"HealthState/{word}", "level": "Info", "displayStatus": f"The VM is {word}"}
            }
        return out


def _key(*parts: str) -> tuple[str, ...]:
    return tuple(p.lower() for p in parts)


def _invalid_policy(policy: dict[str, Any]) -> str | None:
    """Azure's refusal of a rolling upgrade policy, or None (ranges from the REST reference of
    RollingUpgradePolicy)."""
    rolling = policy.get("rollingUpgradePolicy") or {}
    ranges = {"maxBatchInstancePercent": 5, "maxUnhealthyInstancePercent": 5, "maxUnhealthyUpgradedInstancePercent": 0}
    for name, least in ranges.items():
        value = rolling.get(name)
        if value is not None and not least <= int(value) <= 100:
            return f"The value {value} of parameter 'upgradePolicy.rollingUpgradePolicy.{name}' is out of range."
    batch, unhealthy = rolling.get("maxBatchInstancePercent"), rolling.get("maxUnhealthyInstancePercent")
    if batch is not None and unhealthy is not None and int(batch) > int(unhealthy):
        return (
            "The value of parameter 'maxBatchInstancePercent' should not be more than the value of parameter "
            "'maxUnhealthyInstancePercent'."
        )
    return None
