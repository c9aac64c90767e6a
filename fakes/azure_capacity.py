"""What the checks before a deploy read from the fake ARM (`fakes.azure_rollouts.RollingUpgrades` serves it):
images and gallery image versions (a GET; 404 ResourceNotFound with ARM's wording when missing), the sizes offered
in a location (`GET .../skus?$filter=location eq '...'`, with a NotAvailableForSubscription restriction when asked)
and a location's usages (`GET .../locations/{location}/usages`: a family's and the regional vCPUs)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakes.azure_arm import FakeArm, _Handler

SKUS_ROUTE = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.Compute/skus$", re.IGNORECASE)
USAGE_ROUTE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.Compute/locations/(?P<loc>[^/]+)/usages$", re.IGNORECASE
)
IMAGE_ROUTE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute/"
    r"(?P<what>galleries/[^/]+/images/[^/]+/versions/[^/]+|images/[^/]+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sku:
    name: str
    family: str
    vcpus: int
    restricted: bool = False  # NotAvailableForSubscription in this location


class Capacity:
    def __init__(self, arm: FakeArm) -> None:
        self.arm = arm
        self.images: set[str] = set()  # image ids that exist (lower case)
        self.skus: dict[str, list[Sku]] = {}  # location -> the sizes offered there
        self.usages: dict[str, dict[str, tuple[int, int, str]]] = {}  # location -> name -> (current, limit, text)

    def add_image(self, image: str) -> None:
        with self.arm.lock:
            self.images.add(image.lower())

    def offer(self, location: str, name: str, family: str, vcpus: int, *, restricted: bool = False) -> None:
        with self.arm.lock:
            self.skus.setdefault(location.lower(), []).append(Sku(name, family, vcpus, restricted))

    def set_usage(self, location: str, name: str, current: int, limit: int, text: str = "") -> None:
        with self.arm.lock:
            self.usages.setdefault(location.lower(), {})[name] = (current, limit, text or name)

    def serve(self, handler: _Handler, method: str, path: str, query: dict[str, str]) -> bool:
        """Answer one of these reads (the caller holds the fake's lock); False: not one of them."""
        if SKUS_ROUTE.match(path) and method == "GET":
            location = _location_filter(query.get("$filter", ""))
            items = [_sku_json(s, loc) for loc, skus in self.skus.items() if location in (None, loc) for s in skus]
            handler._send(200, {"value": items})
            return True
        if (found := USAGE_ROUTE.match(path)) and method == "GET":
            usages = self.usages.get(found["loc"].lower(), {})
            handler._send(200, {"value": [_usage_json(n, *u) for n, u in usages.items()]})
            return True
        if (found := IMAGE_ROUTE.match(path)) and method == "GET":
            if path.lower() not in self.images:
                what = "Microsoft.Compute/" + found["what"]
                handler._error(
                    404,
                    "ResourceNotFound",
                    f"The Resource '{what}' under resource group '{found['rg']}' was not found.",
                )
            else:
                handler._send(
                    200,
                    {
                        "id": path,
                        "name": path.rsplit("/", 1)[1],
                        "location": "westeurope",
                        "properties": {"provisioningState": "Succeeded"},
                    },
                )
            return True
        return False


def _location_filter(text: str) -> str | None:
    found = re.match(r"^\s*location\s+eq\s+'([^']+)'\s*$", text, re.IGNORECASE)
    return found[1].lower() if found else None


def _sku_json(sku: Sku, location: str) -> dict[str, Any]:
    restrictions = []
    if sku.restricted:
        restrictions = [
            {
                "type": "Location",
                "values": [location],
                "reasonCode": "NotAvailableForSubscription",
                "restrictionInfo": {"locations": [location]},
            }
        ]
    return {
        "resourceType": "virtualMachines",
        "name": sku.name,
        "tier": "Standard",
        "size": sku.name.split("_", 1)[-1],
        "family": sku.family,
        "locations": [location],
        "locationInfo": [{"location": location, "zones": []}],
        "capabilities": [{"name": "vCPUs", "value": str(sku.vcpus)}],
        "restrictions": restrictions,
    }


def _usage_json(name: str, current: int, limit: int, text: str) -> dict[str, Any]:
    return {"unit": "Count", "currentValue": current, "limit": limit, "name": {"value": name, "localizedValue": text}}
