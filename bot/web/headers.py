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


def security_headers(app: ASGIApp) -> ASGIApp:
    """A middleware (`Middleware(security_headers)`) adding SECURITY to every HTTP response of `app`."""

    async def with_headers(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY]
            await send(message)

        await app(scope, receive, send_with_headers if scope["type"] == "http" else send)

    return with_headers
