"""Audit log and policy figures: fsync'd appends per second, verify speed, policy evaluation latency
(pure, and with the Redis rate limiter when OPSBOT_REDIS_URL names a server)."""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from pathlib import Path

import redis

from audit.log import AuditEvent, AuditLog
from bench.figures import Figure
from core.metrics import quantile
from core.models import ActionName, ConversationRef, IntentName
from policies.engine import PolicyEngine, PolicyRequest
from policies.loader import load_policy
from policies.ratelimit import RateLimiter

APPENDS = 300
EVALUATIONS = 20_000
LIMITED_EVALUATIONS = 2_000


def _appends() -> list[Figure]:
    figures = _append_figures(None, "")
    url = os.environ.get("OPSBOT_REDIS_URL")
    if url:  # as a deployment runs it: the chain head to Redis after each record, signed checkpoints
        connection = redis.Redis.from_url(url)
        try:
            figures += _append_figures(connection, " + Redis head + checkpoints")[:3]
        finally:
            connection.delete("opsbot:audit:head")  # the bench's own chain, not a deployment's
            connection.close()
    return figures


def _append_figures(connection: redis.Redis | None, label: str) -> list[Figure]:
    key = b"bench-audit-key-0123456789abcdef" if connection is not None else None
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-") as tmp:
        log = AuditLog(Path(tmp), connection=connection, key=key)
        times: list[float] = []
        start = time.perf_counter()
        for i in range(APPENDS):
            t0 = time.perf_counter()
            log.append(
                AuditEvent.RECEIVED,
                actor="alice",
                where="slack:C0INCIDENT/1712.5",
                what=f"scale web-prod to {i}",
                params={"action": "scale", "desired_count": i, "idempotency_key": f"k{i}"},
            )
            times.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
        t0 = time.perf_counter()
        count = log.verify()
        verify_seconds = time.perf_counter() - t0
    return [
        Figure(f"audit append with fsync{label}", APPENDS / elapsed, "appends/s", ">= 200 appends/s"),
        Figure(f"audit append p50{label}", quantile(times, 0.5) * 1000, "ms"),
        Figure(f"audit append p99{label}", quantile(times, 0.99) * 1000, "ms", "<= 20 ms"),
        Figure("audit verify", count / verify_seconds, "records/s", ">= 20,000 records/s"),
    ]


def _requests() -> list[PolicyRequest]:
    """A mix as the chat path sees it: reads, changes, critical asks, refusals, a read-only channel."""
    console = ConversationRef(channel="console", conversation_id="ops-room")
    announce = ConversationRef(channel="slack", conversation_id="C0ANNOUNCE")
    return [
        PolicyRequest(user="dave", intent=IntentName.STATUS, environment="prod", ref=console),
        PolicyRequest(user="alice", intent=IntentName.SCALE, action=ActionName.SCALE, environment="prod", ref=console),
        PolicyRequest(user="dave", intent=IntentName.SCALE, action=ActionName.SCALE, environment="prod", ref=console),
        PolicyRequest(
            user="bob",
            intent=IntentName.STOP,
            action=ActionName.STOP,
            environment="prod",
            ref=console,
            instances_affected=14,
        ),
        PolicyRequest(
            user="carol", intent=IntentName.FAILOVER, action=ActionName.FAILOVER, environment="prod", ref=console
        ),
        PolicyRequest(user="carol", intent=IntentName.RESTART, action=ActionName.RESTART, ref=announce),
        PolicyRequest(user="slack:U999", intent=IntentName.COST, ref=announce),
    ]


def _evaluate(engine: PolicyEngine, requests: list[PolicyRequest], count: int) -> list[float]:
    times: list[float] = []
    for request in itertools.islice(itertools.cycle(requests), count):
        t0 = time.perf_counter()
        engine.evaluate(request)
        times.append(time.perf_counter() - t0)
    return times


def _policy() -> list[Figure]:
    policy = load_policy()
    requests = _requests()
    times = _evaluate(PolicyEngine(policy), requests, EVALUATIONS)
    figures = [
        Figure("policy evaluate p50", quantile(times, 0.5) * 1000, "ms"),
        Figure("policy evaluate p99", quantile(times, 0.99) * 1000, "ms", "<= 1 ms"),
    ]
    url = os.environ.get("OPSBOT_REDIS_URL")
    if url:
        connection = redis.Redis.from_url(url)
        try:
            # bench users with the real users' roles, so no real user's counters move; their keys expire in a minute
            users = {f"bench-{name}": user.model_copy(update={"identities": ()}) for name, user in policy.users.items()}
            benched = [r.model_copy(update={"user": f"bench-{r.user}"}) for r in requests]
            engine = PolicyEngine(policy.model_copy(update={"users": users}), RateLimiter(connection))
            times = _evaluate(engine, benched, LIMITED_EVALUATIONS)
        finally:
            connection.close()
        figures += [
            Figure("policy evaluate + Redis rate limit p50", quantile(times, 0.5) * 1000, "ms"),
            Figure("policy evaluate + Redis rate limit p99", quantile(times, 0.99) * 1000, "ms", "<= 5 ms"),
        ]
    return figures


def run() -> list[Figure]:
    return _appends() + _policy()
