"""Answers to a button press stay with the card and the presser: a refusal ("dave is a viewer: ...") is the press's
own answer (answerCallbackQuery: a toast only the presser sees), anything else a reply to the card's message
rather than a new message out of context. The press's conversation carries the callback query and the card in
its thread id, so the answer finds its way back through the outbox like any other reply.

A press must be answered once (Telegram shows a spinner until it is, and refuses a second answer). `Answers`
remembers which presses this process answered: the transport answers with the first reply (a refusal as a toast,
anything else with an empty answer), and the adapter answers what got no reply within a moment (a confirmation
that only edits its card)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import NamedTuple

# Presses whose answers stay quiet. Pick, More, "heard" and List presses continue a conversation at its place
# (their state is kept by where the conversation is), so they answer where they always did.
QUIET_PRESSES = frozenset({"alert", "confirm", "cancel"})
_MARK = "|press:"
_REMEMBERED = 10_000


class Press(NamedTuple):
    query_id: str  # the callback query to answer
    message_id: str  # the card pressed


def is_quiet(button_id: str) -> bool:
    return button_id.partition(":")[0] in QUIET_PRESSES


def thread_of_press(topic: str | None, query_id: str, message_id: str) -> str:
    return f"{topic or ''}{_MARK}{query_id}:{message_id}"


def split(thread_id: str | None) -> tuple[str | None, Press | None]:
    """(the forum topic, the press a reply answers or None) from a conversation's thread id."""
    if thread_id is None or _MARK not in thread_id:
        return thread_id, None
    topic, _, press = thread_id.partition(_MARK)
    query_id, _, message_id = press.partition(":")
    return topic or None, Press(query_id, message_id)


class Answers:
    """The presses this process has answered (the most recent ones)."""

    def __init__(self) -> None:
        self._answered: OrderedDict[str, asyncio.Event] = OrderedDict()

    def claim(self, query_id: str) -> bool:
        """True for the one caller that may answer `query_id` now."""
        event = self._event(query_id)
        if event.is_set():
            return False
        event.set()
        return True

    async def answered_within(self, query_id: str, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._event(query_id).wait(), seconds)
        except TimeoutError:
            return False
        return True

    def _event(self, query_id: str) -> asyncio.Event:
        event = self._answered.get(query_id)
        if event is None:
            event = self._answered[query_id] = asyncio.Event()
            if len(self._answered) > _REMEMBERED:
                self._answered.popitem(last=False)
        return event
