"""Two `opsbot serve` replicas behind one load balancer, on one Redis: Slack may send an event to either, and its
retries of it (same event_id, X-Slack-Retry-Num) to either; a press or a slash command may be sent again to the
other. Whichever replica gets each copy, at the same moment or later, the person sees one answer and one action."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from fakes.slack_api import BOT_USER_ID
from tests.slack.conftest import (
    ALICE,
    APP_TOKEN,
    CHANNEL,
    SlackStack,
    StackFactory,
    command_form,
    mention,
    press_form,
    sample,
)


def _all_at_once(sends: list[Callable[[], httpx.Response]]) -> list[int]:
    with ThreadPoolExecutor(max_workers=len(sends)) as pool:
        return [response.status_code for response in pool.map(lambda send: send(), sends)]


def _settled(*stacks: SlackStack) -> None:
    for stack in stacks:
        stack.settled()


def test_an_event_and_slacks_retries_of_it_spread_over_two_replicas_get_one_answer(make_stack: StackFactory) -> None:
    first, second = make_stack(), make_stack()
    body = mention("scale web-prod to 14")
    statuses = _all_at_once([
        lambda: first.event(body),
        lambda: second.event(body),  # the load balancer sent the same delivery twice
        lambda: second.event(body, retry=1),  # Slack saw no 200 in time and retries at once
        lambda: first.event(body, retry=2),
    ])  # fmt: skip
    assert statuses == [200] * 4  # every copy acknowledged, so Slack stops retrying
    thread = body["event"]["ts"]
    first.fake.message_where(lambda m: m.thread_ts == thread and m.shown.startswith("Scale: web-prod"))
    assert second.event(body, retry=3).status_code == 200  # the last retry, 5 minutes later
    _settled(first, second)
    assert [m.shown.split(":")[0] for m in first.fake.messages] == ["Scale"]
    assert first.fake.ephemeral == []


def test_a_press_sent_to_both_replicas_is_acted_on_once(make_stack: StackFactory) -> None:
    first, second = make_stack(), make_stack()
    body = mention("scale web-prod to 14")
    first.event(body)
    ask = first.fake.message_where(lambda m: m.thread_ts == body["event"]["ts"] and m.shown.startswith("Scale"))
    press = press_form(ask, "Cancel")  # one press: one trigger_id
    copies = [lambda: first.form(press), lambda: second.form(press), lambda: second.form(press)]
    assert _all_at_once(copies) == [200] * 3
    first.fake.wait_for(lambda: bool(ask.versions))
    _settled(first, second)
    assert ask.versions == [ask.versions[0]] and ask.versions[0].startswith("Cancelled by alice")
    assert len(first.fake.messages) == 1  # no "no longer open" for a second press
    assert first.fake.ephemeral == []


def test_a_slash_command_sent_to_both_replicas_is_answered_once(make_stack: StackFactory) -> None:
    first, second = make_stack(), make_stack()
    command = command_form("status prod")
    assert _all_at_once([lambda: first.form(command), lambda: second.form(command)]) == [200, 200]
    first.fake.message_where(lambda m: m.channel == "C111")
    assert second.form(command).status_code == 200  # and again, later
    first.event(mention("help scale"))  # answered after the command's copies had their chance
    first.fake.message_where(lambda m: m.channel == CHANNEL)
    _settled(first, second)
    assert len([m for m in first.fake.messages if m.channel == "C111"]) == 1


def test_socket_mode_replicas_each_connect_and_an_event_redelivered_to_the_other_is_answered_once(
    make_stack: StackFactory,
) -> None:
    first = make_stack(slack_app_token=APP_TOKEN, slack_signing_secret=None)
    second = make_stack(slack_app_token=APP_TOKEN, slack_signing_secret=None)
    assert first.fake.connected_sockets() == 2  # every replica connects (Slack allows about 10 per app)
    envelope = sample("slack_socket_mode_envelope_app_mention_python_slack_sdk.json")
    event = envelope["payload"]["event"]
    event.update(text=f"<@{BOT_USER_ID}> status prod", user=ALICE)
    # The fake sends it over both sockets: as if Slack, seeing no acknowledgement in time, redelivered it to the
    # other replica's connection while the first still handled it.
    first.fake.push(envelope)
    first.fake.message_where(lambda m: m.channel == event["channel"])
    _settled(first, second)
    assert [m.shown.split(":")[0] for m in first.fake.messages] == ["prod"]
    assert first.fake.socket_acks.count({"envelope_id": envelope["envelope_id"]}) == 2  # each copy acknowledged
