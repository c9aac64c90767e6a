"""How plans and outcomes name things, shared by the simulated and the real clouds."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from actions.catalogue import MAX_GROUP_SIZE
from actions.naming import member_named_like_its_group
from actions.provider import Plan, Resource
from core.errors import ProviderError
from core.models import Cloud

CLOUD_LABELS: MappingProxyType[Cloud, str] = MappingProxyType(
    {Cloud.AWS: "AWS", Cloud.AZURE: "Azure", Cloud.GCP: "GCP"}
)


def where(cloud: Cloud, region: str) -> str:
    """'AWS us-east-1': how a place is named in summaries."""
    return f"{CLOUD_LABELS[cloud]} {region}"


def title(resource: Resource, *, unclear: bool = False) -> str:
    """'web-prod', or 'web-prod i-0abc123' when the name alone could mean another resource (`unclear`, from the
    inventory: see actions.naming) or is its group's."""
    if not (unclear or member_named_like_its_group(resource)):
        return resource.name
    own = resource.id.rsplit(":", 1)[-1]  # the cloud's own id: i-0abc123
    if resource.name in own:  # "vm/db-prod", "asg/web-prod": the name again, not what tells them apart
        own = resource.id
    return f"{resource.name} {own}"


def head(resource: Resource, *, unclear: bool = False) -> str:
    """'web-prod (AWS us-east-1)': how a summary names its subject ('web-prod i-0abc123 (AWS us-east-1)' when
    the name is not its own alone)."""
    return f"{title(resource, unclear=unclear)} ({where(resource.cloud, resource.region)})"


def per_hour(delta: float) -> str:
    """', about +$4.10/h', or nothing when the cost does not move."""
    if abs(delta) < 0.005:
        return ""
    sign = "+" if delta > 0 else "-"
    # Half-up on the value rounded to 6 places, so float noise never flips a cent (2 x $0.5125 is $1.03).
    cents = Decimal(repr(round(abs(delta), 6))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f", about {sign}${cents}/h"


def check_scale_target(name: str, target: int) -> None:
    """The limits every scale obeys, whichever cloud runs it."""
    if target < 0:
        raise ProviderError(f"{name} cannot be scaled to {target} instances")
    if target > MAX_GROUP_SIZE:
        raise ProviderError(f"{name} cannot be scaled above {MAX_GROUP_SIZE} instances")


def scale_plan(
    group: Resource, target: int, delta: float, *, emergency: bool, note: str = "", unclear: bool = False
) -> Plan:
    """'web-prod (AWS us-east-1): 12 -> 20 instances, about +$4.10/h'; `note` follows the sizes (", shut down")."""
    count = group.count or 0
    word = "emergency scale " if emergency else ""
    return Plan(
        summary=f"{head(group, unclear=unclear)}: {word}{count} -> {target} instances{note}{per_hour(delta)}",
        before=f"{count} instances",
        after=f"{target} instances",
        instances_affected=abs(target - count),
        cost_delta_per_hour=round(delta, 4),
    )
