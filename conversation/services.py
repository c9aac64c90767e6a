"""What the conversation core needs, handed in by whoever assembles the process (bot.runtime)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import redis

from actions.naming import rank
from actions.provider import CloudProvider, Resource, Snapshot
from alerts.desk import Desk
from audit.store import AuditStore
from conversation.confirmations import ConfirmationStore
from core.settings import Settings
from intents.ids import IdIndex, typed_id
from intents.resolve import MAX_CANDIDATES, Resolution, Resolver
from policies.engine import PolicyEngine
from workers.context import WorkerContext

if TYPE_CHECKING:  # the reader's module loads numpy and the sources: only when a metrics question comes
    from actions.costs.store import CostStore
    from actions.deploy.model import Manifest, RolloutBackend
    from actions.deploy.records import DeployBook
    from actions.dns.model import DnsSwitch
    from actions.dr.runs import RunBook
    from actions.metrics.reader import MetricsReader
    from conversation.incident_rooms import IncidentRooms
    from core.models import Cloud
    from policies.alerting.model import AlertingPolicy
    from policies.budgets import BudgetBook
    from policies.runbook_model import Runbook

_BUILD_NOW_UP_TO = 2000  # names; a resolver over this many builds in about 20 ms


@dataclass(frozen=True)
class Index:
    """Lookups over one snapshot's resources: by id, by name, then by the resolver's normalised and fuzzy names."""

    resources: tuple[Resource, ...]
    # Each name's resource, and the id of every resource whose name another one has too (its only certain key).
    by_name: dict[str, Resource]
    resolver: Resolver
    shared: dict[str, tuple[Resource, ...]] = field(default_factory=dict)  # names that leave a choice: ask

    @cached_property
    def ids(self) -> IdIndex:
        """Built on the first lookup by id (about 0.1 s per 100,000 resources), not for every new inventory."""
        return IdIndex(r.id for r in self.resources)

    @cached_property
    def by_id(self) -> dict[str, Resource]:
        return {r.id: r for r in self.resources}

    def resolve(self, phrase: str) -> Resolution:
        """An id typed whole (or its cloud's part, an Azure resource id, a selfLink) first, then exact names
        (always current), then a unique id prefix, then the resolver; never a name the inventory lacks. The
        match is a key of `by_name`: the name, or the id when the name is not this resource's alone."""
        typed = typed_id(phrase)
        ids = self.ids.exact(typed) if typed is not None else ()
        if ids:
            return self._of_ids(ids)
        name = phrase.strip()
        if name in self.by_name:
            return self._of_name(name)
        ids = self.ids.prefixed(typed) if typed is not None else ()
        if ids:
            return self._of_ids(ids)
        found = self.resolver.resolve(phrase)
        if found.match is not None and found.match in self.by_name:
            return self._of_name(found.match)
        return Resolution(match=None, candidates=tuple(c for c in found.candidates if c in self.by_name))

    def _of_name(self, name: str) -> Resolution:
        same = self.shared.get(name)
        if same is None:
            return Resolution(match=name, candidates=())
        return Resolution(match=None, candidates=tuple(self.ids.short(r.id) for r in same[:MAX_CANDIDATES]))

    def _of_ids(self, ids: tuple[str, ...]) -> Resolution:
        if len(ids) > 1:
            return Resolution(match=None, candidates=tuple(self.ids.short(i) for i in ids[:MAX_CANDIDATES]))
        r = self.by_id[ids[0]]
        alone = self.by_name.get(r.name) is r and r.name not in self.shared
        return Resolution(match=r.name if alone else r.id, candidates=())


def named(resources: tuple[Resource, ...]) -> tuple[dict[str, Resource], dict[str, tuple[Resource, ...]]]:
    """Resources by name, and the names several have. Of those, a name means its group (members of an Auto
    Scaling group often carry the group's Name tag), else what it names first by kind (an instance before its
    volume); several of that kind are a choice left to the user. Each of them is also filed under its id."""
    by_name: dict[str, Resource] = {}
    clashes: dict[str, list[Resource]] = {}
    for r in resources:
        known = by_name.setdefault(r.name, r)
        if known is not r:
            clashes.setdefault(r.name, [known]).append(r)
    shared: dict[str, tuple[Resource, ...]] = {}
    for name, same in clashes.items():
        first = min(rank(r) for r in same)
        meant = tuple(r for r in same if rank(r) == first)
        by_name[name] = meant[0]
        if len(meant) > 1:
            shared[name] = meant
        for r in same:
            by_name.setdefault(r.id, r)
    return by_name, shared


@dataclass
class Services:
    settings: Settings
    connection: redis.Redis
    provider: CloudProvider
    policy: PolicyEngine
    audit: AuditStore
    confirmations: ConfirmationStore
    workers: WorkerContext
    alerts: Desk
    clock: Callable[[], float] = time.time  # what "now" is for metrics ranges and watches (tests move it)
    metrics_reader: MetricsReader | None = None  # None: built from the settings on the first metrics question
    cost_store: CostStore | None = None  # None: the cost cache on `connection`, opened on the first cost question
    budget_book: BudgetBook | None = None  # None: the policy's budgets and chat's, opened on the first question
    alerting_policy: AlertingPolicy | None = None  # deploy freezes; None: the alerting file's, read when first asked
    rooms: IncidentRooms | None = None  # where an incident gets its own room (Slack); None: the incident channels
    _index: Index | None = field(default=None, repr=False)
    _resolver: tuple[frozenset[str], Resolver] | None = field(default=None, repr=False)
    _rebuilding: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _building_reader: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def metrics(self) -> MetricsReader:
        """The metrics reader: the one handed in, else one over the sources the settings configure, built on the
        first metrics question (a shell that never asks one never loads a monitoring SDK)."""
        with self._building_reader:
            if self.metrics_reader is None:
                from actions.metric_sources import build_sources
                from actions.metrics.reader import MetricsReader

                self.metrics_reader = MetricsReader(build_sources(self.settings), self.connection, clock=self.clock)
            return self.metrics_reader

    @property
    def costs(self) -> CostStore:
        """The cost cache the workers fill (read only here: a chat answer never calls a cloud's billing API)."""
        if self.cost_store is None:
            from actions.costs.store import CostStore

            self.cost_store = CostStore(self.connection, clock=self.clock)
        return self.cost_store

    @property
    def budgets(self) -> BudgetBook:
        if self.budget_book is None:
            from policies.budgets import BudgetBook

            self.budget_book = BudgetBook(self.connection, self.policy.policy, clock=self.clock)
        return self.budget_book

    @property
    def manifest(self) -> Manifest:
        """The release manifest (OPSBOT_RELEASES, else the shipped example), the one the workers deploy from; a
        broken file is a ConfigError whose line names where."""
        return self.workers.deploys.manifest()

    @property
    def deploys(self) -> DeployBook:
        """Deploy records and locks in Redis, what status and history answer from (never the clouds)."""
        return self.workers.deploys.book

    @property
    def rollouts(self) -> Mapping[Cloud, RolloutBackend]:
        """Each cloud's rollout backend, for the checks before a deploy is asked (the worker starts it)."""
        return self.workers.deploys.backends()

    @property
    def runbooks(self) -> Mapping[str, Runbook]:
        """The DR runbooks (OPSBOT_RUNBOOKS, else the shipped example), the same the workers run; a broken file is
        a ConfigError whose line names where."""
        return self.workers.dr.runbooks()

    @property
    def runs(self) -> RunBook:
        """Runbook runs in Redis: what "dr status" and the checklist buttons read, and where an approval starts one."""
        return self.workers.dr.book

    @property
    def dns(self) -> Mapping[Cloud | None, DnsSwitch]:
        """Each cloud's DNS switch (None: the simulated world's), for the preview's and "dr status"'s read."""
        return self.workers.dr.dns()

    @property
    def freezes(self) -> AlertingPolicy:
        """The alerting file's event days and maintenance windows, which freeze deploys."""
        if self.alerting_policy is None:
            from policies.alerting.loader import load_alerting

            self.alerting_policy = load_alerting(self.settings.alerting)
        return self.alerting_policy

    def index(self, snapshot: Snapshot) -> Index:
        """Rebuilt only when the provider hands out a new inventory (it caches unchanged ones)."""
        current = self._index
        if current is not None and current.resources is snapshot.resources:
            return current
        by_name, shared = named(snapshot.resources)
        # Group members come and go with every scale; they are found by their exact name only, so the
        # resolver's names (groups and standalone resources) stay the same across scaling.
        stable = frozenset(r.name for r in snapshot.resources if r.group is None)
        current = Index(snapshot.resources, by_name, self._resolver_for(stable), shared)
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
