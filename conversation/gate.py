"""The first thing every inbound message meets - text, button press, voice note or slash command alike -
before it is parsed, audited or transcribed: a stranger or a flood must cost one Redis call, not a reply.

- Someone the policy does not list (and no conversation opens to its members) is a stranger: once an hour
  per conversation they get one line saying how to be added, never any data; the admins get one direct
  message per stranger. Everything else from them goes unanswered.
- Every message of a listed person counts against their `messages` rate limits. The first one over the limit
  gets "You are sending too fast; I'm ignoring you for 30 s." and an audit record; the rest of that window
  gets nothing at all, and when the window is over one more record says how many were ignored. A flood
  therefore queues one reply, not one per message, ahead of the alert cards.

The markers live in Redis (SET NX with an expiry), so every serve process answers a flood or a stranger once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import cast

import redis
from prometheus_client import Counter

from audit.log import AuditEvent, JsonScalar
from audit.store import AuditStore
from conversation.replies import reply, where
from core.models import ConversationRef, Message, Reply
from core.outbox import Outbox
from policies.engine import Exceeded, PolicyEngine
from policies.ratelimit import RateLimiter

log = logging.getLogger(__name__)

PREFIX = "opsbot:gate:"
STRANGER_EVERY_SECONDS = 3600  # one "how to be added" line per stranger per conversation
ADMINS_TOLD_FOR_SECONDS = 30 * 86_400  # the admins hear of a stranger once (again after a month of silence)
ADMIN_NOTICES_PER_HOUR = 30  # beyond that a crowd of strangers is logged, not sent to the admins' phones
CLOSE_EVERY_SECONDS = 2.0  # how often a process looks for floods that are over, to write their count
_FLOODS = PREFIX + "floods"  # sorted set: flood -> when its window ends (ms)
_IGNORED = PREFIX + "ignored:"  # + flood: messages ignored after its first
_KEEP_COUNT_MS = 86_400_000

IGNORED = Counter(
    "opsbot_inbound_ignored", "Inbound messages answered with nothing, by reason.", ["reason"]
)  # exported as opsbot_inbound_ignored_total

# KEYS: the user's flood marker, the set of open floods. ARGV: this flood's name, its length (ms), when it ends
# (ms). The first message over the limit starts a flood (1); the rest of its window are only counted (0).
_FLOOD = f"""
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  return 1
end
local counter = '{_IGNORED}' .. current
redis.call('INCR', counter)
redis.call('PEXPIRE', counter, {_KEEP_COUNT_MS})
return 0
"""


class InboundGate:
    def __init__(
        self, connection: redis.Redis, policy: PolicyEngine, audit: AuditStore, outbox: Outbox,
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self._redis = connection
        self._policy = policy
        self._audit = audit
        self._outbox = outbox
        self._clock = clock
        self._flood = connection.register_script(_FLOOD)
        self._notices = RateLimiter(connection)
        self._next_close = 0.0
        self._closing = threading.Lock()

    def admit(self, msg: Message, user: str) -> list[Reply] | None:
        """None: go on with `msg`. Otherwise the whole answer to it (often nothing at all)."""
        self._close_floods_now_and_then()
        if self._policy.role_of(user, msg.ref) is None:
            return self._stranger(msg, user)
        exceeded = self._policy.count_message(user, msg.ref)
        return None if exceeded is None else self._too_fast(msg, user, exceeded)

    # -- strangers -------------------------------------------------------------------------------------
    def _stranger(self, msg: Message, user: str) -> list[Reply]:
        ref = msg.ref
        try:
            first = self._redis.set(f"{PREFIX}stranger:{user}:{_room(ref)}", 1, nx=True, ex=STRANGER_EVERY_SECONDS)
        except redis.RedisError as exc:  # no answer beats an answer twice a second
            log.warning("a message from %s went unanswered: Redis unreachable (%s)", user, exc)
            return []
        if not first:
            IGNORED.labels("stranger").inc()
            return []
        admins = self._policy.admins()
        try:
            self._tell_admins(msg, user, admins)
        except redis.RedisError as exc:
            log.warning("the admins were not told about %s: Redis unreachable (%s)", user, exc)
        params: dict[str, JsonScalar] = {"sender": msg.sender}
        if msg.button_id:
            params["button"] = msg.button_id[:80]
        self._audit.note(
            AuditEvent.DENIED, actor=user, where=where(ref), what=msg.text[:200], params=params,
            outcome="not on opsbot's list: told how to be added",
        )  # fmt: skip
        ask = f"Ask an admin ({_either(admins)})" if admins else "Ask an admin"
        return [reply(ref, f"You are not on opsbot's list. {ask} to add {user}.", kind="refusal")]

    def _tell_admins(self, msg: Message, user: str, admins: tuple[str, ...]) -> None:
        channel = msg.ref.channel
        inboxes = [ident for name in admins if (ident := self._policy.identity_on(name, channel)) is not None]
        if not inboxes:  # the console has no direct messages; a policy may list no admin on this platform
            return
        told = f"{PREFIX}told:{user}"
        if not self._redis.set(told, 1, nx=True, ex=ADMINS_TOLD_FOR_SECONDS):
            return
        if self._notices.hit("gate:admin-notices", ADMIN_NOTICES_PER_HOUR, 3600) is not None:
            self._redis.delete(told)  # told when the crowd has passed, if they write again
            log.warning("%s asked opsbot something; too many strangers this hour to tell the admins", user)
            return
        text = f"{user} asked opsbot something in {self._place(msg)}; add them to the policy to let them in."
        for inbox in inboxes:
            self._outbox.publish(reply(ConversationRef(channel=channel, conversation_id=inbox), text))

    def _place(self, msg: Message) -> str:
        ref = msg.ref
        rule = self._policy.policy.conversations.get(f"{ref.channel}:{ref.conversation_id}")
        if rule is not None and rule.name:
            return rule.name
        if ref.conversation_id == msg.sender or (ref.channel == "slack" and ref.conversation_id.startswith("D")):
            return "a direct message"  # Telegram's private chat id is the user's id; Slack's start with D
        return _room(ref)

    # -- floods ----------------------------------------------------------------------------------------
    def _too_fast(self, msg: Message, user: str, exceeded: Exceeded) -> list[Reply]:
        seconds = max(1, math.ceil(exceeded.wait))
        now_ms = int(self._clock() * 1000)
        flood = f"{user}\t{now_ms}\t{where(msg.ref)}"
        try:
            started = self._flood(keys=[f"{PREFIX}flood:{user}", _FLOODS], args=[flood, seconds * 1000,
                                                                                now_ms + seconds * 1000])  # fmt: skip
        except redis.RedisError as exc:
            log.warning("%s is over the message limit; Redis unreachable, so left unanswered (%s)", user, exc)
            return []
        if not started:
            IGNORED.labels("flood").inc()
            return []
        rule = exceeded.rule
        self._audit.note(
            AuditEvent.DENIED, actor=user, where=where(msg.ref), what="sending too fast",
            params={"limit": rule.limit, "per_seconds": rule.per_seconds, "ignored_for_seconds": seconds},
            outcome=f"over {rule.limit} messages in {rule.per_seconds} s: ignoring them for {seconds} s",
        )  # fmt: skip
        return [reply(msg.ref, f"You are sending too fast; I'm ignoring you for {seconds} s.", kind="refusal")]

    def close_floods(self) -> int:
        """Write the end of every flood whose window is over: how many messages were ignored after its first.
        Safe from any number of processes (each flood is claimed by one); returns how many were closed."""
        now_ms = int(self._clock() * 1000)
        closed = 0
        due = cast(list[tuple[bytes, float]], self._redis.zrangebyscore(_FLOODS, "-inf", now_ms, 0, 100, True))
        for raw, ends_ms in due:
            flood = raw.decode() if isinstance(raw, bytes) else str(raw)
            if not self._redis.zrem(_FLOODS, flood):
                continue  # another process took it
            closed += 1
            ignored = int(self._redis.getdel(_IGNORED + flood) or 0)
            if not ignored:
                continue  # one refused message: the record of its start says it all
            user, started_ms, place = flood.split("\t", 2)
            lasted = max(1, round((ends_ms - int(started_ms)) / 1000))
            self._audit.note(
                AuditEvent.DENIED, actor=user, where=place, what="sending too fast: over",
                params={"ignored": ignored}, outcome=f"ignored {ignored} more messages in {lasted} s",
            )  # fmt: skip
        return closed

    def _close_floods_now_and_then(self) -> None:
        now = time.monotonic()
        if now < self._next_close or not self._closing.acquire(blocking=False):
            return
        try:
            self._next_close = now + CLOSE_EVERY_SECONDS
            self.close_floods()
        except redis.RedisError as exc:
            log.warning("ended floods not written to the audit yet: Redis unreachable (%s)", exc)
        finally:
            self._closing.release()


def _room(ref: ConversationRef) -> str:
    """The conversation without its thread: Slack gives every mention a thread of its own."""
    return f"{ref.channel}:{ref.conversation_id}"


def _either(names: tuple[str, ...]) -> str:
    return " or ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} or {names[-1]}"
