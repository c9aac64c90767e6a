"""Headers on every dashboard response: what the page may load (only its own origin), who may frame it (Telegram's
web clients, which show Mini Apps in an iframe), no type sniffing, no referrer leaking a link token."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TELEGRAM_WEB = "https://web.telegram.org"
SECURITY = [
    (b"content-security-policy",
     f"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'self' "
     f"{TELEGRAM_WEB}; base-uri 'none'; form-action 'self'".encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]  # fmt: skip


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY]
            await send(message)

        await self.app(scope, receive, with_headers)
