"""Reading a deploy's groups from their clouds, every group at once, and folding what they say into its record:
the start job does it once the rollouts began (so the first message already says where each group is), the
watcher on every tick."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from actions.deploy.model import FINISHED, DeployRecord, GroupRollout, RolloutBackend, RolloutState
from core.errors import OpsbotError, ProviderError
from core.models import Cloud

T = TypeVar("T")
log = logging.getLogger(__name__)


def read_groups(record: DeployRecord, backends: Mapping[Cloud, RolloutBackend]) -> dict[str, RolloutState]:
    """Group name -> its rollout's state now, for the groups rolling; a cloud that does not answer is left out
    (logged): the record keeps what it said last."""
    live = [g for g in record.groups if g.handle is not None and g.state.status not in FINISHED]
    read = in_parallel(live, lambda g: backends[g.change.cloud].state(g.change, g.handle or ""))
    found = {}
    for rollout, state in zip(live, read, strict=True):
        if isinstance(state, RolloutState):
            found[rollout.change.group] = state
        else:
            log.warning("deploy %s: %s not read: %s", record.id, rollout.change.group, state)
    return found


def merged(record: DeployRecord, readings: Mapping[str, RolloutState], now: float) -> DeployRecord | None:
    """The record with what the clouds said; None when it is no longer this watcher's to change."""
    if record.state not in ("rolling", "paused") or not readings:
        return None

    def read(rollout: GroupRollout) -> GroupRollout:
        state = readings.get(rollout.change.group)
        if state is None or rollout.state.status in FINISHED:
            return rollout
        ended = now if state.status in FINISHED and rollout.finished_at is None else rollout.finished_at
        return rollout.model_copy(update={"state": state, "finished_at": ended})

    return record.model_copy(update={"groups": tuple(read(g) for g in record.groups)})


def in_parallel(items: Sequence[T], call: Callable[[T], object]) -> list[object]:
    """`call` on every item at once (one thread each: every cloud and group answers side by side); each result
    or the error it raised, in order. Errors other than opsbot's own are logged and returned as one."""
    if not items:
        return []

    def safe(item: T) -> object:
        try:
            return call(item)
        except OpsbotError as exc:
            return exc
        except Exception as exc:  # an SDK error a backend failed to map: one plain line, the cause in the log
            log.exception("deploy: unexpected error")
            return ProviderError(f"unexpected error ({type(exc).__name__}); see the worker log")

    with ThreadPoolExecutor(max_workers=min(len(items), 16), thread_name_prefix="deploy") as pool:
        return list(pool.map(safe, items))
