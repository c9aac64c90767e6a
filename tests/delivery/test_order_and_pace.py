"""Order per conversation, lanes side by side, and the platform's pacing (per conversation and overall)."""

from __future__ import annotations

import asyncio
import itertools
import random
import time

import fakeredis
import redis
from prometheus_client import REGISTRY

from bot.delivery import Deliverer
from core.outbox import Outbox
from tests.delivery.recording import RecordingTransport, deliver, post


def test_each_conversation_keeps_its_order_while_conversations_go_side_by_side(redis_conn: redis.Redis) -> None:
    jitter = random.Random(7)
    transport = RecordingTransport(delay=lambda _reply: jitter.uniform(0, 0.004))
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    outbox = Outbox(redis_conn)
    conversations = [f"c{n}" for n in range(8)]
    for i in range(12):  # interleaved, as replies to several people arrive
        for conversation in conversations:
            outbox.publish(post(f"{conversation}-{i}", f"{conversation} #{i}", conversation))

    asyncio.run(deliver(deliverer))

    for conversation in conversations:
        assert transport.texts(conversation) == [f"{conversation} #{i}" for i in range(12)]
    assert len(transport.sent) == 8 * 12  # nothing twice
    assert transport.most_in_flight > 1  # one slow conversation does not hold up the others


def test_min_interval_spaces_one_conversation_without_holding_up_another(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport(interval={"busy": 0.05})
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    outbox = Outbox(redis_conn)
    for i in range(6):
        outbox.publish(post(f"a{i}", f"a{i}", "busy"))
        outbox.publish(post(f"b{i}", f"b{i}", "other"))

    asyncio.run(deliver(deliverer))

    busy = [s.at for s in transport.sent if s.reply.ref.conversation_id == "busy"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(busy)]
    assert len(busy) == 6 and min(gaps) >= 0.05 - 0.002
    # The other conversation has no interval: it is not held up behind the busy one.
    other = [s.at for s in transport.sent if s.reply.ref.conversation_id == "other"]
    assert len(other) == 6 and other[-1] < busy[1]


def test_overall_rate_holds_across_conversations(redis_conn: redis.Redis) -> None:
    rate = 40
    transport = RecordingTransport(rate=rate)
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    outbox = Outbox(redis_conn)
    for i in range(5):
        for n in range(10):
            outbox.publish(post(f"c{n}-{i}", f"{i}", f"c{n}"))

    asyncio.run(deliver(deliverer))

    times = sorted(s.at for s in transport.sent)
    assert len(times) == 50
    # In any run of `rate` consecutive sends at least a second passes: never more than `rate` sends a second.
    assert min(later - earlier for earlier, later in zip(times, times[rate:], strict=False)) >= 1.0 - 0.005


def test_delivery_time_is_measured_from_the_outbox_entry(redis_conn: redis.Redis) -> None:
    def delivery(sample: str) -> float:
        return REGISTRY.get_sample_value(f"opsbot_stage_seconds_{sample}", {"stage": "delivery"}) or 0.0

    count, total = delivery("count"), delivery("sum")
    transport = RecordingTransport()
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    # An entry written 5 s ago (a stream id carries its time in ms), as if the platform had been throttling us.
    five_seconds_ago = f"{int(time.time() * 1000) - 5000}-0"
    redis_conn.xadd("opsbot:outbox:chat", {"reply": post("old", "late").model_dump_json()}, id=five_seconds_ago)

    asyncio.run(deliver(deliverer))

    assert delivery("count") == count + 1
    assert 5.0 <= delivery("sum") - total < 60.0


def test_works_on_the_embedded_in_process_redis() -> None:
    fake = fakeredis.FakeRedis()
    transport = RecordingTransport()
    deliverer = Deliverer(transport, Outbox(fake), fake)
    for i in range(3):
        Outbox(fake).publish(post(f"k{i}", f"hello {i}"))

    asyncio.run(deliver(deliverer))

    assert transport.texts() == ["hello 0", "hello 1", "hello 2"]
