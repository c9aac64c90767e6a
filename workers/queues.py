"""The three RQ queues, highest priority first. Jobs are JSON: a queue other processes can write to
must never unpickle what it reads."""

from __future__ import annotations

from typing import Final, Literal

import redis
from rq import Queue
from rq.serializers import JSONSerializer

QueueName = Literal["critical", "default", "low"]

CRITICAL: Final = "critical"
DEFAULT: Final = "default"
LOW: Final = "low"
# Workers listen in this order: an emergency scale never waits behind a routine restart.
PRIORITY: Final[tuple[QueueName, ...]] = (CRITICAL, DEFAULT, LOW)

SERIALIZER: Final = JSONSerializer


def queue(name: str, connection: redis.Redis) -> Queue:
    """One of our queues on `connection`, JSON-serialised. An unknown name is a programming error."""
    if name not in PRIORITY:
        raise ValueError(f"unknown queue {name!r}; expected one of {', '.join(PRIORITY)}")
    return Queue(name, connection=connection, serializer=SERIALIZER)
