"""The actions opsbot can take: their base risk, wording, queue, timeout and retries.

The risk here is the floor: policies may raise it (a change in prod can need a second approver), never
lower it. Every action is idempotent at the provider (absolute targets), which is what makes retries safe."""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal

from core.models import ActionName, Frozen, Risk

Queue = Literal["critical", "default", "low"]

MAX_GROUP_SIZE = 1000  # no group is scaled above this, whatever the request says


class ActionSpec(Frozen):
    name: ActionName
    risk: Risk
    title: str  # "scale": the command word, used in help and headings
    verb_ing: str  # "scaling": used in refusals like "scaling needs operator"
    queue: Queue
    timeout_seconds: int
    retries: int  # for transient provider errors only


def _spec(
    name: ActionName, risk: Risk, title: str, verb_ing: str, timeout_seconds: int, retries: int,
    queue: Queue | None = None,
) -> ActionSpec:  # fmt: skip
    # Critical actions get their own queue so a backlog of routine changes never delays them.
    queue = queue or ("critical" if risk is Risk.CRITICAL else "default")
    return ActionSpec(
        name=name,
        risk=risk,
        title=title,
        verb_ing=verb_ing,
        queue=queue,
        timeout_seconds=timeout_seconds,
        retries=retries,
    )


CATALOGUE: MappingProxyType[ActionName, ActionSpec] = MappingProxyType(
    {
        ActionName.SCALE: _spec(ActionName.SCALE, Risk.CHANGE, "scale", "scaling", 300, 2),
        ActionName.START: _spec(ActionName.START, Risk.CHANGE, "start", "starting", 300, 2),
        ActionName.STOP: _spec(ActionName.STOP, Risk.CHANGE, "stop", "stopping", 300, 2),
        ActionName.RESTART: _spec(ActionName.RESTART, Risk.CHANGE, "restart", "restarting", 600, 2),
        ActionName.EMERGENCY_SCALE: _spec(
            ActionName.EMERGENCY_SCALE, Risk.CRITICAL, "emergency scale", "emergency scaling", 300, 3
        ),
        ActionName.SHUTDOWN: _spec(ActionName.SHUTDOWN, Risk.CRITICAL, "shutdown", "shutting down", 300, 2),
        ActionName.FAILOVER: _spec(ActionName.FAILOVER, Risk.CRITICAL, "failover", "failing over", 900, 2),
        # A deploy's job only starts the rollouts (the clouds roll; a watcher follows them): its timeout is the
        # start's. A rollback is what people reach for at 3 a.m.: the critical queue, never behind routine changes.
        ActionName.DEPLOY: _spec(ActionName.DEPLOY, Risk.CHANGE, "deploy", "deploying", 120, 2),
        ActionName.ROLLBACK: _spec(ActionName.ROLLBACK, Risk.CHANGE, "roll back", "rolling back", 120, 2, "critical"),
        # A failback moves a service's traffic like a failover: critical, on the critical queue.
        ActionName.FAILBACK: _spec(ActionName.FAILBACK, Risk.CRITICAL, "failback", "failing back", 900, 2),
    }
)


def spec(name: ActionName) -> ActionSpec:
    return CATALOGUE[name]


def emergency_target(current: int) -> int:
    """The size an emergency scale goes to: double, at least 4 more, never above MAX_GROUP_SIZE."""
    return min(MAX_GROUP_SIZE, max(current * 2, current + 4))
