"""While a conversation is throttled, queued edits of one message collapse into the newest; posts never do."""

from __future__ import annotations

import asyncio

import redis

from bot.channels import Rate
from bot.delivery import Deliverer
from core.outbox import Outbox
from tests.delivery.recording import RecordingTransport, deliver, edit, post


def test_queued_progress_edits_collapse_into_the_newest(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport(pace=Rate(per_second=5))
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    outbox = Outbox(redis_conn)
    outbox.publish(post("job", "Confirmed by alice - running."))
    for done in (4, 8, 12, 16, 20):
        outbox.publish(edit(f"e{done}", "job", f"web-prod: {done}/20 instances running"))

    asyncio.run(deliver(deliverer))

    assert [(s.op, s.reply.text) for s in transport.sent] == [
        ("post", "Confirmed by alice - running."),
        ("edit", "web-prod: 20/20 instances running"),
    ]
    assert transport.sent[1].message_id == transport.sent[0].message_id


def test_posts_are_never_collapsed_and_edits_do_not_jump_over_a_post(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport(pace=Rate(per_second=20))
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    outbox = Outbox(redis_conn)
    outbox.publish(post("p1", "one"))
    outbox.publish(edit("e1", "p1", "one, edited"))
    outbox.publish(post("p2", "two"))
    outbox.publish(post("p3", "three"))
    outbox.publish(edit("e2", "p1", "one, edited again"))

    asyncio.run(deliver(deliverer))

    assert [(s.op, s.reply.text) for s in transport.sent] == [
        ("post", "one"),
        ("edit", "one, edited"),
        ("post", "two"),
        ("post", "three"),
        ("edit", "one, edited again"),
    ]


def test_edits_of_different_messages_are_kept_apart(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport(pace=Rate(per_second=10))
    deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
    outbox = Outbox(redis_conn)
    outbox.publish(post("a", "job a"))
    outbox.publish(post("b", "job b"))
    for step in range(3):
        outbox.publish(edit(f"a{step}", "a", f"a step {step}"))
        outbox.publish(edit(f"b{step}", "b", f"b step {step}"))

    asyncio.run(deliver(deliverer))

    assert [(s.op, s.reply.text) for s in transport.sent] == [
        ("post", "job a"),
        ("post", "job b"),
        ("edit", "a step 2"),
        ("edit", "b step 2"),
    ]
    assert transport.sent[2].message_id == transport.sent[0].message_id
    assert transport.sent[3].message_id == transport.sent[1].message_id
