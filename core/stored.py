"""A pydantic model kept as JSON under one Redis key, changed by several processes at once: read, change and write
only if nobody wrote it meanwhile (WATCH/MULTI), else read again and change again. The deploy records and the
runbook runs are changed this way by watchers, control jobs and takeovers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import redis
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def update_json(
    connection: redis.Redis, key: str, model: type[M], change: Callable[[M], M | None], *, ttl: int
) -> tuple[M | None, bool]:
    """Apply `change` to the model stored at `key` and write the result (with `ttl` seconds to live), again if
    another writer got there first. `change` returns None to leave it as it is, and must have no other effect: it
    may run twice. Returns the model as stored afterwards (None: there is none) and whether this call wrote it."""
    with connection.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)  # type: ignore[no-untyped-call]
                raw = pipe.get(key)
                if raw is None:
                    return None, False
                before = model.model_validate_json(cast(bytes, raw))
                after = change(before)
                if after is None or after == before:
                    pipe.unwatch()
                    return before, False
                pipe.multi()
                pipe.set(key, after.model_dump_json(), ex=ttl)
                pipe.execute()
            except redis.WatchError:
                continue
            return after, True
