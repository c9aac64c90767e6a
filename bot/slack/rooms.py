"""An incident's own Slack channel (conversation.incident_rooms.IncidentRooms): conversations.create with a name
that keeps Slack's rules (lowercase letters, digits, hyphens and underscores, at most 80 characters; a taken name
gets "-2", "-3" ...), conversations.invite of its people, the summary posted and pinned. It runs in the chat path's
thread (an incident is worth the second it takes) through slack_sdk's WebClient with a short timeout; a refusal is
logged and the incident goes on in the incident channels."""

from __future__ import annotations

import logging
import re

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.models import ConversationRef
from core.settings import Settings

log = logging.getLogger(__name__)

MAX_NAME = 80
TRIES = 5  # names tried when the first is taken ("-2" ... "-5")
TIMEOUT_SECONDS = 5
_NOT_ALLOWED = re.compile(r"[^a-z0-9_-]+")


def channel_name(name: str, suffix: str = "") -> str:
    """`name` as Slack accepts it: lowercase, every other character a hyphen (never two in a row), cut so that
    `suffix` still fits in 80 characters."""
    clean = re.sub(r"-{2,}", "-", _NOT_ALLOWED.sub("-", name.lower())).strip("-_") or "incident"
    return clean[: MAX_NAME - len(suffix)].rstrip("-_") + suffix


class SlackRooms:
    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._names: dict[str, str] = {}  # channel id -> the name it got

    def open(self, name: str, members: list[str], summary: str) -> ConversationRef | None:
        channel = self._create(name)
        if channel is None:
            return None
        channel_id, got = channel
        self._names[channel_id] = got
        people = [m for m in dict.fromkeys(members) if m]
        if people:
            self._call("conversations.invite", channel=channel_id, users=",".join(people), force=True)
        posted = self._call("chat.postMessage", channel=channel_id, text=summary, unfurl_links=False)
        if posted is not None and posted.get("ts"):
            self._call("pins.add", channel=channel_id, timestamp=str(posted["ts"]))
        return ConversationRef(channel="slack", conversation_id=channel_id)

    def name_of(self, room: ConversationRef) -> str | None:
        return self._names.get(room.conversation_id)

    def _create(self, name: str) -> tuple[str, str] | None:
        for attempt in range(1, TRIES + 1):
            wanted = channel_name(name, f"-{attempt}" if attempt > 1 else "")
            try:
                answer = self._client.api_call("conversations.create", json={"name": wanted})
            except SlackApiError as exc:
                error = str(exc.response.get("error", ""))
                if error == "name_taken":
                    continue
                log.warning("Slack refused conversations.create for %s: %s", wanted, error or "no reason")
                return None
            except OSError as exc:
                log.warning("Slack did not answer conversations.create: %s", type(exc).__name__)
                return None
            channel = answer.get("channel") or {}
            return str(channel.get("id", "")), str(channel.get("name", wanted))
        log.warning("Slack: %s and %d more names were taken", channel_name(name), TRIES - 1)
        return None

    def _call(self, method: str, **body: object) -> dict[str, object] | None:
        """One Web API call whose refusal must not stop the others (an invite that fails still leaves a room)."""
        try:
            answer = self._client.api_call(method, json=body)
        except SlackApiError as exc:
            log.warning("Slack refused %s: %s", method, exc.response.get("error", "no reason"))
            return None
        except OSError as exc:
            log.warning("Slack did not answer %s: %s", method, type(exc).__name__)
            return None
        return dict(answer.data) if isinstance(answer.data, dict) else None


def build_slack_rooms(settings: Settings, api_url: str) -> SlackRooms | None:
    """The rooms of the configured Slack workspace (None without a bot token)."""
    if settings.slack_bot_token is None:
        return None
    token = settings.slack_bot_token.get_secret_value()
    return SlackRooms(WebClient(token=token, base_url=api_url, timeout=TIMEOUT_SECONDS))
