"""The one interface every cloud provider implements: the simulated world and the real clouds (multicloud.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from pydantic import Field

from core.models import ActionRequest, Cloud, Frozen


class Resource(Frozen):
    id: str  # unique across providers ("aws:us-east-1:asg/web-prod")
    name: str  # what people type ("web-prod")
    cloud: Cloud
    kind: str  # "instance", "group", "disk", "database", "load_balancer"
    region: str
    environment: str  # "prod", "staging", "dr"
    state: str  # "running", "stopped", "available", "degraded", ...
    size: str  # instance type / disk size / sku
    count: int | None = None  # instances in a group
    min_count: int | None = None  # a group: the fewest instances the cloud allows (None: not known)
    max_count: int | None = None  # a group: the most instances the cloud allows (None: not known)
    limits_from: str | None = None  # who sets min/max: "Auto Scaling group", "autoscale setting", "autoscaler"
    # Only on the target of a planned operation, never in an inventory: the (min, max) the confirmed plan sets with
    # the new size ("scale web-prod to 20 and raise max"). A backend changes a group's limits only when this says so.
    set_limits: tuple[int, int] | None = None
    hourly_cost: float  # USD per hour, whole resource (a group: all its instances)
    unit_hourly_cost: float | None = None  # a group: cost of one more instance
    tags: dict[str, str] = Field(default_factory=dict)
    cpu: tuple[float, ...] = ()  # recent CPU % samples, oldest first
    group: str | None = None  # name of the group this instance belongs to
    standby: str | None = None  # name of this resource's DR standby ("web-prod" -> "web-dr")
    version: str | None = None  # a group: the release its instances run, where known ("v2.3"; actions.deploy)


class SourceHealth(Frozen):
    """How one part of an inventory (a real cloud's account in a region) is doing."""

    cloud: Cloud
    label: str  # "AWS prod us-east-1"
    fetched_at: float | None  # last successful refresh, unix seconds; None: never
    error: str | None = None  # the last refresh's error; None when it succeeded
    error_since: float | None = None  # when the current run of failures began
    resources: int = 0
    checked_at: float | None = None  # end of the last refresh attempt, successful or not; None: none yet
    refreshing_since: float | None = None  # a refresh in flight since then


class Billing(Frozen):
    """What a cloud's billing says was spent this month so far (AWS Cost Explorer), per account."""

    label: str  # "AWS prod"
    by_service: dict[str, float] = Field(default_factory=dict)  # USD, biggest first
    fetched_at: float
    error: str | None = None

    @property
    def total(self) -> float:
        return round(sum(self.by_service.values()), 2)


class Snapshot(Frozen):
    """One provider's view of its inventory, with its age and last error. A provider made of several sources
    (the real clouds: one per account and region) lists each source's age and error in `sources`."""

    provider: str
    resources: tuple[Resource, ...]
    fetched_at: float  # unix seconds; with sources: the oldest source's
    error: str | None = None
    sources: tuple[SourceHealth, ...] = ()


class Plan(Frozen):
    """What an action will change, computed before the confirmation and shown to the user."""

    summary: str  # "web-prod (AWS us-east-1): 12 -> 20 instances, about +$4.10/h"
    before: str
    after: str
    instances_affected: int  # for blast-radius limits
    cost_delta_per_hour: float


class Outcome(Frozen):
    summary: str  # "web-prod is at 20 instances"
    resource: Resource


ProgressCallback = Callable[[str], None]


class CloudProvider(Protocol):
    """A source of inventory and an executor of actions. Methods raise `core.errors.ProviderError`."""

    name: str

    def snapshot(self) -> Snapshot:
        """The current inventory. Real providers answer from their cache; never slow."""
        ...

    def freshen(self, max_age: float, deadline: float) -> None:
        """Ask for data no older than `max_age` seconds and wait for it at most `deadline` seconds. A provider
        whose snapshot is always current does nothing."""
        ...

    def get(self, resource_id: str) -> Resource:
        """One resource, fresh. Raises ResourceNotFound."""
        ...

    def billing(self) -> tuple[Billing, ...]:
        """This month's billed spend per account, where the cloud reports it (cached; never slow)."""
        ...

    def plan(self, request: ActionRequest) -> Plan:
        """What `request` would change. Raises ProviderError if it cannot be done at all."""
        ...

    def execute(self, request: ActionRequest, progress: ProgressCallback) -> Outcome:
        """Carry the action out, calling `progress` with short lines while it runs."""
        ...


def by_name(resources: Sequence[Resource]) -> dict[str, Resource]:
    return {r.name: r for r in resources}
