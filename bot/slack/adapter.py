"""The Slack adapter: a bolt `AsyncApp` whose listeners only translate. Each request is acknowledged
first (Slack wants an answer within 3 s), then the Message goes to the Inbox; the replies come back
through the outbox and the Deliverer posts them with this adapter's `SlackTransport`.

Events arrive over Socket Mode (when the app-level token is set: no public URL needed) and/or over
HTTP at `POST /slack/events` (when the signing secret is set). There the signature (and its timestamp: at
most 5 minutes old) is checked before anything reads the body, then that the body parses; only then does bolt
see it. Inside the 5 minutes a signed request can still be sent again: events (event_id), slash commands and
button presses (trigger_id) are remembered in Redis for 10 minutes and a repeat is acknowledged and dropped.

Replicas: every one may hold a Socket Mode connection and take HTTP requests. Slack retries an event it saw no
answer for (at once, after 1 and after 5 minutes), to any replica or connection; the Redis those share makes
the first claim of an id the only one, within the 10 minutes that outlast Slack's retries."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Coroutine
from functools import partial
from typing import TypeVar

import aiohttp
import redis
from pydantic import BaseModel, ValidationError
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.audio_fetch import FETCH_FAILED
from bot.channels import Transport
from bot.http import Unreadable
from bot.inbox import Inbox
from bot.intake.auth import OrderedReplayGuard, ReplayGuard
from bot.runtime import Runtime
from bot.slack import events
from bot.slack.audio import ClipDownloadFailed, ClipFetcher
from bot.slack.home_tab import DEBOUNCE_SECONDS, HomeTab
from bot.slack.identity import BotIdentity
from bot.slack.payloads import BlockActions, EventCallback, HomeOpened, MessageEvent, Shortcut, SlackFile, SlashCommand
from bot.slack.transport import MIN_INTERVAL, SlackTransport
from core.errors import ConfigError, VoiceInputError
from core.models import ConversationRef, Message
from core.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
CONNECT_WAIT_SECONDS = 10.0  # start() waits this long for the WebSocket; after that it keeps trying alone
STOP_GRACE_SECONDS = 10.0  # stop() waits this long for messages already acknowledged to be handled
SEEN_EVENTS = 10_000  # ids remembered in memory while Redis fails, so Slack's redeliveries are still dropped
SEEN_PREFIX = "opsbot:slack:seen:"

PayloadT = TypeVar("PayloadT", bound=BaseModel)


def api_url(settings: Settings) -> str:
    """The Web API base URL; the SDK joins method names onto it, so it must end in a slash."""
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


class SlackAdapter:
    name = "slack"

    def __init__(
        self, settings: Settings, inbox: Inbox, replays: ReplayGuard, *, min_interval: float = MIN_INTERVAL,
        home: Callable[[AsyncWebClient], HomeTab] | None = None,
    ) -> None:  # fmt: skip
        """`home`: makes the Home tab's and the Emergency shortcut's publisher on this adapter's client (None: neither
        is served)."""
        if settings.slack_bot_token is None:
            raise ConfigError("Slack needs OPSBOT_SLACK_BOT_TOKEN (the xoxb- bot token)")
        if settings.slack_app_token is None and settings.slack_signing_secret is None:
            raise ConfigError("Slack needs OPSBOT_SLACK_APP_TOKEN (Socket Mode) or OPSBOT_SLACK_SIGNING_SECRET (HTTP)")
        self._inbox = inbox
        self._replays = OrderedReplayGuard(replays)
        self._seen = events.RecentIds(SEEN_EVENTS)
        self._app_token = settings.slack_app_token
        self._client = AsyncWebClient(token=settings.slack_bot_token.get_secret_value(), base_url=api_url(settings))
        self.files = SlackTransport(self._client, min_interval=min_interval)  # the transport, with upload()
        self._clips = ClipFetcher(self._client, max_bytes=settings.voice_max_bytes)
        self.transport: Transport = self.files
        self.identity = BotIdentity(self._client)
        self.home = home(self._client) if home is not None else None
        secret = settings.slack_signing_secret
        self._app = AsyncApp(
            client=self._client,
            signing_secret=secret.get_secret_value() if secret is not None else "",
            name="opsbot",
            logger=logging.getLogger("bot.slack.bolt"),
        )
        self._http = AsyncSlackRequestHandler(self._app) if secret is not None else None
        self._secret = secret.get_secret_value().encode() if secret is not None else b""
        self._socket: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Future[None]] = set()
        self._app.command(re.compile(r"^/"))(self._on_command)
        self._app.event("app_mention")(self._on_mention)
        self._app.event("message")(self._on_message)
        self._app.action(re.compile(r".+"))(self._on_press)
        self._app.event("app_home_opened")(self._on_home_opened)
        self._app.shortcut("emergency")(self._on_emergency)

    # -- the ChannelAdapter protocol -------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        if self._http is None:
            return []
        return [Route(EVENTS_PATH, self._events_endpoint, methods=["POST"])]

    async def start(self) -> None:
        # One HTTP session for every Web API call (kept-alive connections), made inside the running loop.
        self._client.session = aiohttp.ClientSession()
        try:
            await self.identity.start()
        except BaseException:  # nobody calls stop() after a failed start: close what was opened
            await self._close_session()
            raise
        if self.home is not None:
            self.home.start()
        if self._app_token is not None:
            # Created here, inside the running loop: the Socket Mode client opens an aiohttp session.
            self._socket = AsyncSocketModeHandler(
                self._app, self._app_token.get_secret_value(), logger=logging.getLogger("bot.slack.socket")
            )
            # connect() retries until Slack answers; wait a little, then let it go on in the background.
            self._connecting = asyncio.create_task(self._socket.connect_async())  # type: ignore[no-untyped-call]
            await asyncio.wait({self._connecting}, timeout=CONNECT_WAIT_SECONDS)

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        await self.identity.stop()
        if self.home is not None:
            await self.home.stop()
        if self._inflight:  # messages already acknowledged to Slack still get their answer
            await asyncio.wait(set(self._inflight), timeout=STOP_GRACE_SECONDS)
        self._replays.close()
        await self._close_session()

    async def _close_session(self) -> None:
        session, self._client.session = self._client.session, None
        if session is not None:
            await session.close()

    def idle(self) -> bool:
        """No acknowledged message is still being handled."""
        return not self._inflight

    def ready(self) -> bool:
        return self.identity.known and (self._socket is None or self._socket_connected())

    def _socket_connected(self) -> bool:
        assert self._socket is not None
        client = self._socket.client
        session = client.current_session
        return not client.closed and session is not None and not session.closed

    # -- HTTP ------------------------------------------------------------------------------------------
    async def _events_endpoint(self, request: Request) -> Response:
        """Events, slash commands and button presses all arrive here (the body size is capped by bot.http).
        bolt would parse the body before checking its signature, and answer a parse error with a 500."""
        assert self._http is not None
        body = await request.body()  # kept by the Request: bolt reads the same bytes
        stamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not events.signed_by_slack(self._secret, body, stamp, signature, time.time()):
            return JSONResponse({"error": "invalid request"}, status_code=401)  # bolt's own words
        content_type = request.headers.get("content-type", "").split(";", 1)[0] or None
        try:
            events.check_readable(body, content_type)
        except Unreadable as exc:
            log.warning("slack: refused a signed request: %s", exc)
            return JSONResponse({"error": str(exc)}, status_code=400)
        return await self._http.handle(request)

    # -- listeners: translate and hand over, nothing else ------------------------------------------------
    async def _on_command(self, args: AsyncArgs) -> None:
        await args.ack()
        command = _parse(SlashCommand, args.body)
        if command is not None and await self._first("trigger", command.trigger_id):
            await self._submit(events.from_command(command))

    async def _on_mention(self, args: AsyncArgs) -> None:
        event = await self._new_event(args.body)
        if event is None or not self._answerable(event):
            return
        await self._take(event, events.mention_ref(event))

    async def _on_message(self, args: AsyncArgs) -> None:
        event = await self._new_event(args.body)
        # In channels only a mention is for the bot (that arrives as app_mention); here, direct messages.
        if event is None or event.channel_type != "im" or not self._answerable(event):
            return
        await self._take(event, events.direct_ref(event))

    async def _take(self, event: MessageEvent, ref: ConversationRef) -> None:
        """A message for the bot: a voice clip is heard first (in the background), text goes to the inbox."""
        if event.audio is not None:
            await self._track(self._hear(event, event.audio, ref))
            return
        await self._submit(events.from_event(event, ref, self.identity.user_id))

    async def _on_press(self, args: AsyncArgs) -> None:
        await args.ack()
        payload = _parse(BlockActions, args.body)
        message = events.from_press(payload) if payload is not None and payload.type == "block_actions" else None
        if message is not None and payload is not None and await self._first("trigger", payload.trigger_id):
            await self._submit(message)

    async def _on_home_opened(self, args: AsyncArgs) -> None:
        opened = _parse(HomeOpened, args.body)
        if self.home is None or opened is None or opened.event.tab != "home":
            return
        if await self._first("event", opened.event_id):
            await self._track(self.home.opened(opened.event.user))

    async def _on_emergency(self, args: AsyncArgs) -> None:
        """The "Emergency" shortcut: a modal with the buttons this user may run, opened with its trigger_id."""
        await args.ack()
        shortcut = _parse(Shortcut, args.body)
        if self.home is None or shortcut is None or not await self._first("trigger", shortcut.trigger_id):
            return
        await self._track(self.home.open_emergency(shortcut.user.id, shortcut.trigger_id))

    async def _new_event(self, body: object) -> MessageEvent | None:
        """The event, unless Slack already delivered it: a retry must not ask for a second confirmation."""
        callback = _parse(EventCallback, body)
        if callback is None or not await self._first("event", callback.event_id):
            return None
        return callback.event

    async def _first(self, kind: str, id_: str | None) -> bool:
        """False for an id already seen (a redelivery or a replay). Asked in arrival order, so messages still
        reach the Inbox in the order Slack sent them. While Redis fails, this process's memory decides."""
        if not id_:
            return True
        token = f"{kind}:{id_}"
        try:
            first = await self._replays.first_time(token)
        except redis.RedisError as exc:
            log.warning("slack: Redis failed checking for a repeat (%s); remembering in memory", type(exc).__name__)
            first = self._seen.first_time(token)
        if not first:
            log.info("slack: dropped a repeated %s %s", kind, id_)
        return first

    def _answerable(self, event: MessageEvent) -> bool:
        return events.is_spoken(event) and not events.is_from_a_bot(event, self.identity.user_id)

    async def _hear(self, event: MessageEvent, clip: SlackFile, ref: ConversationRef) -> None:
        """Download the clip, then the Inbox recognises and handles it like typed text. The download comes
        before the Inbox takes this message's place in its conversation: a text sent right behind a voice
        note may be answered first."""
        try:
            audio = await self._clips.fetch(clip)
        except VoiceInputError as exc:  # too large: refused before reading it all
            await self._inbox.say(ref, str(exc))
            return
        except ClipDownloadFailed as exc:
            log.warning("slack: %s", exc)
            await self._inbox.say(ref, FETCH_FAILED)
            return
        await self._inbox.submit_audio(events.from_clip(event, ref), audio)

    async def _submit(self, message: Message) -> None:
        await self._track(self._inbox.submit(message))

    async def _track(self, work: Coroutine[object, object, None]) -> None:
        """Run `work` as a task that `stop()` waits for."""
        task = asyncio.ensure_future(work)
        self._inflight.add(task)
        try:
            await task
        finally:
            self._inflight.discard(task)


def _parse(model: type[PayloadT], data: object) -> PayloadT | None:
    """The typed payload, or None (logged without the payload, which may quote users) if Slack's shape
    is not what we expect."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        log.warning("ignored a Slack payload that is not a valid %s (%d problems)", model.__name__, exc.error_count())
        return None


def build_slack_adapter(
    runtime: Runtime, inbox: Inbox, *, min_interval: float = MIN_INTERVAL, home_debounce: float = DEBOUNCE_SECONDS
) -> SlackAdapter:
    """What `opsbot serve` mounts when OPSBOT_SLACK_BOT_TOKEN is set."""
    replays = ReplayGuard(runtime.connection, prefix=SEEN_PREFIX)
    home = partial(HomeTab, services=runtime.conversation.services, debounce=home_debounce)
    return SlackAdapter(runtime.settings, inbox, replays, min_interval=min_interval, home=home)
