"""What a job needs to run: settings, Redis, the cloud provider, the audit log and the outbox.

The process that runs jobs installs one context (the worker command, or the chat process for its
in-process worker). A job that finds none builds it from the environment, as a standalone `rq worker`
process would have to."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import redis

from actions.provider import CloudProvider
from actions.registry import build_provider
from audit.store import AuditStore
from audit.stores import open_audit
from core.outbox import Outbox
from core.redis import connect
from core.settings import Settings, load_settings


@dataclass(frozen=True)
class WorkerContext:
    settings: Settings
    connection: redis.Redis
    provider: CloudProvider
    audit: AuditStore
    outbox: Outbox


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
