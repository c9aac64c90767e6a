"""Keeps the real clouds' inventory cache fresh: every scope (account x region) on a schedule, and at once when
a chat process asks (status wants fresher data). The schedule is the store's (`core.schedule`: each scope due
`every_seconds` after its last refresh, or now when asked; the billing read hourly), shared by every worker
process, which claims what is due and waits for the next due time or a request. Scopes refresh in parallel, each
on its own thread, so a hung or failing cloud delays nobody else; a scope is refreshed by one process at a time (a
Redis lock), and a scope still in flight is never started twice."""

from __future__ import annotations

import logging
import threading
import time
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from actions.backend import BillingSource, CloudBackend, Scope
from actions.inventory.store import InventoryStore
from actions.provider import CloudProvider, Resource
from actions.unexpected_errors import unexpected_error
from core.errors import OpsbotError, ProviderAuthError
from core.schedule import Ticker
from core.settings import Settings

if TYPE_CHECKING:  # pybreaker, tenacity and limits load only with a real cloud's guard
    from actions.resilience import Guard

log = logging.getLogger(__name__)

BILLING_SECONDS = 3600.0  # Cost Explorer is billed per request and updates a few times a day
_LOCK_SHARE = 4.0  # a scope's lock outlives a slow refresh (of the refresh period); its holder's death frees it
_BILLING = "@billing"  # the billing read's member of the schedule (no scope key starts with @)
_RETRY_SECONDS = 1.0  # refresh_all asks again this often for a scope whose lock a dead process may hold


class InventoryRefresher:
    def __init__(
        self,
        backends: list[CloudBackend],
        store: InventoryStore,
        guard: Guard,
        *,
        every_seconds: float,
        max_threads: int = 16,
    ) -> None:
        self._store = store
        self._guard = guard
        self._every = every_seconds
        self._scopes: dict[str, tuple[CloudBackend, Scope]] = {
            scope.key: (backend, scope) for backend in backends for scope in backend.scopes()
        }
        self._pool = ThreadPoolExecutor(max_workers=min(max_threads, len(self._scopes)) + 1, thread_name_prefix="inv")
        self._in_flight: set[str] = set()
        self._futures: set[futures.Future[None]] = set()
        self._guard_lock = threading.Lock()
        self._stopped = threading.Event()  # a refresh still in flight when it is set writes nothing
        self._lease = max(every_seconds, 10.0) * _LOCK_SHARE
        self._ticker = Ticker("inventory-refresher", store.schedule, self._tick, longest=max(every_seconds, 1.0))

    def start(self) -> None:
        self._store.register(scope for _, scope in self._scopes.values())
        self._ticker.start()

    def stop(self, wait_seconds: float = 5.0) -> None:
        """Stop scheduling; refreshes in flight get `wait_seconds` to finish (a hung one is left behind, and
        whatever it reads later is dropped: a stopped refresher writes nothing more)."""
        self._stopped.set()
        self._ticker.stop(wait_seconds)
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._guard_lock:
            running = list(self._futures)
        futures.wait(running, timeout=wait_seconds)

    def refresh_now(self, scope_keys: set[str] | None = None) -> None:
        """Start refreshing these scopes (all when None) unless already in flight; does not wait."""
        for key in scope_keys if scope_keys is not None else set(self._scopes):
            if key in self._scopes:
                self._submit(key)

    def refresh_all(self, timeout: float = 120.0) -> None:
        """Refresh every scope and wait until each has been read (or failed) since this call, also by another
        thread or process that was already on it (start-up, tests, benchmarks). Waits on the store's change
        stream: it returns as soon as the last scope is written."""
        began, deadline = self._store.now(), time.monotonic() + timeout
        seen = self._store.last_change()
        while (left := deadline - time.monotonic()) > 0:
            states = self._store.states()
            pending = {k for k in self._scopes if k not in states or (states[k].checked_at or 0.0) < began}
            if not pending:
                return
            self.refresh_now(pending)
            seen = self._store.wait_for_change(seen, min(left, _RETRY_SECONDS))

    # -- the loop --------------------------------------------------------------------------------------------

    def refresh_billing(self, *, force: bool = True) -> None:
        """Read what every billing source (AWS Cost Explorer) says was spent this month; waits for it. The
        schedule (force=False) skips it when another process read it within the half hour."""
        if not self._store.lock("billing", BILLING_SECONDS / 2) and not force:
            return
        backends = {id(b): b for b, _ in self._scopes.values()}.values()
        for backend in backends:
            if isinstance(backend, BillingSource):
                try:
                    self._store.save_billing(backend.billed_this_month())
                except Exception:  # billing is a detail: a surprise here must not stop the inventory
                    log.exception("billing refresh failed")

    def _tick(self) -> None:
        """Start what the schedule says is due (claimed: one process each); put back what fell off it."""
        schedule = self._store.schedule
        now, states = self._store.now(), self._store.states()
        first: dict[str, float] = {_BILLING: now}
        for key in self._scopes:  # a new scope, or a Redis that lost the schedule: due when its data is old
            state = states.get(key)
            checked = state.checked_at if state is not None else None
            first[key] = now if checked is None else checked + self._every
        schedule.set(first, only_new=True, wake=False)
        for key in schedule.claim(self._lease):
            if key == _BILLING:
                self._pool.submit(self._billing_round)
            elif key in self._scopes:
                self._submit(key)
            # another process's scope (a different configuration): it claims it when our lease ends

    def _billing_round(self) -> None:
        try:
            self.refresh_billing(force=False)
        finally:
            self._store.schedule.set({_BILLING: self._store.now() + BILLING_SECONDS})

    def _submit(self, key: str) -> None:
        with self._guard_lock:
            if key in self._in_flight:
                return
            self._in_flight.add(key)
        try:
            future = self._pool.submit(self._refresh_and_release, key)
        except RuntimeError:  # shutting down
            self._release(key)
            return
        with self._guard_lock:
            self._futures = {f for f in self._futures if not f.done()} | {future}

    def _refresh_and_release(self, key: str) -> None:
        try:
            self._refresh(key)
        finally:
            self._release(key)
            if not self._stopped.is_set():
                self._store.schedule.set({key: self._store.now() + self._every})

    def _release(self, key: str) -> None:
        with self._guard_lock:
            self._in_flight.discard(key)

    def _refresh(self, key: str) -> None:
        backend, scope = self._scopes[key]
        if not self._store.lock(key, max(self._every, 10.0) * _LOCK_SHARE):
            return  # another process is on it
        try:
            self._store.begin(scope)
            started = self._store.now()
            resources: list[Resource] = []
            try:
                resources = self._guard.call(key, scope.label, lambda: backend.fetch(scope))
                failure = None
            except ProviderAuthError as exc:
                failure = str(exc)  # the guard logged it once
            except OpsbotError as exc:
                log.info("%s: refresh failed: %s", scope.label, exc)
                failure = str(exc)
            except Exception as exc:  # a surprise must not kill the refresher: one line naming the source
                failure = str(unexpected_error(scope.label, "refresh", exc))
            if self._stopped.is_set():
                return  # read after the refresher stopped (a hung cloud that answered late): dropped
            if failure is not None:
                self._store.fail(scope, failure)
            else:
                self._store.save(scope, resources, started_at=started)
        finally:
            self._store.unlock(key)


def start_refresher(provider: CloudProvider, settings: Settings) -> InventoryRefresher | None:
    """The refresher for a real-cloud provider (None for the simulated world, which needs none), started."""
    from actions.multicloud import MultiCloud

    if not isinstance(provider, MultiCloud):
        return None
    refresher = InventoryRefresher(
        list(provider.backends), provider.store, provider.guard, every_seconds=settings.inventory_refresh_seconds
    )
    refresher.start()
    return refresher
