"""What a job needs to run: settings, Redis, the cloud provider, the audit log and the outbox; for deploys, the
release manifest, the rollout backends and the deploy records (`WorkerContext.deploys`, built on first use: most
processes never deploy, and a manifest with a mistake must not stop a worker from running other jobs).

The process that runs jobs installs one context (the worker command, or the chat process for its
in-process worker). A job that finds none builds it from the environment, as a standalone `rq worker`
process would have to."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import redis

from actions.deploy.model import Manifest, RolloutBackend
from actions.deploy.records import DeployBook
from actions.dns.model import DnsSwitch
from actions.dr.runs import RunBook
from actions.provider import CloudProvider
from actions.registry import build_provider
from audit.store import AuditStore
from audit.stores import open_audit
from core.models import Cloud
from core.outbox import Outbox
from core.redis import connect
from core.settings import Settings, load_settings
from policies.engine import PolicyEngine
from policies.runbook_model import Runbook
from workers.paging import Pager


class DeployParts:
    """The release manifest (OPSBOT_RELEASES, or the shipped example), each cloud's rollout backend and the deploy
    book. `manifest` and `backends` replace what the settings name (tests: a manifest of their own, backends that
    count their calls); otherwise each is built once, when first asked."""

    def __init__(
        self, settings: Settings, connection: redis.Redis, *, manifest: Manifest | None = None,
        backends: Mapping[Cloud, RolloutBackend] | None = None, clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self._settings = settings
        self._connection = connection
        self._manifest = manifest
        self._backends = backends
        self._lock = threading.Lock()
        self.book = DeployBook(connection, clock)

    def manifest(self) -> Manifest:
        """Raises ConfigError (its problems "releases.yaml:LINE: what") when the file is wrong; read again next
        time then, so a fixed file is picked up without a restart."""
        with self._lock:
            if self._manifest is None:
                from actions.deploy.manifest import load_manifest

                self._manifest = load_manifest(self._settings.releases)
            return self._manifest

    def backends(self) -> Mapping[Cloud, RolloutBackend]:
        manifest = self.manifest()
        with self._lock:
            if self._backends is None:
                from actions.rollout_backends import build_rollouts

                self._backends = build_rollouts(self._settings, self._connection, manifest)
            return self._backends


class DrParts:
    """The runbooks (OPSBOT_RUNBOOKS, or the shipped example), the DNS switches, the runbook runs, the policy (whom
    a broadcast reaches by direct message, and their phone) and the pager for SMS (None: no SMS). Each given one
    replaces what the settings name (tests); otherwise each is built once, when first asked."""

    def __init__(
        self, settings: Settings, connection: redis.Redis, *, runbooks: Mapping[str, Runbook] | None = None,
        dns: Mapping[Cloud | None, DnsSwitch] | None = None, policy: PolicyEngine | None = None,
        pager: Pager | None = None, clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self._settings = settings
        self._connection = connection
        self._runbooks = runbooks
        self._dns = dns
        self._policy = policy
        self.pager = pager
        self._lock = threading.Lock()
        self.book = RunBook(connection, clock)

    def runbooks(self) -> Mapping[str, Runbook]:
        """Raises ConfigError (its problems "web-failover.yaml:LINE: what") when a file is wrong; read again next
        time then, so a fixed file is picked up without a restart."""
        with self._lock:
            if self._runbooks is None:
                from policies.runbooks import load_runbooks

                self._runbooks = load_runbooks(self._settings.runbooks)
            return self._runbooks

    def dns(self) -> Mapping[Cloud | None, DnsSwitch]:
        with self._lock:
            if self._dns is None:
                from actions.dns_switches import build_dns

                self._dns = build_dns(self._settings, self._connection)
            return self._dns

    def policy(self) -> PolicyEngine:
        with self._lock:
            if self._policy is None:
                from policies.loader import load_policy

                self._policy = PolicyEngine(load_policy(self._settings.policy))
            return self._policy


@dataclass(frozen=True)
class WorkerContext:
    settings: Settings
    connection: redis.Redis
    provider: CloudProvider
    audit: AuditStore
    outbox: Outbox
    deploy_parts: DeployParts | None = None  # None: built from the settings on first use
    dr_parts: DrParts | None = None  # the same, for runbook runs

    @property
    def deploys(self) -> DeployParts:
        if self.deploy_parts is not None:
            return self.deploy_parts
        with _parts_lock:
            built = self.__dict__.get("_built_deploys")
            if not isinstance(built, DeployParts):
                built = DeployParts(self.settings, self.connection)
                object.__setattr__(self, "_built_deploys", built)  # a cache beside the frozen fields
            return built

    @property
    def dr(self) -> DrParts:
        if self.dr_parts is not None:
            return self.dr_parts
        with _parts_lock:
            built = self.__dict__.get("_built_dr")
            if not isinstance(built, DrParts):
                built = DrParts(self.settings, self.connection)
                object.__setattr__(self, "_built_dr", built)
            return built


def build_context(settings: Settings, connection: redis.Redis | None = None) -> WorkerContext:
    """A context from settings; `connection` defaults to `core.redis.connect(settings)`."""
    conn = connection if connection is not None else connect(settings)
    return WorkerContext(
        settings=settings,
        connection=conn,
        provider=build_provider(settings, conn),
        audit=open_audit(settings, conn),
        outbox=Outbox(conn),
    )


_lock = threading.Lock()
_parts_lock = threading.Lock()
_current: WorkerContext | None = None


def install_context(ctx: WorkerContext) -> None:
    global _current
    with _lock:
        _current = ctx


def clear_context() -> None:
    """Forget the installed context (tests, and a shell that rebuilds its services)."""
    global _current
    with _lock:
        _current = None


def current_context() -> WorkerContext:
    """The installed context, or one built once from the environment."""
    global _current
    with _lock:
        if _current is None:
            _current = build_context(load_settings())
        return _current
