"""The real clouds' inventory cache in Redis: one compressed blob per scope (an account in a region), one meta
hash with every scope's age and last error, and a version counter that moves on every write, so a reader that
saw this version before needs one GET to know nothing changed; every write also adds to a short stream, on which a
reader blocks (XREAD) while it waits for a refresh. Workers write; chat processes only read, and ask for a refresh
through the refresh schedule (`core.schedule`: a scope due now, and the workers' waiter woken)."""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import redis
from pydantic import Field, TypeAdapter
from redis.client import Pipeline

from actions.backend import Scope
from actions.provider import Billing, Resource
from core.changes import Topic, publish
from core.models import Frozen
from core.schedule import BLOCK_SLICE_SECONDS, Schedule

PREFIX = "opsbot:inventory:"
_RESOURCES = TypeAdapter(list[Resource])
_CHANGES_KEPT = 100  # the change stream only wakes readers: a short tail is enough


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _parse(blob: bytes | None) -> tuple[Resource, ...]:
    return tuple(_RESOURCES.validate_json(zlib.decompress(blob))) if blob else ()


class ScopeState(Frozen):
    scope: Scope
    fetched_at: float | None = None  # last successful refresh
    checked_at: float | None = None  # end of the last attempt, successful or not
    error: str | None = None  # the last attempt's error
    error_since: float | None = None  # first failure of the current run of failures
    refreshing_since: float | None = None  # an attempt in flight since then
    resources: int = 0
    digest: str = ""  # of the stored blob: readers re-parse a scope only when it changed
    written: dict[str, float] = Field(default_factory=dict)  # resource id -> when an action's result was written


_Loader = Callable[[], tuple[Resource, ...]]
_Compute = Callable[[ScopeState, _Loader], tuple[ScopeState, Sequence[Resource] | None]]


class InventoryStore:
    def __init__(
        self, connection: redis.Redis, prefix: str = PREFIX, *, clock: Callable[[], float] = time.time
    ) -> None:
        """`prefix`: another one is another cache (benchmarks use their own, never the live one). `clock`: the
        time written beside the data and the refresh schedule's time (tests move it instead of waiting)."""
        self._redis = connection
        self._prefix = prefix
        self.clock = clock
        self._version_key, self._meta_key, self._changes_key = prefix + "version", prefix + "meta", prefix + "changes"
        self.schedule = Schedule(connection, prefix + "due", prefix + "wake", clock=lambda: self.clock())

    def now(self) -> float:
        """The time this store writes beside the data (its clock): what ages and attempts are measured against."""
        return self.clock()

    def _data_key(self, scope_key: str) -> str:
        return f"{self._prefix}data:{scope_key}"

    # -- writing (workers) -----------------------------------------------------------------------------

    def register(self, scopes: Iterable[Scope]) -> None:
        """Make every configured scope known, so a scope that never answered is still reported."""
        known = self.states()
        fresh = {s.key: ScopeState(scope=s).model_dump_json() for s in scopes if s.key not in known}
        if fresh:
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(self._meta_key, mapping=fresh)  # type: ignore[arg-type]  # redis-py's mapping type is narrow
                self._moved(pipe)
                pipe.execute()

    def begin(self, scope: Scope) -> None:
        self._change(scope, lambda state, _load: (state.model_copy(update={"refreshing_since": self.clock()}), None))

    def save(self, scope: Scope, resources: Sequence[Resource], *, started_at: float | None = None) -> ScopeState:
        """A refresh's result. An action's result written through after the refresh began (`started_at`) beats
        what the refresh read, which may be from before the action."""

        def compute(state: ScopeState, load: _Loader) -> tuple[ScopeState, Sequence[Resource]]:
            newer = {rid: at for rid, at in state.written.items() if started_at is not None and at > started_at}
            kept = resources
            if newer:
                stored = {r.id: r for r in load() if r.id in newer}
                kept = [stored.get(r.id, r) for r in resources]
            now = self.clock()
            update = {"scope": scope, "fetched_at": now, "checked_at": now, "error": None, "error_since": None,
                      "refreshing_since": None, "written": newer}  # fmt: skip
            return state.model_copy(update=update), kept

        return self._change(scope, compute)

    def fail(self, scope: Scope, error: str) -> ScopeState:
        def compute(state: ScopeState, _load: _Loader) -> tuple[ScopeState, None]:
            now = self.clock()
            update = {"scope": scope, "checked_at": now, "error": error, "refreshing_since": None,
                      "error_since": state.error_since or now}  # fmt: skip
            return state.model_copy(update=update), None

        return self._change(scope, compute)

    def upsert(self, scope: Scope, changed: Sequence[Resource]) -> None:
        """Write-through after an action: the resources it changed, so chat shows the result before the next
        refresh. A group's members are not known here; the refresh the action asks for brings them."""

        def compute(state: ScopeState, load: _Loader) -> tuple[ScopeState, Sequence[Resource]]:
            current = {r.id: r for r in load()}
            current.update({r.id: r for r in changed})
            written = {**state.written, **dict.fromkeys((r.id for r in changed), self.clock())}
            return state.model_copy(update={"written": written}), list(current.values())

        self._change(scope, compute)

    def _change(self, scope: Scope, compute: _Compute) -> ScopeState:
        """Read, compute and write one scope atomically: every write moves the version, so a write by another
        process in between (a refresh finishing while an action writes through) makes this one start again."""
        data_key = self._data_key(scope.key)
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self._version_key)  # type: ignore[no-untyped-call]  # unannotated in redis-py
                    raw = cast(bytes | None, pipe.hget(self._meta_key, scope.key))
                    state = ScopeState.model_validate_json(raw) if raw else ScopeState(scope=scope)

                    def load() -> tuple[Resource, ...]:
                        return _parse(cast(bytes | None, pipe.get(data_key)))

                    state, resources = compute(state, load)
                    pipe.multi()
                    if resources is not None:
                        blob = zlib.compress(_RESOURCES.dump_json(list(resources)), 1)
                        digest = hashlib.sha256(blob).hexdigest()[:16]
                        state = state.model_copy(update={"resources": len(resources), "digest": digest})
                        pipe.set(data_key, blob)
                    pipe.hset(self._meta_key, scope.key, state.model_dump_json())
                    self._moved(pipe)
                    pipe.execute()
                except redis.WatchError:
                    continue
                publish(self._redis, Topic.HEALTH, scope.key)
                return state

    def _moved(self, pipe: Pipeline) -> None:
        pipe.incr(self._version_key)
        pipe.xadd(self._changes_key, {"v": 1}, maxlen=_CHANGES_KEPT, approximate=True)

    # -- reading -----------------------------------------------------------------------------------------

    def last_change(self) -> str:
        """Where the change stream is now: `wait_for_change` from here wakes on the next write."""
        newest = cast(list[Any], self._redis.xrevrange(self._changes_key, count=1))
        return _text(newest[0][0]) if newest else "0-0"

    def wait_for_change(self, after: str, timeout: float) -> str:
        """Block until something is written after `after` (from `last_change`), at most `timeout` seconds (and at
        most one blocking read's slice); the new position (the same when nothing came)."""
        if timeout <= 0:
            return after
        block_ms = max(1, int(min(timeout, BLOCK_SLICE_SECONDS) * 1000))
        raw = cast(list[Any], self._redis.xread({self._changes_key: after}, count=_CHANGES_KEPT, block=block_ms))
        for _stream, entries in raw or []:
            if entries:
                after = _text(entries[-1][0])
        return after

    def version(self) -> int:
        return int(cast(bytes | None, self._redis.get(self._version_key)) or 0)

    def states(self) -> dict[str, ScopeState]:
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._meta_key))
        return {k.decode(): ScopeState.model_validate_json(v) for k, v in raw.items()}

    def state(self, scope: Scope) -> ScopeState:
        raw = cast(bytes | None, self._redis.hget(self._meta_key, scope.key))
        return ScopeState.model_validate_json(raw) if raw else ScopeState(scope=scope)

    def load(self, scope_key: str) -> tuple[Resource, ...]:
        return _parse(cast(bytes | None, self._redis.get(self._data_key(scope_key))))

    def stored_bytes(self) -> int:
        """Compressed size of every scope's data in Redis (for the benchmark and `perf`)."""
        sizes: list[int] = [self._redis.strlen(self._data_key(k)) for k in self.states()]
        return sum(sizes)

    # -- billing (Cost Explorer), refreshed about hourly -----------------------------------------------

    def save_billing(self, found: Sequence[Billing]) -> None:
        """Keep the last good figures of an account whose billing call failed, with the error beside them."""
        known = {b.label: b for b in self.billing()}
        kept = {}
        for b in found:
            previous = known.get(b.label)
            if b.error and previous is not None and previous.by_service:
                b = previous.model_copy(update={"error": b.error})
            kept[b.label] = b.model_dump_json()
        if kept:
            self._redis.hset(self._prefix + "billing", mapping=kept)  # type: ignore[arg-type]  # narrow mapping type

    def billing(self) -> tuple[Billing, ...]:
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._prefix + "billing"))
        return tuple(sorted((Billing.model_validate_json(v) for v in raw.values()), key=lambda b: b.label))

    # -- refresh requests (chat -> workers) ------------------------------------------------------------

    def request_refresh(self, scope_keys: Iterable[str]) -> None:
        """These scopes are due now: the workers' refresh schedule wakes and one of them refreshes each."""
        keys = list(scope_keys)
        if keys:
            now = self.clock()
            self.schedule.set(dict.fromkeys(keys, now))

    def lock(self, scope_key: str, seconds: float) -> bool:
        """One refresher per scope across processes; the lock expires if its holder dies."""
        return bool(self._redis.set(f"{self._prefix}lock:{scope_key}", 1, nx=True, px=max(1, int(seconds * 1000))))

    def unlock(self, scope_key: str) -> None:
        self._redis.delete(f"{self._prefix}lock:{scope_key}")
