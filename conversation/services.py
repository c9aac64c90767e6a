"""What the conversation core needs, handed in by whoever assembles the process (bot.runtime)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import redis

from actions.provider import CloudProvider, Resource, Snapshot
from audit.log import AuditLog
from conversation.confirmations import ConfirmationStore
from core.settings import Settings
from intents.resolve import Resolution, Resolver
from policies.engine import PolicyEngine
from workers.context import WorkerContext
from workers.escalation.desk import AlertDesk

_BUILD_NOW_UP_TO = 2000  # names; a resolver over this many builds in about 20 ms


@dataclass(frozen=True)
class Index:
    """Name lookups over one snapshot's resources."""

    resources: tuple[Resource, ...]
    by_name: dict[str, Resource]
    resolver: Resolver

    def resolve(self, phrase: str) -> Resolution:
        """Exact names first (always current), then the resolver; never a name the inventory lacks."""
        name = phrase.strip()
        if name in self.by_name:
            return Resolution(match=name, candidates=())
        found = self.resolver.resolve(phrase)
        match = found.match if found.match in self.by_name else None
        return Resolution(match=match, candidates=tuple(c for c in found.candidates if c in self.by_name))


@dataclass
class Services:
    settings: Settings
    connection: redis.Redis
    provider: CloudProvider
    policy: PolicyEngine
    audit: AuditLog
    confirmations: ConfirmationStore
    workers: WorkerContext
    alerts: AlertDesk
    _index: Index | None = field(default=None, repr=False)
    _resolver: tuple[frozenset[str], Resolver] | None = field(default=None, repr=False)
    _rebuilding: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def index(self, snapshot: Snapshot) -> Index:
        """Rebuilt only when the provider hands out a new inventory (it caches unchanged ones)."""
        current = self._index
        if current is not None and current.resources is snapshot.resources:
            return current
        by_name = {r.name: r for r in snapshot.resources}
        # Group members come and go with every scale; they are found by their exact name only, so the
        # resolver's names (groups and standalone resources) stay the same across scaling.
        stable = frozenset(r.name for r in snapshot.resources if r.group is None)
        current = Index(snapshot.resources, by_name, self._resolver_for(stable))
        self._index = current
        return current

    def _resolver_for(self, names: frozenset[str]) -> Resolver:
        """Building a resolver over thousands of names takes ~100 ms: that happens once up front, and
        after a change of names (a resource created or deleted) in the background while the previous
        one keeps answering. A name the stale resolver offers but the inventory lacks is not found."""
        known = self._resolver
        if known is None or (known[0] != names and (not known[0] or len(names) <= _BUILD_NOW_UP_TO)):
            built = Resolver(names)  # first names, or few of them (milliseconds): no one is answered by a stale one
            self._resolver = (names, built)
            return built
        if known[0] != names and self._rebuilding.acquire(blocking=False):
            threading.Thread(target=self._rebuild, args=(names,), name="resolver-rebuild", daemon=True).start()
        return known[1]

    def _rebuild(self, names: frozenset[str]) -> None:
        try:
            self._resolver = (names, Resolver(names))
            self._index = None  # the next message picks the fresh resolver up
        finally:
            self._rebuilding.release()
