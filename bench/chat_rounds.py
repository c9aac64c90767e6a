"""The rounds both chat benchmarks (`bench.chat`: Slack, `bench.chat_telegram`: Telegram) run against a real
`opsbot serve`, and the figures of the last one. A `send` posts one platform event into a conversation and returns
(monotonic time sent, seconds until the bot's HTTP answer); the sink says when each reply arrived."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import httpx

from bench.figures import Figure
from bench.loopback import FirstArrivals
from core.metrics import quantile

Conversation = TypeVar("Conversation", str, int)  # a Slack channel, a Telegram chat
Send = Callable[[httpx.AsyncClient, Conversation], Awaitable[tuple[float, float]]]


async def one_at_a_time(
    send: Send[Conversation], sink: FirstArrivals, conversations: Iterable[Conversation], *, gap: float = 0.0
) -> tuple[list[float], list[float]]:
    """Each conversation in turn, the next sent when the reply to the one before has arrived (and, with `gap`,
    at least that many seconds after it was sent): (seconds until each reply, seconds until each HTTP answer)."""
    latencies, acks = [], []
    async with httpx.AsyncClient(timeout=30) as client:
        for conversation in conversations:
            start, acked = await send(client, conversation)
            latencies.append(await asyncio.to_thread(sink.first, conversation) - start)
            acks.append(acked)
            if gap:
                await asyncio.sleep(max(0.0, gap - (time.monotonic() - start)) + 0.005)
    return latencies, acks


async def at_once(
    send: Send[Conversation], sink: FirstArrivals, conversations: list[Conversation]
) -> tuple[list[float], float]:
    """One event into each conversation, all at once: (seconds until each reply, seconds from first sent to last
    reply)."""
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=len(conversations))) as client:
        sent = await asyncio.gather(*(send(client, conversation) for conversation in conversations))
    arrived = [await asyncio.to_thread(sink.first, conversation) for conversation in conversations]
    starts = [start for start, _acked in sent]
    return [a - s for a, s in zip(arrived, starts, strict=True)], max(arrived) - min(starts)


async def back_to_back(
    send: Send[Conversation], sink: FirstArrivals, conversation: Conversation, count: int
) -> list[float]:
    """One person's `count` commands into one conversation, each sent the moment the answer to the one before
    arrives: seconds until each reply, in order."""
    latencies = []
    async with httpx.AsyncClient(timeout=30) as client:
        for n in range(count):
            start, _acked = await send(client, conversation)
            latencies.append(await asyncio.to_thread(sink.nth, conversation, n) - start)
    return latencies


def burst_figures(name: str, latencies: list[float], burst: int, pace: str) -> list[Figure]:
    """`back_to_back`'s figures: the first `burst` replies (the platform's burst, sent at once), then the rest (at
    the platform's `pace`)."""
    first, rest = latencies[:burst], latencies[burst:]
    return [
        Figure(f"{name} first {burst}, p50", quantile(first, 0.5) * 1000, "ms"),
        Figure(f"{name} first {burst}, p99", quantile(first, 0.99) * 1000, "ms", "<= 50 ms"),
        Figure(f"{name} the rest, p50", quantile(rest, 0.5) * 1000, "ms", pace),
        Figure(f"{name} the rest, p99", quantile(rest, 0.99) * 1000, "ms", pace),
    ]
