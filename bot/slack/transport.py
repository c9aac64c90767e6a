"""Outbound Slack: post (a refusal to a button press as chat.postEphemeral, to the presser only), edit
(chat.update) and upload (a file; a reply's chart or file, into its thread) through the Web API, with Slack's
refusals mapped into ours - 429 -> RetryAfter, a refusal retrying cannot fix -> DeliveryFailed, anything else left
to propagate as transient. Errors never carry the token: Slack's responses do not contain it."""

from __future__ import annotations

from collections.abc import Awaitable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.channels import DeliveryFailed, Rate, RetryAfter
from bot.slack import presses
from bot.slack.render import render
from core.models import ConversationRef, Reply
from core.untrusted import for_chat

# Slack allows about one message a second into a channel, "short bursts" above that, and answers 429 with
# Retry-After when overdone: a person's few quick commands are answered at once, a longer run goes at 1/s.
MIN_INTERVAL = 1.0
BURST = 4
DEFAULT_RETRY_AFTER = 1.0

# Refusals that the same call will get again: the bot is not in the channel, the channel is gone or
# archived, the token is dead or lacks a scope, the message is malformed or can no longer be edited.
PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "restricted_action",
        "ekm_access_denied",
        "user_not_in_channel",
        "team_access_not_granted",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_arguments",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)


class SlackTransport:
    name = "slack"

    def __init__(self, client: AsyncWebClient, *, min_interval: float = MIN_INTERVAL, burst: int = BURST) -> None:
        """`min_interval`: seconds between messages into one channel once its burst of `burst` is spent."""
        self._client = client
        self._channel_rate = Rate(per_second=1.0 / min_interval, burst=burst)

    async def post(self, reply: Reply) -> str:
        text, blocks = render(reply)
        thread, press = presses.split(reply.ref.thread_id)
        if press is not None and reply.kind == "refusal":  # only the presser sees why not
            ephemeral = self._client.chat_postEphemeral(
                channel=reply.ref.conversation_id, user=press.user, thread_ts=thread, text=text, blocks=blocks
            )
            return str((await _checked("chat.postEphemeral", ephemeral)).get("message_ts", ""))
        call = self._client.chat_postMessage(
            channel=reply.ref.conversation_id,
            thread_ts=reply.reply_to or thread,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        response = await _checked("chat.postMessage", call)
        return str(response["ts"])

    async def edit(self, reply: Reply, message_id: str) -> None:
        text, blocks = render(reply)
        call = self._client.chat_update(channel=reply.ref.conversation_id, ts=message_id, text=text, blocks=blocks)
        await _checked("chat.update", call)

    async def upload(self, ref: ConversationRef, filename: str, content: bytes, title: str) -> str:
        """Share a file the bot made (a report, an export) in the conversation; returns Slack's file id."""
        return await self._upload(ref.conversation_id, presses.split(ref.thread_id)[0], filename, content, title)

    async def post_picture(self, reply: Reply, message_id: str, png: bytes) -> str:
        """The chart in the thread of its text: the thread the text went into, or one started under it."""
        chart = reply.chart
        if chart is None:
            raise ValueError(f"reply {reply.key} has no chart")
        return await self._upload(reply.ref.conversation_id, _thread(reply, message_id), chart.filename, png,
                                  for_chat(chart.title))  # fmt: skip

    async def post_file(self, reply: Reply, message_id: str, content: bytes) -> str:
        """The reply's file in the thread of its text, as its chart goes."""
        file = reply.attachment
        if file is None:
            raise ValueError(f"reply {reply.key} has no file")
        return await self._upload(reply.ref.conversation_id, _thread(reply, message_id), for_chat(file.filename),
                                  content, for_chat(file.title))  # fmt: skip

    async def _upload(self, channel: str, thread: str | None, filename: str, content: bytes, title: str) -> str:
        # files_upload_v2: Slack retired files.upload in November 2025 (getUploadURLExternal + completeUploadExternal).
        call = self._client.files_upload_v2(
            channel=channel, thread_ts=thread, filename=filename, content=content, title=title
        )
        response = await _checked("files.upload", call)
        file = response.get("file")
        return str(file["id"]) if isinstance(file, dict) else ""

    def conversation_rate(self, ref: ConversationRef) -> Rate | None:
        return self._channel_rate  # per channel: a thread shares its channel's limit

    def overall_rate(self) -> Rate | None:
        return None  # Slack limits per channel and per method, not per bot


def _thread(reply: Reply, message_id: str) -> str:
    """Where what goes with a reply's text is shared: the thread the text went into, or one started under it."""
    return reply.reply_to or presses.split(reply.ref.thread_id)[0] or message_id


async def _checked(method: str, call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    try:
        return await call
    except SlackApiError as exc:
        response = exc.response
        if response.status_code == 429:
            raise RetryAfter(_retry_after(response.headers.get("Retry-After"))) from exc
        error = str(response.get("error", "")) if isinstance(response.data, dict) else ""
        if error in PERMANENT:
            raise DeliveryFailed(f"Slack refused {method}: {error}") from exc
        raise


def _retry_after(header: object) -> float:
    try:
        seconds = float(str(header))
    except ValueError:
        return DEFAULT_RETRY_AFTER
    return seconds if seconds >= 0 else DEFAULT_RETRY_AFTER
