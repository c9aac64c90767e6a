"""What the chat adapters share when they fetch a voice note someone sent: the size cap, checked before anything
is downloaded when the platform says how big the file is and again on what arrived, the line that says a note is
too large, and the line for a fetch that failed. Each platform's module (bot.slack.audio, bot.telegram.audio)
keeps only its own call."""

from __future__ import annotations

from core.errors import VoiceInputError
from core.sizes import size as size_text

FETCH_FAILED = "I couldn't fetch that voice note; try again."


def too_large(size: int | None, limit: int) -> VoiceInputError:
    """The line for a note over the cap (`size` None: the server did not say, and kept on sending)."""
    if size is None:
        return VoiceInputError(f"That voice note is over the {size_text(limit)} limit.")
    return VoiceInputError(f"That voice note is {size_text(size)}; the limit is {size_text(limit)}.")


def check_size(size: int | None, limit: int) -> None:
    """Raise `too_large` when a size the platform gave (None: it gave none) is over `limit`."""
    if size is not None and size > limit:
        raise too_large(size, limit)
