"""Connecting to Slack. Socket Mode: the bot opens a WebSocket to Slack (here, to the fake) and receives
events over it - no public URL; the envelope is Slack's own example from python-slack-sdk's tests. And
start-up with a token Slack refuses."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from fakes.slack_api import BOT_USER_ID, FakeSlackApi
from tests.slack.conftest import ALICE, APP_TOKEN, StackFactory, sample


def test_events_arrive_over_the_socket_and_are_acknowledged(make_stack: StackFactory) -> None:
    slack = make_stack(slack_app_token=APP_TOKEN, slack_signing_secret=None)
    [opened] = slack.fake.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN  # the app-level token opens the socket, the bot token posts
    assert slack.fake.connected_sockets() == 1
    assert slack.adapter.ready()
    assert slack.adapter.routes() == []  # no signing secret: no HTTP endpoint to forge requests against

    envelope = sample("slack_socket_mode_envelope_app_mention_python_slack_sdk.json")
    event = envelope["payload"]["event"]
    event.update(text=f"<@{BOT_USER_ID}> status prod", user=ALICE)
    slack.fake.push(envelope)

    answer = slack.fake.message_where(lambda m: m.channel == event["channel"])
    assert answer.thread_ts == event["ts"]
    assert answer.shown.startswith("prod:")
    assert {"envelope_id": envelope["envelope_id"]} in slack.fake.socket_acks


def test_stop_closes_the_socket(make_stack: StackFactory) -> None:
    slack = make_stack(slack_app_token=APP_TOKEN, slack_signing_secret=None)
    assert slack.fake.connected_sockets() == 1
    slack.run(slack.adapter.stop())
    slack.fake.wait_for(lambda: slack.fake.connected_sockets() == 0)
    assert not slack.adapter.ready()


def test_a_dead_bot_token_stops_start_up_with_one_line(make_stack: StackFactory, fake_slack: FakeSlackApi) -> None:
    fake_slack.fail_next("auth.test", 1, status=200, error="invalid_auth", retry_after=None)
    with pytest.raises(ConfigError, match=r"^Slack refused the bot token \(invalid_auth\)"):
        make_stack()
