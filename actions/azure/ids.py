"""Resource ids of the Azure backend and the ARM resource paths they stand for.

"azure:<subscription>:<resource group>:vm/<name>", "...:vmss/<name>" and scale-set members
"...:vmss/<name>/<instance id>". The resource group sits where other clouds put the region, so a
resource's scope is found by subscription (`AzureRef.scope_key`), not by the first three parts."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ResourceNotFound


@dataclass(frozen=True)
class AzureRef:
    subscription: str
    resource_group: str
    kind: str  # "vm" or "vmss"
    name: str
    instance_id: str | None = None  # a scale-set member

    @property
    def id(self) -> str:
        tail = f"/{self.instance_id}" if self.instance_id is not None else ""
        return f"azure:{self.subscription}:{self.resource_group}:{self.kind}/{self.name}{tail}"

    @property
    def scope_key(self) -> str:
        return f"azure:{self.subscription}:*"


def parse_id(resource_id: str) -> AzureRef:
    """Split an opsbot id; anything that is not one of ours is ResourceNotFound (the user may read it)."""
    parts = resource_id.split(":", 3)
    if len(parts) != 4 or parts[0] != "azure" or not all(parts[1:]):
        raise ResourceNotFound(f"{resource_id} is not an Azure resource id.")
    _, subscription, group, rest = parts
    pieces = rest.split("/")
    shape_ok = (pieces[0] == "vm" and len(pieces) == 2) or (pieces[0] == "vmss" and len(pieces) in (2, 3))
    if not shape_ok or not all(pieces):
        raise ResourceNotFound(f"{resource_id} is not an Azure resource id.")
    instance = pieces[2] if len(pieces) == 3 else None
    return AzureRef(subscription, group, pieces[0], pieces[1], instance)


def resource_group_of(arm_id: str) -> str:
    """The resource group named in an ARM id ('/subscriptions/s/resourceGroups/RG/providers/...' -> 'RG')."""
    parts = arm_id.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "resourcegroups":
            return parts[i + 1]
    return ""
