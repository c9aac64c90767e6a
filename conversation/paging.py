"""Long answers come a phone-sized page at a time. The question that made a list is kept in Redis for a while,
bound to its conversation, so the next page is the same question asked again further on: by its More button,
or by typing `more` on a channel without buttons. Lists are re-read on each page, never served stale."""

from __future__ import annotations

import json
import secrets
from typing import NamedTuple

import redis

from core.models import Button, ConversationRef, Intent

KEEP_SECONDS = 600  # a list older than this is asked again
_LIST = "opsbot:page:"  # + token: the question behind one list
_LAST = "opsbot:page-last:"  # + conversation: the list `more` continues, and where


class Page(NamedTuple):
    """A kept list (by its token), the question behind it, and where the page asked for starts (None: the list
    was shown to its end)."""

    token: str
    intent: Intent
    offset: int | None


def more_button(token: str, offset: int) -> Button:
    return Button(id=f"more:{token}:{offset}", label="More")


class Pages:
    def __init__(self, connection: redis.Redis, keep_seconds: int = KEEP_SECONDS) -> None:
        self._redis = connection
        self._keep = keep_seconds

    def keep(self, ref: ConversationRef, intent: Intent, next_offset: int | None, token: str | None = None) -> str:
        """Keeps the list `intent` asks for (a new one unless `token` names it) as this conversation's latest,
        with where its next page starts; its token, for More buttons."""
        token = token or secrets.token_hex(6)
        with self._redis.pipeline() as pipe:
            pipe.set(_LIST + token, intent.model_dump_json(), ex=self._keep)
            pipe.set(_last(ref), json.dumps([token, next_offset]), ex=self._keep)
            pipe.execute()
        return token

    def forget(self, ref: ConversationRef) -> None:
        """A newer answer fitted on one page: typed `more` no longer continues an older list."""
        self._redis.delete(_last(ref))

    def pressed(self, arg: str) -> Page | None:
        """The list and page a More button ("more:<token>:<offset>") asks for, while the list is kept."""
        token, _, offset = arg.partition(":")
        raw = self._redis.get(_LIST + token) if token.isalnum() else None
        if raw is None or not (offset.isdigit() or offset == "end"):
            return None
        return Page(token, Intent.model_validate_json(raw), int(offset) if offset.isdigit() else None)

    def typed(self, ref: ConversationRef) -> Page | None:
        """What typed `more` continues in this conversation: its latest list's next page."""
        raw = self._redis.get(_last(ref))
        if raw is None:
            return None
        token, offset = json.loads(raw)
        return self.pressed(f"{token}:{'end' if offset is None else offset}")


def _last(ref: ConversationRef) -> str:
    return f"{_LAST}{ref.channel}:{ref.conversation_id}:{ref.thread_id or ''}"
