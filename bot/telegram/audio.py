"""Downloading a voice note or audio file someone sent the bot: getFile, then the file itself, through
python-telegram-bot (so the token stays in the library's URLs, which the log filter masks). A file is refused
(bot.audio_fetch) before anything is downloaded when Telegram says it is over the cap - in the update, or in
getFile's answer."""

from __future__ import annotations

from telegram import Bot
from telegram.error import TelegramError

from bot.audio_fetch import check_size
from bot.telegram.inbound import VoiceFile
from core.errors import OpsbotError


class VoiceDownloadFailed(OpsbotError):
    """getFile or the download failed. The message is for the log and never carries the token."""


async def fetch_voice(bot: Bot, voice: VoiceFile, *, max_bytes: int) -> bytes:
    """The file's bytes. Raises VoiceInputError (too large: a line for the user) or VoiceDownloadFailed."""
    check_size(voice.size, max_bytes)
    try:
        file = await bot.get_file(voice.file_id)
        check_size(file.file_size, max_bytes)
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        # Only the error's type: its text can quote the request URL, which has the token in it.
        raise VoiceDownloadFailed(f"downloading a Telegram voice note failed: {type(exc).__name__}") from exc
    check_size(len(data), max_bytes)  # Telegram did not say how big it was
    return data
