"""What the conversation core needs, handed in by whoever assembles the process (bot.runtime)."""

from __future__ import annotations

from dataclasses import dataclass, field

import redis

from actions.provider import CloudProvider, Resource, Snapshot
from audit.log import AuditLog
from conversation.confirmations import ConfirmationStore
from core.settings import Settings
from intents.resolve import Resolver
from policies.engine import PolicyEngine
from workers.context import WorkerContext


@dataclass(frozen=True)
class Index:
    """Name lookups over one snapshot's resources."""

    resources: tuple[Resource, ...]
    by_name: dict[str, Resource]
    resolver: Resolver


@dataclass
class Services:
    settings: Settings
    connection: redis.Redis
    provider: CloudProvider
    policy: PolicyEngine
    audit: AuditLog
    confirmations: ConfirmationStore
    workers: WorkerContext
    _index: Index | None = field(default=None, repr=False)

    def index(self, snapshot: Snapshot) -> Index:
        """Rebuilt only when the provider hands out a new inventory (it caches unchanged ones)."""
        current = self._index
        if current is not None and current.resources is snapshot.resources:
            return current
        by_name = {r.name: r for r in snapshot.resources}
        current = Index(snapshot.resources, by_name, Resolver(by_name))
        self._index = current
        return current
