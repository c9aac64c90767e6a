"""Which stream a reply takes, and what a direct reader (the console, tests, benchmarks) sees: alert cards, DR
status and edits of them go to the urgent stream, everything else to the ordinary one; a reader sees both merged in
publish order, page by page; the console, with no Deliverer and no pace, keeps one stream."""

from __future__ import annotations

import redis

from core.models import ConversationRef, Reply
from core.outbox import Outbox, is_urgent

ROOM = ConversationRef(channel="slack", conversation_id="C0ROOM")


def _reply(key: str, edit_of: str | None = None) -> Reply:
    return Reply(ref=ROOM, key=key, text=key, edit_of=edit_of)


def test_cards_notices_dr_status_and_their_edits_are_urgent_and_nothing_else() -> None:
    assert is_urgent(_reply("alert-42.n-0a1b2c3d4e"))
    assert is_urgent(_reply("urgent-5f6a7b8c9d0e-0"))  # DR status to the incident channels
    assert is_urgent(_reply("9f8e7d6c5b4a", edit_of="alert-42.n-0a1b2c3d4e"))
    assert not is_urgent(_reply("9f8e7d6c5b4a"))
    # An edit goes where its message went: a job's progress edit stays behind the person's other replies.
    assert not is_urgent(_reply("alert-looking-key", edit_of="confirm-7"))


def test_a_direct_reader_sees_both_streams_in_publish_order_across_pages(redis_conn: redis.Redis) -> None:
    outbox = Outbox(redis_conn)
    published = [_reply(f"alert-{n}.n-x" if n % 3 == 0 else f"r{n}") for n in range(1_200)]
    for reply in published:
        outbox.publish(reply)
    assert redis_conn.xlen("opsbot:outbox:urgent:slack") == 400

    seen: list[str] = []
    cursor = "0-0"
    while batch := outbox.read("slack", cursor):
        seen += [reply.key for _, reply in batch]
        cursor = batch[-1][0]

    assert seen == [reply.key for reply in published]
    assert outbox.last_id("slack") == cursor


def test_the_console_keeps_one_stream(redis_conn: redis.Redis) -> None:
    outbox = Outbox(redis_conn)
    shell = ConversationRef(channel="console", conversation_id="shell")
    outbox.publish(Reply(ref=shell, key="alert-1.n-x", text="FIRING"))
    outbox.publish(Reply(ref=shell, key="r1", text="hello"))
    assert redis_conn.xlen("opsbot:outbox:console") == 2
    assert not redis_conn.exists("opsbot:outbox:urgent:console")
