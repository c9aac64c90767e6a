"""Rollouts in the simulated world, behind the same `RolloutBackend` as the real clouds: one object serves AWS,
Azure and Google Cloud groups alike. What started when is kept in Redis under the world's own prefix, and where a
rollout is now is computed from the clock (actions.simulated.rollout_state), so the chat process and every
worker agree without anyone driving it. When a rollout finishes (or is stopped) the world's group and members
take the version through SimulatedCloud.set_version, so "show web-prod" and the inventory see it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial

import redis

from actions.deploy.model import GroupChange, Manifest, RolloutState, VersionSpec
from actions.provider import Resource
from actions.simulated.provider import SimulatedCloud
from actions.simulated.rollout_state import Progress, Rollout, RolloutKind, hiccup_batch, progress
from actions.simulated.transaction import optimistic
from actions.wording import CLOUD_LABELS
from core.errors import ProviderError, ResourceNotFound
from core.models import Cloud

STEPS_PER_BATCH = 4.0  # a batch launches, warms up and joins in this many of the world's steps
KEEP_SECONDS = 30 * 86400  # a rollout's record outlives any deploy history that names it


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class SimulatedRollouts:
    """`RolloutBackend` for the simulated world. `unhealthy_versions`: versions whose new instances fail their
    health checks (the manifest's `simulate_unhealthy`); `latency_seconds`: how long `check` takes, for the
    benchmark's realistic clouds (0 elsewhere)."""

    def __init__(
        self,
        connection: redis.Redis,
        *,
        seed: int,
        size: int,
        step_seconds: float,
        unhealthy_versions: frozenset[str],
        clock: Callable[[], float] = time.time,
        manifest: Manifest | None = None,
        latency_seconds: float = 0.0,
        steps_per_batch: float = STEPS_PER_BATCH,
        cloud: Cloud = Cloud.AWS,
    ) -> None:
        self.cloud = cloud
        self._redis, self._seed, self._clock = connection, seed, clock
        self._world = SimulatedCloud(connection, seed=seed, size=size, step_seconds=step_seconds)
        self._prefix = f"opsbot:sim:{seed}:{size}:"  # the world's: another seed or size is another world
        self._batch_seconds = step_seconds * steps_per_batch
        self._unhealthy, self._latency = unhealthy_versions, latency_seconds
        self._manifest = manifest or Manifest()

    # -- reading ---------------------------------------------------------------------------------------------

    def expected_seconds(self, change: GroupChange) -> int:
        """How long this world takes to roll `change` (PacedRollouts): a batch every few of its steps, one batch
        more for a hiccup; a group at 0 instances about a second (only its model changes)."""
        if change.size == 0:
            return 1
        per = max(1, math.ceil(change.size * change.strategy.batch_percent / 100))
        return math.ceil((math.ceil(change.size / per) + 1) * self._batch_seconds)

    def running(self, change: GroupChange) -> VersionSpec | None:
        """The manifest's spec of the version the group's model says; a version the manifest does not know is
        its name (here a version is its name)."""
        version = self._group(change).version
        if version is None:
            return None
        for service in self._manifest.services.values():
            known = service.versions.get(version)
            if known is not None and any(
                g.group == change.group for e in service.environments.values() for g in e.groups
            ):
                spec = known.spec_for(change.cloud)
                if spec is not None:
                    return spec
        return VersionSpec(image=version)

    def check(self, change: GroupChange) -> list[str]:
        if self._latency:
            time.sleep(self._latency)
        try:
            group = self._group(change)
        except ProviderError as exc:
            return [str(exc)]
        if group.state == "stopped":
            return [f"{CLOUD_LABELS[change.cloud]}: {change.group} is stopped: start it first, then deploy"]
        members = self._world.members_of(group)
        count = len(members)
        healthy = sum(m.state == "running" for m in members)
        floor = change.strategy.min_healthy_percent
        if count and healthy * 100 < count * floor:
            return [
                f"{CLOUD_LABELS[change.cloud]}: {change.group} has {healthy} of {count} instances healthy, below the "
                f"{floor}% the rollout keeps in service: restart or replace the unhealthy ones first"
            ]
        return []

    def state(self, change: GroupChange, handle: str) -> RolloutState:
        rollout = self._load(change, handle)
        now = self._clock()
        moved = self._progress(rollout, now)
        if moved.done and not rollout.applied:
            self._apply(rollout, moved)
        return moved.state

    # -- changing --------------------------------------------------------------------------------------------

    def start(self, change: GroupChange) -> str:
        return self._begin(change, kind="deploy")

    def pause(self, change: GroupChange, handle: str) -> str:
        def paused(rollout: Rollout, now: float) -> Rollout:
            if rollout.paused_at is not None or rollout.stopped_at is not None or self._progress(rollout, now).done:
                return rollout
            return rollout.model_copy(update={"paused_at": now})

        self._update(change, handle, paused)
        return handle

    def resume(self, change: GroupChange, handle: str) -> str:
        def resumed(rollout: Rollout, now: float) -> Rollout:
            if rollout.stopped_at is not None:
                raise ProviderError(
                    f"{CLOUD_LABELS[change.cloud]}: {change.group}'s rollout to {rollout.to_version} was cancelled: "
                    "deploy again to go on"
                )
            if rollout.paused_at is None:
                return rollout
            return rollout.model_copy(
                update={"paused_at": None, "paused_for": rollout.paused_for + now - rollout.paused_at}
            )

        self._update(change, handle, resumed)
        return handle

    def cancel(self, change: GroupChange, handle: str) -> None:
        self._stop(change, handle)

    def roll_back(self, change: GroupChange, handle: str | None) -> str:
        """Stops the rollout in flight (`handle`, else whatever rolls the group) where it is, then rolls the
        instances not on `change.to_version` back to it: a rollback half way replaces only the half done."""
        if handle is not None and self._redis.exists(self._key(handle)):  # one long gone: nothing in flight to stop
            self._stop(change, handle)
        return self._begin(change, kind="rollback")

    # -- inside ----------------------------------------------------------------------------------------------

    def _group(self, change: GroupChange) -> Resource:
        try:
            found = self._world.get(change.group)
        except ResourceNotFound:
            found = None
        if found is None or found.kind != "group":
            raise ProviderError(
                f"{CLOUD_LABELS[change.cloud]}: there is no group {change.group} in {change.region}: "
                "check the group names in the release manifest"
            )
        return found

    def _key(self, handle: str) -> str:
        return f"{self._prefix}rollout:{handle}"

    def _latest_key(self, group: str) -> str:
        return f"{self._prefix}rollouts:{group}"

    def _progress(self, rollout: Rollout, now: float) -> Progress:
        hiccup = hiccup_batch(self._seed, rollout)
        unhealthy = rollout.to_version in self._unhealthy
        return progress(rollout, now, batch_seconds=self._batch_seconds, unhealthy=unhealthy, hiccup=hiccup)

    def _load(self, change: GroupChange, handle: str) -> Rollout:
        raw = self._redis.get(self._key(handle))
        if raw is None:
            raise ResourceNotFound(
                f"{CLOUD_LABELS[change.cloud]}: no rollout {handle} of {change.group}: it ended long ago or never began"
            )
        return Rollout.model_validate_json(raw)

    def _latest(self, group: str) -> Rollout | None:
        handle = self._redis.get(self._latest_key(group))
        raw = None if handle is None else self._redis.get(self._key(_text(handle)))
        return None if raw is None else Rollout.model_validate_json(raw)

    def _apply(self, rollout: Rollout, moved: Progress) -> None:
        """The world takes the outcome: all members and the group's model when done, else the replaced members;
        then the record says so (a later reader does not write again)."""
        self._world.set_version(rollout.group, rollout.to_version, None if moved.done else moved.replaced)
        self._update_rollout(rollout.group, rollout.handle, lambda r, _now: r.model_copy(update={"applied": True}))

    def _update(self, change: GroupChange, handle: str, how: Callable[[Rollout, float], Rollout]) -> Rollout:
        self._load(change, handle)  # unknown handle: one plain line
        return self._update_rollout(change.group, handle, how)

    def _update_rollout(self, group: str, handle: str, how: Callable[[Rollout, float], Rollout]) -> Rollout:
        key = self._key(handle)

        def body(pipe: redis.client.Pipeline) -> Rollout:
            raw = pipe.get(key)
            if raw is None:
                raise ProviderError(f"the rollout {handle} of {group} is gone")
            rollout = Rollout.model_validate_json(raw)
            new = how(rollout, self._clock())
            if new == rollout:
                pipe.unwatch()
                return rollout
            pipe.multi()
            pipe.set(key, new.model_dump_json(), ex=KEEP_SECONDS)
            return new

        return optimistic(self._redis, key, body)

    def _stop(self, change: GroupChange, handle: str) -> None:
        """Stop for good where it is; the instances already replaced keep the version (the world says so)."""

        def stopped(rollout: Rollout, now: float) -> Rollout:
            if rollout.stopped_at is not None or self._progress(rollout, now).done:
                return rollout
            return rollout.model_copy(update={"stopped_at": now})

        rollout = self._update(change, handle, stopped)
        moved = self._progress(rollout, self._clock())
        if not rollout.applied:
            self._apply(rollout, moved)

    def _begin(self, change: GroupChange, *, kind: RolloutKind) -> str:
        """A rollout of the group to `change.to_version`, unless one is already in flight or done (returned). A
        rollback stops whatever else rolls the group; a deploy is refused while another version rolls."""
        while True:
            latest = self._latest(change.group)
            if latest is not None:
                moved = self._progress(latest, self._clock())
                live = latest.stopped_at is None
                if latest.to_version == change.to_version and live and self._still(change, latest, moved):
                    return latest.handle
                if live and not moved.done and kind == "deploy":
                    raise ProviderError(
                        f"{CLOUD_LABELS[change.cloud]}: {change.group} is already rolling to {latest.to_version}: "
                        "cancel that deploy first"
                    )
                if live and not moved.done:
                    self._stop(change, latest.handle)
                elif not latest.applied:
                    self._apply(latest, moved)
            handle = f"sim-rollout-{self._redis.incr(self._prefix + 'rollouts:next')}"
            seen = None if latest is None else latest.handle
            record = partial(self._record, change=change, kind=kind, handle=handle, seen=seen)
            rollout = optimistic(self._redis, self._latest_key(change.group), record)
            if rollout is not None:
                break
        moved = self._progress(rollout, self._clock())
        if moved.done:  # nothing to replace (a standby at 0 instances): only the group's model moves
            self._apply(rollout, moved)
        return handle

    def _still(self, change: GroupChange, rollout: Rollout, moved: Progress) -> bool:
        """True when the rollout still stands: in flight, or done and the world says so (not reset since)."""
        if not moved.done:
            return True
        if not rollout.applied:
            self._apply(rollout, moved)
            return True
        return self._group(change).version == rollout.to_version

    def _record(
        self, pipe: redis.client.Pipeline, change: GroupChange, kind: RolloutKind, handle: str, seen: str | None
    ) -> Rollout | None:
        """Record the new rollout if the group's latest is still the one decided on (`seen`); else None: decide
        again (another process began or stopped one meanwhile)."""
        current = pipe.get(self._latest_key(change.group))
        if (None if current is None else _text(current)) != seen:
            pipe.unwatch()
            return None
        group = self._group(change)
        members = self._world.members_of(group)
        rollout = Rollout(
            handle=handle,
            kind=kind,
            group=change.group,
            from_version=group.version,
            to_version=change.to_version,
            strategy=change.strategy,
            size=len(members),
            todo=tuple(m.name for m in members if m.version != change.to_version),
            started_at=self._clock(),
        )
        pipe.multi()
        pipe.set(self._key(handle), rollout.model_dump_json(), ex=KEEP_SECONDS)
        pipe.set(self._latest_key(change.group), handle, ex=KEEP_SECONDS)
        return rollout
