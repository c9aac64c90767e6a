"""DNS in the simulated world, behind the same `DnsSwitch` as the real clouds, so the demo and the drills move
traffic for real in the world's own terms. Where each name points lives in Redis under the world's prefix: the chat
process, every worker and a drill read one answer. A change is live `propagation_seconds` after it was made, on the
clock (the world's name servers catching up), so a runbook waits on it the way it waits for Route 53's INSYNC."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import redis
from redis.client import Pipeline

from actions.dns.model import DnsState, DnsTarget
from actions.simulated.transaction import optimistic
from core.errors import ProviderError, ResourceNotFound
from core.models import Frozen

KEEP_SECONDS = 30 * 86400  # a change's record outlives any runbook or drill that waits on it


class Pointed(Frozen):
    """Where one name points, and the change that put it there."""

    place: str
    change: str
    live_at: float  # when the world's name servers answer with `place`


class DnsName(Frozen):
    """A name's key in Redis: the zone and the name as one JSON pair (a zone may hold any character, so no
    separator could be trusted)."""

    zone: str
    name: str


def _where(target: DnsTarget) -> str:
    return f"Simulated {target.zone} {target.name}"


class SimulatedDns:
    """`DnsSwitch` for the simulated world. A name no one has pointed yet points at its first place; pointing is
    idempotent; `settled` says whether `propagation_seconds` have passed since the change on `clock`."""

    def __init__(
        self,
        connection: redis.Redis,
        *,
        seed: int,
        size: int,
        clock: Callable[[], float] = time.time,
        propagation_seconds: float = 1.0,
    ) -> None:
        self._redis, self._clock, self._propagation = connection, clock, propagation_seconds
        self._prefix = f"opsbot:sim:{seed}:{size}:dns:"  # the world's: another seed or size is another world

    def read(self, target: DnsTarget) -> DnsState:
        raw = self._redis.get(self._name_key(target))
        pointed = None if raw is None else Pointed.model_validate_json(raw)
        place = pointed.place if pointed is not None else next(iter(target.places), None)
        if place is None:
            return DnsState(pointing=(), ttl=target.ttl, detail=f"simulated {target.name}: no places to point at")
        weights = dict.fromkeys(target.places, 0) | {place: 100}
        wait = 0.0 if pointed is None else pointed.live_at - self._clock()
        detail = f"simulated record {target.name} {target.record_type} {target.ttl} s -> {place}"
        if wait > 0:
            detail += f" (live in {wait:.1f} s)"
        return DnsState(pointing=(place,), weights=weights, ttl=target.ttl, detail=detail)

    def point(self, target: DnsTarget, place: str) -> str:
        """Already there: the change that put it there (settled, unless it is still going live: a caller waiting
        on it then waits for the truth)."""
        if place not in target.places:
            raise ProviderError(f"{_where(target)}: no place {place}; it has {', '.join(target.places) or 'none'}")
        key = self._name_key(target)

        def move(pipe: Pipeline) -> str:
            raw = pipe.get(key)
            current = None if raw is None else Pointed.model_validate_json(raw)
            if current is not None and current.place == place:
                pipe.unwatch()
                return current.change
            # Never pointed and asked for its first place: nothing moves, and the change is live from the start.
            unchanged = current is None and place == next(iter(target.places))
            now = self._clock()
            pointed = Pointed(
                place=place,
                change=f"simdns-{uuid.uuid4().hex[:16]}",
                live_at=now if unchanged else now + self._propagation,
            )
            pipe.multi()
            pipe.set(key, pointed.model_dump_json())
            pipe.set(self._change_key(pointed.change), repr(pointed.live_at), ex=KEEP_SECONDS)
            return pointed.change

        return optimistic(self._redis, key, move)

    def settled(self, target: DnsTarget, change: str) -> bool:
        raw = self._redis.get(self._change_key(change))
        if raw is None:
            raise ResourceNotFound(f"{_where(target)}: no change {change}: it ended long ago or never began")
        return self._clock() >= float(raw)

    def reset(self) -> None:
        """Every name back at its first place (a benchmark's or a demo's fresh start; SimulatedCloud.reset leaves
        DNS alone). Changes already made stay known, so a caller still waiting on one is told it settled."""
        names = list(self._redis.scan_iter(match=self._prefix + "name:*", count=1000))
        if names:
            self._redis.delete(*names)

    def _name_key(self, target: DnsTarget) -> str:
        return self._prefix + "name:" + DnsName(zone=target.zone, name=target.name).model_dump_json()

    def _change_key(self, change: str) -> str:
        return f"{self._prefix}change:{change}"
