"""Incidents in Redis: "declare sev1 web-prod down" gets a number (INCR: "inc 7") that works on every platform.

An incident is the JSON of an `Incident` under its number; its timeline (declared, updates, notes that other flows
add: a runbook started or finished, an alert acknowledged) is a Redis list beside it, appended atomically so a
worker's note never races a person's update. The open ones are a set, so `for_service` (which a runbook asks to
find the incident it runs for) reads a handful of records, not the history."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Final, Literal, cast

import redis
from pydantic import Field, ValidationError
from redis.client import Pipeline

from core.changes import Topic, publish
from core.models import Frozen

Severity = Literal["sev1", "sev2", "sev3", "sev4"]
EntryKind = Literal["declared", "update", "note", "resolved"]

PREFIX: Final = "opsbot:incident:"
_IDS: Final = PREFIX + "id"
_OPEN: Final = PREFIX + "open"
KEEP_SECONDS: Final = 365 * 24 * 3600  # a post-mortem a year later still finds its timeline


class Entry(Frozen):
    """One line of an incident's timeline."""

    at: float  # unix seconds
    kind: EntryKind
    what: str = Field(max_length=500)
    by: str


class Incident(Frozen):
    number: int = Field(ge=1)
    severity: Severity
    title: str = Field(min_length=1, max_length=500)
    service: str | None = None  # what it is about ("web-prod"); runbooks and the audit are matched on it
    declared_by: str
    declared_at: float
    channels: tuple[str, ...] = ()  # "slack:C0INCIDENT" ...: where its updates go (its room first, when it has one)
    room: str | None = None  # its own room ("slack:C0123ROOM"), when the platform opened one
    room_name: str | None = None  # as the platform named it ("inc-7-web-prod-down")
    resolved_at: float | None = None
    resolved_by: str | None = None
    summary: str | None = None  # the resolution's words

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    def about(self, service: str) -> bool:
        """Whether `service` names what this incident is about: the same name, or the service of its group ("web"
        for an incident on web-prod, as runbooks and deploys name it), or a group of its service."""
        mine, other = (self.service or "").lower(), service.lower()
        return bool(mine) and (mine == other or mine.startswith(other + "-") or other.startswith(mine + "-"))


class IncidentBook:
    def __init__(self, connection: redis.Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = connection
        self.clock = clock

    def declare(
        self, severity: Severity, title: str, service: str | None, declared_by: str, channels: Sequence[str]
    ) -> Incident:
        now = self.clock()
        incident = Incident(
            number=int(self._redis.incr(_IDS)), severity=severity, title=title[:500], service=service,
            declared_by=declared_by, declared_at=now, channels=tuple(dict.fromkeys(channels)),
        )  # fmt: skip
        entry = Entry(at=now, kind="declared", what=f"declared {severity}: {incident.title}"[:500], by=declared_by)
        with self._redis.pipeline() as pipe:
            pipe.set(_key(incident.number), incident.model_dump_json(), ex=KEEP_SECONDS)
            pipe.rpush(_timeline(incident.number), entry.model_dump_json())
            pipe.expire(_timeline(incident.number), KEEP_SECONDS)
            pipe.sadd(_OPEN, incident.number)
            pipe.execute()
        publish(self._redis, Topic.INCIDENTS, str(incident.number))
        return incident

    def get(self, n: int) -> Incident | None:
        raw = self._redis.get(_key(n))
        if raw is None:
            return None
        try:
            return Incident.model_validate_json(cast(bytes, raw))
        except ValidationError:
            return None

    def timeline(self, n: int) -> list[Entry]:
        """Its entries, oldest first."""
        raw = cast(list[bytes], self._redis.lrange(_timeline(n), 0, -1))
        entries = []
        for item in raw:
            try:
                entries.append(Entry.model_validate_json(item))
            except ValidationError:
                continue
        return sorted(entries, key=lambda e: e.at)

    def opened_room(self, n: int, room: str, name: str) -> Incident | None:
        """The incident's own room ("slack:C0123"), first among its channels."""
        return self._change(
            n, lambda i: i.model_copy(update={"room": room, "room_name": name, "channels": (room, *i.channels)})
        )

    def update(self, n: int, text: str, by: str) -> Incident | None:
        """A person's update on its timeline; None when there is no incident `n`."""
        return self._add(n, Entry(at=self.clock(), kind="update", what=text[:500], by=by))

    def note(self, n: int, at: float, what: str, by: str) -> Incident | None:
        """What another flow adds to the timeline (a runbook started, an alert acknowledged)."""
        return self._add(n, Entry(at=at, kind="note", what=what[:500], by=by))

    def resolve(self, n: int, summary: str, by: str) -> Incident | None:
        """Close it (once: a second resolve returns it as the first left it); None when there is none."""
        now = self.clock()
        closed: list[bool] = []

        def _resolved(incident: Incident) -> Incident | None:
            closed.clear()
            if not incident.open:
                return None
            closed.append(True)
            return incident.model_copy(update={"resolved_at": now, "resolved_by": by, "summary": summary[:500]})

        after = self._change(n, _resolved)
        if after is not None and closed:
            self._redis.srem(_OPEN, n)
            self._redis.rpush(_timeline(n), Entry(at=now, kind="resolved", what=summary[:500], by=by).model_dump_json())
            publish(self._redis, Topic.INCIDENTS, str(n))
        return after

    def open(self) -> list[Incident]:
        """The open incidents, oldest first."""
        numbers = sorted(int(n) for n in cast(set[bytes], self._redis.smembers(_OPEN)))
        found = [self.get(n) for n in numbers]
        return [i for i in found if i is not None and i.open]

    def for_service(self, service: str) -> Incident | None:
        """The newest open incident about `service` (its name, its service's or one of its groups')."""
        matching = [i for i in self.open() if i.about(service)]
        return matching[-1] if matching else None

    def _add(self, n: int, entry: Entry) -> Incident | None:
        incident = self.get(n)
        if incident is None:
            return None
        self._redis.rpush(_timeline(n), entry.model_dump_json())
        return incident

    def _change(self, n: int, change: Callable[[Incident], Incident | None]) -> Incident | None:
        """Read, change, write only if nobody wrote it meanwhile (redis-py's transaction retries on a conflict)."""
        key = _key(n)
        stored: list[Incident] = []

        def _attempt(pipe: Pipeline) -> None:
            stored.clear()
            raw = pipe.get(key)
            if raw is None:
                return
            before = Incident.model_validate_json(cast(bytes, raw))
            after = change(before)
            stored.append(before if after is None else after)
            if after is not None and after != before:
                pipe.multi()
                pipe.set(key, after.model_dump_json(), ex=KEEP_SECONDS)

        self._redis.transaction(_attempt, key)
        return stored[0] if stored else None


def _key(n: int) -> str:
    return f"{PREFIX}{n}"


def _timeline(n: int) -> str:
    return f"{PREFIX}{n}:timeline"
