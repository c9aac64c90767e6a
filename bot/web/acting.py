"""POST /app/api/say: a typed command or a button press from the dashboard, handled by the same conversation as
chat, as a message on channel "app" in the signed-in identity's own conversation. Policy, confirmation, second
approver and audit are chat's; the immediate replies come back in the answer, later ones (progress, results,
edits) through the outbox and the AppTransport into the page's live stream. A critical action's approval card is
also posted to chat, where another admin may approve it (conversation.approvals.chat_copies)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import Any

from bot.web.replies import reply_view
from conversation.approvals import chat_copies
from conversation.core import Conversation
from conversation.replies import reply
from core.errors import AuditUnavailable, OpsbotError
from core.models import ConversationRef, Message, Reply
from core.web_sessions import Session

log = logging.getLogger(__name__)

CHANNEL = "app"


class BadRequest(OpsbotError):
    """What /say was sent is not a command or a press; `str()` is the one line answered with `status`."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Acting:
    def __init__(self, conversation: Conversation) -> None:
        self._conversation = conversation
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)  # one message at a time per page

    @property
    def max_chars(self) -> int:
        return self._conversation.services.settings.max_message_chars

    def message(self, session: Session, body: dict[str, Any]) -> Message:
        """The Message `body` ({"text": ...} or {"button": ...}) stands for, or BadRequest."""
        text, button = body.get("text"), body.get("button")
        ref = ConversationRef(channel=CHANNEL, conversation_id=session.identity)
        if isinstance(button, str) and 0 < len(button) <= 200:
            return Message(ref=ref, sender=session.identity, button_id=button, received_at=time.time())
        if not isinstance(text, str) or not text.strip():
            raise BadRequest('Send {"text": "..."} or {"button": "..."}.')
        if len(text) > self.max_chars:
            raise BadRequest(f"That message is too long (limit {self.max_chars} characters).", status=413)
        return Message(ref=ref, sender=session.identity, text=text, received_at=time.time())

    async def say(self, msg: Message) -> list[dict[str, Any]]:
        async with self._locks[msg.ref.conversation_id]:
            replies = await asyncio.to_thread(self._handle, msg)
        return [reply_view(answer) for answer in replies]

    def _handle(self, msg: Message) -> list[Reply]:
        services = self._conversation.services
        try:
            replies = self._conversation.handle(msg)
        except AuditUnavailable as exc:  # as the Inbox answers it in chat
            return [reply(msg.ref, str(exc), kind="refusal")]
        except Exception:
            log.exception("handling an app message failed")
            return [reply(msg.ref, "Something went wrong on my side; nothing was run. Try again.", kind="error")]
        for copy in chat_copies(services, msg, replies):
            services.workers.outbox.publish(copy)
        return replies
