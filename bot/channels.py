"""The seams between opsbot and a chat platform. An adapter translates inbound platform events into
`Message`s (handing them to the `Inbox`) and delivers `Reply`s through its `Transport`; nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from starlette.routing import BaseRoute

from core.errors import OpsbotError
from core.models import ConversationRef, Reply


class RetryAfter(OpsbotError):
    """The platform said 429: try again after `retry_after` seconds (its Retry-After; `core.retrying` waits it)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited: retry after {retry_after:g} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Rate:
    """A platform's limit as a token bucket: up to `burst` messages at once, then `per_second` on average.
    In any span of T seconds that is at most burst + per_second * T messages."""

    per_second: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a rate needs per_second > 0 and burst >= 1")


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

    async def post_picture(self, reply: Reply, message_id: str, png: bytes) -> str:
        """Show `png`, the picture of `reply.chart`, right under the text that `reply` became (`message_id`, what
        `post` returned): in its thread (Slack), as a reply to it (Telegram). Named and titled by the chart.
        Returns the platform's id of the picture; raises as `post` does."""
        ...

    async def post_file(self, reply: Reply, message_id: str, content: bytes) -> str:
        """Share `content`, the bytes of `reply.attachment`, right under the text that `reply` became, as
        `post_picture` shows a chart: named and titled by the attachment. Returns the platform's id of the file;
        raises as `post` does (DeliveryFailed for a file the platform never takes, such as one too big)."""
        ...

    def conversation_rate(self, ref: ConversationRef) -> Rate | None:
        """How fast one conversation may take messages (Slack: a few at once, then about one a second per
        channel), or None when it has no limit of its own."""
        ...

    def overall_rate(self) -> Rate | None:
        """How fast this bot may send overall (Telegram: about 30 a second), or None for no overall limit."""
        ...


class ChannelAdapter(Protocol):
    """A platform: its HTTP endpoints, its long-lived connection (Socket Mode, long polling) and its
    transport. `opsbot serve` mounts the routes, starts it, and runs a Deliverer on the transport."""

    name: str

    @property
    def transport(self) -> Transport:
        """Where the Deliverer sends this platform's replies."""
        ...

    def routes(self) -> list[BaseRoute]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def ready(self) -> bool:
        """Connected and able to deliver (for /readyz)."""
        ...
