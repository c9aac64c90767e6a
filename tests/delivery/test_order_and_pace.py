"""Order per conversation, lanes side by side, and the platform's pacing: a burst, then a steady pace, per
conversation and overall."""

from __future__ import annotations

import asyncio
import random
import time

import fakeredis
import redis
from prometheus_client import REGISTRY

from bot.channels import Rate
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


def test_a_conversation_gets_its_burst_at_once_then_its_pace_without_holding_up_another(
    redis_conn: redis.Redis,
) -> None:
    interval, burst = 0.2, 3
    transport = RecordingTransport(pace={"busy": Rate(per_second=1 / interval, burst=burst)})
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    outbox = Outbox(redis_conn)
    for i in range(8):
        outbox.publish(post(f"a{i}", f"a{i}", "busy"))
        outbox.publish(post(f"b{i}", f"b{i}", "other"))

    began = time.monotonic()  # no later than the lane's bucket starts
    asyncio.run(deliver(deliverer))

    assert transport.texts("busy") == [f"a{i}" for i in range(8)]
    busy = [s.at for s in transport.sent if s.reply.ref.conversation_id == "busy"]
    # The burst goes at once, before the next token could exist; nothing else does.
    assert len([at for at in busy if at - began < interval]) == burst
    # The rest at the pace: message n (from 0) no sooner than (n - burst + 1) intervals after delivery began.
    for n in range(burst, 8):
        assert busy[n] - began >= (n - burst + 1) * interval
    # The other conversation has no limit of its own: it is not held up behind the busy one.
    other = [s.at for s in transport.sent if s.reply.ref.conversation_id == "other"]
    assert len(other) == 8 and other[-1] < busy[burst]


def test_overall_rate_holds_across_conversations(redis_conn: redis.Redis) -> None:
    rate, burst = 40, 5
    transport = RecordingTransport(overall=Rate(per_second=rate, burst=burst))
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    outbox = Outbox(redis_conn)
    for i in range(5):
        for n in range(10):
            outbox.publish(post(f"c{n}-{i}", f"{i}", f"c{n}"))

    asyncio.run(deliver(deliverer))

    times = sorted(s.at for s in transport.sent)
    assert len(times) == 50
    # Never more than burst + rate sends in a second: any run of that many plus one spans at least a second.
    window = burst + rate
    assert min(later - earlier for earlier, later in zip(times, times[window:], strict=False)) >= 1.0 - 0.005


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
