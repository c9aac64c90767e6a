"""Faults injected into the simulated provider, kept in Redis so a test (or demo) can make a worker process
fail. Each fault applies to the next `times` executions of one action, or of any action."""

from __future__ import annotations

from functools import partial
from typing import Literal

import redis

from actions.simulated.transaction import optimistic
from core.models import ActionName

FaultMode = Literal["fail", "transient", "hang"]
_MODES: tuple[FaultMode, ...] = ("fail", "transient", "hang")
_ANY = "*"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Faults:
    def __init__(self, connection: redis.Redis, prefix: str) -> None:
        self._redis = connection
        self._key = prefix + "faults"  # hash: slot -> mode, slot + ":left" -> remaining uses
        self._epoch_key = prefix + "faults:epoch"  # bumped by clear(): hanging calls watch it to give up

    def inject(self, mode: FaultMode, *, action: ActionName | None = None, times: int = 1) -> None:
        if mode not in _MODES or times < 1:
            raise ValueError(f"bad fault: {mode} x{times}")
        slot = action.value if action is not None else _ANY
        self._redis.hset(self._key, mapping={slot: mode, f"{slot}:left": times})

    def clear(self) -> None:
        """Remove every fault and release calls hanging on one."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key)
            pipe.incr(self._epoch_key)
            pipe.execute()

    def epoch(self) -> int:
        raw = self._redis.get(self._epoch_key)
        return int(raw) if raw is not None else 0

    def take(self, action: ActionName) -> FaultMode | None:
        """The fault that applies to this execution of `action`, using up one of its times."""
        return optimistic(self._redis, self._key, partial(self._take, action=action))

    def _take(self, pipe: redis.client.Pipeline, action: ActionName) -> FaultMode | None:
        faults = {_text(k): _text(v) for k, v in pipe.hgetall(self._key).items()}
        for slot in (action.value, _ANY):
            mode, left = faults.get(slot), int(faults.get(f"{slot}:left", "0"))
            for known in _MODES:
                if mode == known and left > 0:
                    pipe.multi()
                    if left > 1:
                        pipe.hset(self._key, f"{slot}:left", left - 1)
                    else:
                        pipe.hdel(self._key, slot, f"{slot}:left")
                    return known
        pipe.unwatch()
        return None
