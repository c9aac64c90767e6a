"""Live metric streams: what a watch in chat and the dashboard's live charts read, one Redis stream per series.

A stream is a metric of a scope: one resource (an instance, or a group aggregated over its members) or a whole
environment or provider ("environment:prod", "provider:aws"). Whoever shows a stream says so with `want`, and says
it again while they still show it; the poller (workers/metric_poller.py) polls only streams somebody wants, and a
stream nobody refreshed within its time to live is forgotten. Each poll adds one entry to the stream (the members'
average and maximum at the source's newest moment, or the line saying why there is none); `subscribe` reads them
as they come, resuming after the last entry a reader saw (a dashboard reconnecting)."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, cast

import redis
from pydantic import Field

from actions.metrics.model import Metric
from core.models import Frozen
from core.schedule import Schedule

PREFIX = "opsbot:mstream:"  # + metric ":" scope: the stream of entries
WANTED_KEY = "opsbot:mstreams:wanted"  # member -> unix time its interest lapses
DUE_KEY = "opsbot:mstreams:due"  # member -> when it is next polled (core.schedule's claim)
WAKE_KEY = "opsbot:mstreams:wake"
KEEP_ENTRIES = 600  # per stream, approximately: 10 min at 1 Hz, 10 h at 1 min
DEFAULT_TTL_SECONDS = 60.0
BLOCK_MS = 2000  # under the client's socket timeout (5 s), so a blocked read never ends in a TimeoutError

Clock = Callable[[], float]


class StreamKey(Frozen):
    metric: Metric
    scope: str = Field(min_length=1)  # a resource id, or "environment:<name>" / "provider:<cloud>"

    @property
    def member(self) -> str:
        """How the stream is named in the interest and schedule sets (and, after PREFIX, its stream key)."""
        return f"{self.metric.value}:{self.scope}"

    @classmethod
    def parse(cls, member: str) -> StreamKey:
        """The key back from `member`; ValueError for something that is not one."""
        metric, _, scope = member.partition(":")
        try:
            return cls(metric=Metric(metric), scope=scope)
        except ValueError as exc:
            raise ValueError(f"not a metric stream: {member!r}") from exc


class StreamPoint(Frozen):
    """One entry of a stream. `problem` names a source that did not answer for some or all members (then `avg`
    and `max` cover only the `n` that did, or are None)."""

    id: str  # the entry's id: resume after it
    t: float  # the poll's tick, unix seconds
    avg: float | None = None
    max: float | None = None
    n: int = 0  # members with a value at source_t
    source_t: float | None = None  # the source's timestamp of the values
    problem: str | None = None


def stream_name(key: StreamKey) -> str:
    return PREFIX + key.member


def schedule(connection: redis.Redis, clock: Clock = time.time) -> Schedule:
    """The polling schedule of every stream (one per Redis, shared by the pollers of every worker)."""
    return Schedule(connection, DUE_KEY, WAKE_KEY, clock=clock)


def want(
    connection: redis.Redis, key: StreamKey, ttl_s: float = DEFAULT_TTL_SECONDS, *, clock: Clock = time.time
) -> None:
    """Say that someone shows `key` for the next `ttl_s` seconds (refreshing never shortens an interest). A new
    stream is due at once, and the poller is woken for it."""
    now = clock()
    with connection.pipeline(transaction=False) as pipe:
        pipe.zadd(WANTED_KEY, {key.member: now + ttl_s}, gt=True)
        schedule(connection, clock).set({key.member: now}, only_new=True, pipe=pipe)
        pipe.execute()


def wanted(connection: redis.Redis, *, clock: Clock = time.time) -> list[StreamKey]:
    """The streams somebody still wants now."""
    raw = cast(list[bytes], connection.zrangebyscore(WANTED_KEY, clock(), "+inf"))
    return [StreamKey.parse(m.decode()) for m in raw]


# KEYS: the schedule's due set, then each entry's stream. ARGV: maxlen, ttl, then one line per entry, its values
# separated by tabs (`_LINE`). Adds each entry unless its id is not above its stream's newest (a tick already
# published: 0 for it, else 1), and sets when each stream is next due. One script with one argument per entry, not a
# pipeline: redis-py packs each command and each argument in Python, ~0.4 s a tick for 1,000 streams as a pipeline.
_PUBLISH = """
local names = {'t', 'n', 'avg', 'max', 'source_t', 'problem'}
local added = {}
for i = 2, #KEYS do
    local v, from = {}, 1
    local line = ARGV[i + 1]
    while true do
        local tab = string.find(line, '\t', from, true)
        if not tab then v[#v + 1] = string.sub(line, from); break end
        v[#v + 1] = string.sub(line, from, tab - 1)
        from = tab + 1
    end
    local fields = {}
    for j, name in ipairs(names) do
        if v[j + 3] ~= '' then fields[#fields + 1] = name; fields[#fields + 1] = v[j + 3] end
    end
    local ok = redis.pcall('XADD', KEYS[i], 'MAXLEN', '~', ARGV[1], v[1], unpack(fields))
    if type(ok) == 'table' and ok.err then
        added[#added + 1] = 0
    else
        added[#added + 1] = 1
        redis.call('EXPIRE', KEYS[i], ARGV[2])
    end
    redis.call('ZADD', KEYS[1], v[3], v[2])
end
return added
"""


def _line(key: StreamKey, point: StreamPoint, due: float) -> str:
    """id, schedule member, next due, then the fields in the script's order ('' for none)."""

    def text(value: float | None) -> str:
        return "" if value is None else repr(value)

    problem = "" if point.problem is None else " ".join(point.problem.split())  # no tab inside a value
    values = (point.id, key.member, repr(due), repr(point.t), str(point.n), text(point.avg), text(point.max),
              text(point.source_t), problem)  # fmt: skip
    return "\t".join(values)


class Publisher:
    """Adds entries to their streams and sets when each stream is next polled, in one round trip."""

    def __init__(self, connection: redis.Redis, *, keep: int = KEEP_ENTRIES, ttl_seconds: int = 3600) -> None:
        self._script = connection.register_script(_PUBLISH)
        self._keep, self._ttl = keep, ttl_seconds

    def __call__(self, entries: Sequence[tuple[StreamKey, StreamPoint, float]]) -> list[bool]:
        """(stream, entry, next due) each; whether each entry was added (False: its tick was already there)."""
        if not entries:
            return []
        keys = [DUE_KEY, *(stream_name(key) for key, _, _ in entries)]
        args: list[str | int] = [self._keep, self._ttl, *(_line(*entry) for entry in entries)]
        return [bool(flag) for flag in cast(list[int], self._script(keys=keys, args=args))]


def decode(entry_id: str, fields: Mapping[bytes, bytes]) -> StreamPoint:
    text = {k.decode(): v.decode() for k, v in fields.items()}

    def number(name: str) -> float | None:
        return float(text[name]) if name in text else None

    return StreamPoint(
        id=entry_id, t=float(text["t"]), avg=number("avg"), max=number("max"), n=int(text.get("n", "0")),
        source_t=number("source_t"), problem=text.get("problem"),
    )  # fmt: skip


def cursors_for(
    connection: redis.Redis, keys: Sequence[StreamKey], last_ids: Mapping[StreamKey, str] | None = None
) -> dict[StreamKey, str]:
    """Where reading starts: after `last_ids` where given, else after each stream's newest entry now ("0-0" for a
    stream with none yet). Concrete ids, not XREAD's "$", which would lose what comes between two reads."""
    given = last_ids or {}
    fresh = [key for key in keys if key not in given]
    with connection.pipeline(transaction=False) as pipe:
        for key in fresh:
            pipe.xrevrange(stream_name(key), count=1)
        newest = cast(list[list[tuple[bytes, Any]]], pipe.execute())
    cursors = {key: given[key] for key in keys if key in given}
    for key, entries in zip(fresh, newest, strict=True):
        cursors[key] = entries[0][0].decode() if entries else "0-0"
    return cursors


def read_new(
    connection: redis.Redis, cursors: dict[StreamKey, str], *, block_ms: int | None = BLOCK_MS,
    count: int | None = None,
) -> list[tuple[StreamKey, StreamPoint]]:  # fmt: skip
    """The entries after each cursor (from `cursors_for`), waiting up to `block_ms` for the first (None: not at
    all; Redis reads 0 as "forever"); [] when none came. Moves each cursor past what it returns. One XREAD for
    all the streams."""
    by_name = {stream_name(key): key for key in cursors}
    streams: dict[Any, Any] = {stream_name(key): cursor for key, cursor in cursors.items()}
    answer = cast(list[Any], connection.xread(streams, count=count, block=block_ms) or [])
    out: list[tuple[StreamKey, StreamPoint]] = []
    for name, entries in answer:
        key = by_name[name.decode() if isinstance(name, bytes) else name]
        for entry_id, fields in entries:
            out.append((key, decode(entry_id.decode(), fields)))
        cursors[key] = out[-1][1].id
    return out


def subscribe(
    connection: redis.Redis, keys: Sequence[StreamKey], last_ids: Mapping[StreamKey, str] | None = None,
    block_ms: int = BLOCK_MS,
) -> Generator[tuple[StreamKey, StreamPoint], None, None]:  # fmt: skip
    """Every new entry of `keys`, in arrival order, for as long as the caller iterates: after `last_ids` where
    given (the last entry a reconnecting reader saw), else from now. A reader that must do something while no
    entry comes (an SSE keep-alive) calls `read_new` itself."""
    cursors = cursors_for(connection, keys, last_ids)  # now, not at the first next(): "from now" means this call
    return _follow(connection, cursors, block_ms)


def _follow(
    connection: redis.Redis, cursors: dict[StreamKey, str], block_ms: int
) -> Generator[tuple[StreamKey, StreamPoint], None, None]:
    while True:
        yield from read_new(connection, cursors, block_ms=block_ms)
