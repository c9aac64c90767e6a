"""The seam below `CloudProvider` for the real clouds: one `CloudBackend` per cloud (AWS, Azure, Google Cloud).

A backend only talks to its cloud: it lists the resources of one scope (an account or subscription or project in
one region or zone), reads one resource fresh, and carries out one operation until the cloud reports the target
state. Caching, planning, circuit breaking and retries are the business of `actions.multicloud`, above it.

Resource ids start with the scope's key: "aws:prod:us-east-1:i-0abc", "aws:prod:us-east-1:asg/web-prod",
"azure:<subscription>:<resource group>:vm/db-prod", "azure:<subscription>:<resource group>:vmss/web-dr",
"gcp:<project>:<zone>:instance/api-1", "gcp:<project>:<zone or region>:mig/api-prod". The part after the third
colon is the backend's own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from actions.provider import Billing, ProgressCallback, Resource
from core.models import Cloud, Frozen


class Scope(Frozen):
    """One unit of inventory refresh and one circuit-breaker endpoint."""

    cloud: Cloud
    account: str  # AWS account label, Azure subscription id, GCP project id
    region: str  # AWS region; Azure "*" (all locations of the subscription); GCP zone, or "*" (aggregated list)
    label: str  # how replies name it: "AWS prod us-east-1"
    environment: str | None = None  # default environment for resources without an environment tag

    @property
    def key(self) -> str:
        return f"{self.cloud.value}:{self.account}:{self.region}"


def scope_key_of(resource_id: str) -> str:
    """'aws:prod:us-east-1:i-0abc' -> 'aws:prod:us-east-1'. Azure ids carry the resource group in the third
    part, so they map to the subscription's scope ('azure:<sub>:*') through `CloudBackend.scope_of`."""
    return ":".join(resource_id.split(":", 3)[:3])


class Throttle(Protocol):
    """Client-side rate limit: a backend calls `wait(scope.key)` before every API request it makes."""

    def wait(self, endpoint: str) -> None: ...


class NoThrottle:
    def wait(self, endpoint: str) -> None:
        return None


class CloudBackend(Protocol):
    """One cloud. Every method raises the `core.errors` tree, never an SDK exception:
    `ProviderAuthError` (credentials refused: one line naming the provider and what to check),
    `TransientProviderError` (429 / 5xx / timeouts; `retry_after` when the cloud said),
    `ResourceNotFound`, `ProviderTimeout` (the target state was not reached in time: the message says which state
    it stopped in), `ProviderError` (any other refusal, e.g. a 4xx, as a short sentence)."""

    cloud: Cloud

    def scopes(self) -> Sequence[Scope]:
        """Every scope configured for this cloud."""
        ...

    def scope_of(self, resource_id: str) -> Scope:
        """The scope a resource id belongs to (for Azure: its subscription). Raises ResourceNotFound."""
        ...

    def fetch(self, scope: Scope) -> list[Resource]:
        """Every resource of one scope, all pages. May take seconds; never called in the chat path."""
        ...

    def get(self, resource_id: str) -> Resource:
        """One resource as the cloud reports it now."""
        ...

    def set_power(self, resource: Resource, action: str, progress: ProgressCallback, timeout: float) -> Resource:
        """action is "start", "stop" or "restart" on an instance (a VM). Starts the cloud operation, reports
        progress lines ("db-prod: starting"), waits until the cloud reports the target state ("running" /
        "stopped"; a restart: "running" again after the operation completed) and returns the resource then."""
        ...

    def scale(self, group: Resource, count: int, progress: ProgressCallback, timeout: float) -> Resource:
        """Set a group's desired size, report "web-prod: 16/20 instances running" while it moves, return the
        group once `count` instances are running (or, scaling down, once it has `count`)."""
        ...


@runtime_checkable
class BillingSource(Protocol):
    """A backend that can read what was billed this month (AWS: Cost Explorer). Called about hourly."""

    def billed_this_month(self) -> list[Billing]: ...
