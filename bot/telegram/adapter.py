"""The Telegram channel adapter: python-telegram-bot receives updates (long polling, or the webhook route
in webhook mode), `inbound` translates them, the Inbox handles them; replies leave through the outbox and
`TelegramTransport`. Nothing here decides anything beyond "is this update for opsbot, here?".

Replicas: behind a webhook every replica takes requests; long polling runs in one replica at a time, the holder of
a Redis lease (bot/telegram/polling.py). Either way an update is handled once, by the first replica to claim its
update_id (bot/telegram/repeats.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from starlette.routing import BaseRoute, Route
from telegram import CallbackQuery, Update
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import Application, ContextTypes, ExtBot, JobQueue, TypeHandler

from bot.audio_fetch import FETCH_FAILED
from bot.channels import ChannelAdapter, Transport
from bot.inbox import Inbox
from bot.intake.auth import ReplayGuard
from bot.runtime import Runtime
from bot.telegram import menu, presses
from bot.telegram.audio import VoiceDownloadFailed, fetch_voice
from bot.telegram.inbound import CHANNEL, BotIdentity, Inbound, VoiceFile, from_update
from bot.telegram.polling import LEASE_SECONDS, TRY_EVERY_SECONDS, PollLeader
from bot.telegram.repeats import SEEN_PREFIX, FirstUpdates
from bot.telegram.transport import TelegramTransport
from bot.telegram.webhook import PATH, WebhookEndpoint
from core.errors import ConfigError, VoiceInputError
from core.leases import Lease, replica_name
from core.log_redaction import hide_in_logs
from core.models import ConversationRef, Message
from core.retrying import RetryCallState, RetryPolicy
from core.settings import Settings

log = logging.getLogger(__name__)

# Edits, channel posts, reactions... are never acted on, so Telegram need not send them at all.
ALLOWED_UPDATES = ["message", "callback_query"]
# What ApplicationBuilder().build() makes; the dicts are PTB's per-user/chat/bot data, unused here.
TelegramApp: TypeAlias = (
    "Application[ExtBot[None], ContextTypes.DEFAULT_TYPE, dict[Any, Any], dict[Any, Any], dict[Any, Any],"
    " JobQueue[ContextTypes.DEFAULT_TYPE]]"
)
# Reaching an unreachable Bot API: 1 s, 2 s, 4 s ... 30 s apart for as long as it takes. No jitter: one connection.
RECONNECT = RetryPolicy(first=1.0, most=30.0, jitter=False)
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as a webhook secret_token
PRESS_REPLY_SECONDS = 1.0  # how long a quiet press waits for its reply to answer it (Telegram allows ~15 s)


@dataclass(frozen=True)
class WebhookConfig:
    url: str  # public URL of the webhook route, given to setWebhook
    secret: str


class TelegramAdapter:
    name = CHANNEL

    def __init__(
        self, app: TelegramApp, inbox: Inbox, knows: Callable[[ConversationRef], bool], incident_channels: list[str],
        webhook: WebhookConfig | None, *, replays: ReplayGuard, poll_lease: Callable[[int], Lease],
        poll_every: float = TRY_EVERY_SECONDS, max_audio_bytes: int = 10_000_000, dashboard: str | None = None,
    ) -> None:  # fmt: skip
        """`poll_lease(bot id)`: the lease only its holder polls under (long polling; a webhook needs none).
        `dashboard`: the dashboard's https address (the menu button, and Mini App buttons in private chats)."""
        self._app = app
        self._repeats = FirstUpdates(replays)
        self._poll_lease = poll_lease
        self._poll_every = poll_every
        self._leader: PollLeader | None = None
        self._max_audio_bytes = max_audio_bytes
        self._inbox = inbox
        self._knows = knows  # whether the policy names a conversation
        self._incident = frozenset(incident_channels)
        self._webhook = webhook
        self._me: BotIdentity | None = None
        self._webhook_set = False
        self._reconnecting: asyncio.Task[None] | None = None
        self._silent_groups: set[str] = set()  # groups we ignore, logged once each
        self._dashboard = dashboard
        self._menu_set = False
        self._outbound = TelegramTransport(app.bot, app_url=dashboard)
        self.transport: Transport = self._outbound
        # block=False: each update is handled in its own task, started in arrival order, so one slow
        # conversation never holds up another while the Inbox keeps each conversation in order.
        app.add_handler(TypeHandler(Update, self._on_update, block=False))

    def routes(self) -> list[BaseRoute]:
        if self._webhook is None:
            return []  # long polling: nothing may reach us over HTTP
        endpoint = WebhookEndpoint(self._app.bot, self._app.update_queue, self._webhook.secret)
        return [Route(PATH, endpoint.handle, methods=["POST"])]

    async def start(self) -> None:
        """Connect, then receive. A refused token stops here with one line; an unreachable Bot API is retried
        in the background (ready() stays False meanwhile), so a Telegram outage cannot stop `opsbot serve`."""
        try:
            await self._connect()
        except InvalidToken:
            await self._app.bot.shutdown()
            # Not chained: python-telegram-bot's message quotes the token, and a traceback would show it.
            raise ConfigError("Telegram refused OPSBOT_TELEGRAM_TOKEN: check it with @BotFather") from None
        except TelegramError as exc:
            log.warning("telegram: the Bot API did not answer (%s); retrying in the background", type(exc).__name__)
            self._reconnecting = asyncio.create_task(self._connect_later(), name="telegram-connect")

    async def _connect(self) -> None:
        """Each step is skipped when already done, so a retry carries on where the last attempt failed."""
        await self._app.initialize()  # getMe: checks the token, tells us our own id and username
        bot = self._app.bot
        self._me = BotIdentity(id=bot.id, username=bot.username)
        if not self._app.running:
            await self._app.start()
        if not self._menu_set:
            await menu.set_up(bot, self._dashboard)
            self._menu_set = True
        if self._webhook is None:
            if self._leader is None:
                lease = self._poll_lease(bot.id)
                self._leader = PollLeader(lease, self._start_polling, self._stop_polling, every=self._poll_every)
                self._leader.start()
        elif not self._webhook_set:
            await bot.set_webhook(
                url=self._webhook.url, secret_token=self._webhook.secret, allowed_updates=ALLOWED_UPDATES
            )
            self._webhook_set = True
        how = "webhook" if self._webhook is not None else "long polling, in one replica at a time"
        log.info("telegram: @%s receiving by %s", bot.username, how)

    async def _start_polling(self) -> None:
        assert self._app.updater is not None  # built with one in polling mode
        if not self._app.updater.running:
            await self._app.updater.start_polling(allowed_updates=ALLOWED_UPDATES, error_callback=_polling_failed)

    async def _stop_polling(self) -> None:
        """At once: a getUpdates under way is cancelled; what was fetched is confirmed with a short getUpdates
        (timeout 0, which never ends another replica's long poll)."""
        if self._app.updater is not None and self._app.updater.running:
            await self._app.updater.stop()

    async def _connect_later(self) -> None:
        await asyncio.sleep(RECONNECT.backoff(1))  # start() made the first try
        try:
            await RECONNECT.async_retrying(_unanswered, before_sleep=_next_try)(self._connect)
        except InvalidToken:  # no traceback: it would only repeat the token, masked
            log.error("telegram: Telegram refused OPSBOT_TELEGRAM_TOKEN; the Telegram channel stays off")  # noqa: TRY400

    async def stop(self) -> None:
        """Stop receiving, let updates being handled finish, close the HTTP clients. The webhook stays set:
        while we are down Telegram keeps updates and retries, and a restart picks them up."""
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnecting
        if self._leader is not None:  # stops polling, then releases the lease: another replica polls now
            await self._leader.close()
            self._leader = None
        await self._stop_polling()
        if self._app.running:
            await self._app.stop()
        await self._app.shutdown()
        await self._app.bot.shutdown()  # when getMe never answered, the Application was not initialized
        self._repeats.close()
        self._webhook_set = False

    def ready(self) -> bool:
        if not self._app.running:
            return False
        if self._webhook is None:  # a replica waiting to take over polling is as ready as the one polling
            return self._leader is not None and self._leader.running()
        return self._webhook_set

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if self._me is None or not await self._repeats.first(update.update_id):
            return
        # Telegram shows a spinner on a pressed button until the press is answered, whatever we make of it.
        # Answered in its own task so that nothing is awaited before the Inbox takes this update's place
        # in its conversation's queue: updates are handled in the order they arrived. A press on an alert card
        # or a confirmation is answered by its reply instead (a refusal is a toast: see bot.telegram.presses).
        query = update.callback_query
        answered = None
        quiet = query is not None and query.data is not None and presses.is_quiet(query.data)
        if query is not None and not quiet:
            answered = self._app.create_task(self._answer(query), update=update)
        inbound = from_update(update, self._me, self._inbox.now())
        if inbound is not None and self._allowed(inbound):
            await self._handle(inbound)
        if query is not None and quiet:
            answered = self._app.create_task(self._answer_unless_replied(query), update=update)
        if answered is not None:
            await answered

    async def _answer_unless_replied(self, query: CallbackQuery) -> None:
        """A quiet press whose reply did not answer it within a moment (it had none, or it waits behind others in
        the chat's pace) gets an empty answer: the spinner stops."""
        answers = self._outbound.answers
        if not await answers.answered_within(query.id, PRESS_REPLY_SECONDS) and answers.claim(query.id):
            await self._answer(query)

    async def _answer(self, query: CallbackQuery) -> None:
        try:
            await query.answer()
        except TelegramError as exc:  # too late (after 15 s) or a network error: the press still counts
            log.warning("telegram: answering a button press failed: %s", type(exc).__name__)

    def _allowed(self, inbound: Inbound) -> bool:
        """Private chats always get an answer (strangers get one line from the gate); a group only when the policy
        names it or it is an incident channel: anyone can add a bot to any group."""
        if not inbound.group:
            return True
        ref = inbound.message.ref
        if self._knows(ref) or f"{CHANNEL}:{ref.conversation_id}" in self._incident:
            return True
        if ref.conversation_id not in self._silent_groups:
            self._silent_groups.add(ref.conversation_id)
            log.warning(
                "telegram: ignoring group %s: not in the policy's conversations nor an incident channel",
                ref.conversation_id,
            )
        return False

    async def _handle(self, inbound: Inbound) -> None:
        if inbound.voice is not None:
            await self._hear(inbound.message, inbound.voice)
        else:
            await self._inbox.submit(inbound.message)

    async def _hear(self, message: Message, voice: VoiceFile) -> None:
        """Download the note, then the Inbox recognises and handles it like typed text. The download comes
        before the Inbox takes this message's place in its conversation: a text sent right behind a voice
        note may be answered first."""
        try:
            audio = await fetch_voice(self._app.bot, voice, max_bytes=self._max_audio_bytes)
        except VoiceInputError as exc:  # too large: refused before downloading
            await self._inbox.say(message.ref, str(exc))
            return
        except VoiceDownloadFailed as exc:
            log.warning("telegram: %s", exc)
            await self._inbox.say(message.ref, FETCH_FAILED)
            return
        await self._inbox.submit_audio(message, audio)


def _unanswered(exc: BaseException) -> bool:
    return isinstance(exc, TelegramError) and not isinstance(exc, InvalidToken)


def _polling_failed(error: TelegramError) -> None:
    """One line per failed getUpdates (python-telegram-bot tries again, 1 s then longer apart)."""
    if isinstance(error, Conflict):  # another process polls this bot, outside our lease: only one may
        log.error("telegram: Telegram answered 409 Conflict: another process polls this bot with the same token")
    else:
        log.warning("telegram: getUpdates failed (%s); trying again", type(error).__name__)


def _next_try(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    name = type(error).__name__
    log.warning("telegram: the Bot API did not answer (%s); next try in %g s", name, state.upcoming_sleep)


def build_telegram_adapter(
    runtime: Runtime, inbox: Inbox, *, poll_lease_seconds: float = LEASE_SECONDS, poll_every: float = TRY_EVERY_SECONDS
) -> ChannelAdapter:
    """`poll_lease_seconds`, `poll_every`: how long a polling replica's lease lasts without renewal and how often it is
    renewed (and tried by the others); tests shorten them."""
    settings = runtime.settings
    if settings.telegram_token is None:
        raise ConfigError("OPSBOT_TELEGRAM_TOKEN is not set")
    token = settings.telegram_token.get_secret_value()
    webhook = _webhook_config(settings)
    hide_in_logs(token, webhook.secret if webhook else "")
    builder = Application.builder().token(token)
    if settings.telegram_api_url:
        base = settings.telegram_api_url.rstrip("/").removesuffix("/bot")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    if webhook is not None:
        builder = builder.updater(None)
    holder = replica_name(settings)

    def poll_lease(bot_id: int) -> Lease:
        return Lease(runtime.connection, f"telegram-poll:{bot_id}", holder, ttl_seconds=poll_lease_seconds)

    return TelegramAdapter(
        builder.build(), inbox, runtime.conversation.services.policy.knows_conversation, settings.incident_channels,
        webhook,
        replays=ReplayGuard(runtime.connection, prefix=SEEN_PREFIX), poll_lease=poll_lease, poll_every=poll_every,
        max_audio_bytes=settings.voice_max_bytes, dashboard=menu.app_url(settings.public_url),
    )  # fmt: skip


def _webhook_config(settings: Settings) -> WebhookConfig | None:
    if settings.telegram_webhook_secret is None:
        return None
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not _SECRET.fullmatch(secret):
        raise ConfigError("OPSBOT_TELEGRAM_WEBHOOK_SECRET: use 1-256 characters from A-Z, a-z, 0-9, _ and -")
    if not settings.public_url:
        raise ConfigError("OPSBOT_TELEGRAM_WEBHOOK_SECRET needs OPSBOT_PUBLIC_URL (where Telegram reaches us)")
    return WebhookConfig(url=settings.public_url.rstrip("/") + PATH, secret=secret)
