"""Our Replies -> Bot API calls, through python-telegram-bot's `Bot` (a refusal to a button press is the press's
answer, a toast; other answers to a press reply to the card; a reply's chart is a photo replying to its text, its
file a document). Telegram's errors become the Deliverer's: 429 -> RetryAfter, a refusal that retrying cannot
fix -> DeliveryFailed; network errors propagate as transient. Pacing is the Deliverer's job, so PTB's own rate
limiter stays off."""

from __future__ import annotations

import datetime as dtm
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from telegram import Bot, InputFile, LinkPreviewOptions, Message, ReplyParameters
from telegram import error as tg

from bot.channels import DeliveryFailed, Rate, RetryAfter
from bot.telegram import presses
from bot.telegram.render import clip, render
from core.models import ConversationRef, Reply
from core.untrusted import for_chat

# Telegram's published limits (core.telegram.org/bots/faq): about 30 messages a second overall, about one a
# second into one chat ("short bursts" allowed), and 20 a minute into one group. 429 + retry_after when overdone.
BURST = 3
OVERALL = Rate(per_second=30.0, burst=BURST)
CHAT = Rate(per_second=1.0, burst=BURST)
GROUP = Rate(per_second=(20 - BURST) / 60, burst=BURST)  # the burst comes out of the minute's 20
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # a phone screen has no room for link cards
TOAST_CHARS = 200  # answerCallbackQuery's text limit
CAPTION_CHARS = 1024  # a photo's or document's caption limit
DOCUMENT_MAX_BYTES = 50 * 1024 * 1024  # what a bot may send as a document (the Bot API's sendDocument)

log = logging.getLogger(__name__)


class TelegramTransport:
    name = "telegram"

    def __init__(
        self, bot: Bot, *, chat: Rate = CHAT, group: Rate = GROUP, overall: Rate = OVERALL, app_url: str | None = None
    ) -> None:
        """`app_url`: the dashboard's https address, opened as the Mini App from buttons in private chats."""
        self._bot = bot
        self._app_url = app_url
        self.answers = presses.Answers()  # shared with the adapter, which answers presses that got no reply
        self._chat, self._group, self._overall = chat, group, overall

    async def post(self, reply: Reply) -> str:
        shown = render(reply, self._app_url)
        topic, press = presses.split(reply.ref.thread_id)
        if press is not None:
            answered = await self._answer(press, shown.text if reply.kind == "refusal" else None)
            if answered is not None:
                return answered
        answers = reply.reply_to or (press.message_id if press is not None else None)
        try:
            sent = await self._bot.send_message(
                chat_id=_chat_id(reply.ref),
                text=shown.text,
                reply_markup=shown.keyboard,
                message_thread_id=int(topic) if topic else None,
                reply_parameters=ReplyParameters(int(answers), allow_sending_without_reply=True) if answers else None,
                link_preview_options=_NO_PREVIEW,
            )
        except tg.TelegramError as exc:
            _raise_translated(exc)
            raise
        return str(sent.message_id)

    async def post_picture(self, reply: Reply, message_id: str, png: bytes) -> str:
        """The chart as a photo replying to its text, captioned with the chart's title."""
        chart = reply.chart
        if chart is None:
            raise ValueError(f"reply {reply.key} has no chart")
        caption = clip(for_chat(chart.title), CAPTION_CHARS)
        send = partial(self._bot.send_photo, photo=InputFile(png, filename=chart.filename), caption=caption)
        return await self._under(reply, message_id, send)

    async def post_file(self, reply: Reply, message_id: str, content: bytes) -> str:
        """The reply's file as a document replying to its text, captioned with its title. Over Telegram's 50 MB for
        a bot it is refused here, without sending (core.blobs keeps no more, but a limit is checked where it is)."""
        file = reply.attachment
        if file is None:
            raise ValueError(f"reply {reply.key} has no file")
        if len(content) > DOCUMENT_MAX_BYTES:
            raise DeliveryFailed(f"{for_chat(file.filename)} has {len(content):,} bytes: Telegram takes at most"
                                 f" {DOCUMENT_MAX_BYTES:,} from a bot")  # fmt: skip
        document = InputFile(content, filename=for_chat(file.filename))
        send = partial(self._bot.send_document, document=document, caption=clip(for_chat(file.title), CAPTION_CHARS))
        return await self._under(reply, message_id, send)

    async def _under(self, reply: Reply, message_id: str, send: Callable[..., Awaitable[Message]]) -> str:
        """`send` (a photo, a document) into the reply's chat and topic, replying to its text (`message_id`)."""
        topic = presses.split(reply.ref.thread_id)[0]
        answers = int(message_id) if message_id.isdigit() else None  # a press answered with a toast has no message
        try:
            sent = await send(
                chat_id=_chat_id(reply.ref),
                message_thread_id=int(topic) if topic else None,
                reply_parameters=ReplyParameters(answers, allow_sending_without_reply=True) if answers else None,
            )
        except tg.TelegramError as exc:
            _raise_translated(exc)
            raise
        return str(sent.message_id)

    async def _answer(self, press: presses.Press, toast: str | None) -> str | None:
        """Answer the press once: with `toast` (a refusal, shown to the presser only; returns an id for it), or
        empty, to stop its spinner before the reply goes to the card (None). Already answered, or too late for
        Telegram: None, and the reply goes to the card as a message."""
        if not self.answers.claim(press.query_id):
            return None
        try:
            await self._bot.answer_callback_query(press.query_id, text=clip(toast, TOAST_CHARS) if toast else None)
        except tg.TelegramError as exc:  # too late (Telegram keeps a press answerable only briefly): say it anyway
            log.info("telegram: answering a button press failed (%s); replying to the card", type(exc).__name__)
            return None
        return f"answer:{press.query_id}" if toast else None

    async def edit(self, reply: Reply, message_id: str) -> None:
        shown = render(reply, self._app_url)
        try:
            # Without reply_markup Telegram removes the keyboard: a settled confirmation loses its buttons.
            await self._bot.edit_message_text(
                text=shown.text,
                chat_id=_chat_id(reply.ref),
                message_id=int(message_id),
                reply_markup=shown.keyboard,
                link_preview_options=_NO_PREVIEW,
            )
        except tg.BadRequest as exc:
            if "not modified" in exc.message.lower():
                return  # the message already says this (a repeated progress step): nothing to do
            _raise_translated(exc)
            raise
        except tg.TelegramError as exc:
            _raise_translated(exc)
            raise

    def conversation_rate(self, ref: ConversationRef) -> Rate | None:
        # Private chats have positive ids. Groups have negative ones (a topic shares its group's limit), and a
        # public group or channel named by its "@username" gets the stricter group limit too.
        return self._chat if ref.conversation_id.isdigit() else self._group

    def overall_rate(self) -> Rate | None:
        return self._overall


def _chat_id(ref: ConversationRef) -> int | str:
    conversation = ref.conversation_id
    return int(conversation) if conversation.lstrip("-").isdigit() else conversation  # "@channelname" stays


def _raise_translated(exc: tg.TelegramError) -> None:
    """Raise Telegram's error as the Deliverer's; return for transient ones (network, timeouts, 5xx), which
    the caller re-raises unchanged."""
    if isinstance(exc, tg.RetryAfter):
        raise RetryAfter(_seconds(exc)) from exc
    if isinstance(exc, tg.ChatMigrated):
        raise DeliveryFailed(f"the Telegram group moved to a supergroup with id {exc.new_chat_id}") from exc
    if isinstance(exc, tg.Forbidden | tg.BadRequest | tg.InvalidToken):
        raise DeliveryFailed(f"Telegram refused the message: {exc.message}") from exc


def _seconds(exc: tg.RetryAfter) -> float:
    # PTB_TIMEDELTA (set in bot/telegram/__init__.py) makes this a timedelta; an int if a deployment unset it.
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)
