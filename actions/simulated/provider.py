"""A simulated multi-cloud provider. The seeded inventory is the base; every change lives in Redis (a hash
overlay plus a version counter), so the chat process and worker processes see one world. Each process
keeps the view of the last version it read, so an unchanged world costs one GET."""

from __future__ import annotations

import time
from collections.abc import Collection
from functools import partial
from typing import cast

import redis
from redis.typing import EncodableT, FieldT

from actions.provider import Billing, Outcome, Plan, ProgressCallback, Resource, Snapshot
from actions.simulated.changes import Change
from actions.simulated.faults import FaultMode, Faults
from actions.simulated.groups import versioned
from actions.simulated.planner import prepare
from actions.simulated.transaction import optimistic
from actions.simulated.world import WorldView, apply_overlay, base_view
from actions.wording import CLOUD_LABELS
from core.changes import Topic, publish
from core.errors import ProviderError, ProviderTimeout, TransientProviderError
from core.models import ActionName, ActionRequest

HANG_SECONDS = 3600.0  # an injected hang lasts this long unless faults are cleared or the job times out
HANG_TICK = 0.05  # short sleeps, so a job timeout (a signal) or clear_faults() ends a hang promptly


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class SimulatedCloud:
    name = "simulated"

    def __init__(
        self, connection: redis.Redis, *, seed: int = 42, size: int = 10_000, step_seconds: float = 0.3
    ) -> None:
        self._redis = connection
        self.seed, self.size, self.step_seconds = seed, size, step_seconds
        prefix = f"opsbot:sim:{seed}:{size}:"  # another seed or size is another world
        self._overlay_key, self._version_key = prefix + "overlay", prefix + "version"
        self._faults = Faults(connection, prefix)
        self._view = base_view(seed, size)
        self._snapshot: tuple[int, Snapshot] | None = None  # (version, snapshot of it)

    # -- reading ---------------------------------------------------------------------------------------

    def _world(self) -> WorldView:
        raw_version = self._redis.get(self._version_key)
        if int(raw_version or 0) == self._view.version:
            return self._view
        with self._redis.pipeline(transaction=True) as pipe:  # version and overlay read together
            pipe.get(self._version_key)
            pipe.hgetall(self._overlay_key)
            raw_version, raw = cast(tuple[bytes | None, dict[bytes | str, bytes | str]], tuple(pipe.execute()))
        overlay = {_text(k): (Resource.model_validate_json(v) if v else None) for k, v in raw.items()}
        self._view = apply_overlay(base_view(self.seed, self.size), int(raw_version or 0), overlay)
        return self._view

    def snapshot(self) -> Snapshot:
        view, now = self._world(), time.time()
        cached = self._snapshot
        if cached is not None and cached[0] == view.version:
            return cached[1].model_copy(update={"fetched_at": now})  # the world is always fresh here
        snapshot = Snapshot(provider=self.name, resources=view.resources, fetched_at=now)
        self._snapshot = (view.version, snapshot)
        return snapshot

    def freshen(self, max_age: float, deadline: float) -> None:
        return None  # the simulated world in Redis is always current

    def get(self, resource_id: str) -> Resource:
        return self._world().find(resource_id)

    def members_of(self, group: Resource) -> tuple[Resource, ...]:
        """The group's instances now."""
        return self._world().members_of(group)

    def billing(self) -> tuple[Billing, ...]:
        return ()  # the simulated world has list prices only

    # -- changing --------------------------------------------------------------------------------------

    def plan(self, request: ActionRequest) -> Plan:
        change = prepare(request, self._world(), self.seed)
        if change.already:
            raise ProviderError(change.already)
        return change.plan

    def execute(self, request: ActionRequest, progress: ProgressCallback) -> Outcome:
        fault = self._faults.take(request.action)
        if fault is not None:
            self._fail(fault, request)
        change = prepare(request, self._world(), self.seed)
        if change.already is None:  # a restart runs even when it changes no state; a finished scale does not
            for line in change.steps:
                time.sleep(self.step_seconds)
                progress(line)
            change = self._commit(request)
        if change.writes:
            publish(self._redis, Topic.HEALTH, request.resource_name)
        return Outcome(summary=change.outcome, resource=change.result)

    def _commit(self, request: ActionRequest) -> Change:
        """Prepare again against the latest version and write, in one optimistic transaction on the version."""
        return optimistic(self._redis, self._version_key, partial(self._try_commit, request=request))

    def _try_commit(self, pipe: redis.client.Pipeline, request: ActionRequest) -> Change:
        change = prepare(request, self._world(), self.seed)
        if not change.writes:
            pipe.unwatch()
            return change
        mapping: dict[FieldT, EncodableT] = {
            rid: "" if new is None else new.model_dump_json() for rid, new in change.writes.items()
        }
        pipe.multi()
        pipe.hset(self._overlay_key, mapping=mapping)
        pipe.incr(self._version_key)
        return change  # `optimistic` executes the writes, or runs this again if the version moved

    def set_version(self, group_name: str, version: str, members: Collection[str] | None = None) -> Resource:
        """Put release `version` on the group's members called `members` (all: the group's model too), the way a
        finished (or stopped) rollout leaves them; one optimistic transaction on the world's version, so scale
        and failover committed meanwhile are kept. Returns the group as it is after."""
        group = optimistic(
            self._redis, self._version_key, partial(self._try_version, group=group_name, version=version, names=members)
        )
        publish(self._redis, Topic.HEALTH, group_name)
        return group

    def _try_version(
        self, pipe: redis.client.Pipeline, group: str, version: str, names: Collection[str] | None
    ) -> Resource:
        world = self._world()
        found = world.find(group)
        writes = versioned(found, world.members_of(found), version, names)
        if not writes:
            pipe.unwatch()
            return found
        pipe.multi()
        pipe.hset(self._overlay_key, mapping={rid: new.model_dump_json() for rid, new in writes.items()})
        pipe.incr(self._version_key)
        return writes.get(found.id, found)

    def _fail(self, fault: FaultMode, request: ActionRequest) -> None:
        cloud, name = CLOUD_LABELS[request.cloud], request.resource_name
        if fault == "fail":
            raise ProviderError(f"{cloud} rejected the request for {name}")
        if fault == "transient":
            raise TransientProviderError(f"{cloud} is throttling requests for {name}")
        epoch, deadline = self._faults.epoch(), time.monotonic() + HANG_SECONDS
        while time.monotonic() < deadline and self._faults.epoch() == epoch:
            time.sleep(HANG_TICK)
        raise ProviderTimeout(f"{cloud} did not answer for {name}")

    # -- test and demo controls ------------------------------------------------------------------------

    def inject(self, mode: FaultMode, *, action: ActionName | None = None, times: int = 1) -> None:
        """Make the next `times` executions (of `action`, or of any action) fail, fail transiently, or hang."""
        self._faults.inject(mode, action=action, times=times)

    def clear_faults(self) -> None:
        """Drop every injected fault; executions hanging on one end with ProviderTimeout."""
        self._faults.clear()

    def reset(self) -> None:
        """Back to the seeded inventory, without faults. The version still moves forward so caches notice."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._overlay_key)
            pipe.incr(self._version_key)
            pipe.execute()
        self._faults.clear()
