"""The change feed: one Redis stream that says "this part of the picture changed" (an alert, a runbook step, a
deploy, an incident, who is on call, the inventory, the costs), read by the phone dashboard's live updates
(bot/web) and its Slack Home tab. A writer publishes after its own write; a reader remembers the last entry id it
saw and reads on from there, so a reconnecting page resumes without a gap (within the stream's MAXLEN).

Publishing never fails the writer: the feed is a hint to redraw, never the record itself (that stays in its own
key), so a lost entry only delays a redraw until the next change or the page's next load."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

import redis

log = logging.getLogger(__name__)

FEED = "opsbot:changes"
KEEP = 5000  # entries kept (approximately): minutes of a busy incident, enough for a phone that lost signal


class Topic(StrEnum):
    ALERTS = "alerts"
    RUNS = "runs"  # DR runbook runs and their steps
    DEPLOYS = "deploys"
    INCIDENTS = "incidents"
    ONCALL = "oncall"
    HEALTH = "health"  # the inventory (a refresh, a change's effect)
    COST = "cost"


@dataclass(frozen=True)
class Change:
    id: str  # the stream entry id: what a reader passes as `after` to read on from here
    topic: Topic
    subject: str  # what changed within the topic ("12", "web-prod"), "" when not one thing


def publish(connection: redis.Redis, topic: Topic, subject: str = "") -> None:
    """Say that `topic` (and within it `subject`) changed. Never raises: a failed publish is logged only."""
    try:
        connection.xadd(FEED, {"t": topic.value, "s": subject}, maxlen=KEEP, approximate=True)
    except redis.RedisError as exc:
        log.warning("change feed: %s not published (%s)", topic.value, type(exc).__name__)


def latest(connection: redis.Redis) -> str:
    """The id of the newest entry ("0-0" when the feed is empty): where a new reader starts."""
    entries = connection.xrevrange(FEED, count=1)
    return cast(bytes, entries[0][0]).decode() if entries else "0-0"


def read(connection: redis.Redis, after: str, *, block_ms: int | None = None, count: int = 500) -> list[Change]:
    """The entries after `after`, oldest first; with `block_ms`, waits up to that long for the first one (an empty
    list when none came). An `after` older than what the feed keeps reads from its oldest entry."""
    answer = cast(
        list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]] | None,
        connection.xread({FEED: after}, count=count, block=block_ms),
    )
    changes: list[Change] = []
    for _stream, entries in answer or ():
        for entry_id, fields in entries:
            try:
                topic = Topic(fields[b"t"].decode())
            except (KeyError, ValueError):
                continue  # an entry of a newer version of opsbot: not ours to redraw
            changes.append(Change(entry_id.decode(), topic, fields.get(b"s", b"").decode()))
    return changes
