"""A reply that answers an earlier message (an escalation's note in its card's thread) reaches the transport with
the platform's id of that message; a note about a card in a digest goes under the digest; one whose message is not
known (expired) goes out on its own. Notes are never mistaken for new cards to digest."""

from __future__ import annotations

import asyncio

import redis

from bot.channels import Rate
from bot.delivery import Deliverer
from core.models import Reply
from core.outbox import Outbox
from tests.delivery.recording import RecordingTransport, deliver, post, ref


def _note(key: str, text: str, card: str) -> Reply:
    return Reply(ref=ref(), key=key, text=text, reply_to=card)


def test_a_note_reaches_the_transport_with_the_platform_id_of_its_card(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport()
    outbox = Outbox(redis_conn)
    deliverer = Deliverer(transport, outbox, redis_conn)  # joins the stream: what is published from now on
    outbox.publish(post("alert-1.0-card", "FIRING\nALERT 1 CRIT web-prod: 5xx above 5%"))
    outbox.publish(_note("alert-1.2-note", "Still not acknowledged after 30 s - repeat 1.", "alert-1.0-card"))
    outbox.publish(_note("alert-1.3-lost", "Nobody acknowledged after 2 min: escalation ended.", "alert-9.0-gone"))

    asyncio.run(deliver(deliverer))

    card, note, lost = transport.sent
    assert note.reply.reply_to == card.message_id
    assert lost.reply.reply_to is None  # its card is not known here: the note goes out on its own


def test_notes_are_not_digested_with_new_cards(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport(pace=Rate(per_second=20, burst=1))
    outbox = Outbox(redis_conn)
    deliverer = Deliverer(transport, outbox, redis_conn)
    outbox.publish(post("alert-1.0-card", "FIRING\nALERT 1 CRIT web-prod: 5xx above 5%"))
    for n in range(2, 7):
        outbox.publish(_note(f"alert-1.{n}-note", f"Still not acknowledged - repeat {n - 1}.", "alert-1.0-card"))

    asyncio.run(deliver(deliverer))

    assert not any("new alerts:" in s.reply.text for s in transport.sent)
    assert [s.reply.reply_to for s in transport.sent[1:]] == [transport.sent[0].message_id] * 5
