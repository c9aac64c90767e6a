"""A storm into two incident channels leaves 20,000 cards pending - twice what the outbox once trimmed to - and
`opsbot serve` restarts in the middle: every card reaches Slack (as a card, or counted in a digest) exactly once,
and each card's escalation hears of it; nothing is dropped, nothing is left in the outbox. Counted from what the
fake Slack received, which keeps Slack's per-channel limit."""

from __future__ import annotations

import asyncio

import redis
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import Deliverer
from bot.slack.transport import SlackTransport
from core.models import ConversationRef, Reply
from core.outbox import Outbox
from fakes.slack_api import FakeSlackApi
from tests.delivery.recording import DIGEST, cards_received, deliver, until

CHANNELS = ("C0INCIDENT1", "C0INCIDENT2")
PER_CHANNEL = 10_000
INTERVAL = 0.5  # the pace the transport keeps and the fake enforces (Slack: 1 s)


def _card(channel: str, n: int) -> Reply:
    return Reply(
        ref=ConversationRef(channel="slack", conversation_id=channel),
        key=f"alert-{n}.n-{channel[-1]}{n:05d}",
        text=f"FIRING\nALERT {n} CRIT svc-{n}: problem {n}",
    )


def _deliverer(fake_slack: FakeSlackApi, conn: redis.Redis, told: list[str]) -> Deliverer:
    transport = SlackTransport(AsyncWebClient(token="xoxb-test", base_url=fake_slack.url), min_interval=INTERVAL)
    # drain_seconds=0: a stop leaves what is queued pending, as a SIGKILL or a deploy would.
    return Deliverer(transport, Outbox(conn), conn, drain_seconds=0.0, on_result=lambda key, _e: told.append(key))


def test_twenty_thousand_pending_cards_survive_a_restart(fake_slack: FakeSlackApi, redis_conn: redis.Redis) -> None:
    fake_slack.limit_channels(per_second=1 / INTERVAL, burst=4)
    told: list[str] = []
    outbox = Outbox(redis_conn)
    first = _deliverer(fake_slack, redis_conn, told)  # joins the stream: the storm is its to deliver
    cards = [_card(channel, n) for n in range(1, PER_CHANNEL + 1) for channel in CHANNELS]
    for card in cards:
        outbox.publish(card)

    async def run_until_some_went_out() -> None:
        task = asyncio.create_task(first.run())
        await until(lambda: len(fake_slack.messages) >= 10, "the first cards")
        await asyncio.sleep(INTERVAL / 4)  # between two of the channel's slots: nothing is on its way
        await first.stop()
        await task

    asyncio.run(run_until_some_went_out())
    before_restart = cards_received(fake_slack)
    assert 0 < before_restart < len(cards)
    # Everything not delivered is still there, untrimmed. A few delivered ones may be too: stopped between their
    # send and its acknowledgement, they are handed out again, and recognised as sent (never posted twice).
    assert redis_conn.xlen("opsbot:outbox:urgent:slack") >= len(cards) - before_restart

    asyncio.run(deliver(_deliverer(fake_slack, redis_conn, told), timeout=120))  # the restart

    assert cards_received(fake_slack) == len(cards)  # every card, exactly once
    assert sorted(told) == sorted(c.key for c in cards)  # and each card's escalation heard of it
    assert outbox.dead("slack") == []
    assert redis_conn.xlen("opsbot:outbox:urgent:slack") == 0  # delivered entries leave the stream
    numbered = [(m.channel, m.text) for m in fake_slack.messages if not DIGEST.match(m.text)]
    assert len(numbered) == len(set(numbered))
