"""Alerts in Redis. One Lua call stores a new alert (giving it the next short number) or counts a repeat of an
open one, so a storm of duplicates costs one round trip each and can never page twice; state changes
(acknowledge, resolve, silence) are WATCH transactions, so two people pressing Acknowledge at once get one
"acknowledged" and one "already acknowledged by ..."."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, cast

import redis

from alerts.model import Alert, AlertState, Incoming
from core.changes import Topic, publish
from core.models import ConversationRef

PREFIX = "opsbot:alerts:"
KEEP_CLOSED_SECONDS = 7 * 24 * 3600  # a resolved alert (and its messages) can be looked at for a week
_SEQ = PREFIX + "seq"
_OPEN = PREFIX + "open"  # number -> first seen
_REFRESHED = PREFIX + "refreshed:"  # an alert's cards showed its repeat count lately
_VOLATILE = {"number", "repeats", "last_seen"}  # kept as hash fields beside the JSON: a repeat rewrites no JSON

# KEYS: fingerprint key, seq, open set. ARGV: the new alert's JSON (without number, repeats, last_seen; "" when not
# prepared yet), now, status, alert key prefix, refresh key prefix, refresh period in ms.
# Returns {kind, number}: new | prepare (a new alert: call again with its JSON) | repeat | refresh (a repeat whose
# cards are due to show the count) | unopened (a repeat of an alert whose opening - posting its card, starting its
# escalation - never finished) | resolve (of an open alert) | unknown (a resolution of nothing open).
_INGEST = """
local n = redis.call('GET', KEYS[1])
if n then
  if ARGV[3] == 'resolved' then return {'resolve', tonumber(n)} end
  local key = ARGV[4] .. n
  redis.call('HINCRBY', key, 'repeats', 1)
  redis.call('HSET', key, 'last_seen', ARGV[2])
  if redis.call('HEXISTS', key, 'opened') == 0 then return {'unopened', tonumber(n)} end
  if redis.call('SET', ARGV[5] .. n, '1', 'NX', 'PX', ARGV[6]) then return {'refresh', tonumber(n)} end
  return {'repeat', tonumber(n)}
end
if ARGV[3] == 'resolved' then return {'unknown', 0} end
if ARGV[1] == '' then return {'prepare', 0} end
n = redis.call('INCR', KEYS[2])
redis.call('HSET', ARGV[4] .. n, 'number', n, 'json', ARGV[1], 'repeats', 0, 'last_seen', ARGV[2])
redis.call('SET', KEYS[1], n)
redis.call('ZADD', KEYS[3], ARGV[2], n)
return {'new', n}
"""

# KEYS: the alert's hash, its opening claim. ARGV: the claim's lifetime in ms. Returns nil when the alert is opened
# or someone else is opening it, else the claim is taken and the alert's hash is returned (empty: no such alert).
_CLAIM = """
if redis.call('HEXISTS', KEYS[1], 'opened') == 1 then return nil end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return nil end
return redis.call('HGETALL', KEYS[1])
"""

IngestKind = Literal["new", "repeat", "refresh", "unopened", "resolve", "unknown"]
OPENING_SECONDS = 30.0  # an opening that did not finish in this long (its process died) may be tried again


@dataclass(frozen=True)
class Stored:
    kind: IngestKind
    number: int


@dataclass(frozen=True)
class Change:
    """The result of a state change: the alert after it, and whether this call changed anything."""

    alert: Alert | None  # None: no such alert
    changed: bool


class AlertBook:
    def __init__(self, connection: redis.Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = connection
        self._clock = clock
        self._ingest = connection.register_script(_INGEST)
        self._claim = connection.register_script(_CLAIM)

    # -- intake ---------------------------------------------------------------------------------------
    def ingest(
        self, incoming: Incoming, prepared: Callable[[Incoming], Alert], refresh_seconds: float = 60.0
    ) -> Stored:
        """Count `incoming` as a repeat of the open alert with its fingerprint, report a resolution of that alert, or
        store it as a new alert (built by `prepared`, which routes it; its number is assigned here). A repeat - the
        storm case - is one round trip and routes nothing; a repeat is "refresh" at most once per
        `refresh_seconds` per alert, when its cards should show the new count."""
        now = self._clock()
        keys = [_fp(incoming.key), _SEQ, _OPEN]
        args: list[str | int] = ["", repr(now), incoming.status, PREFIX + "a:", _REFRESHED,
                                 max(1, int(refresh_seconds * 1000))]  # fmt: skip
        kind, number = cast(list[Any], self._ingest(keys=keys, args=args))
        if _text(kind) == "prepare":
            body = prepared(incoming).model_copy(update={"first_seen": now, "last_seen": now})
            args[0] = body.model_dump_json(exclude=_VOLATILE)
            kind, number = cast(list[Any], self._ingest(keys=keys, args=args))  # "repeat" if another was quicker
        if _text(kind) == "new":
            publish(self._redis, Topic.ALERTS, str(number))
        return Stored(_text(kind), int(number))  # type: ignore[arg-type]

    # -- opening: the card posted and the escalation started, once -------------------------------------
    def claim_opening(self, number: int) -> bool:
        """True for the one caller that should open the alert now (not opened, nobody else at it)."""
        return self.claim_to_open(number)[0]

    def claim_to_open(self, number: int) -> tuple[bool, Alert | None]:
        """Whether this caller is the one to open the alert now, and the alert as stored (None: no such alert):
        one round trip, as every new alert of a storm takes this step."""
        found = self._claim(keys=[_key(number), f"{PREFIX}opening:{number}"], args=[int(OPENING_SECONDS * 1000)])
        if found is None:
            return False, None
        flat = cast(list[bytes], found)
        return True, _alert(dict(zip(flat[::2], flat[1::2], strict=True)))

    def opened(self, number: int, refresh_seconds: float | None = None) -> None:
        """The alert's card is posted and its escalation started. With `refresh_seconds`, its cards are current
        too (as `refreshed`), in the same round trip and before the mark, so no repeat refreshes them at once."""
        pipe = self._redis.pipeline()
        if refresh_seconds is not None:
            pipe.set(f"{_REFRESHED}{number}", "1", px=max(1, int(refresh_seconds * 1000)))
        pipe.hset(_key(number), "opened", "1")
        pipe.execute()

    def refreshed(self, number: int, every_seconds: float) -> None:
        """The alert's cards are current: the next repeat does not refresh them for `every_seconds`."""
        self._redis.set(f"{_REFRESHED}{number}", "1", px=max(1, int(every_seconds * 1000)))

    def release_opening(self, number: int) -> None:
        self._redis.delete(f"{PREFIX}opening:{number}")

    def unopened(self, older_than: float) -> list[int]:
        """Open alerts stored before `older_than` whose opening never finished."""
        numbers = [int(n) for n in cast(list[bytes], self._redis.zrangebyscore(_OPEN, "-inf", older_than))]
        if not numbers:
            return []
        pipe = self._redis.pipeline(transaction=False)
        for n in numbers:
            pipe.hexists(_key(n), "opened")
        return [n for n, done in zip(numbers, pipe.execute(), strict=True) if not done]

    # -- reading --------------------------------------------------------------------------------------
    def get(self, number: int) -> Alert | None:
        return _alert(cast(dict[bytes, bytes], self._redis.hgetall(_key(number))))

    def open_count(self) -> int:
        return int(self._redis.zcard(_OPEN))

    def open_alerts(self, limit: int = 50) -> tuple[list[Alert], int]:
        """The newest open alerts (at most `limit`) and how many are open in all."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.zrevrange(_OPEN, 0, limit - 1)
        pipe.zcard(_OPEN)
        numbers, total = pipe.execute()
        pipe = self._redis.pipeline(transaction=False)
        for n in numbers:
            pipe.hgetall(_key(int(n)))
        alerts = [a for a in (_alert(raw) for raw in pipe.execute()) if a is not None]
        return alerts, int(total)

    # -- state changes --------------------------------------------------------------------------------
    def acknowledge(self, number: int, by: str, via: str) -> Change:
        return self._change(number, lambda a: _ack(a, by, via, self._clock()))

    def resolve(self, number: int, by: str, via: str) -> Change:
        change = self._change(number, lambda a: _resolved(a, by, via, self._clock()))
        if change.changed and change.alert is not None:
            self._close(change.alert)
        return change

    def silence(self, number: int, by: str, seconds: float) -> Change:
        until = self._clock() + seconds

        def silenced(alert: Alert) -> Alert | None:
            if not alert.open:
                return None
            return alert.model_copy(update={"silenced_until": until, "silenced_by": by})

        change = self._change(number, silenced)
        if change.changed and change.alert is not None:  # repeats and re-fires of it stay quiet as long
            body = json.dumps({"until": until, "by": by})
            self._redis.set(_silence(change.alert.key), body, px=max(1, int(seconds * 1000)))
        return change

    def unsilence(self, number: int) -> Alert | None:
        """Forget an ended silence; the alert after it (None: no such alert)."""

        def cleared(alert: Alert) -> Alert | None:
            if alert.silenced_until is None:
                return None
            return alert.model_copy(update={"silenced_until": None, "silenced_by": None})

        return self._change(number, cleared).alert

    def remind(self, number: int) -> Alert | None:
        """Count a reminder round of a firing alert; the alert after it (None: no such alert, or not firing)."""

        def counted(alert: Alert) -> Alert | None:
            if alert.state is not AlertState.FIRING:
                return None
            return alert.model_copy(update={"reminders": alert.reminders + 1})

        change = self._change(number, counted)
        return change.alert if change.changed else None

    def silence_of(self, key: str) -> tuple[float, str] | None:
        """(until when, by whom) alerts with this key (source:fingerprint) are silenced, or None."""
        raw = self._redis.get(_silence(key))
        if raw is None:
            return None
        found = json.loads(raw)
        return float(found["until"]), str(found["by"])

    def _change(self, number: int, change: Callable[[Alert], Alert | None]) -> Change:
        key = _key(number)
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]  # redis-py leaves watch() unannotated
                    alert = _alert(cast(dict[bytes, bytes], pipe.hgetall(key)))
                    if alert is None:
                        return Change(None, False)
                    after = change(alert)
                    if after is None:
                        return Change(alert, False)
                    pipe.multi()
                    pipe.hset(key, "json", after.model_dump_json(exclude=_VOLATILE))
                    pipe.execute()
                    publish(self._redis, Topic.ALERTS, str(number))
                    return Change(after, True)
                except redis.WatchError:
                    continue

    def _close(self, alert: Alert) -> None:
        number = str(alert.number)
        fp = _fp(alert.key)
        pipe = self._redis.pipeline()
        pipe.zrem(_OPEN, number)
        for key in (_key(alert.number), _posts(alert.number), _paged(alert.number)):
            pipe.expire(key, KEEP_CLOSED_SECONDS)
        pipe.execute()
        # The fingerprint now belongs to nothing open, unless a re-fire already took it (it cannot: the script
        # maps it to this number until here), so a later firing of the same alert is a new alert.
        with self._redis.pipeline() as watch:
            try:
                watch.watch(fp)  # type: ignore[no-untyped-call]
                if _text(watch.get(fp) or b"") == number:
                    watch.multi()
                    watch.delete(fp)
                    watch.execute()
            except redis.WatchError:
                pass

    # -- where it was posted, who was paged -----------------------------------------------------------
    def add_posts(self, number: int, posts: Iterable[tuple[ConversationRef, str]]) -> None:
        """Remember messages posted about the alert (conversation, reply key), so every one is updated later."""
        items = [json.dumps({"ref": ref.model_dump(mode="json"), "key": key}) for ref, key in posts]
        if items:
            self._redis.rpush(_posts(number), *items)

    def posts(self, number: int) -> list[tuple[ConversationRef, str]]:
        out = []
        seen: set[str] = set()  # a step run again after a crash added the same keys again
        for raw in cast(list[bytes], self._redis.lrange(_posts(number), 0, -1)):
            item = json.loads(raw)
            if str(item["key"]) in seen:
                continue
            seen.add(str(item["key"]))
            out.append((ConversationRef.model_validate(item["ref"]), str(item["key"])))
        return out

    def add_paged(self, number: int, person: str, by_phone: bool = False) -> None:
        """`person` was paged for the alert (`by_phone`: by SMS or call, so an SMS tells them when it is over)."""
        if by_phone:
            self._redis.hset(_paged(number), person, "phone")
        else:
            self._redis.hsetnx(_paged(number), person, "chat")

    def paged(self, number: int) -> list[str]:
        return sorted(_text(p) for p in cast(list[bytes], self._redis.hkeys(_paged(number))))

    def paged_by_phone(self, number: int) -> list[str]:
        found = cast(dict[bytes, bytes], self._redis.hgetall(_paged(number)))
        return sorted(_text(person) for person, how in found.items() if how == b"phone")

    def was_paged(self, number: int, person: str) -> bool:
        return bool(self._redis.hexists(_paged(number), person))


def _ack(alert: Alert, by: str, via: str, now: float) -> Alert | None:
    if alert.state is not AlertState.FIRING:
        return None
    return alert.model_copy(update={"state": AlertState.ACKED, "acked_by": by, "acked_via": via, "acked_at": now})


def _resolved(alert: Alert, by: str, via: str, now: float) -> Alert | None:
    if alert.state is AlertState.RESOLVED:
        return None
    update = {"state": AlertState.RESOLVED, "resolved_by": by, "resolved_via": via, "resolved_at": now}
    return alert.model_copy(update=update)


def _alert(raw: dict[bytes, bytes]) -> Alert | None:
    if not raw or b"json" not in raw:
        return None
    data = json.loads(raw[b"json"])
    data["number"] = int(raw[b"number"])
    data["repeats"] = int(raw.get(b"repeats", b"0"))
    data["last_seen"] = float(raw.get(b"last_seen", b"0") or data.get("last_seen", 0.0))
    return Alert.model_validate(data)


def _key(number: int) -> str:
    return f"{PREFIX}a:{number}"


def _fp(key: str) -> str:
    return f"{PREFIX}fp:{key}"


def _posts(number: int) -> str:
    return f"{PREFIX}posts:{number}"


def _paged(number: int) -> str:
    return f"{PREFIX}paged:{number}"


def _silence(key: str) -> str:
    return f"{PREFIX}silence:{key}"


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
