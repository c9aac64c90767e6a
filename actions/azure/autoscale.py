"""The capacity limits of a subscription's scale sets: an autoscale setting's profile (minimum, maximum) where one
targets the set, otherwise the set's own hard limit (100 instances in a single placement group, else 1,000).

Autoscale settings live in Microsoft.Insights, not Microsoft.Compute; they are read through the compute client's
own pipeline (`send_request`: same endpoint, credential, throttle and timeouts), one paged listing per
subscription (or per configured resource group), and only when there are scale sets. Azure takes a manual
capacity outside the autoscale bounds and autoscale puts it back on its next run, so opsbot plans inside them."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import VirtualMachineScaleSet

from actions.azure.convert import text

log = logging.getLogger(__name__)
_REFUSED: set[str] = set()  # subscriptions whose autoscale settings could not be read (logged once)

API_VERSION = "2022-10-01"
AUTOSCALE = "autoscale setting"
HARD_LIMIT = "scale set limit"


class Limits(NamedTuple):
    minimum: int
    maximum: int
    source: str  # AUTOSCALE or HARD_LIMIT, as replies name it


Bounds = dict[str, Limits]  # lower-case ARM id of the scale set -> its autoscale bounds


def _pages(client: ComputeManagementClient, url: str) -> Iterator[dict[str, Any]]:
    next_url: str | None = url
    while next_url:
        response = client.send_request(HttpRequest("GET", next_url))
        response.raise_for_status()
        page: dict[str, Any] = response.json()
        yield page
        next_url = page.get("nextLink")


def autoscale_bounds(client: ComputeManagementClient, subscription: str, groups: Sequence[str]) -> Bounds:
    """Every enabled autoscale setting's bounds, by the scale set it targets. Without permission to read them
    (a role without Microsoft.Insights/autoscalesettings/read) the sets keep their hard limit, logged once."""
    query = f"providers/Microsoft.Insights/autoscalesettings?api-version={API_VERSION}"
    home = f"/subscriptions/{subscription}"
    found: Bounds = {}
    try:
        for scope in [f"{home}/resourceGroups/{rg}" for rg in groups] or [home]:
            for page in _pages(client, f"{scope}/{query}"):
                for setting in page.get("value", []):
                    target, limits = _limits(setting.get("properties") or {})
                    if target and limits:
                        found[target] = limits
    except HttpResponseError as exc:
        if exc.status_code not in (403, 404):
            raise
        if subscription not in _REFUSED:
            _REFUSED.add(subscription)
            log.warning("Azure %s: autoscale settings not readable (HTTP %s); scale sets keep their hard limit",
                        subscription, exc.status_code)  # fmt: skip
    return found


def _limits(props: dict[str, Any]) -> tuple[str, Limits | None]:
    target = str(props.get("targetResourceUri") or "").lower()
    profiles = props.get("profiles") or []
    if props.get("enabled") is False or not profiles:
        return target, None
    # The default profile (no schedule) is the one in force outside scheduled windows.
    chosen = next((p for p in profiles if not p.get("recurrence") and not p.get("fixedDate")), profiles[0])
    capacity = chosen.get("capacity") or {}
    try:
        return target, Limits(int(capacity["minimum"]), int(capacity["maximum"]), AUTOSCALE)
    except (KeyError, TypeError, ValueError):
        return target, None


def hard_limit(vmss: VirtualMachineScaleSet) -> Limits:
    props = vmss.properties
    single = bool(props.single_placement_group) if props is not None else False
    return Limits(0, 100 if single else 1000, HARD_LIMIT)


def limits_of(vmss: VirtualMachineScaleSet, bounds: Bounds) -> Limits:
    return bounds.get(text(vmss.id).lower()) or hard_limit(vmss)
