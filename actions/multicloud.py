"""The real clouds behind one `CloudProvider`: AWS, Azure and Google Cloud backends, their inventory from the
Redis cache the workers keep fresh, every cloud call through a per-endpoint guard (circuit breaker, retries
with jitter), plans from the cached resources, actions on fresh ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from actions.backend import CloudBackend, Scope
from actions.inventory.reader import CachedInventory
from actions.inventory.store import InventoryStore
from actions.naming import unclear_ids
from actions.planning import Operation, operation
from actions.provider import Billing, Outcome, Plan, ProgressCallback, Resource, Snapshot, SourceHealth
from actions.wording import CLOUD_LABELS
from core.errors import ProviderError, ProviderTimeout, ResourceNotFound
from core.models import ActionName, ActionRequest, Cloud

if TYPE_CHECKING:  # the registry builds the guard; this module only holds it
    from actions.resilience import Guard

TimeoutFor = Callable[[ActionRequest], float]
_WAIT_SHARE = 0.8  # of the job's timeout: the wait gives up first, so its message says where things stopped


class MultiCloud:
    name = "clouds"

    def __init__(
        self,
        backends: Sequence[CloudBackend],
        store: InventoryStore,
        guard: Guard,
        timeout_for: TimeoutFor,
        inventory: CachedInventory | None = None,
    ) -> None:
        self._backends: dict[Cloud, CloudBackend] = {b.cloud: b for b in backends}
        self._store = store
        self._guard = guard
        self._timeout_for = timeout_for
        self._inventory = inventory or CachedInventory(store)
        self._inventory.expect(self.scopes())  # a configured source nobody has read yet says so
        self._by_id: tuple[tuple[Resource, ...], dict[str, Resource]] = ((), {})

    @property
    def backends(self) -> tuple[CloudBackend, ...]:
        return tuple(self._backends.values())

    @property
    def store(self) -> InventoryStore:
        return self._store

    @property
    def guard(self) -> Guard:
        return self._guard

    def scopes(self) -> list[Scope]:
        return [scope for backend in self._backends.values() for scope in backend.scopes()]

    # -- reading: from the cache ------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        return self._inventory.snapshot()

    def sources(self) -> tuple[SourceHealth, ...]:
        """Each configured account and region's health, without loading any resource (for /readyz)."""
        return self._inventory.sources()

    def freshen(self, max_age: float, deadline: float) -> None:
        self._inventory.freshen(max_age, deadline)

    def billing(self) -> tuple[Billing, ...]:
        return self._store.billing()

    def get(self, resource_id: str) -> Resource:
        """One resource, fresh from its cloud (through the guard)."""
        backend = self._backend_of(resource_id)
        scope = backend.scope_of(resource_id)
        return self._guard.call(scope.key, scope.label, lambda: backend.get(resource_id))

    def plan(self, request: ActionRequest) -> Plan:
        """From the cache, never waiting on a cloud: the worker checks the fresh state before it acts."""
        destination = self._cached(request.destination_id) if request.destination_id else None
        unclear = unclear_ids(self._inventory.snapshot().resources)  # names several resources carry
        found = operation(request, self._cached(request.resource_id), destination, unclear=unclear)
        if found.plan is None:
            raise ProviderError(found.done)
        return found.plan

    # -- changing: on fresh state ------------------------------------------------------------------------

    def execute(self, request: ActionRequest, progress: ProgressCallback) -> Outcome:
        destination = self.get(request.destination_id) if request.destination_id else None
        found = operation(request, self.get(request.resource_id), destination)
        if found.plan is None:
            return Outcome(summary=found.done, resource=found.target)
        backend = self._backend_of(found.target.id)
        scope = backend.scope_of(found.target.id)
        wait = self._timeout_for(request) * _WAIT_SHARE
        try:
            result = self._guard.call(scope.key, scope.label, lambda: _run(backend, found, progress, wait), retry=False)
        except ProviderTimeout as exc:
            raise ProviderError(str(exc)) from exc  # the wait is over: running it again would not help
        finally:
            self._store.request_refresh([scope.key])
        self._store.upsert(scope, [result])
        return Outcome(summary=_outcome(request, result), resource=result)

    # -- helpers -------------------------------------------------------------------------------------------

    def _cached(self, resource_id: str) -> Resource:
        resources = self._inventory.snapshot().resources
        known = self._by_id
        if known[0] is not resources:
            known = (resources, {r.id: r for r in resources})
            self._by_id = known
        found = known[1].get(resource_id)
        if found is None:
            raise ResourceNotFound("That resource is gone from the inventory; search for it again.")
        return found

    def _backend_of(self, resource_id: str) -> CloudBackend:
        prefix = resource_id.split(":", 1)[0]
        try:
            return self._backends[Cloud(prefix)]
        except (ValueError, KeyError):
            raise ResourceNotFound(f"No cloud account is configured for {prefix[:20]}.") from None


def _run(backend: CloudBackend, found: Operation, progress: ProgressCallback, wait: float) -> Resource:
    if found.count is not None:
        return backend.scale(found.target, found.count, progress, wait)
    assert found.power is not None
    return backend.set_power(found.target, found.power, progress, wait)


def _outcome(request: ActionRequest, result: Resource) -> str:
    name = result.name
    if request.action is ActionName.FAILOVER:
        return f"{name} ({CLOUD_LABELS[result.cloud]} {result.region}) runs {result.count} instances"
    if result.kind == "group":
        return f"{name} is at {result.count} instances"
    if request.action is ActionName.RESTART:
        return f"{name} restarted and is {result.state}"
    return f"{name} is {result.state}"
