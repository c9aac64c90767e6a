"""The Slack Home tab: published on app_home_opened with the user's board, re-published when the board changes,
within Slack's view limits however many alerts are open, an Ack on it acknowledging through the normal flow, and
nothing but how to be added for a stranger. Through bolt and slack_sdk against the fake Web API, whose views.publish
refuses what Slack refuses."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any
from urllib.parse import quote

from slack_sdk.web.async_client import AsyncWebClient

from alerts.model import Incoming, Severity
from bot.slack import home
from conversation.board import AlertItem, Board, BoardUser, EmergencyAction
from fakes.slack_api import FakeSlackApi, view_problems
from tests.slack.conftest import (
    ALICE,
    BOT_TOKEN,
    CAROL,
    CHANNEL,
    DAVE,
    SlackStack,
    StackFactory,
    mention,
    new_trigger_id,
    sample,
)

STRANGER = "U999NOBODY"


def home_opened(user: str) -> dict[str, Any]:
    """The event_callback Slack sends when `user` opens the app's Home tab (api.slack.com/events/app_home_opened),
    in the envelope of Slack's docs app_mention sample."""
    body = sample("slack_event_app_mention_docs.json")
    trigger = new_trigger_id()
    body["event"] = {"type": "app_home_opened", "user": user, "channel": "D0LAN2Q65", "tab": "home",
                     "event_ts": trigger.split(".")[0] + ".000100"}  # fmt: skip
    body["event_id"] = "Ev" + trigger.replace(".", "")[:12]
    return body


def view_press(view: dict[str, Any], label: str, *, user: str) -> str:
    """bolt's block_actions sample, pressed on a view (the Home tab or a modal): no channel, a "view" container."""
    buttons = [b.get("accessory") or {} for b in view["blocks"]] + [
        e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    button = next(b for b in buttons if b.get("type") == "button" and b["text"]["text"].startswith(label))
    body = sample("slack_interactive_block_actions_button_bolt_python.json")
    body["user"]["id"] = user
    body["trigger_id"] = new_trigger_id()
    body.pop("channel", None)
    body.pop("message", None)
    body["container"] = {"type": "view", "view_id": "V0PKB1ZFV"}
    body["view"] = {"id": "V0PKB1ZFV", "type": view["type"]}
    action = body["actions"][0]
    action.update(action_id=button["action_id"], value=button.get("value"), text=copy.deepcopy(button["text"]))
    return "payload=" + quote(json.dumps(body))


def texts(view: dict[str, Any]) -> str:
    parts = []
    for block in view["blocks"]:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return "\n".join(parts)


def fire(stack: SlackStack, n: int, summary: str = "5xx > 5%") -> None:
    alert = Incoming(source="generic", fingerprint=f"home-{n}", severity=Severity.CRITICAL, summary=summary)
    stack.runtime.alerting.escalator.ingest([alert])


def opened(stack: SlackStack, user: str, count: int = 1) -> dict[str, Any]:
    """Open the tab; the view the user then sees (the `count`th one published for them)."""
    assert stack.event(home_opened(user)).status_code == 200
    fake = stack.fake
    fake.wait_for(lambda: len(fake.homes.get(user, [])) >= count)
    view = fake.home_of(user)
    assert view is not None
    return view


def test_the_home_tab_shows_the_board_and_follows_its_changes(make_stack: StackFactory) -> None:
    stack = make_stack(public_url="https://ops.example.com")
    fire(stack, 1, "web-prod 5xx above 5%")
    view = opened(stack, ALICE)
    shown = texts(view)
    assert "alice (operator)" in shown
    assert "web-prod 5xx above 5%" in shown
    assert "Health" in shown
    link = next(e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"] if "url" in e)
    assert link["url"] == "https://ops.example.com/app/" and link["text"]["text"] == "Open dashboard"
    assert not view_problems(view, "home")

    fire(stack, 2, "db-prod replica lag")
    stack.fake.wait_for(lambda: "db-prod replica lag" in texts(stack.fake.home_of(ALICE) or {"blocks": []}))
    assert len(stack.fake.homes[ALICE]) == 2  # one refresh for the change, not one per poll


def test_ack_on_the_home_tab_acknowledges_through_the_normal_flow(make_stack: StackFactory) -> None:
    stack = make_stack()
    fire(stack, 1, "web-prod down")
    view = opened(stack, ALICE)
    assert stack.form(view_press(view, "Ack", user=ALICE)).status_code == 200
    answer = stack.fake.message_where(lambda m: m.channel == ALICE)  # the presser's direct message
    assert "acknowledged" in answer.shown.lower(), answer.shown
    stack.fake.wait_for(lambda: "acked by alice" in texts(stack.fake.home_of(ALICE) or {"blocks": []}))


def test_a_stranger_is_told_only_how_to_be_added(make_stack: StackFactory) -> None:
    stack = make_stack()
    fire(stack, 1, "web-prod down")
    view = opened(stack, STRANGER)
    assert texts(view) == home.STRANGER
    assert "web-prod" not in json.dumps(view)


def test_a_viewer_gets_no_ack_button(make_stack: StackFactory) -> None:
    stack = make_stack()
    fire(stack, 1, "web-prod down")
    view = opened(stack, DAVE)
    assert "web-prod down" in texts(view)
    assert not any("accessory" in b for b in view["blocks"])


def test_a_board_of_500_alerts_stays_within_slacks_limits(fake_slack: FakeSlackApi) -> None:
    alerts = [
        AlertItem(id=str(n), title="x" * 3500 + " <!channel>", severity="critical", resource="web-prod" * 40,
                  state="firing", since=1.0, acked_by=None, can_ack=True)
        for n in range(500)
    ]  # fmt: skip
    board = Board(
        user=BoardUser(name="carol", role="admin"), generated_at=1.0, health=[], alerts=alerts, runs=[], deploys=[],
        incidents=[], oncall=[], cost=None, can_act=True, problems=["costs: no data yet"],
        emergency=[EmergencyAction(label="Fail over web " * 10, command="fail over web-prod", danger=True)] * 40,
    )  # fmt: skip
    view = home.home_view(board, "https://ops.example.com/app/")
    assert not view_problems(view, "home")
    assert len(view["blocks"]) <= home.MAX_BLOCKS
    assert "+470 more" in texts(view)
    assert "<!channel>" not in json.dumps(view)  # escaped: a title never pings a channel

    async def publish() -> None:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.url)
        await client.views_publish(user_id=CAROL, view=view)

    asyncio.run(publish())  # the real client, and the fake answers ok (it refuses what Slack refuses)
    assert fake_slack.home_of(CAROL) is not None


def test_dashboard_in_a_channel_sends_a_link_button_to_the_askers_dm(make_stack: StackFactory) -> None:
    stack = make_stack(public_url="https://ops.example.com")
    assert stack.event(mention("dashboard")).status_code == 200
    dm = stack.fake.message_where(lambda m: m.channel == ALICE)
    [link] = dm.buttons
    assert link["text"]["text"] == "Open dashboard"
    assert link["url"].startswith("https://ops.example.com/app/#link=")
    said = stack.fake.message_where(lambda m: m.channel == CHANNEL)
    assert said.shown == "Sent you the dashboard link in a direct message."
    assert "#link=" not in json.dumps(said.blocks)

    # Slack reports the link opened (an action with no value): nothing answers it.
    body = sample("slack_interactive_block_actions_button_bolt_python.json")
    body["user"]["id"], body["trigger_id"], body["channel"]["id"] = ALICE, new_trigger_id(), ALICE
    body["container"].update(channel_id=ALICE, message_ts=dm.ts)
    body["actions"] = [{"type": "button", "action_id": link["action_id"], "text": link["text"], "action_ts": "1.2"}]
    assert stack.form("payload=" + quote(json.dumps(body))).status_code == 200
    stack.settled()
    assert [m.channel for m in stack.fake.messages] == [ALICE, CHANNEL]
