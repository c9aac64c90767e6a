"""The embedded demo's Redis (in-process fakeredis) kept across runs in the data directory.

Without OPSBOT_REDIS_URL every `opsbot say` is a new process with an empty in-memory Redis, so a confirmation
asked in one run was gone by the next ("scale web-prod to 20", then "yes"). The runtime loads the state saved by
the previous run when it starts and saves it when it closes. Expiries stay honest: each key keeps its absolute
expiry time, and a key whose time has passed while no process ran is not loaded.

One process at a time owns the file (an exclusive lock). Another one started meanwhile runs on an empty Redis and
keeps nothing, and says so. RQ's own bookkeeping (workers, job registries) and the outbox streams are not kept:
they belong to the process that wrote them, and a new console reads only what comes after it starts."""

from __future__ import annotations

import base64
import fcntl
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import redis

log = logging.getLogger(__name__)

FILE_NAME = "embedded-redis.json"
LOCK_NAME = "embedded-redis.lock"
FORMAT = 1
_NOT_KEPT = (b"rq:", b"opsbot:outbox:")


class EmbeddedState:
    """Owns the saved state of the embedded Redis for one process: `open` loads it, `save` writes it back."""

    def __init__(self, data_dir: Path, connection: redis.Redis) -> None:
        self.path = data_dir / FILE_NAME
        self._connection = connection
        self._lock: IO[bytes] | None = None
        self.note: str | None = None  # one line for the user when something could not be kept

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = (self.path.parent / LOCK_NAME).open("ab")
        except OSError as exc:
            self.note = f"Nothing is kept between runs: cannot write {self.path.parent} ({exc.strerror})."
            return
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            self.note = (
                f"Another opsbot is using the embedded state in {self.path.parent}: this run starts empty and keeps"
                " nothing (set OPSBOT_REDIS_URL to share one Redis)."
            )
            return
        self._lock = lock
        try:
            self._connection.flushdb()  # what another runtime of this process left: the file is the state
            loaded = self._load()
        except (OSError, ValueError, KeyError, TypeError, redis.RedisError) as exc:
            self.note = f"The saved embedded state {self.path} could not be read ({_reason(exc)}): starting empty."
            return
        log.debug("embedded state: %d keys loaded from %s", loaded, self.path)

    def release(self) -> None:
        """Let the next process have the file, keeping what it holds (a start-up that failed changed nothing)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def save(self) -> None:
        """Write every kept key and its expiry, then let the next process have the file."""
        if self._lock is None:
            return
        try:
            body = json.dumps(
                {"format": FORMAT, "saved_at": time.time(), "keys": self._entries()}, separators=(",", ":")
            )
            partial = self.path.with_name(self.path.name + ".partial")
            partial.write_text(body, encoding="utf-8")
            partial.chmod(0o600)
            partial.replace(self.path)
        except (OSError, redis.RedisError) as exc:
            log.warning("the embedded state was not saved to %s: %s", self.path, _reason(exc))
        finally:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    def _load(self) -> int:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return 0
        data = json.loads(raw)
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        now_ms = int(time.time() * 1000)
        pipe = self._connection.pipeline(transaction=False)
        count = 0
        for entry in data["keys"]:
            expires = entry.get("expires_ms")
            if expires is not None and expires <= now_ms:
                continue  # expired while no process ran: gone, as it would be in a real Redis
            _write(pipe, _bytes(entry["key"]), entry["type"], entry["value"], expires)
            count += 1
        pipe.execute()
        return count

    def _entries(self) -> list[dict[str, Any]]:
        """Every kept key: its type and expiry, then its value, each in one pipelined round."""
        keys = [key for key in self._connection.scan_iter(count=1000) if not key.startswith(_NOT_KEPT)]
        pipe = self._connection.pipeline(transaction=False)
        for key in keys:
            pipe.type(key)
            pipe.pttl(key)
        answers = pipe.execute()
        now_ms = int(time.time() * 1000)
        kinds = [_text(kind) for kind in answers[0::2]]
        expiries = [now_ms + int(ttl) if int(ttl) > 0 else None for ttl in answers[1::2]]
        kept = [(key, kind, expires) for key, kind, expires in zip(keys, kinds, expiries, strict=True) if kind in _READ]
        pipe = self._connection.pipeline(transaction=False)
        for key, kind, _ in kept:
            _READ[kind](pipe, key)
        values = pipe.execute()
        return [
            {"key": _b64(key), "type": kind, "value": _encode(kind, value), "expires_ms": expires}
            for (key, kind, expires), value in zip(kept, values, strict=True)
            if value  # gone meanwhile (an expiry): nothing to keep
        ]


_READ: dict[str, Callable[[redis.client.Pipeline, bytes], object]] = {
    "string": lambda pipe, key: pipe.get(key),
    "hash": lambda pipe, key: pipe.hgetall(key),
    "list": lambda pipe, key: pipe.lrange(key, 0, -1),
    "set": lambda pipe, key: pipe.smembers(key),
    "zset": lambda pipe, key: pipe.zrange(key, 0, -1, withscores=True),
}  # streams are not kept: only the outbox and RQ's results use them


def _encode(kind: str, value: Any) -> Any:
    if kind == "string":
        return _b64(value)
    if kind == "hash":
        return {_b64(k): _b64(v) for k, v in value.items()}
    if kind == "zset":
        return [[_b64(member), score] for member, score in value]
    return sorted(_b64(v) for v in value) if kind == "set" else [_b64(v) for v in value]


def _write(pipe: redis.client.Pipeline, key: bytes, kind: str, value: Any, expires_ms: int | None) -> None:
    if kind == "string":
        pipe.set(key, _bytes(value), pxat=expires_ms)
        return
    if kind == "hash":
        pipe.hset(key, mapping={_bytes(k): _bytes(v) for k, v in value.items()})
    elif kind == "list":
        pipe.rpush(key, *[_bytes(v) for v in value])
    elif kind == "set":
        pipe.sadd(key, *[_bytes(v) for v in value])
    elif kind == "zset":
        pipe.zadd(key, {_bytes(m): float(s) for m, s in value})
    else:
        raise ValueError(f"unknown key type {kind!r}")
    if expires_ms is not None:
        pipe.pexpireat(key, expires_ms)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _bytes(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).splitlines()[0][:120]
