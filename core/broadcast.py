"""One call for the incident channels: alerts and DR status go to every configured incident
conversation (Slack channels, Telegram groups) through the outbox, like any other reply."""

from __future__ import annotations

import uuid

from core.models import ConversationRef, Reply
from core.outbox import Outbox


def incident_refs(channels: list[str]) -> list[ConversationRef]:
    """ "slack:C0INCIDENT" -> ConversationRef(channel="slack", conversation_id="C0INCIDENT")."""
    refs = []
    for entry in channels:
        channel, _, conversation = entry.partition(":")
        if channel and conversation:
            refs.append(ConversationRef(channel=channel, conversation_id=conversation))
    return refs


def broadcast(outbox: Outbox, channels: list[str], text: str) -> list[Reply]:
    """Publish `text` to every incident conversation; returns what was published (one per conversation)."""
    key = f"urgent-{uuid.uuid4().hex[:12]}"  # DR and critical-action status go ahead of ordinary replies
    replies = [Reply(ref=ref, key=f"{key}-{i}", text=text) for i, ref in enumerate(incident_refs(channels))]
    for reply in replies:
        outbox.publish(reply)
    return replies
