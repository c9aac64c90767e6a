"""Watches: "watch cpu of web-prod for 10 min" posts one message and edits it every 15 s with the latest value, a
sparkline of what the watch has seen and when it ends; it ends by itself with a last edit, or sooner with its Stop
button (the watcher's or an admin's press).

A watch lives in Redis (its state, and its next edit's time on a `core.schedule.Schedule`), so any replica may run
its next edit: the tick claims what is due for a lease, and a short per-watch lock keeps a tick and a Stop press
from editing the same message at once. Values come from `MetricsReader.latest`, whose shared cache gives many
watchers of one series one fetch. Edits go out through the outbox as `Reply(edit_of=<the first message's key>)`."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from typing import cast

from pydantic import ValidationError
from redis.exceptions import LockError

from actions.metrics.aggregate import combine, format_value, sparkline
from actions.metrics.model import METRICS, Metric
from conversation.metric_text import metric_of, utc_clock
from conversation.metrics import Members, Target, Unfound, did_you_mean, find_target
from conversation.replies import edit, new_key, reply
from conversation.services import Services
from conversation.targets import Picker
from core.durations import span
from core.models import Button, ConversationRef, Frozen, Intent, Message, Reply
from core.schedule import Schedule

PREFIX = "opsbot:watch:"
_DUE, _WAKE = PREFIX + "due", PREFIX + "wake"
EVERY_SECONDS = 15.0
DEFAULT_SECONDS = 600
MOST_SECONDS = 3600
PER_CONVERSATION = 10  # running watches in one conversation: beyond that the edits crowd out the talk
LEASE_SECONDS = 60.0  # a tick that died mid-edit leaves its watch due again after this
KEPT_POINTS = 240  # values kept for the sparkline: an hour at 15 s
_KEEP_AFTER_SECONDS = 3600  # a watch's state outlives its end by this, for a late Stop press or a lagging tick


class Watch(Frozen):
    id: str
    user: str  # the opsbot user who started it (may stop it, as may an admin)
    ref: ConversationRef
    message: str  # key of the first message: every edit names it
    metric: Metric
    resource_id: str  # read again each tick: a group's members change with its scale
    name: str  # as the messages name it
    started: float
    until: float
    seen: tuple[tuple[float, float], ...] = ()  # (time, value) each tick read, oldest first


class Watches:
    def __init__(self, services: Services, members: Members, picker: Picker) -> None:
        self._s = services
        self._members = members
        self._picker = picker
        self.due = Schedule(services.connection, _DUE, _WAKE, clock=services.clock)

    @property
    def clock(self) -> Callable[[], float]:
        return self.due.clock

    def start(self, msg: Message, user: str, intent: Intent) -> list[Reply]:
        slots = intent.slots
        metric = metric_of(slots.metric)
        if not isinstance(metric, Metric):  # (a Metric is a str too)
            return [reply(msg.ref, metric, kind="error")]
        phrase = (slots.target or "").strip()
        if not phrase:
            return [reply(msg.ref, "Watch what? For example: watch cpu of web-prod for 10 min")]
        found = find_target(self._s, self._members, phrase)
        if isinstance(found, Unfound):
            return [did_you_mean(self._picker, msg, user, intent, found)]
        resource = found.resource
        if resource is None:  # a name always finds a resource; only "cpu of prod" is a scope, and never watched
            return [reply(msg.ref, "Watch one resource or group: watch cpu of web-prod for 10 min")]
        refusal = self._refusal(msg.ref, user)
        if refusal is not None:
            return [reply(msg.ref, refusal, kind="refusal")]
        seconds = slots.duration_seconds or DEFAULT_SECONDS
        capped = seconds > MOST_SECONDS
        now = self.clock()
        watch = Watch(id=secrets.token_hex(6), user=user, ref=msg.ref, message=new_key(), metric=metric,
                      resource_id=resource.id, name=found.name, started=now,
                      until=now + min(seconds, MOST_SECONDS))  # fmt: skip
        watch, problem = self._read(watch, found)
        text = _running(watch, problem, now)
        if capped:
            text += f"\n(Capped at {MOST_SECONDS // 60} min, the longest watch.)"
        self._save(watch, new=True)
        self.due.set({watch.id: min(now + EVERY_SECONDS, watch.until)})
        first = reply(msg.ref, text, buttons=(_stop(watch),), kind="progress")
        return [first.model_copy(update={"key": watch.message})]

    def tick(self) -> None:
        """Edit every watch that is due (the ones this process claims), and end those whose time is up."""
        for watch_id in self.due.claim(LEASE_SECONDS):
            lock = self._s.connection.lock(f"{PREFIX}busy:{watch_id}", timeout=LEASE_SECONDS, blocking=False)
            if not lock.acquire():  # a Stop press is ending it right now
                continue
            try:
                self._advance(watch_id)
            finally:
                with contextlib.suppress(LockError):  # held past its timeout: it is no longer ours to release
                    lock.release()

    def stop(self, msg: Message, user: str, watch_id: str) -> list[Reply]:
        """The Stop button: only the watcher or an admin; the message gets its last edit."""
        watch = self._load(watch_id)
        if watch is None:
            return [reply(msg.ref, "That watch has already ended.")]
        if user != watch.user and not self._s.policy.holds(user, "admin", msg.ref):
            return [reply(msg.ref, f"Only {watch.user} (who started it) or an admin can stop this watch.",
                          kind="refusal")]  # fmt: skip
        # Waits for a tick editing it at this moment (at most the metrics deadline), so no edit lands after ours.
        wait = self._s.settings.metrics_deadline_seconds + 2
        try:
            with self._s.connection.lock(f"{PREFIX}busy:{watch_id}", timeout=LEASE_SECONDS, blocking_timeout=wait):
                watch = self._load(watch_id)
                if watch is None:
                    return [reply(msg.ref, "That watch has already ended.")]
                return [self._end(watch, f"Watch stopped by {user}")]
        except LockError:
            return [reply(msg.ref, "That watch is busy being updated: press Stop again.", kind="error")]

    # -- one watch ------------------------------------------------------------------------------------
    def _advance(self, watch_id: str) -> None:
        watch = self._load(watch_id)
        if watch is None:
            self.due.remove(watch_id)
            return
        now = self.clock()
        if now >= watch.until:
            self._s.workers.outbox.publish(self._end(watch, "Watch ended"))
            return
        snapshot = self._s.provider.snapshot()
        resource = self._s.index(snapshot).by_id.get(watch.resource_id)
        if resource is None:
            self._s.workers.outbox.publish(self._end(watch, f"Watch ended: {watch.name} is gone from the inventory"))
            return
        members = self._members.of(snapshot, resource) if resource.kind == "group" else (resource,)
        watch, problem = self._read(watch, Target(watch.name, resource, members))
        self._save(watch)
        self._s.workers.outbox.publish(
            edit(watch.ref, watch.message, _running(watch, problem, now), kind="progress").model_copy(
                update={"buttons": (_stop(watch),)}
            )
        )
        self.due.set({watch.id: min(now + EVERY_SECONDS, watch.until)}, wake=False)

    def _read(self, watch: Watch, target: Target) -> tuple[Watch, str | None]:
        """The watch with the latest value added (when there is a newer one), and the first problem line."""
        deadline = self._s.settings.metrics_deadline_seconds
        reading = self._s.metrics.latest(watch.metric, target.reads, deadline=deadline)
        points = combine(reading.series, "avg")
        problem = reading.problems[0] if reading.problems else None
        if not points:
            return watch, problem or f"no {METRICS[watch.metric].label} data yet"
        at, value = points[-1]
        if watch.seen and watch.seen[-1][0] >= at:
            return watch, problem
        return watch.model_copy(update={"seen": (*watch.seen, (at, value))[-KEPT_POINTS:]}), problem

    def _end(self, watch: Watch, why: str) -> Reply:
        """Forget the watch; its message's last edit (no Stop button)."""
        pipe = self._s.connection.pipeline()
        pipe.delete(_state(watch.id))
        pipe.srem(_user_set(watch.user), watch.id)
        pipe.srem(_conversation_set(watch.ref), watch.id)
        self.due.remove(watch.id, pipe)
        pipe.execute()
        return edit(watch.ref, watch.message, _ended(watch, why), kind="result")

    # -- state ----------------------------------------------------------------------------------------
    def _refusal(self, ref: ConversationRef, user: str) -> str | None:
        """Why no more watches may start here or for this user, or None."""
        mine = self._running(_user_set(user))
        most = self._s.settings.metric_watches_per_user
        if mine >= most:
            return f"You already have {mine} watches running (at most {most}): stop one first."
        if self._running(_conversation_set(ref)) >= PER_CONVERSATION:
            return f"{PER_CONVERSATION} watches already run in this conversation: stop one first."
        return None

    def _running(self, key: str) -> int:
        """Watches still running in a set; ones whose state is gone (expired) are taken out."""
        ids = [i.decode() for i in cast(set[bytes], self._s.connection.smembers(key))]
        if not ids:
            return 0
        pipe = self._s.connection.pipeline(transaction=False)
        for watch_id in ids:
            pipe.exists(_state(watch_id))
        gone = [i for i, there in zip(ids, pipe.execute(), strict=True) if not there]
        if gone:
            self._s.connection.srem(key, *gone)
        return len(ids) - len(gone)

    def _save(self, watch: Watch, *, new: bool = False) -> None:
        ttl = max(1, int(watch.until - self.clock()) + _KEEP_AFTER_SECONDS)
        pipe = self._s.connection.pipeline()
        pipe.set(_state(watch.id), watch.model_dump_json(), ex=ttl, xx=not new)
        if new:
            pipe.sadd(_user_set(watch.user), watch.id)
            pipe.sadd(_conversation_set(watch.ref), watch.id)
        pipe.execute()

    def _load(self, watch_id: str) -> Watch | None:
        raw = self._s.connection.get(_state(watch_id))
        if raw is None:
            return None
        try:
            return Watch.model_validate_json(cast(bytes, raw))
        except ValidationError:
            return None


def _running(watch: Watch, problem: str | None, now: float) -> str:
    """ "Watching web-prod CPU: 45% ▁▂▃▅ (40%..52%) - until 03:12" and a problem line when a source failed."""
    info = METRICS[watch.metric]
    head = f"Watching {watch.name} {info.label}: "
    if watch.seen:
        values = [v for _, v in watch.seen]
        head += f"{format_value(values[-1], info.unit)} {sparkline(values)}"
        if len(values) > 1:
            head += f" ({format_value(min(values), info.unit)}..{format_value(max(values), info.unit)})"
    else:
        head += "no value yet"
    head += f" - until {utc_clock(watch.until)} UTC ({span(watch.until - now)} left)"
    return head + (f"\n{problem}" if problem else "")


def _ended(watch: Watch, why: str) -> str:
    """ "Watch ended: web-prod CPU 45% at 03:12; 40%..52% over 10 min ▁▂▃▅" """
    info = METRICS[watch.metric]
    if not watch.seen:
        return f"{why}: no {info.label} value was read for {watch.name}."
    values = [v for _, v in watch.seen]
    last_at, last = watch.seen[-1]
    return (
        f"{why}: {watch.name} {info.label} {format_value(last, info.unit)} at {utc_clock(last_at)} UTC; "
        f"{format_value(min(values), info.unit)}..{format_value(max(values), info.unit)} over "
        f"{span(last_at - watch.seen[0][0])} {sparkline(values)}"
    )


def _stop(watch: Watch) -> Button:
    return Button(id=f"watch-stop:{watch.id}", label="Stop", style="danger")


def _state(watch_id: str) -> str:
    return f"{PREFIX}w:{watch_id}"


def _user_set(user: str) -> str:
    return f"{PREFIX}user:{user}"


def _conversation_set(ref: ConversationRef) -> str:
    return f"{PREFIX}conv:{ref.channel}:{ref.conversation_id}"
