"""The seams between opsbot and a chat platform. An adapter translates inbound platform events into
`Message`s (handing them to the `Inbox`) and delivers `Reply`s through its `Transport`; nothing else."""

from __future__ import annotations

from typing import Protocol

from starlette.routing import BaseRoute

from core.errors import OpsbotError
from core.models import ConversationRef, Reply


class RetryAfter(OpsbotError):
    """The platform said 429: try again after `seconds` (its Retry-After)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited: retry after {seconds:g} s")
        self.seconds = seconds


class DeliveryFailed(OpsbotError):
    """The platform refused the message for good (unknown chat, bot removed, bad request)."""


class Transport(Protocol):
    """Outbound delivery to one platform. Raises RetryAfter on throttling, DeliveryFailed when retrying
    cannot help; any other exception counts as transient."""

    name: str  # "slack", "telegram"

    async def post(self, reply: Reply) -> str:
        """Send a new message; returns the platform's id for it (Slack ts, Telegram message_id)."""
        ...

    async def edit(self, reply: Reply, message_id: str) -> None:
        """Replace the text and buttons of an earlier message."""
        ...

    def min_interval(self, ref: ConversationRef) -> float:
        """Seconds to leave between two sends into this conversation (Slack ~1 s per channel)."""
        ...

    def per_second(self) -> float | None:
        """Overall sends per second this bot may make (Telegram 30), or None for no overall limit."""
        ...


class ChannelAdapter(Protocol):
    """A platform: its HTTP endpoints, its long-lived connection (Socket Mode, long polling) and its
    transport. `opsbot serve` mounts the routes, starts it, and runs a Deliverer on the transport."""

    name: str
    transport: Transport

    def routes(self) -> list[BaseRoute]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def ready(self) -> bool:
        """Connected and able to deliver (for /readyz)."""
        ...
