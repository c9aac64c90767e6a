"""The Slack transport against the fake Web API: what is sent, and how Slack's refusals are mapped."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels import DeliveryFailed, Rate, RetryAfter
from bot.slack.transport import SlackTransport
from core.models import Button, ConversationRef, Reply
from fakes.slack_api import FakeSlackApi
from tests.slack.conftest import APP_TOKEN, BOT_TOKEN, SECRET, SlackStack, StackFactory, direct

ROOM = ConversationRef(channel="slack", conversation_id="C0ROOM", thread_id="1600000000.000100")


def _transport(fake: FakeSlackApi) -> SlackTransport:
    return SlackTransport(AsyncWebClient(token=BOT_TOKEN, base_url=fake.url))


def _reply(text: str = "web-prod: 16/20 instances running", **fields: object) -> Reply:
    return Reply.model_validate({"ref": ROOM, "key": "k1", "text": text, **fields})


def test_post_then_edit_the_same_message(fake_slack: FakeSlackApi) -> None:
    transport = _transport(fake_slack)
    buttons = (Button(id="confirm:K7Q2M9", label="Confirm", style="primary"), Button(id="cancel:K7Q2M9", label="No"))
    ts = asyncio.run(transport.post(_reply("Scale: web-prod 12 -> 20", buttons=buttons)))
    [message] = fake_slack.messages
    assert (message.channel, message.ts, message.thread_ts) == ("C0ROOM", ts, ROOM.thread_id)
    assert [b["action_id"] for b in message.buttons] == ["confirm:K7Q2M9", "cancel:K7Q2M9"]
    assert [b["value"] for b in message.buttons] == ["confirm:K7Q2M9", "cancel:K7Q2M9"]

    asyncio.run(transport.edit(_reply("Done: web-prod is at 20 instances", edit_of="k0"), ts))
    assert message.versions == ["Done: web-prod is at 20 instances"]
    assert message.buttons == []
    [update] = fake_slack.calls_to("chat.update")
    assert update.body["ts"] == ts
    assert update.token == BOT_TOKEN


def test_rate_limit_becomes_retry_after_with_slacks_delay(fake_slack: FakeSlackApi) -> None:
    fake_slack.fail_next("chat.postMessage", 1, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        asyncio.run(_transport(fake_slack).post(_reply()))
    assert caught.value.retry_after == 7


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived", "invalid_auth"])
def test_refusals_retrying_cannot_fix_are_delivery_failures(fake_slack: FakeSlackApi, error: str) -> None:
    fake_slack.fail_next("chat.postMessage", 1, status=200, error=error, retry_after=None)
    with pytest.raises(DeliveryFailed) as caught:
        asyncio.run(_transport(fake_slack).post(_reply()))
    assert str(caught.value) == f"Slack refused chat.postMessage: {error}"


def test_editing_a_message_slack_no_longer_has_is_a_delivery_failure(fake_slack: FakeSlackApi) -> None:
    with pytest.raises(DeliveryFailed):
        asyncio.run(_transport(fake_slack).edit(_reply(edit_of="k0"), "1.000001"))


def test_server_error_is_left_to_retry(fake_slack: FakeSlackApi) -> None:
    fake_slack.fail_next("chat.postMessage", 1, status=503, error="service_unavailable", retry_after=None)
    with pytest.raises(SlackApiError):
        asyncio.run(_transport(fake_slack).post(_reply()))


def test_upload_shares_the_file_in_the_thread(fake_slack: FakeSlackApi) -> None:
    content = b"resource,cost\nweb-prod,4.10\n"
    file_id = asyncio.run(_transport(fake_slack).upload(ROOM, "costs.csv", content, "Costs this month"))
    assert fake_slack.uploads[file_id] == content
    [complete] = fake_slack.calls_to("files.completeUploadExternal")
    assert complete.body["channel_id"] == "C0ROOM"
    assert complete.body["thread_ts"] == ROOM.thread_id
    assert json.loads(complete.body["files"]) == [{"id": file_id, "title": "Costs this month"}]


def test_a_429_storm_delays_but_loses_and_reorders_nothing(slack: SlackStack) -> None:
    slack.fake.fail_next("chat.postMessage", 6, retry_after=0.1)
    questions = ["status prod", "status staging", "help", "status dr"]
    for text in questions:
        assert slack.event(direct(text)).status_code == 200
    slack.fake.wait_for(lambda: len(slack.fake.messages) == len(questions))
    slack.settled()
    shown = [m.shown for m in slack.fake.messages]
    assert shown[0].startswith("prod:")
    assert shown[1].startswith("staging:")
    assert "scale" in shown[2]  # the help
    assert shown[3].startswith("dr:")
    assert len(slack.fake.calls_to("chat.postMessage")) == len(questions) + 6


def test_a_channel_takes_a_short_burst_then_one_message_per_second_by_default(make_stack: StackFactory) -> None:
    # How the Deliverer keeps to these numbers, with this transport: tests/delivery/test_platform_pace.py.
    slack = make_stack(min_interval=1.0)
    assert slack.adapter.transport.conversation_rate(ROOM) == Rate(per_second=1.0, burst=4)
    assert slack.adapter.transport.overall_rate() is None  # Slack limits per channel, not per bot


def test_no_secret_reaches_a_log_line_or_the_audit(make_stack: StackFactory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    slack = make_stack(slack_app_token=APP_TOKEN)
    slack.event(direct("scale web-prod to 20"))
    slack.fake.message_where(lambda m: m.shown.startswith("Scale"))
    slack.fake.fail_next("chat.postMessage", 1, status=200, error="not_in_channel", retry_after=None)
    slack.event(direct("status", channel="C0GONE"))
    slack.fake.wait_for(lambda: len(slack.fake.calls_to("chat.postMessage")) == 2)
    slack.settled()
    audit = (slack.settings.data_dir / "audit.jsonl").read_text(encoding="utf-8")
    for secret in (BOT_TOKEN, APP_TOKEN, SECRET):
        assert secret not in caplog.text
        assert secret not in audit
    assert "Slack refused chat.postMessage: not_in_channel" in caplog.text
