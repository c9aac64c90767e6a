"""'Did you mean web-prod or web-dr?': never a guess for a changing action. The question and its
candidates are kept briefly in Redis so a button press (or the next process) can finish it. A button that asks
for a change again in other words ("Raise max to 20 and scale") is kept the same way: single-use, bound to the
user who was offered it, expiring."""

from __future__ import annotations

import secrets

import redis
from pydantic import TypeAdapter

from conversation.replies import reply
from core.models import Button, ConversationRef, Frozen, Intent, Reply

KEY = "opsbot:pick:"
_BOUND = "again-"  # a button's choice that names a stored intent, not a candidate


class _Question(Frozen):
    intent: Intent
    candidates: tuple[str, ...]


_QUESTION = TypeAdapter(_Question)


class Picker:
    def __init__(self, connection: redis.Redis, ttl_seconds: int) -> None:
        self._redis = connection
        self._ttl = ttl_seconds

    def offer(self, ref: ConversationRef, user: str, intent: Intent, candidates: list[str]) -> Reply:
        shown = tuple(candidates[:4])
        question = _Question(intent=intent, candidates=shown)
        self._redis.set(_key(ref, user), question.model_dump_json(), ex=self._ttl)
        names = " or ".join(shown) if len(shown) <= 2 else ", ".join(shown[:-1]) + " or " + shown[-1]
        buttons = tuple(Button(id=f"pick:{i}", label=name) for i, name in enumerate(shown))
        return reply(ref, f"Did you mean {names}?", buttons=(*buttons, Button(id="pick:none", label="None")))

    def bind(self, ref: ConversationRef, user: str, intent: Intent, label: str) -> Button:
        """A button that hands `intent` back (through `take`) when `user` presses it in `ref`, once, before it
        expires."""
        choice = f"{_BOUND}{secrets.token_hex(4)}"
        self._redis.set(f"{_key(ref, user)}:{choice}", intent.model_dump_json(), ex=self._ttl)
        return Button(id=f"pick:{choice}", label=label)

    def take(self, ref: ConversationRef, user: str, choice: str) -> Intent | None:
        """The original intent with the picked target, or a bound intent; None when expired, someone else's,
        or 'none'."""
        if choice.startswith(_BOUND):
            if not choice.removeprefix(_BOUND).isalnum():
                return None
            bound = self._redis.getdel(f"{_key(ref, user)}:{choice}")
            return None if bound is None else Intent.model_validate_json(bound)
        raw = self._redis.getdel(_key(ref, user))
        if raw is None or not choice.isdigit():
            return None
        question = _QUESTION.validate_json(raw)
        index = int(choice)
        if index >= len(question.candidates):
            return None
        slots = question.intent.slots.model_copy(update={"target": question.candidates[index]})
        return question.intent.model_copy(update={"slots": slots})


def _key(ref: ConversationRef, user: str) -> str:
    return f"{KEY}{ref.channel}:{ref.conversation_id}:{ref.thread_id or ''}:{user}"
