"""What reaches the bot from Slack, and what must not: signatures, replays, retries, bots, edits, odd text."""

from __future__ import annotations

import json
import time
from typing import Any

from fakes.slack_api import BOT_USER_ID
from tests.slack.conftest import ALICE, CHANNEL, SlackStack, direct, mention, sample

DM = "D024BE91L"


def _only_the_later_message_is_answered(slack: SlackStack) -> None:
    """Send a plain DM after the ones under test: once it is answered, the earlier ones had their chance."""
    slack.event(direct("help"))
    slack.fake.message_where(lambda m: m.channel == DM)
    slack.settled()
    assert len(slack.fake.messages) == 1, [m.shown for m in slack.fake.messages]


def test_forged_signature_is_refused(slack: SlackStack) -> None:
    response = slack.event(mention("scale web-prod to 20"), secret="not-the-secret")
    assert response.status_code == 401
    _only_the_later_message_is_answered(slack)


def test_replayed_request_older_than_five_minutes_is_refused(slack: SlackStack) -> None:
    # Correctly signed, but with a timestamp of six minutes ago: a captured request sent again.
    response = slack.event(mention("scale web-prod to 20"), timestamp=int(time.time()) - 360)
    assert response.status_code == 401
    _only_the_later_message_is_answered(slack)


def test_unsigned_request_is_refused(slack: SlackStack) -> None:
    body = json.dumps(mention("status"))
    response = slack.http.post(slack.url + "/slack/events", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401


def test_url_verification_echoes_the_challenge(slack: SlackStack) -> None:
    body = sample("slack_url_verification_bolt_python.json")
    response = slack.event(body)
    assert response.status_code == 200
    assert response.json() == {"challenge": body["challenge"]}


def test_redelivered_event_is_answered_once(slack: SlackStack) -> None:
    body = mention("scale web-prod to 14")
    slack.event(body)
    slack.fake.message_where(lambda m: m.thread_ts == body["event"]["ts"])
    slack.event(body)  # Slack retries an event it thinks went unanswered (X-Slack-Retry-Num), same event_id
    slack.settled()
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


def test_own_and_other_bots_messages_are_ignored(slack: SlackStack) -> None:
    own = direct("status", user=BOT_USER_ID)
    other_bot = direct("status", user="U0OTHERBOT", bot_id="B0OTHER")
    integration = direct("status", subtype="bot_message", bot_id="B0HOOK", username="deploy-hook")
    integration["event"].pop("user")
    for body in (own, other_bot, integration):
        assert slack.event(body).status_code == 200
    _only_the_later_message_is_answered(slack)


def test_edits_and_deletions_are_ignored(slack: SlackStack) -> None:
    edited: dict[str, Any] = direct("", subtype="message_changed", hidden=True)
    edited["event"].pop("user")
    edited["event"]["message"] = {"type": "message", "user": ALICE, "text": "scale web-prod to 20", "ts": "1.2"}
    deleted: dict[str, Any] = direct("", subtype="message_deleted", hidden=True, deleted_ts="1.2")
    deleted["event"].pop("user")
    joined = direct("<@U061F7AUR> has joined the channel", subtype="channel_join")
    for body in (edited, deleted, joined):
        assert slack.event(body).status_code == 200
    _only_the_later_message_is_answered(slack)


def test_channel_message_without_a_mention_is_not_for_the_bot(slack: SlackStack) -> None:
    assert slack.event(sample("slack_event_message_channel_bolt_python.json")).status_code == 200
    _only_the_later_message_is_answered(slack)


def test_forty_kilobytes_of_text_get_a_one_line_refusal(slack: SlackStack) -> None:
    body = mention("status " + "x" * 40_000)
    assert slack.event(body).status_code == 200
    refusal = slack.fake.message_where(lambda m: m.channel == CHANNEL)
    assert refusal.shown.startswith("That message is too long (40,")
    assert "\n" not in refusal.shown
    assert refusal.buttons == []


def test_emoji_and_right_to_left_text(slack: SlackStack) -> None:
    slack.event(mention("status prod 🔥🚒"))
    answer = slack.fake.message_where(lambda m: m.channel == CHANNEL)
    assert answer.shown.startswith("prod:")
    slack.event(direct("מה המצב? 🙂"))
    hint = slack.fake.message_where(lambda m: m.channel == DM)
    assert hint.shown.startswith("I didn't get that")


def test_slack_markup_in_the_text_is_read_as_words(slack: SlackStack) -> None:
    # Slack sends "&" as &amp; and links as <url|label>; the parser must see what the user typed.
    slack.event(mention("status &lt;prod&gt; &amp; <https://example.com|now>"))
    answer = slack.fake.message_where(lambda m: m.channel == CHANNEL)
    assert answer.shown.startswith("prod:")
