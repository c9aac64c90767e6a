""" "dashboard" in chat: a one-time link that signs the asker in to the phone dashboard (bot/web, at /app).

The link signs in as whoever it was made for, so it only ever goes to the asker privately: into their direct
message (a Slack DM is addressed by the user id; a Telegram private chat's id is the user's id), and a channel
where they asked hears only that it was sent. Asking needs no role of its own: the gate already turned strangers
away, and the dashboard shows each user exactly what their role lets them read or do."""

from __future__ import annotations

from urllib.parse import quote

import redis

from conversation.replies import reply
from core.models import Button, ConversationRef, Message, Reply
from core.settings import Settings
from core.web_sessions import WebSessions

PRIVATE_CHANNELS = ("slack", "telegram")  # where a direct message to the asker exists
APP_PATH = "/app/"
OPEN_LABEL = "Open dashboard"
SENT = "Sent you the dashboard link in a direct message."
NO_URL = "The dashboard needs OPSBOT_PUBLIC_URL (docs/dashboard.md)."
ON_CONSOLE = "Run `opsbot dashboard --user {user}` to open it in a browser."


def web_sessions(settings: Settings, connection: redis.Redis) -> WebSessions:
    """The dashboard's sessions and one-time links, with the lifetimes the settings give."""
    return WebSessions(connection, session_seconds=int(settings.dashboard_session_hours * 3600),
                       link_seconds=settings.dashboard_link_seconds)  # fmt: skip


def dashboard_url(public_url: str) -> str:
    """The dashboard's own address under `public_url` (Telegram's menu button opens it as a Mini App)."""
    return public_url.rstrip("/") + APP_PATH


def answer(msg: Message, user: str, public_url: str | None, sessions: WebSessions) -> list[Reply]:
    """The link in the asker's direct message, and a line where they asked when that was somewhere else."""
    channel = msg.ref.channel
    if channel not in PRIVATE_CHANNELS:
        return [reply(msg.ref, ON_CONSOLE.format(user=user))]
    if public_url is None:
        return [reply(msg.ref, NO_URL, kind="refusal")]
    token = sessions.make_link(user, f"{channel}:{msg.sender}")
    minutes = max(1, sessions.link_seconds // 60)
    button = Button(id="dashboard-link", label=OPEN_LABEL, url=f"{dashboard_url(public_url)}#link={token}")
    text = f"Your dashboard link: it signs you in once, within {minutes} min. Don't forward it."
    direct = ConversationRef(channel=channel, conversation_id=msg.sender)
    link = reply(direct, text, buttons=(button,))
    if _is_direct(msg):
        return [link]
    return [link, reply(msg.ref, SENT)]


def _is_direct(msg: Message) -> bool:
    """Asked in the asker's own direct conversation: a Telegram private chat (its id is the user's), a Slack DM
    (a "D" channel), not a thread of either."""
    ref = msg.ref
    if ref.thread_id is not None:
        return False
    return ref.conversation_id == msg.sender or (ref.channel == "slack" and ref.conversation_id.startswith("D"))


def open_button(
    msg: Message, user: str, public_url: str | None, sessions: WebSessions, resource_id: str, name: str
) -> Button | None:
    """ "Open web-prod": the resource's page on the dashboard, under a resource shown in the asker's own direct
    conversation (None elsewhere, or without a public URL). On Telegram it opens as the Mini App, which signs itself
    in; on Slack the link carries a one-time sign-in as the asker, which is why it is offered only privately."""
    if public_url is None or msg.ref.channel not in PRIVATE_CHANNELS or not _is_direct(msg):
        return None
    url = f"{dashboard_url(public_url)}?resource={quote(resource_id, safe='')}"
    if msg.ref.channel == "slack":
        url += f"#link={sessions.make_link(user, f'slack:{msg.sender}')}"
    return Button(id="dashboard-open", label=f"Open {name}"[:40], url=url)
