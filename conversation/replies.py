"""Small helpers for building replies: keys, buttons, and the few formats every reply shares."""

from __future__ import annotations

import time
import uuid

from core.models import Button, ConversationRef, Reply
from core.redaction import redact_text


def new_key() -> str:
    return uuid.uuid4().hex[:12]


def reply(ref: ConversationRef, text: str, *, buttons: tuple[Button, ...] = (), kind: str = "info") -> Reply:
    return Reply.model_validate({"ref": ref, "key": new_key(), "text": text, "buttons": buttons, "kind": kind})


def edit(ref: ConversationRef, key: str, text: str, *, kind: str = "info") -> Reply:
    return Reply.model_validate({"ref": ref, "key": new_key(), "text": text, "edit_of": key, "kind": kind})


def clock(at: float | None = None) -> str:
    """Local wall-clock time as an on-call engineer reads it: 03:12."""
    return time.strftime("%H:%M", time.localtime(time.time() if at is None else at))


def money(amount: float, *, signed: bool = False) -> str:
    sign = ("+" if amount >= 0 else "-") if signed else ("-" if amount < 0 else "")
    value = abs(amount)
    return f"{sign}${value:,.2f}" if value < 1000 else f"{sign}${value:,.0f}"


def where(ref: ConversationRef) -> str:
    base = f"{ref.channel}:{ref.conversation_id}"
    return f"{base}/{ref.thread_id}" if ref.thread_id else base


def echo(phrase: str, limit: int = 60) -> str:
    """What the user typed, said back: shortened, and never a credential they pasted by mistake."""
    return redact_text(phrase.strip())[:limit]


def not_found(phrase: str, candidates: tuple[str, ...]) -> str:
    """ "No web-prd. Did you mean web-prod or web-preview?", or "I can't find 'x'. Try: find x"."""
    if candidates:
        return f"No {echo(phrase)}. Did you mean {' or '.join(candidates[:3])}?"
    return f"I can't find '{echo(phrase)}'. Try: find {echo(phrase.split()[0], 30)}"
