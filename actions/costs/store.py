"""The cost cache in Redis: one compressed table per cost source (`CostTable.to_bytes()`), one meta hash with each
source's state (when it was last read, its last error, its rows, its cloud's own forecast) and a version token
that changes on every write. Workers write (workers/cost_refresh.py); chat processes only read.

A chat answer must not decode 1.35 million rows each time: `load()` keeps the decoded view in process memory and
asks Redis only for the version (one GET) while nothing changed; when it moved, only the sources whose table digest
changed are fetched and decoded again. The version is a random token, not a counter, so a flushed or replaced
Redis can never present an old number with new data."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import cast

import redis
from redis.client import Pipeline

from actions.costs.model import CloudForecast, CostTable, concat
from core.changes import Topic, publish
from core.schedule import Schedule

PREFIX = "opsbot:costs:"
_READING_SECONDS = 900.0  # "the first read is running" expires if the reading process died


@dataclass(frozen=True)
class SourceState:
    name: str
    provider: str
    fetched_at: float | None = None  # last successful read
    error: str | None = None  # the last attempt's error (None once a read succeeds again)
    rows: int = 0
    failed_at: float | None = None  # when that error came
    digest: str = ""  # of the stored table: readers decode a source again only when it changed
    forecast: CloudForecast | None = None  # the cloud's own month-end forecast from the last good read

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> SourceState:
        data = json.loads(raw)
        forecast = data.pop("forecast", None)
        return cls(**data, forecast=CloudForecast(**forecast) if forecast else None)


@dataclass(frozen=True)
class CostView:
    """Everything the cache holds: every source's rows in one table, each source's state, the clouds' forecasts."""

    table: CostTable
    sources: tuple[SourceState, ...]
    forecasts: tuple[CloudForecast, ...]
    version: str

    @property
    def has_data(self) -> bool:
        """Some source was read at least once (False: every source so far only failed - say so, not "$0")."""
        return any(s.fetched_at is not None for s in self.sources)

    def oldest_fetch(self) -> float | None:
        """When the stalest source that has data was read (what "data from N min ago" shows)."""
        return min((s.fetched_at for s in self.sources if s.fetched_at is not None), default=None)


@dataclass
class _Decoded:
    version: str
    view: CostView
    tables: dict[str, tuple[str, CostTable]] = field(default_factory=dict)  # source -> (digest, table)
    digests: tuple[tuple[str, str], ...] = ()  # what `view.table` was concatenated of


# Per process and prefix, shared by every CostStore on it (a chat process may build one per question). Safe across
# Redis servers and databases: a version token is random, so one seen elsewhere never matches.
_decoded: dict[str, _Decoded] = {}
_decoded_lock = threading.Lock()
_decoding: set[str] = set()  # prefixes whose new version a thread is decoding (fresh=False)
log = logging.getLogger(__name__)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class CostStore:
    def __init__(
        self, connection: redis.Redis, prefix: str = PREFIX, *, clock: Callable[[], float] = time.time
    ) -> None:
        """`prefix`: another one is another cache (benchmarks use their own). `clock`: the time `reading` marks."""
        self._redis = connection
        self._prefix = prefix
        self.clock = clock
        self._version_key, self._meta_key, self._reading_key = prefix + "version", prefix + "meta", prefix + "reading"
        # When each source is read next, shared by every worker process (claimed: one reads it). Its clock is this
        # store's, so tests move time for both.
        self.schedule = Schedule(connection, prefix + "due", prefix + "wake", clock=lambda: self.clock())

    def _data_key(self, source: str) -> str:
        return f"{self._prefix}data:{source}"

    # -- writing (workers) -----------------------------------------------------------------------------------

    def save(
        self, source: str, provider: str, table: CostTable, *, fetched_at: float, forecast: CloudForecast | None
    ) -> SourceState:
        """A source's fresh history (it replaces the one kept) and its cloud's forecast."""
        blob = table.to_bytes()
        state = SourceState(
            name=source, provider=provider, fetched_at=fetched_at, rows=len(table),
            digest=hashlib.sha256(blob).hexdigest()[:16], forecast=forecast,
        )  # fmt: skip
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._data_key(source), blob)
            pipe.hset(self._meta_key, source, state.to_json())
            pipe.set(self._version_key, secrets.token_hex(8))
            pipe.execute()
        publish(self._redis, Topic.COST, source)
        return state

    def fail(self, source: str, provider: str, error: str, *, at: float) -> SourceState:
        """A read that failed: the last good table and forecast stay, the error is shown beside them."""
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self._meta_key)  # type: ignore[no-untyped-call]  # unannotated in redis-py
                    raw = cast(bytes | None, pipe.hget(self._meta_key, source))
                    known = SourceState.from_json(raw) if raw else SourceState(name=source, provider=provider)
                    state = replace(known, provider=provider, error=error, failed_at=at)
                    pipe.multi()
                    pipe.hset(self._meta_key, source, state.to_json())
                    pipe.set(self._version_key, secrets.token_hex(8))
                    pipe.execute()
                except redis.WatchError:
                    continue
                publish(self._redis, Topic.COST, source)
                return state

    def mark_reading(self, seconds: float = _READING_SECONDS) -> None:
        """A refresh round is running (the chat says "the first read is running" while nothing is cached)."""
        self._redis.set(self._reading_key, repr(self.clock()), px=max(1, int(seconds * 1000)))

    def done_reading(self) -> None:
        self._redis.delete(self._reading_key)

    def want(self, seconds: float = _READING_SECONDS) -> bool:
        """Someone asked about costs while nothing is cached: a refresher that reads only on demand reads now (its
        schedule is woken). True when this is the first ask (within `seconds`)."""
        first = bool(self._redis.set(f"{self._prefix}wanted", 1, nx=True, px=max(1, int(seconds * 1000))))
        self.schedule.wake()
        return first

    def wanted(self) -> bool:
        return bool(self._redis.exists(f"{self._prefix}wanted"))

    def lock(self, source: str, seconds: float) -> bool:
        """One reader per source across processes, whoever asked; the lock expires if its holder dies."""
        return bool(self._redis.set(f"{self._prefix}lock:{source}", 1, nx=True, px=max(1, int(seconds * 1000))))

    def unlock(self, source: str) -> None:
        self._redis.delete(f"{self._prefix}lock:{source}")

    def reading(self) -> bool:
        """A refresh round is under way somewhere (marked, and its process not gone for long)."""
        return bool(self._redis.exists(self._reading_key))

    # -- reading (chat) --------------------------------------------------------------------------------------

    def version(self) -> str | None:
        raw = cast(bytes | None, self._redis.get(self._version_key))
        return _text(raw) if raw is not None else None

    def states(self) -> dict[str, SourceState]:
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._meta_key))
        return {_text(k): SourceState.from_json(v) for k, v in raw.items()}

    def load(self, *, fresh: bool = True) -> CostView | None:
        """Every source's rows and state; None when no source was ever read or tried (nothing to say but "no cost
        data yet"). One GET while the version stays; a changed source is fetched and decoded again (1.35 million
        rows: a few hundred ms). `fresh=False` (a chat answer): when this process holds an older view, answer
        with it at once and decode the new one on a thread, so no question waits for the decode after a refresh;
        the view's `version` and its sources' `fetched_at` say which data it is."""
        version = self.version()
        if version is None:
            return None
        with _decoded_lock:
            cached = _decoded.get(self._prefix)
            if cached is not None and cached.version == version:
                return cached.view
            if cached is not None and not fresh:
                if self._prefix not in _decoding:
                    _decoding.add(self._prefix)
                    threading.Thread(
                        target=self._decode_behind, args=(cached,), name="cost-decode", daemon=True
                    ).start()
                return cached.view
        return self._decode(cached)

    def _decode(self, cached: _Decoded | None) -> CostView | None:
        decoded = self._read(cached)
        if decoded is None:
            return None
        with _decoded_lock:
            _decoded[self._prefix] = decoded
        return decoded.view

    def _decode_behind(self, cached: _Decoded) -> None:
        try:
            self._decode(cached)
        except redis.RedisError as exc:  # the next question tries again
            log.warning("cost cache: decoding the new data failed: %s", type(exc).__name__)
        finally:
            with _decoded_lock:
                _decoding.discard(self._prefix)

    def _read(self, cached: _Decoded | None) -> _Decoded | None:
        """The meta, and the tables that changed since `cached`, as of one version (a write in between: again)."""
        known = dict(cached.tables) if cached is not None else {}
        tables: dict[str, tuple[str, CostTable]] = {}
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self._version_key)  # type: ignore[no-untyped-call]  # unannotated in redis-py
                    raw_version = cast(bytes | None, pipe.get(self._version_key))
                    raw_meta = cast(dict[bytes, bytes], pipe.hgetall(self._meta_key))
                    states = sorted((SourceState.from_json(v) for v in raw_meta.values()), key=lambda s: s.name)
                    tables = self._tables(pipe, states, known)
                    pipe.multi()
                    pipe.get(self._version_key)
                    pipe.execute()  # WatchError when a write came in between: what we read may be mixed
                except redis.WatchError:
                    known.update(tables)  # what was decoded stays good for its digest: not decoded twice
                    continue
                break
        if raw_version is None or not states:
            return None
        version = _text(raw_version)
        digests = tuple((s.name, s.digest) for s in states)
        if cached is not None and cached.digests == digests:
            table = cached.view.table  # only states moved (an error recorded): the concatenation stands
        else:
            table = concat([tables[s.name][1] for s in states])
        forecasts = tuple(s.forecast for s in states if s.forecast is not None)
        return _Decoded(version, CostView(table, tuple(states), forecasts, version), tables, digests)

    def _tables(
        self, pipe: Pipeline, states: list[SourceState], known: dict[str, tuple[str, CostTable]]
    ) -> dict[str, tuple[str, CostTable]]:
        """Each source's table: the decoded one when its digest is the same, else fetched and decoded."""
        tables: dict[str, tuple[str, CostTable]] = {}
        for state in states:
            kept = known.get(state.name)
            if not state.digest:  # tried, never read: no rows
                tables[state.name] = ("", CostTable.empty())
            elif kept is not None and kept[0] == state.digest:
                tables[state.name] = kept
            else:
                blob = cast(bytes | None, pipe.get(self._data_key(state.name)))
                tables[state.name] = (state.digest, CostTable.from_bytes(blob) if blob else CostTable.empty())
        return tables

    def clear_memory(self) -> None:
        """Forget the decoded view of this process (benchmarks measure a cold load)."""
        with _decoded_lock:
            _decoded.pop(self._prefix, None)
