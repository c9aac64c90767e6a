"""On-call overrides made from chat ("I'll take tonight"), kept in Redis per schedule until they end. The static
ones of the alerting file are added by whoever asks who is on call."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import cast

import redis

from core.changes import Topic, publish
from policies.alerting.oncall import Override

PREFIX = "opsbot:oncall:overrides:"


class OverrideStore:
    def __init__(self, connection: redis.Redis) -> None:
        self._redis = connection

    def add(self, schedule: str, override: Override, made: float) -> None:
        body = {
            "person": override.person, "start": override.start.timestamp(), "end": override.end.timestamp(),
            "by": override.by, "made": made,
        }  # fmt: skip
        self._redis.zadd(PREFIX + schedule, {json.dumps(body, sort_keys=True): override.end.timestamp()})
        publish(self._redis, Topic.ONCALL, schedule)

    def active(self, schedule: str, now: float) -> list[Override]:
        """Overrides that have not ended, in the order they were made (later ones win where they overlap)."""
        key = PREFIX + schedule
        self._redis.zremrangebyscore(key, "-inf", now)
        items = sorted((json.loads(raw) for raw in cast(list[bytes], self._redis.zrange(key, 0, -1))),
                       key=lambda item: float(item.get("made", 0.0)))  # fmt: skip
        return [
            Override(
                person=item["person"],
                start=datetime.fromtimestamp(item["start"], UTC),
                end=datetime.fromtimestamp(item["end"], UTC),
                by=item.get("by"),
            )
            for item in items
        ]
