"""Nothing pending is dropped silently: a message the platform refuses for good, or one that fails every attempt,
ends in the channel's dead-letter list, which `opsbot outbox dead` shows (previews redacted) and `replay` sends
again; delivered entries leave the stream, and only the safety cap ever moves pending ones aside - loudly, into
the same list."""

from __future__ import annotations

import asyncio
import logging

import pytest
import redis
from slack_sdk.web.async_client import AsyncWebClient
from typer.testing import CliRunner

from bot.channels import DeliveryFailed
from bot.cli_outbox import outbox_app
from bot.delivery import ATTEMPTS, Deliverer
from bot.slack.transport import SlackTransport
from core.models import ConversationRef, Reply
from core.outbox import Outbox
from fakes.slack_api import FakeSlackApi
from tests.delivery.recording import RecordingTransport, deliver, post

runner = CliRunner()
ROOM = ConversationRef(channel="slack", conversation_id="C0ROOM")


def _via_slack(fake: FakeSlackApi, conn: redis.Redis, replies: list[Reply]) -> None:
    async def run() -> None:
        transport = SlackTransport(AsyncWebClient(token="xoxb-test", base_url=fake.url), min_interval=0.01)
        deliverer = Deliverer(transport, Outbox(conn), conn, backoff_seconds=0.001)
        for reply in replies:
            Outbox(conn).publish(reply)
        await deliver(deliverer)

    asyncio.run(run())


def test_a_refused_message_is_listed_by_outbox_dead_and_replay_sends_it(
    fake_slack: FakeSlackApi, redis_conn: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSBOT_REDIS_URL", redis_url)
    secret = "AKIAIOSFODNN7EXAMPLE"
    fake_slack.fail_next("chat.postMessage", 1, status=200, error="not_in_channel", retry_after=None)
    card = Reply(ref=ROOM, key="alert-7.n-abc", text=f"FIRING\nALERT 7 CRIT web-prod: key {secret} leaked")

    _via_slack(fake_slack, redis_conn, [card, Reply(ref=ROOM, key="k2", text="next")])

    assert [m.text for m in fake_slack.messages] == ["next"]  # the conversation moved on
    listed = runner.invoke(outbox_app, ["dead"])
    assert listed.exit_code == 0, listed.output
    [line, summary] = listed.output.splitlines()
    assert line.startswith("slack:C0ROOM  ") and "refused: Slack refused chat.postMessage: not_in_channel" in line
    assert "ALERT 7 CRIT web-prod" in line and secret not in listed.output
    assert summary == "1 dead letter; `opsbot outbox replay` sends them again."
    stats = runner.invoke(outbox_app, ["stats"]).output.splitlines()
    assert stats[1].split() == ["slack", "0", "0", "1", "-"]  # delivered entries gone; one dead; lease released

    replayed = runner.invoke(outbox_app, ["replay", "--channel", "slack"])
    assert replayed.output == "Replayed 1 dead letter.\n"
    _via_slack(fake_slack, redis_conn, [])  # the bot was invited back; serve delivers what was replayed

    assert [m.text for m in fake_slack.messages][-1] == card.text
    assert runner.invoke(outbox_app, ["dead"]).output == "No dead letters.\n"


def test_a_message_failing_every_attempt_is_dead_lettered_with_why(redis_conn: redis.Redis) -> None:
    def poison(reply: Reply, _attempt: int) -> BaseException | None:
        return ValueError("cannot encode") if reply.key == "bad" else None

    transport = RecordingTransport(fault=poison)
    outbox = Outbox(redis_conn)
    deliverer = Deliverer(transport, outbox, redis_conn, backoff_seconds=0.001)
    for key in ("before", "bad", "after"):
        outbox.publish(post(key, key))

    asyncio.run(deliver(deliverer))

    assert transport.texts() == ["before", "after"]
    [letter] = outbox.dead("chat")
    assert letter.reply is not None and letter.reply.key == "bad"
    assert letter.reason == f"gave up after {ATTEMPTS} attempts: ValueError: cannot encode"
    assert redis_conn.xlen("opsbot:outbox:chat") == 0  # settled entries are deleted, not kept until a trim


def test_a_refused_alert_card_is_reported_to_escalation_and_kept(redis_conn: redis.Redis) -> None:
    told: list[tuple[str, str | None]] = []
    transport = RecordingTransport(fault=lambda reply, _n: DeliveryFailed("channel_not_found"))
    outbox = Outbox(redis_conn)
    deliverer = Deliverer(transport, outbox, redis_conn, on_result=lambda k, e: told.append((k, e)))
    outbox.publish(post("alert-3.1-x", "FIRING\nALERT 3 CRIT db: down"))

    asyncio.run(deliver(deliverer))

    assert told == [("alert-3.1-x", "DeliveryFailed: channel_not_found")]
    assert [d.reason for d in outbox.dead("chat")] == ["refused: channel_not_found"]


def test_the_safety_cap_moves_the_oldest_aside_loudly_and_the_rest_is_delivered(
    redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox(redis_conn, cap=5)
    transport = RecordingTransport()
    deliverer = Deliverer(transport, outbox, redis_conn)
    with caplog.at_level(logging.WARNING, logger="core.outbox"):
        for i in range(8):
            outbox.publish(post(f"k{i}", f"m{i}"))

    asyncio.run(deliver(deliverer))

    assert transport.texts() == [f"m{i}" for i in range(3, 8)]
    assert [d.reply.text for d in outbox.dead("chat") if d.reply] == ["m0", "m1", "m2"]
    assert {d.reason for d in outbox.dead("chat")} == {"outbox over its cap of 5 entries"}
    assert len([r for r in caplog.records if "over its cap" in r.getMessage()]) == 3


def test_outbox_commands_need_the_servers_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSBOT_REDIS_URL", raising=False)
    result = runner.invoke(outbox_app, ["stats"])
    assert result.exit_code == 2
    assert "set OPSBOT_REDIS_URL" in result.output
