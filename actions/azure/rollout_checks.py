"""What stops a scale set from rolling to a version, asked of Azure before anything changes (read-only).

One read of the scale set (its size, location and capacity), then four reads at once: the image (a gallery image
version or a managed image, in whatever subscription its id names), the sizes offered in the location
(`resource_skus.list` filtered by location: is the set's size there, and not restricted for this subscription),
the location's usages (the size's family and the regional vCPUs, against the cores the surge adds) and the members'
health (fewer healthy than min_healthy_percent of the size refuses). Each problem is one line naming Azure, the
group and the fix; a read that fails is one line too."""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import ResourceSku, VirtualMachineScaleSet

from actions.azure.convert import text
from actions.azure.rollout_state import Target, healthy
from actions.deploy.model import GroupChange
from core.errors import ProviderError

ClientFor = Callable[[str], ComputeManagementClient]  # subscription id -> its client
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="azure-checks")


def check_change(change: GroupChange, target: Target, client_for: ClientFor) -> list[str]:
    try:
        vmss = target.scale_set()
    except ProviderError as exc:
        return [_unread(target, exc)]
    size = text(vmss.sku.name) if vmss.sku is not None else ""
    location = text(vmss.location)
    reads: dict[str, Callable[[], list[str]]] = {
        "image": lambda: _image(change, target, client_for),
        "size": lambda: _size_and_quota(change, target, size, location),
        "health": lambda: _health(change, target, vmss),
    }
    futures = {name: _POOL.submit(_lines, target, read) for name, read in reads.items()}
    return [line for name in reads for line in futures[name].result()]


def _lines(target: Target, read: Callable[[], list[str]]) -> list[str]:
    try:
        return read()
    except ProviderError as exc:
        return [_unread(target, exc)]


def _unread(target: Target, exc: ProviderError) -> str:
    """A read that failed, as a check's line: what Azure said, naming the group."""
    said = str(exc)
    if said.startswith(f"Azure {target.group}:"):
        return said
    return f"Azure {target.group}: not checked, {said.rstrip('.')}: try again"


def _image(change: GroupChange, target: Target, client_for: ClientFor) -> list[str]:
    image = change.to.image or ""
    parts = image.strip("/").split("/")
    lower = [p.lower() for p in parts]
    if len(parts) < 8 or lower[0] != "subscriptions" or lower[2] != "resourcegroups":
        return []  # not an image resource id (a community or shared gallery): Azure checks it when it rolls
    client, rg, where = client_for(parts[1]), parts[3], f"versions.{change.to_version}.azure.image"
    read: Callable[[], Any]
    if lower[6:7] == ["galleries"] and len(parts) == 12:
        gallery, name, version = parts[7], parts[9], parts[11]
        read = lambda: client.gallery_image_versions.get(rg, gallery, name, version)  # noqa: E731
        what = f"gallery image {name} version {version} (gallery {gallery}, resource group {rg})"
    elif lower[6:7] == ["images"] and len(parts) == 8:
        read = lambda: client.images.get(rg, parts[7])  # noqa: E731
        what = f"image {parts[7]} (resource group {rg})"
    else:
        return []
    try:
        target.call(read)
    except ProviderError as exc:
        cause = exc.__cause__
        status = cause.status_code if isinstance(cause, HttpResponseError) else None
        if isinstance(cause, ResourceNotFoundError) or status == 404:
            return [f"Azure {change.group}: {what} does not exist: publish it, or fix {where} in the release manifest"]
        if status in (401, 403):
            return [f"Azure {change.group}: {what} is not readable with opsbot's credentials: grant Reader on it"]
        raise
    return []


def _size_and_quota(change: GroupChange, target: Target, size: str, location: str) -> list[str]:
    client = target.client
    skus, usages = target.call(
        lambda: (list(client.resource_skus.list(filter=f"location eq '{location}'")), list(client.usage.list(location)))
    )
    sku = next(
        (s for s in skus if text(s.resource_type) == "virtualMachines" and text(s.name).lower() == size.lower()), None
    )
    if sku is None:
        return [
            f"Azure {change.group}: size {size} is not offered in {location}: choose another size for the scale set"
        ]
    restriction = _restriction(sku, location)
    if restriction:
        return [
            f"Azure {change.group}: size {size} is not available to subscription {target.label} in {location} "
            f"({restriction}): request access to it or choose another size"
        ]
    if change.strategy.surge <= 0:
        return []
    cores = _vcpus(sku) * change.strategy.surge
    family = text(sku.family)
    lines = []
    for usage in usages:
        name = text(usage.name.value) if usage.name is not None else ""
        if name.lower() not in (family.lower(), "cores") or usage.limit is None:
            continue
        current, limit = int(usage.current_value or 0), int(usage.limit)
        if current + cores > limit:
            label = text(usage.name.localized_value) if usage.name is not None else name
            lines.append(
                f"Azure {change.group}: {label or name} quota in {location} is {current}/{limit} vCPUs and "
                f"the surge needs {cores} more: raise the quota, or set surge: 0 for {change.group}"
            )
    return lines


def _restriction(sku: ResourceSku, location: str) -> str:
    for restriction in sku.restrictions or ():
        places = [v.lower() for v in restriction.values_property or ()]
        if text(restriction.type) == "Location" and (not places or location.lower() in places):
            return text(restriction.reason_code) or "restricted"
    return ""


def _vcpus(sku: ResourceSku) -> int:
    for capability in sku.capabilities or ():
        if text(capability.name) == "vCPUs":
            return int(float(text(capability.value) or 0))
    return 0


def _health(change: GroupChange, target: Target, vmss: VirtualMachineScaleSet) -> list[str]:
    size = int(vmss.sku.capacity or 0) if vmss.sku is not None else 0
    if size == 0:
        return []
    well = sum(1 for m in target.members() if healthy(m))
    need = math.ceil(size * change.strategy.min_healthy_percent / 100)
    if well >= need:
        return []
    return [
        f"Azure {change.group}: only {well} of {size} instances are healthy and {need} "
        f"({change.strategy.min_healthy_percent}%) must stay in service: fix or replace the unhealthy ones first"
    ]
