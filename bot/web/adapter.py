"""The "app" channel: the phone dashboard as a channel adapter of `opsbot serve`. Its routes are the dashboard
(/app); its transport delivers the replies the outbox holds for channel "app" (progress, results, edits of a
preview) into the signed-in identity's reply stream, which that person's open pages read live."""

from __future__ import annotations

import asyncio

from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute, Mount, Route

from bot.channels import Rate
from bot.runtime import Runtime
from bot.web import replies
from bot.web.access import Access
from bot.web.acting import CHANNEL, Acting
from bot.web.data import BoardData
from bot.web.headers import security_headers
from bot.web.hub import Hub
from bot.web.routes import Api
from bot.web.static import index
from core.models import ConversationRef, Reply
from core.web_sessions import WebSessions

GZIP_FROM_BYTES = 500  # smaller answers gain nothing


class AppTransport:
    name = CHANNEL

    def __init__(self, runtime: Runtime) -> None:
        self._connection = runtime.connection

    async def post(self, reply: Reply) -> str:
        return await asyncio.to_thread(replies.append, self._connection, reply)

    async def edit(self, reply: Reply, message_id: str) -> None:
        await asyncio.to_thread(replies.append, self._connection, reply)  # the page replaces reply.edit_of's text

    async def post_picture(self, reply: Reply, message_id: str, png: bytes) -> str:
        return message_id  # the dashboard draws its own charts

    async def post_file(self, reply: Reply, message_id: str, content: bytes) -> str:
        return message_id  # exports are chat's

    def conversation_rate(self, ref: ConversationRef) -> Rate | None:
        return None

    def overall_rate(self) -> Rate | None:
        return None


class AppAdapter:
    name = CHANNEL

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self._transport = AppTransport(runtime)
        sessions = WebSessions(runtime.connection, session_seconds=int(settings.dashboard_session_hours * 3600),
                               link_seconds=settings.dashboard_link_seconds)  # fmt: skip
        token = settings.telegram_token.get_secret_value() if settings.telegram_token is not None else None
        services = runtime.conversation.services
        self.access = Access(sessions, services.policy, token)
        self.hub = Hub(runtime.connection)
        secure = str(settings.public_url or "").startswith("https://")
        self._api = Api(self.access, BoardData(services), Acting(runtime.conversation), self.hub, secure_cookie=secure)
        self._started = False

    @property
    def transport(self) -> AppTransport:
        return self._transport

    def routes(self) -> list[BaseRoute]:
        middleware = [Middleware(security_headers), Middleware(GZipMiddleware, minimum_size=GZIP_FROM_BYTES)]
        app = Mount("/app", routes=self._api.routes(), middleware=middleware)
        bare = Route("/app", index, methods=["GET", "HEAD"], middleware=middleware)
        return [bare, app]

    async def start(self) -> None:
        self.hub.start()
        self._started = True

    def close_streams(self) -> None:
        """Ends the open live streams (the pages reconnect, to another replica or after the restart): called first
        when the service drains, so the HTTP server is not kept waiting by them."""
        self.hub.stop(wait=False)

    async def stop(self) -> None:
        await asyncio.to_thread(self.hub.stop)

    def ready(self) -> bool:
        return self._started
