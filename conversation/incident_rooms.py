"""Where an incident gets a room of its own: on Slack a new channel (created, its people invited, the summary posted
and pinned). The conversation only knows this protocol; the Slack adapter implements it (bot/slack/rooms.py) and
`opsbot serve` hands it over on `Services.rooms`. Without one (the console, Telegram) an incident lives in the
configured incident channels."""

from __future__ import annotations

from typing import Protocol

from core.models import ConversationRef


class IncidentRooms(Protocol):
    def open(self, name: str, members: list[str], summary: str) -> ConversationRef | None:
        """A new room called `name` (the platform's rules applied: a taken name gets a suffix), with `members`
        (platform user ids) invited and `summary` posted and pinned; None when the platform refused (the reason
        is logged, and the incident goes on in the incident channels)."""
        ...

    def name_of(self, room: ConversationRef) -> str | None:
        """The name `room` got when it was opened (the asked one, or with its suffix), for the lines that point
        people to it; None when this process did not open it."""
        ...
