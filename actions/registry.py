"""Which cloud provider a process talks to, from the settings: the real clouds when any account is configured,
else the simulated multi-cloud world."""

from __future__ import annotations

import threading
from typing import TypedDict

import redis

from actions.backend import CloudBackend, Throttle
from actions.catalogue import spec
from actions.provider import CloudProvider, Resource
from actions.queries.search import prepare
from actions.simulated import SimulatedCloud
from core.models import ActionRequest
from core.settings import Settings


def build_provider(settings: Settings, connection: redis.Redis) -> CloudProvider:
    if not settings.real_clouds:
        return SimulatedCloud(
            connection,
            seed=settings.sim_seed,
            size=settings.sim_resources,
            step_seconds=settings.sim_step_seconds,
        )
    from actions.inventory.reader import CachedInventory
    from actions.inventory.store import InventoryStore
    from actions.multicloud import MultiCloud
    from actions.resilience import Guard, RateLimiter

    def timeout_for(request: ActionRequest) -> float:
        chosen = settings.model_fields_set
        return settings.job_timeout_seconds if "job_timeout_seconds" in chosen else spec(request.action).timeout_seconds

    throttle = RateLimiter(settings.cloud_requests_per_second)
    store = InventoryStore(connection)
    inventory = CachedInventory(store, on_new=_index_in_background)
    return MultiCloud(build_backends(settings, throttle), store, Guard(), timeout_for, inventory)


def _index_in_background(resources: tuple[Resource, ...]) -> None:
    """A new inventory's search index is built off the chat path (seconds at 100,000 resources)."""
    threading.Thread(target=prepare, args=(resources,), name="search-index", daemon=True).start()


class _Calls(TypedDict):
    """How every backend calls its cloud: through the shared throttle, with the same timeout and poll interval."""

    throttle: Throttle
    timeout: float
    poll_seconds: float


def build_backends(settings: Settings, throttle: Throttle) -> list[CloudBackend]:
    """One backend per cloud with accounts configured. Each SDK is imported only when its cloud is used."""
    backends: list[CloudBackend] = []
    calls = _Calls(throttle=throttle, timeout=settings.cloud_timeout_seconds, poll_seconds=settings.cloud_poll_seconds)
    if settings.aws_accounts:
        from actions.aws import AwsBackend

        backends.append(AwsBackend(settings.aws_accounts, **calls))
    if settings.azure_subscriptions:
        from actions.azure import AzureBackend

        backends.append(AzureBackend(settings.azure_subscriptions, arm_url=settings.azure_arm_url, **calls))
    if settings.gcp_projects:
        from actions.gcp import GcpBackend

        backends.append(GcpBackend(settings.gcp_projects, compute_url=settings.gcp_compute_url, **calls))
    return backends
