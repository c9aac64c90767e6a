"""While a conversation is throttled, queued edits of one message collapse into the newest; posts never do."""

from __future__ import annotations

import asyncio

import redis

from bot.channels import Rate
from bot.delivery import Deliverer
from core.models import Reply
from core.outbox import Outbox
from tests.delivery.recording import RecordingTransport, Sent, deliver, edit, post


def _delivered(conn: redis.Redis, per_second: float, replies: list[Reply]) -> list[Sent]:
    """What a conversation paced at `per_second` was sent once `replies`, all queued at once, were delivered."""
    transport = RecordingTransport(pace=Rate(per_second=per_second))
    outbox = Outbox(conn)
    deliverer = Deliverer(transport, outbox, conn)  # joins the stream: what follows is its
    for reply in replies:
        outbox.publish(reply)
    asyncio.run(deliver(deliverer))
    return transport.sent


def test_queued_progress_edits_collapse_into_the_newest(redis_conn: redis.Redis) -> None:
    progress = [edit(f"e{done}", "job", f"web-prod: {done}/20 instances running") for done in (4, 8, 12, 16, 20)]
    sent = _delivered(redis_conn, 5, [post("job", "Confirmed by alice - running."), *progress])

    assert [(s.op, s.reply.text) for s in sent] == [
        ("post", "Confirmed by alice - running."),
        ("edit", "web-prod: 20/20 instances running"),
    ]
    assert sent[1].message_id == sent[0].message_id


def test_posts_are_never_collapsed_and_edits_do_not_jump_over_a_post(redis_conn: redis.Redis) -> None:
    sent = _delivered(redis_conn, 20, [
        post("p1", "one"), edit("e1", "p1", "one, edited"), post("p2", "two"), post("p3", "three"),
        edit("e2", "p1", "one, edited again"),
    ])  # fmt: skip

    assert [(s.op, s.reply.text) for s in sent] == [
        ("post", "one"),
        ("edit", "one, edited"),
        ("post", "two"),
        ("post", "three"),
        ("edit", "one, edited again"),
    ]


def test_edits_of_different_messages_are_kept_apart(redis_conn: redis.Redis) -> None:
    steps = [edit(f"{job}{step}", job, f"{job} step {step}") for step in range(3) for job in ("a", "b")]
    sent = _delivered(redis_conn, 10, [post("a", "job a"), post("b", "job b"), *steps])

    assert [(s.op, s.reply.text) for s in sent] == [
        ("post", "job a"),
        ("post", "job b"),
        ("edit", "a step 2"),
        ("edit", "b step 2"),
    ]
    assert sent[2].message_id == sent[0].message_id
    assert sent[3].message_id == sent[1].message_id
