"""A whole opsbot on the real test Redis: simulated cloud, default policy, in-process worker."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from bot.runtime import Runtime
from core.models import ConversationRef, Message, Reply
from core.settings import Settings
from workers.jobs import pending_jobs

ROOM = ConversationRef(channel="console", conversation_id="ops-room")


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.build(settings, with_worker=True)
    yield rt
    rt.close()


Say = Callable[..., list[Reply]]


@pytest.fixture
def say(runtime: Runtime) -> Say:
    def _say(text: str = "", *, user: str = "alice", press: str | None = None,
             ref: ConversationRef = ROOM) -> list[Reply]:  # fmt: skip
        msg = Message(ref=ref, sender=user, text=text, button_id=press, received_at=time.time())
        return runtime.conversation.handle(msg)

    return _say


def outbox_after(runtime: Runtime, ref: ConversationRef = ROOM, timeout: float = 20.0) -> list[Reply]:
    """Every reply the outbox carried for `ref`, once its jobs are finished."""
    deadline = time.monotonic() + timeout
    while pending_jobs(runtime.connection, ref) and time.monotonic() < deadline:
        time.sleep(0.02)
    return [r for _, r in runtime.outbox.read(ref.channel, "0-0") if r.ref.conversation_id == ref.conversation_id]


def button(replies: list[Reply], label_start: str) -> str:
    for reply in replies:
        for b in reply.buttons:
            if b.label.startswith(label_start):
                return b.id
    raise AssertionError(f"no button {label_start!r} in {[r.text for r in replies]}")


SayFactory = Callable[[Settings], tuple[Runtime, Say]]


@pytest.fixture
def say_factory() -> Iterator[SayFactory]:
    """A whole opsbot on other settings, with its `say`; closed after the test."""
    built: list[Runtime] = []

    def _make(settings: Settings) -> tuple[Runtime, Say]:
        rt = Runtime.build(settings, with_worker=True)
        built.append(rt)

        def _say(text: str = "", *, user: str = "alice", press: str | None = None,
                 ref: ConversationRef = ROOM) -> list[Reply]:  # fmt: skip
            return rt.conversation.handle(Message(ref=ref, sender=user, text=text, button_id=press,
                                                  received_at=time.time()))  # fmt: skip

        return rt, _say

    yield _make
    for rt in built:
        rt.close()
