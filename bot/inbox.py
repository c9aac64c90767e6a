"""Inbound messages from the chat adapters reach the conversation core here. Handling runs in a
thread (the core is synchronous and talks to Redis), one message at a time per conversation so
replies keep the order of the questions, and every reply goes out through the outbox so the
channel's Deliverer sends it in order with the workers' progress."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from conversation.core import Conversation
from conversation.replies import reply
from core.errors import AuditUnavailable
from core.models import ConversationRef, Message, Reply
from core.outbox import Outbox

log = logging.getLogger(__name__)


class Inbox:
    def __init__(self, conversation: Conversation, outbox: Outbox) -> None:
        self._conversation = conversation
        self._outbox = outbox
        self._locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        # Recognition takes up to seconds of CPU: its own small pool, so text keeps the default one.
        self._voice_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="voice")

    async def submit(self, msg: Message) -> None:
        """Handle one message and publish its replies. Never raises: a failure is answered in chat."""
        async with self._locks[(msg.ref.channel, msg.ref.conversation_id)]:
            # One thread hop for both: with many conversations at once, a reply must not wait behind
            # every other message's handling before it is published.
            await asyncio.to_thread(self._handle_and_publish, msg)

    def _handle_and_publish(self, msg: Message) -> None:
        self._answer(msg, lambda: self._conversation.handle(msg), "Something went wrong on my side")

    async def submit_audio(self, msg: Message, audio: bytes) -> None:
        """A voice note: recognised on the voice threads (a long note never holds up text messages), said
        back, then handled like typed text. Never raises."""
        async with self._locks[(msg.ref.channel, msg.ref.conversation_id)]:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._voice_pool, self._handle_audio_and_publish, msg, audio)

    def _handle_audio_and_publish(self, msg: Message, audio: bytes) -> None:
        self._answer(
            msg, lambda: self._conversation.handle_audio(msg, audio), "Something went wrong with that voice note"
        )

    def _answer(self, msg: Message, handle: Callable[[], list[Reply]], failure: str) -> None:
        try:
            replies = handle()
        except AuditUnavailable as exc:  # a change refused because its record cannot be written: say why, calmly
            replies = [reply(msg.ref, str(exc), kind="refusal")]
        except Exception:  # the user must hear something; the log gets the cause
            log.exception("handling a %s message failed", msg.ref.channel)
            replies = [reply(msg.ref, f"{failure}; nothing was run. Try again.", kind="error")]
        for answer in replies:
            self._outbox.publish(answer)

    async def say(self, ref: ConversationRef, text: str) -> None:
        """A reply that needs no conversation logic (e.g. "I couldn't fetch that voice note")."""
        await asyncio.to_thread(self._outbox.publish, reply(ref, text))

    @staticmethod
    def now() -> float:
        return time.time()
