"""Throttling, transient errors, refusals and poison messages: every message gets through or is given up on
after a bounded effort, and a conversation never stalls behind one bad message."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest
import redis

from bot.channels import DeliveryFailed, Rate, RetryAfter
from bot.delivery import ATTEMPTS, Deliverer
from core.models import Reply
from core.outbox import Outbox
from tests.delivery.recording import RecordingTransport, deliver, post


def test_retry_after_storm_delivers_everything_once_and_in_order(redis_conn: redis.Redis) -> None:
    dice = random.Random(3)
    storms = 0

    def throttle(_reply: Reply, _attempt: int) -> BaseException | None:
        nonlocal storms
        if dice.random() < 0.4:
            storms += 1
            return RetryAfter(0.01)
        return None

    transport = RecordingTransport(fault=throttle)
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn, backoff_seconds=0.001)
    outbox = Outbox(redis_conn)
    for i in range(10):
        for conversation in ("c1", "c2", "c3"):
            outbox.publish(post(f"{conversation}-{i}", f"{i}", conversation))

    asyncio.run(deliver(deliverer))

    assert storms > 10
    for conversation in ("c1", "c2", "c3"):
        assert transport.texts(conversation) == [str(i) for i in range(10)]
    assert len(transport.sent) == 30


def test_the_lane_waits_out_retry_after_before_anything_else_in_that_conversation(redis_conn: redis.Redis) -> None:
    def slow_down_first(reply: Reply, attempt: int) -> BaseException | None:
        return RetryAfter(0.2) if reply.key == "first" and attempt == 1 else None

    transport = RecordingTransport(fault=slow_down_first)
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    Outbox(redis_conn).publish(post("first", "first"))
    Outbox(redis_conn).publish(post("second", "second"))

    asyncio.run(deliver(deliverer))

    assert transport.texts() == ["first", "second"]
    assert transport.attempts["first"] == 2


def test_after_a_429_the_conversation_goes_at_the_platforms_pace(redis_conn: redis.Redis) -> None:
    """The platform's 429 says our burst was more than it takes: the refused message goes again after its
    Retry-After, and what follows it is paced instead of bursting into another 429."""
    interval, retry_after = 0.1, 0.05

    def refuse_second(reply: Reply, attempt: int) -> BaseException | None:
        return RetryAfter(retry_after) if reply.key == "k1" and attempt == 1 else None

    transport = RecordingTransport(pace=Rate(per_second=1 / interval, burst=4), fault=refuse_second)
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    for i in range(4):
        Outbox(redis_conn).publish(post(f"k{i}", f"m{i}"))

    asyncio.run(deliver(deliverer))

    assert transport.texts() == ["m0", "m1", "m2", "m3"]
    assert [key for key, _at in transport.tried] == ["k0", "k1", "k1", "k2", "k3"]
    refused, resent = transport.tried[1][1], transport.tried[2][1]
    assert resent - refused >= retry_after
    # Without the 429 all four would go at once (a burst of 4); after it, one per interval.
    for n, sent in enumerate(transport.sent[1:], start=1):
        assert sent.at - refused >= n * interval


def test_transient_errors_are_retried(redis_conn: redis.Redis) -> None:
    def flaky(_reply: Reply, attempt: int) -> BaseException | None:
        return ConnectionResetError("reset by peer") if attempt < 3 else None

    transport = RecordingTransport(fault=flaky)
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn, backoff_seconds=0.001)
    Outbox(redis_conn).publish(post("k", "made it"))

    asyncio.run(deliver(deliverer))

    assert transport.texts() == ["made it"]
    assert transport.attempts["k"] == 3


def test_a_poison_message_is_given_up_on_and_the_conversation_moves_on(
    redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    token = "bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

    def poison(reply: Reply, _attempt: int) -> BaseException | None:
        return ValueError(f"cannot encode https://api.telegram.org/{token}/sendMessage") if reply.key == "bad" else None

    transport = RecordingTransport(fault=poison)
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn, backoff_seconds=0.001)
    for key in ("before", "bad", "after"):
        Outbox(redis_conn).publish(post(key, key))

    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        asyncio.run(deliver(deliverer))

    assert transport.texts() == ["before", "after"]
    assert transport.attempts["bad"] == ATTEMPTS
    assert any("gave up on reply bad" in record.getMessage() for record in caplog.records)
    assert token not in caplog.text and "AAHdqTcv" not in caplog.text


def test_a_refused_message_is_tried_once_and_logged(redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture) -> None:
    def refuse(reply: Reply, _attempt: int) -> BaseException | None:
        return DeliveryFailed("channel not found") if reply.key == "gone" else None

    transport = RecordingTransport(fault=refuse)
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    Outbox(redis_conn).publish(post("gone", "to a removed channel"))
    Outbox(redis_conn).publish(post("next", "next"))

    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        asyncio.run(deliver(deliverer))

    assert transport.texts() == ["next"]
    assert transport.attempts["gone"] == 1
    refusals = [r.getMessage() for r in caplog.records if "refused reply gone" in r.getMessage()]
    assert len(refusals) == 1 and "channel not found" in refusals[0]


def test_an_outbox_entry_that_is_not_a_reply_is_skipped(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport()
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    redis_conn.xadd("opsbot:outbox:chat", {"reply": b'{"not": "a reply"}'})
    Outbox(redis_conn).publish(post("k", "fine"))

    asyncio.run(deliver(deliverer))

    assert transport.texts() == ["fine"]
