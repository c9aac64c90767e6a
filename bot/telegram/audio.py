"""Downloading a voice note or audio file someone sent the bot: getFile, then the file itself, through
python-telegram-bot (so the token stays in the library's URLs, which the log filter masks). A file is refused
before anything is downloaded when Telegram says it is over the cap - in the update, or in getFile's answer."""

from __future__ import annotations

from telegram import Bot
from telegram.error import TelegramError

from bot.telegram.inbound import VoiceFile
from core.errors import OpsbotError, VoiceInputError

FETCH_FAILED = "I couldn't fetch that voice note; try again."


class VoiceDownloadFailed(OpsbotError):
    """getFile or the download failed. The message is for the log and never carries the token."""


def too_large(size: int, limit: int) -> VoiceInputError:
    return VoiceInputError(f"That voice note is {_amount(size)}; the limit is {_amount(limit)}.")


def _amount(size: int) -> str:
    if size < 1_000_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f} MB" if size < 10_000_000 else f"{size / 1_000_000:.0f} MB"


async def fetch_voice(bot: Bot, voice: VoiceFile, *, max_bytes: int) -> bytes:
    """The file's bytes. Raises VoiceInputError (too large: a line for the user) or VoiceDownloadFailed."""
    if voice.size is not None and voice.size > max_bytes:
        raise too_large(voice.size, max_bytes)
    try:
        file = await bot.get_file(voice.file_id)
        if file.file_size is not None and file.file_size > max_bytes:
            raise too_large(file.file_size, max_bytes)
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        # Only the error's type: its text can quote the request URL, which has the token in it.
        raise VoiceDownloadFailed(f"downloading a Telegram voice note failed: {type(exc).__name__}") from exc
    if len(data) > max_bytes:  # Telegram did not say how big it was
        raise too_large(len(data), max_bytes)
    return data
