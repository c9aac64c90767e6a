"""One optimistic Redis transaction, the way both the simulated world and its faults change Redis: redis-py's own
`transaction` (WATCH the key, run the body, EXEC; all again if another writer got in between), typed for a body
that returns what it decided."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import redis
from redis.client import Pipeline

T = TypeVar("T")


def optimistic(connection: redis.Redis, key: str, body: Callable[[Pipeline], T]) -> T:
    """`body(pipe)` runs after WATCH `key`: it reads, then queues its writes after `pipe.multi()` (or unwatches
    and writes nothing). Returns what the run that got through returned."""
    decided: list[T] = []

    def run(pipe: Pipeline) -> None:
        decided.append(body(pipe))

    connection.transaction(run, key)
    return decided[-1]
