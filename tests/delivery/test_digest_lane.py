"""Digests at the transport seam: cards for two threads of one conversation become one digest per thread, the most
severe first; three cards never do; an edit of a digested card sends nothing, also after a restart."""

from __future__ import annotations

import asyncio

import redis

from bot.channels import Rate
from bot.delivery import Deliverer
from core.models import ConversationRef, Reply
from core.outbox import Outbox
from tests.delivery.recording import CHANNEL, RecordingTransport, deliver

SLOW = Rate(per_second=5, burst=1)  # a slot every 0.2 s, no burst: cards queue at once


def _card(n: int, thread: str | None = None, severity: str = "CRIT") -> Reply:
    ref = ConversationRef(channel=CHANNEL, conversation_id="c1", thread_id=thread)
    return Reply(ref=ref, key=f"alert-{n}.n-{thread}", text=f"FIRING\nALERT {n} {severity} svc-{n}: problem {n}")


def test_cards_for_two_threads_become_one_digest_each_and_every_card_is_reported(redis_conn: redis.Redis) -> None:
    told: list[str] = []
    transport = RecordingTransport(pace=SLOW)
    outbox = Outbox(redis_conn)
    deliverer = Deliverer(transport, outbox, redis_conn, on_result=lambda key, _error: told.append(key))
    cards = [_card(n, thread) for thread in ("t1", "t2") for n in range(1, 11)]
    for card in cards:
        outbox.publish(card)

    asyncio.run(deliver(deliverer))

    assert [(s.reply.ref.thread_id, s.reply.text.splitlines()[0]) for s in transport.sent] == [
        ("t1", "10 new alerts:"),
        ("t2", "10 new alerts:"),
    ]
    assert sorted(told) == sorted(c.key for c in cards)

    later = Reply(ref=cards[4].ref, key="alert-5.e-1", text="ACKED by alice\nALERT 5 CRIT svc-5", edit_of=cards[4].key)
    after_restart = RecordingTransport(pace=SLOW)
    restarted = Deliverer(after_restart, outbox, redis_conn)
    outbox.publish(later)
    asyncio.run(deliver(restarted))
    assert after_restart.sent == []


def test_three_cards_go_as_cards_and_the_warnings_come_after_the_critical(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport(pace=SLOW)
    outbox = Outbox(redis_conn)
    deliverer = Deliverer(transport, outbox, redis_conn)
    for n in range(1, 4):
        outbox.publish(_card(n))
    asyncio.run(deliver(deliverer))
    assert [s.reply.text.splitlines()[1] for s in transport.sent] == [
        f"ALERT {n} CRIT svc-{n}: problem {n}" for n in (1, 2, 3)
    ]

    transport = RecordingTransport(pace=SLOW)
    deliverer = Deliverer(transport, outbox, redis_conn)
    for n in range(4, 12):
        outbox.publish(_card(n, severity="WARN" if n % 2 else "CRIT"))
    asyncio.run(deliver(deliverer))
    [digest] = transport.sent
    assert digest.reply.text.splitlines() == [
        "8 new alerts:", "#4 CRIT svc-4: problem 4", "#6 CRIT svc-6: problem 6", "#8 CRIT svc-8: problem 8",
        "#10 CRIT svc-10: problem 10", "#5 WARN svc-5: problem 5", "and 3 more",
    ]  # fmt: skip
    assert [b.id for b in digest.reply.buttons] == ["alerts:list"]
