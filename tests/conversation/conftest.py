"""A whole opsbot on the real test Redis: simulated cloud, default policy, in-process worker."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import pytest
import redis

from actions.backend import CloudBackend
from actions.inventory.store import InventoryStore
from actions.multicloud import MultiCloud
from actions.resilience import Guard
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


def speaker(runtime: Runtime) -> Say:
    """The one way a test talks to a whole opsbot: `say(text, user=..., press=button id, ref=...)` hands what a
    person typed or pressed in `ref` (the ops room by default) to the conversation and returns its replies."""

    def _say(text: str = "", *, user: str = "alice", press: str | None = None,
             ref: ConversationRef = ROOM) -> list[Reply]:  # fmt: skip
        msg = Message(ref=ref, sender=user, text=text, button_id=press, received_at=time.time())
        return runtime.conversation.handle(msg)

    return _say


@pytest.fixture
def say(runtime: Runtime) -> Say:
    return speaker(runtime)


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
        return rt, speaker(rt)

    yield _make
    for rt in built:
        rt.close()


@contextmanager
def runtime_on(
    backends: Sequence[CloudBackend], settings: Settings, connection: redis.Redis, *, attempts: int = 2
) -> Iterator[tuple[Runtime, MultiCloud]]:
    """A whole opsbot in front of real cloud backends, its cache read once before the first message; closed after."""
    guard = Guard(fail_max=3, reset_seconds=0.5, attempts=attempts, backoff_first=0.01, backoff_max=0.05)
    provider = MultiCloud(list(backends), InventoryStore(connection), guard, timeout_for=lambda _request: 30.0)
    runtime = Runtime.build(settings, with_worker=True, provider=provider)
    assert runtime.refresher is not None
    runtime.refresher.refresh_all()
    provider.freshen(max_age=3600, deadline=0.1)
    try:
        yield runtime, provider
    finally:
        runtime.close()
