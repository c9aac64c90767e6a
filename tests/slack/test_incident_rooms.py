"""An incident declared on Slack gets its own channel through the real slack_sdk against the fake Web API: created
with Slack's naming rules, the on-call and the declarer invited, the summary posted and pinned; a taken name gets a
suffix and the reply names the channel it got."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.slack.rooms import SlackRooms, channel_name
from fakes.slack_api import BOT_USER_ID, FakeSlackApi
from policies.alerting.loader import load_alerting
from policies.alerting.oncall import on_call
from tests.slack.conftest import ALICE, BOT_TOKEN, CHANNEL, SlackStack, mention

SLACK_IDS = {"alice": ALICE, "bob": "U234BCD"}  # the test policy's alice, the shipped policy's bob


def test_declare_on_slack_opens_a_channel_with_the_on_call_and_the_summary_pinned(slack: SlackStack) -> None:
    slack.event(mention("declare sev1 web-prod down"))
    slack.settled()
    answer = slack.fake.message_where(lambda m: m.channel == CHANNEL and "Incident 1" in m.shown)
    assert answer.shown.startswith("Incident 1 (sev1): web-prod down - #inc-1-web-prod-down")
    room = slack.fake.channel_named("inc-1-web-prod-down")
    assert room is not None
    schedule = next(iter(load_alerting(None).schedules.values()))
    on_call_now = on_call(schedule, datetime.now(UTC)).person
    assert set(room.members) == {BOT_USER_ID, ALICE, SLACK_IDS[on_call_now]}
    summary = [m for m in slack.fake.messages if m.channel == room.id]
    assert len(summary) == 1 and summary[0].text.startswith("Incident 1 (sev1) on web-prod: web-prod down")
    assert room.pins == [summary[0].ts]

    slack.event(mention("inc 1 update db replica lagging"))
    slack.settled()
    update = slack.fake.message_where(lambda m: m.channel == room.id and "db replica lagging" in m.shown)
    assert update.shown.startswith("Inc 1 (sev1, web-prod down) - alice at ")


def test_a_taken_name_gets_a_suffix_and_the_reply_names_it(slack: SlackStack) -> None:
    slack.fake.take_name("inc-1-web-prod-down")
    slack.event(mention("declare sev1 web-prod down"))
    slack.settled()
    answer = slack.fake.message_where(lambda m: m.channel == CHANNEL and "Incident 1" in m.shown)
    assert "#inc-1-web-prod-down-2" in answer.shown
    room = slack.fake.channel_named("inc-1-web-prod-down-2")
    assert room is not None and ALICE in room.members and len(room.pins) == 1
    refused = [c.body.get("name") for c in slack.fake.calls_to("conversations.create")]
    assert refused == ["inc-1-web-prod-down", "inc-1-web-prod-down-2"]


def test_names_keep_slacks_rules_and_a_refusal_leaves_no_room(fake_slack: FakeSlackApi) -> None:
    rooms = SlackRooms(WebClient(token=BOT_TOKEN, base_url=fake_slack.url))
    long = "INC-8 Checkout: 500s on the *payments* API, since 14:02 " + "x" * 80
    room = rooms.open(long, [ALICE, BOT_USER_ID], "summary")  # the bot itself among them: the others still invited
    assert room is not None
    made = fake_slack.channels[room.conversation_id]
    assert made.members == [BOT_USER_ID, ALICE]
    name = rooms.name_of(room)
    assert name is not None and len(name) == 80
    assert name.startswith("inc-8-checkout-500s-on-the-payments-api-since-14-02")
    assert channel_name("!!!") == "incident"
    fake_slack.fail_next("conversations.create", 1, status=200, error="restricted_action", retry_after=None)
    assert rooms.open("inc-9-db", [ALICE], "summary") is None
