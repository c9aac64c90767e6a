"""The people invited to an incident's Slack channel are who is on call now as the escalation sees it: an override
made from chat ("I'll take tonight", kept in Redis) wins over the schedule's rotation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fakes.slack_api import BOT_USER_ID
from policies.alerting.oncall import Override
from tests.slack.conftest import ALICE, CHANNEL, SlackStack, mention
from workers.escalation.overrides import OverrideStore

CAROL = "U345CDE"  # the shipped policy's carol: on no rotation, the schedule's manager


def test_an_override_made_from_chat_is_invited_instead_of_the_rotation(slack: SlackStack) -> None:
    now = datetime.now(UTC)
    override = Override(person="carol", start=now - timedelta(hours=1), end=now + timedelta(hours=8), by="carol")
    OverrideStore(slack.runtime.connection).add("primary", override, now.timestamp())
    slack.event(mention("declare sev1 web-prod down"))
    slack.settled()
    answer = slack.fake.message_where(lambda m: m.channel == CHANNEL and "Incident 1" in m.shown)
    assert "#inc-1-web-prod-down" in answer.shown
    room = slack.fake.channel_named("inc-1-web-prod-down")
    assert room is not None
    assert set(room.members) == {BOT_USER_ID, ALICE, CAROL}
