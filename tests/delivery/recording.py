"""A Transport that records what crossed it (the transport seam, like httpx.MockTransport), helpers to run a
Deliverer until it has nothing left to do (or until anything else), the event loop's one wait (`until`), and
the count of alert cards a fake Slack received."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bot.channels import Rate
from bot.delivery import Deliverer
from core.models import ConversationRef, Reply
from fakes.slack_api import FakeSlackApi

CHANNEL = "chat"
DIGEST = re.compile(r"^(\d+) new alerts?:")  # how a burst of alert cards reads as one message

# What to do with an attempt: None to send it, or an exception to raise instead. Gets the reply and its attempt
# number (1 for the first).
Fault = Callable[[Reply, int], BaseException | None]


@dataclass(frozen=True)
class Sent:
    op: str  # "post", "edit", "picture" or "file" (these two: message_id is the message they go under)
    reply: Reply
    message_id: str
    at: float  # time.monotonic() when the platform was called


class RecordingTransport:
    name = CHANNEL

    def __init__(
        self, *, pace: Rate | dict[str, Rate] | None = None, overall: Rate | None = None, fault: Fault | None = None,
        delay: Callable[[Reply], float] | None = None, first_id: int = 1,
    ) -> None:  # fmt: skip
        """`pace`: every conversation's rate, or a rate per conversation id (the others unlimited)."""
        self.sent: list[Sent] = []
        self.pictures: list[bytes] = []  # the PNGs of the "picture" sends, in order
        self.files: list[bytes] = []  # the bytes of the "file" sends, in order
        self.attempts: Counter[str] = Counter()  # reply key -> calls, failed ones included
        self.tried: list[tuple[str, float]] = []  # (reply key, time.monotonic()) of every call, failed ones included
        self.in_flight = 0
        self.most_in_flight = 0
        self._pace, self._overall, self._fault, self._delay = pace, overall, fault, delay
        self._ids = itertools.count(first_id)

    async def post(self, reply: Reply) -> str:
        message_id = f"m{next(self._ids)}"
        await self._call("post", reply, message_id)
        return message_id

    async def edit(self, reply: Reply, message_id: str) -> None:
        await self._call("edit", reply, message_id)

    async def post_picture(self, reply: Reply, message_id: str, png: bytes) -> str:
        """Recorded as a "picture" of `reply` under `message_id`; `pictures` keeps the bytes."""
        await self._call("picture", reply, message_id)
        self.pictures.append(png)
        return f"p{next(self._ids)}"

    async def post_file(self, reply: Reply, message_id: str, content: bytes) -> str:
        """Recorded as a "file" of `reply` under `message_id`; `files` keeps the bytes."""
        await self._call("file", reply, message_id)
        self.files.append(content)
        return f"f{next(self._ids)}"

    def conversation_rate(self, ref: ConversationRef) -> Rate | None:
        if isinstance(self._pace, dict):
            return self._pace.get(ref.conversation_id)
        return self._pace

    def overall_rate(self) -> Rate | None:
        return self._overall

    async def _call(self, op: str, reply: Reply, message_id: str) -> None:
        at = time.monotonic()
        self.attempts[reply.key] += 1
        self.tried.append((reply.key, at))
        problem = self._fault(reply, self.attempts[reply.key]) if self._fault else None
        if problem is not None:
            raise problem
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self._delay(reply) if self._delay else 0)
        finally:
            self.in_flight -= 1
        self.sent.append(Sent(op, reply, message_id, at))

    def texts(self, conversation: str | None = None) -> list[str]:
        return [s.reply.text for s in self.sent if conversation in (None, s.reply.ref.conversation_id)]


def ref(conversation: str = "c1") -> ConversationRef:
    return ConversationRef(channel=CHANNEL, conversation_id=conversation)


def post(key: str, text: str, conversation: str = "c1") -> Reply:
    return Reply(ref=ref(conversation), key=key, text=text)


def edit(key: str, of: str, text: str, conversation: str = "c1") -> Reply:
    return Reply(ref=ref(conversation), key=key, text=text, edit_of=of)


async def until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """tests.eventually's `eventually` inside the event loop: waits, letting the loop's tasks run, until `check()`
    is true; fails the test naming `what` after `timeout` (a safety net a passing test never reaches)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        await asyncio.sleep(0.01)


async def until_idle(deliverer: Deliverer, timeout: float = 20.0) -> None:
    """Wait until the deliverer has sent everything published so far; fail the test after `timeout`."""
    await until(deliverer.idle, "the deliverer finished", timeout)


async def run_until(deliverer: Deliverer, check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Run the deliverer until `check()` is true, then stop it."""
    task = asyncio.create_task(deliverer.run())
    try:
        await until(check, what, timeout)
    finally:
        await deliverer.stop()
        await task


async def deliver(deliverer: Deliverer, timeout: float = 20.0) -> None:
    """Run the deliverer until it is idle, then stop it."""
    await run_until(deliverer, deliverer.idle, "the deliverer finished", timeout)


def cards_received(fake: FakeSlackApi) -> int:
    """Alert cards the fake Slack received: one per card message, N per "N new alerts" digest."""
    return sum(int(found.group(1)) if (found := DIGEST.match(m.text)) else 1 for m in fake.messages)
