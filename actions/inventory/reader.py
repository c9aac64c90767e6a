"""The chat side of the inventory cache: a snapshot of every real cloud, answered from memory.

A new version in Redis is loaded in the background while the previous snapshot keeps answering (parsing
100,000 resources takes a while), so no message waits for it. `freshen` is the one place that may wait: status
asks the workers for fresher data and waits at most its deadline, never for a source that is already hanging."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from actions.backend import Scope
from actions.inventory.store import InventoryStore, ScopeState
from actions.provider import Resource, Snapshot, SourceHealth

log = logging.getLogger(__name__)

LOAD_NOW_UP_TO = 5000  # changed resources parsed in the asking thread (~25 ms); more load in the background
_WAIT_SHARE = 0.8


class CachedInventory:
    def __init__(self, store: InventoryStore, *, on_new: Callable[[tuple[Resource, ...]], None] | None = None) -> None:
        self._store = store
        self._on_new = on_new  # e.g. build the search index for the new inventory, off the chat path
        self._lock = threading.Lock()  # one loader at a time
        self._parts: dict[str, tuple[str, tuple[Resource, ...]]] = {}  # scope key -> (digest, resources)
        self._snapshot: Snapshot | None = None
        self._version = -1
        self._loading = False
        self._expected: tuple[Scope, ...] = ()

    def expect(self, scopes: Iterable[Scope]) -> None:
        """The configured sources: each is in every snapshot, also before any worker has registered or read it
        (it then has no data, and says so), so an empty cache never looks like an empty cloud."""
        self._expected = tuple(scopes)
        self._version = -1  # the next snapshot includes them

    def states(self) -> dict[str, ScopeState]:
        """Every source's state: the stored ones, and the configured ones nobody has written yet."""
        states = self._store.states()
        return {**{s.key: ScopeState(scope=s) for s in self._expected if s.key not in states}, **states}

    def sources(self) -> tuple[SourceHealth, ...]:
        """Every configured source's health, from one read of the meta hash (no resources parsed): readiness."""
        return _sources(list(self.states().values()))

    def snapshot(self) -> Snapshot:
        current = self._snapshot
        if current is None:
            return self._reload()
        if self._store.version() != self._version and not self._loading:  # one GET when nothing changed
            states = self.states()
            changed = sum(s.resources for k, s in states.items() if self._parts.get(k, ("", ()))[0] != s.digest)
            if changed <= LOAD_NOW_UP_TO:
                return self._reload()  # a few milliseconds: the answer after an action shows its result
            self._loading = True
            threading.Thread(target=self._background_reload, name="inventory-load", daemon=True).start()
        return current

    def freshen(self, max_age: float, deadline: float) -> None:
        """Ask the workers to refresh sources older than `max_age` and wait until they answered, at most
        `deadline` seconds. Sources whose refresh has already been running longer than the deadline (a hung
        cloud) are not waited for: they are reported as they are. Ages are on the store's clock; the wait blocks
        on the store's change stream, so it ends as soon as the last awaited answer is written."""
        start, now = time.monotonic(), self._store.now()
        states = self.states()
        stale = [
            key for key, s in states.items()
            if (s.checked_at is None or now - s.checked_at > max_age)
            and (s.refreshing_since is None or now - s.refreshing_since < deadline)
        ]  # fmt: skip
        if not stale:
            self._reload_if_changed()
            return
        seen = self._store.last_change()
        self._store.request_refresh(stale)
        waiting = self._unanswered(stale, now)
        budget = deadline * _WAIT_SHARE  # the rest is for loading what arrived and writing the answer
        while waiting and (left := budget - (time.monotonic() - start)) > 0:
            seen = self._store.wait_for_change(seen, left)
            waiting = self._unanswered(waiting, now)
        self._reload_if_changed()

    def _unanswered(self, keys: Iterable[str], since: float) -> set[str]:
        """Of these stored sources, those not checked since `since`."""
        states = self._store.states()
        return {k for k in keys if k in states and (states[k].checked_at or 0.0) < since}

    # -- loading -----------------------------------------------------------------------------------------

    def _reload_if_changed(self) -> None:
        if self._store.version() != self._version:
            self._reload()

    def _background_reload(self) -> None:
        try:
            self._reload()
        except Exception:  # a failed load keeps the previous snapshot; the next check tries again
            log.exception("inventory load failed")
        finally:
            self._loading = False

    def _reload(self) -> Snapshot:
        with self._lock:
            version = self._store.version()
            if self._snapshot is not None and version == self._version:
                return self._snapshot
            states = self.states()
            parts: dict[str, tuple[str, tuple[Resource, ...]]] = {}
            for key, state in sorted(states.items()):
                known = self._parts.get(key)
                parts[key] = known if known and known[0] == state.digest else (state.digest, self._store.load(key))
            changed = parts.keys() != self._parts.keys() or any(parts[k][1] is not self._parts[k][1] for k in parts)
            previous = self._snapshot
            if previous is not None and not changed:
                resources = previous.resources  # same tuple: caches keyed on it stay valid
            else:
                resources = tuple(r for _, rs in parts.values() for r in rs)
            snapshot = _snapshot(resources, list(states.values()))
            self._parts, self._snapshot, self._version = parts, snapshot, version
        if changed and self._on_new is not None:
            self._on_new(resources)
        return snapshot


def _sources(states: Sequence[ScopeState]) -> tuple[SourceHealth, ...]:
    return tuple(
        SourceHealth(
            cloud=s.scope.cloud, label=s.scope.label, fetched_at=s.fetched_at, error=s.error,
            error_since=s.error_since if s.error else None, resources=s.resources, checked_at=s.checked_at,
            refreshing_since=s.refreshing_since,
        )
        for s in sorted(states, key=lambda s: s.scope.key)
    )  # fmt: skip


def _snapshot(resources: tuple[Resource, ...], states: Sequence[ScopeState]) -> Snapshot:
    sources = _sources(states)
    fetched = [s.fetched_at or 0.0 for s in states]  # 0.0: a source never read (status reads `sources`)
    errors = [f"{s.scope.label}: {s.error}" for s in states if s.error]
    # Constructed, not validated: validation would copy the tuple, and caches downstream key on its identity.
    return Snapshot.model_construct(
        provider="clouds",
        resources=resources,
        fetched_at=min(fetched) if fetched else 0.0,
        error="; ".join(errors) or None,
        sources=sources,
    )
