"""Answers to a button press stay with the card and the presser, not in front of the whole channel: a refusal
("dave is a viewer: ...") is an ephemeral message only the presser sees, anything else goes in the thread of the
card pressed (which is still edited for everyone). The press's conversation carries what the transport needs
for that - the card's thread and who pressed - in its thread id, so the answer finds its way back through the
outbox like any other reply, whichever process delivers it."""

from __future__ import annotations

from typing import NamedTuple

# Presses whose answers stay quiet. Pick, More, "heard" and List presses continue a conversation at its place
# (their state is kept by where the conversation is), so they answer where they always did.
QUIET_PRESSES = frozenset({"alert", "confirm", "cancel"})
_MARK = "|press:"  # a Slack ts never holds "|"


class Press(NamedTuple):
    thread_ts: str  # the pressed card's thread: the card's own ts when it is at the top level
    user: str  # who pressed


def is_quiet(button_id: str) -> bool:
    return button_id.partition(":")[0] in QUIET_PRESSES


def thread_of_press(thread_ts: str, user: str) -> str:
    return f"{thread_ts}{_MARK}{user}"


def split(thread_id: str | None) -> tuple[str | None, Press | None]:
    """(the thread to post in, the press a reply answers or None) from a conversation's thread id."""
    if thread_id is None or _MARK not in thread_id:
        return thread_id, None
    thread_ts, _, user = thread_id.partition(_MARK)
    return thread_ts, Press(thread_ts, user)
