"""The parts of Slack's payloads opsbot reads, as typed models. Everything else Slack sends is ignored
(`extra="ignore"`), so a new field from Slack never breaks the adapter; a missing required one fails
validation and the event is dropped with a log line instead of being half understood."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# Slack voice clips and audio uploads; "webm"/"mp4" are left out here because they are also video.
AUDIO_FILETYPES = frozenset({"m4a", "mp3", "ogg", "opus", "oga", "wav", "aac", "flac", "amr"})


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class SlackFile(_Payload):
    id: str = ""
    name: str = ""
    mimetype: str = ""
    filetype: str = ""
    subtype: str | None = None  # "slack_audio" for a voice clip recorded in Slack
    size: int | None = None  # bytes, as Slack reports it
    url_private: str = ""  # both need the bot token (files:read) to download
    url_private_download: str = ""

    @property
    def is_audio(self) -> bool:
        return (
            self.mimetype.lower().startswith("audio/")
            or self.subtype == "slack_audio"
            or self.filetype.lower() in AUDIO_FILETYPES
        )


class MessageEvent(_Payload):
    """A `message` or `app_mention` event (the `event` object of an event_callback)."""

    type: str
    channel: str
    ts: str
    user: str | None = None
    text: str = ""
    thread_ts: str | None = None
    subtype: str | None = None
    bot_id: str | None = None
    channel_type: str | None = None  # "im", "mpim", "channel", "group"; absent on app_mention
    hidden: bool = False
    files: tuple[SlackFile, ...] = ()

    @property
    def audio(self) -> SlackFile | None:
        """The first audio file attached (a voice clip carries exactly one)."""
        return next((f for f in self.files if f.is_audio), None)


class EventCallback(_Payload):
    """The envelope of an Events API delivery; Slack resends it with the same `event_id` when it thinks
    we did not answer."""

    event_id: str | None = None
    event: MessageEvent


class SlashCommand(_Payload):
    command: str
    text: str = ""
    user_id: str
    channel_id: str
    trigger_id: str | None = None  # unique per invocation: a request carrying a known one is a replay


class _Id(_Payload):
    id: str


class _PlainText(_Payload):
    text: str = ""


class ButtonAction(_Payload):
    action_id: str
    type: str = "button"
    value: str | None = None
    text: _PlainText | None = None
    action_ts: str | None = None


class _Container(_Payload):
    type: str = "message"
    channel_id: str | None = None
    message_ts: str | None = None
    thread_ts: str | None = None


class _PressedMessage(_Payload):
    ts: str | None = None
    thread_ts: str | None = None


class BlockActions(_Payload):
    """A `block_actions` interaction: somebody pressed one of our buttons."""

    type: str
    user: _Id
    trigger_id: str | None = None  # unique per press: a request carrying a known one is a replay
    channel: _Id | None = None
    container: _Container = _Container()
    message: _PressedMessage | None = None
    actions: tuple[ButtonAction, ...] = ()

    @property
    def channel_id(self) -> str | None:
        return self.channel.id if self.channel is not None else self.container.channel_id

    @property
    def thread_ts(self) -> str | None:
        """The thread the pressed message lives in (None at the top level of a channel or DM)."""
        if self.container.thread_ts:
            return self.container.thread_ts
        message = self.message
        if message is not None and message.thread_ts and message.thread_ts != message.ts:
            return message.thread_ts
        return None


class HomeOpenedEvent(_Payload):
    type: str
    user: str
    tab: str = "home"  # "home" or "messages": the tab the user opened


class HomeOpened(_Payload):
    """The `app_home_opened` event_callback: a user opened the app's Home (or Messages) tab."""

    event_id: str | None = None
    event: HomeOpenedEvent


class Shortcut(_Payload):
    """A global shortcut ("Emergency"): its trigger_id opens a modal within 3 s, once."""

    type: str
    callback_id: str
    trigger_id: str
    user: _Id
