"""A channel adapter written for these tests: one webhook route that hands its body to the Inbox as a message,
and the recording transport. It stands in for Slack and Telegram, which are tested on their own."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.inbox import Inbox
from core.models import ConversationRef, Message
from tests.delivery.recording import CHANNEL, RecordingTransport

HOOK = "/fake/hook"


class FakeAdapter:
    name = "fake"

    def __init__(self, inbox: Inbox | None = None) -> None:
        self.transport = RecordingTransport()
        self.inbox = inbox
        self.bodies: list[bytes] = []
        self.is_ready = True
        self.events: list[str] = []  # "start", "stop"

    def routes(self) -> list[BaseRoute]:
        return [Route(HOOK, self._hook, methods=["POST"])]

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        self.bodies.append(body)
        if self.inbox is not None:
            ref = ConversationRef(channel=CHANNEL, conversation_id="D1")
            await self.inbox.submit(Message(ref=ref, sender="U1", text=body.decode(), received_at=time.time()))
        return PlainTextResponse("ok")

    async def start(self) -> None:
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")

    def ready(self) -> bool:
        return self.is_ready
