"""Every handled message ends in the audit with its outcome. The flows that decide something write their own
record (denied, confirmation asked, confirmed, refused ...) and say so with `recorded()`; for everything else - a
name not found, "is a group", "did you mean", a message not understood, a read answered - the conversation core
writes the closing record from the reply the user got (`closing`), in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from audit.log import AuditEvent
from core.models import Reply

_RECORDED: ContextVar[bool] = ContextVar("opsbot_outcome_recorded", default=False)
_NOT_TAKEN = ("refusal", "error")
WHAT_CHARS = 200


def recorded() -> None:
    """The message being handled has its outcome in the audit (called right after writing it)."""
    _RECORDED.set(True)


@contextmanager
def tracking() -> Iterator[None]:
    """Track one handled message; `settled()` inside tells whether its outcome was written."""
    token = _RECORDED.set(False)
    try:
        yield
    finally:
        _RECORDED.reset(token)


def settled() -> bool:
    return _RECORDED.get()


def closing(replies: list[Reply]) -> tuple[AuditEvent, str, str]:
    """(event, outcome line, reply kind) for a message whose flow wrote no outcome: the first refusal or error
    is `refused` with its line; otherwise the first new message is `answered` with its text."""
    shown = [r for r in replies if r.kind in _NOT_TAKEN] or [r for r in replies if r.edit_of is None] or replies
    if not shown:
        return AuditEvent.ANSWERED, "no reply", "none"
    first = shown[0]
    event = AuditEvent.REFUSED if first.kind in _NOT_TAKEN else AuditEvent.ANSWERED
    return event, " | ".join(line for line in first.text.splitlines() if line)[:WHAT_CHARS], first.kind
