"""The composition root: builds every part of a running opsbot from the settings, once per process."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from actions.registry import build_provider
from audit.log import AuditLog
from conversation.confirmations import ConfirmationStore
from conversation.core import Conversation
from conversation.services import Services
from core.errors import ConfigError
from core.outbox import Outbox
from core.redis import connect, is_embedded
from core.settings import Settings
from policies.engine import PolicyEngine
from policies.loader import load_policy
from policies.ratelimit import RateLimiter
from workers.context import WorkerContext, install_context
from workers.runner import InProcessWorker


@dataclass
class Runtime:
    settings: Settings
    connection: redis.Redis
    conversation: Conversation
    outbox: Outbox
    worker: InProcessWorker | None

    @classmethod
    def build(cls, settings: Settings, *, with_worker: bool = True) -> Runtime:
        connection = connect(settings)
        try:
            connection.ping()
        except redis.ConnectionError as exc:
            raise ConfigError("Redis does not answer at OPSBOT_REDIS_URL: start it or unset the variable") from exc
        provider = build_provider(settings, connection)
        audit = AuditLog(settings.data_dir)
        outbox = Outbox(connection)
        context = WorkerContext(settings=settings, connection=connection, provider=provider, audit=audit, outbox=outbox)
        install_context(context)
        services = Services(
            settings=settings,
            connection=connection,
            provider=provider,
            policy=PolicyEngine(load_policy(settings.policy), RateLimiter(connection)),
            audit=audit,
            confirmations=ConfirmationStore(connection, settings.confirm_ttl_seconds),
            workers=context,
        )
        # Embedded mode has no other process to run jobs: the worker must live here.
        worker = InProcessWorker(context) if (with_worker or is_embedded(settings)) else None
        if worker is not None:
            worker.start()
        return cls(settings, connection, Conversation(services), outbox, worker)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
