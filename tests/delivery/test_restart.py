"""A restarted deliverer carries on from the consumer group: nothing lost, nothing sent twice in the normal
case, and edits find the platform message an earlier process posted."""

from __future__ import annotations

import asyncio

import redis

from bot.delivery import MSGID_TTL_SECONDS, Deliverer
from core.outbox import Outbox
from tests.delivery.recording import RecordingTransport, deliver, edit, post, run_until, until_idle


def test_a_restart_delivers_what_was_published_meanwhile_and_nothing_twice(redis_conn: redis.Redis) -> None:
    outbox = Outbox(redis_conn)
    first = RecordingTransport()
    deliverer = Deliverer(first, outbox, redis_conn)
    for i in range(3):
        outbox.publish(post(f"k{i}", f"before {i}"))
    asyncio.run(deliver(deliverer))

    for i in range(4):  # while no deliverer runs (a deploy, a crash)
        outbox.publish(post(f"n{i}", f"meanwhile {i}"))
    second = RecordingTransport()
    asyncio.run(deliver(Deliverer(second, outbox, redis_conn)))

    assert first.texts() == [f"before {i}" for i in range(3)]
    assert second.texts() == [f"meanwhile {i}" for i in range(4)]


def test_a_message_cut_off_by_a_stop_is_sent_by_the_next_run(redis_conn: redis.Redis) -> None:
    outbox = Outbox(redis_conn)
    first = RecordingTransport(delay=lambda reply: 3600.0 if reply.key == "two" else 0.0)  # "two" hangs
    deliverer = Deliverer(first, outbox, redis_conn, drain_seconds=0.1)
    for key in ("one", "two", "three"):
        outbox.publish(post(key, key))

    asyncio.run(run_until(deliverer, lambda: first.in_flight > 0, "two on its way"))
    assert first.texts() == ["one"]

    second = RecordingTransport()
    asyncio.run(deliver(Deliverer(second, outbox, redis_conn)))
    assert second.texts() == ["two", "three"]


def test_a_card_that_went_out_during_a_stop_is_reported_to_its_escalation(redis_conn: redis.Redis) -> None:
    """A stop cancels the lane while its card is on its way; the send finishes, and the next run finds the card
    posted and skips it. Its escalation must still hear that it went out - from the run that sent it."""
    outbox = Outbox(redis_conn)
    told: list[tuple[str, str | None]] = []
    first = RecordingTransport(delay=lambda _reply: 0.5)  # under the send grace a stop gives
    deliverer = Deliverer(
        first, outbox, redis_conn, drain_seconds=0.0, on_result=lambda key, error: told.append((key, error))
    )
    outbox.publish(post("alert-7.n-1", "FIRING ALERT 7"))

    asyncio.run(run_until(deliverer, lambda: first.in_flight > 0, "the card on its way"))  # then a stop
    assert first.texts() == ["FIRING ALERT 7"]
    second = RecordingTransport()
    asyncio.run(deliver(Deliverer(second, outbox, redis_conn, on_result=lambda key, error: told.append((key, error)))))
    assert second.texts() == []  # recognised as sent
    assert told == [("alert-7.n-1", None)]  # heard once, as sent


def test_an_edit_finds_the_message_posted_by_an_earlier_process(redis_conn: redis.Redis) -> None:
    outbox = Outbox(redis_conn)
    first = RecordingTransport(first_id=100)
    outbox_entry = post("status", "Scaling web-prod: running.")
    deliverer = Deliverer(first, outbox, redis_conn)
    outbox.publish(outbox_entry)
    asyncio.run(deliver(deliverer))
    assert first.sent[0].message_id == "m100"
    assert 0 < redis_conn.ttl("opsbot:msgid:chat:status") <= MSGID_TTL_SECONDS

    second = RecordingTransport(first_id=500)
    deliverer = Deliverer(second, outbox, redis_conn)
    outbox.publish(edit("e1", "status", "Done: web-prod is at 20 instances."))
    asyncio.run(deliver(deliverer))

    assert [(s.op, s.message_id, s.reply.text) for s in second.sent] == [
        ("edit", "m100", "Done: web-prod is at 20 instances.")
    ]


def test_an_edit_of_an_unknown_message_is_posted_and_later_edits_follow_it(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport()
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)

    async def scenario() -> None:
        task = asyncio.create_task(deliverer.run())
        Outbox(redis_conn).publish(edit("e1", "forgotten", "web-prod: 8/20"))
        await until_idle(deliverer)
        Outbox(redis_conn).publish(edit("e2", "forgotten", "web-prod: 20/20"))
        await until_idle(deliverer)
        await deliverer.stop()
        await task

    asyncio.run(scenario())

    assert [(s.op, s.message_id, s.reply.text) for s in transport.sent] == [
        ("post", "m1", "web-prod: 8/20"),
        ("edit", "m1", "web-prod: 20/20"),
    ]


def test_delivery_carries_on_when_redis_loses_the_group(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport()
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)

    async def scenario() -> None:
        task = asyncio.create_task(deliverer.run())
        Outbox(redis_conn).publish(post("a", "before"))
        await until_idle(deliverer)
        redis_conn.flushdb()  # as after a Redis restart without persistence
        Outbox(redis_conn).publish(post("b", "after"))
        await until_idle(deliverer)
        await deliverer.stop()
        await task

    asyncio.run(scenario())

    assert transport.texts() == ["before", "after"]
