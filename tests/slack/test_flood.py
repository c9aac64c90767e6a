"""A viewer floods opsbot through the real Slack path (signed requests to `opsbot serve`'s app, slack-bolt, the
Inbox, the conversation core, the Deliverer, the fake Web API): slash commands, button presses, mentions, direct
messages and voice clips all count against the one message limit, and the flood is answered once."""

from __future__ import annotations

import itertools
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from audit.log import AuditEvent
from fakes.audio import encode, speak
from fakes.slack_api import PostedMessage
from tests.slack.conftest import (
    ALICE,
    DAVE,
    SlackStack,
    StackFactory,
    command_form,
    direct,
    mention,
    policy_file,
    sample,
)
from tests.slack.test_voice import RECOGNITION_WAIT, clip_event

LIMIT = 4  # one of each kind fits
WINDOW = 20  # seconds; longer than the flood takes to send here (about 5 s), so it is one flood
COMMAND_CHANNEL = "C111"  # where bolt's slash command and block_actions samples happen
DAVE_DM = "D0DAVE"
TOO_FAST = re.compile(r"You are sending too fast; I'm ignoring you for (\d+) s\.")
_triggers = itertools.count(1)


def _command(text: str) -> str:
    """A slash command from dave, with a trigger_id of its own (each real one has one)."""
    return command_form(text, user=DAVE).replace("trigger_id=111.111.xxx", f"trigger_id=9.{next(_triggers)}.cmd")


def _press(value: str) -> str:
    """bolt's block_actions sample: dave presses a button with `value` (an Acknowledge of alert 1)."""
    body = sample("slack_interactive_block_actions_button_bolt_python.json")
    body["user"]["id"] = DAVE
    body["trigger_id"] = f"9.{next(_triggers)}.press"
    body["actions"][0].update(action_id=value, value=value)
    return "payload=" + quote(json.dumps(body))


def _clip(slack: SlackStack, audio: bytes, *, user: str, channel: str) -> dict[str, Any]:
    body = clip_event(slack.fake, audio)
    body["event"].update(user=user, channel=channel)
    return body


def _new(slack: SlackStack, seen: int, count: int = 1, timeout: float = 15.0) -> list[PostedMessage]:
    """The messages posted after the first `seen`, once there are `count` of them."""
    slack.fake.wait_for(lambda: len(slack.fake.messages) >= seen + count, timeout=timeout)
    return slack.fake.messages[seen:]


def test_600_mixed_inputs_from_a_viewer_get_one_answer_and_every_kind_counts(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    policy = yaml.safe_load(policy_file(tmp_path).read_text(encoding="utf-8"))
    policy["rate_limits"] = [{"counts": "messages", "limit": LIMIT, "per_seconds": WINDOW}]
    path = tmp_path / "flood-policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    slack = make_stack(policy=path)
    status_clip = encode(speak("status"), "m4a_aac")
    # alice's clip loads the recogniser first (seconds), so dave's inputs below all fall in one window
    slack.event(_clip(slack, status_clip, user=ALICE, channel="D024BE91L"))
    _new(slack, 0, timeout=RECOGNITION_WAIT)
    slack.settled()

    seen = len(slack.fake.messages)
    # One input of each kind: each is answered, and each uses up one of dave's four.
    slack.form(_command("status prod"))
    assert "prod" in _new(slack, seen)[-1].shown
    slack.form(_press("alert:ack:1"))
    slack.fake.wait_for(lambda: len(slack.fake.ephemeral) == 1)  # a refusal to a press: to dave only
    assert slack.fake.ephemeral[0].shown == "dave is a viewer: acknowledging alerts needs operator"
    slack.event(_clip(slack, status_clip, user=DAVE, channel=DAVE_DM))
    assert _new(slack, seen, 2)[-1].shown.startswith("I heard: 'status'")
    slack.event(mention("status prod", user=DAVE))
    assert _new(slack, seen, 3)[-1].shown.startswith("prod:")
    slack.settled()
    answered = len(slack.fake.messages)
    assert answered == seen + 3

    # The fifth, whatever its kind, is over the limit: one answer, and then nothing.
    slack.event(direct("status", user=DAVE, channel=DAVE_DM))
    [too_fast] = _new(slack, answered)
    found = TOO_FAST.fullmatch(too_fast.shown)
    assert found is not None and too_fast.channel == DAVE_DM
    kinds = [
        lambda: slack.form(_command("status")),
        lambda: slack.form(_press("alert:ack:1")),
        lambda: slack.event(mention("alerts", user=DAVE)),
        lambda: slack.event(direct("who is on call", user=DAVE, channel=DAVE_DM)),
    ]
    for n in range(595):
        if n % 100 == 99:
            response = slack.event(_clip(slack, status_clip, user=DAVE, channel=DAVE_DM))
        else:
            response = kinds[n % len(kinds)]()
        assert response.status_code == 200
    slack.settled()
    assert len(slack.fake.messages) == answered + 1  # 600 inputs, 4 answers and one "too fast"
    assert len(slack.fake.ephemeral) == 1
    audit = slack.runtime.conversation.services.audit
    flood = [r for r in audit.records() if r.what.startswith("sending too fast")]  # its audit: one record
    assert [(r.event, r.actor, r.outcome) for r in flood] == [
        (AuditEvent.DENIED, "dave", f"over {LIMIT} messages in {WINDOW} s: ignoring them for {found[1]} s")
    ]

    # After the window dave is answered again, and the audit says how many were ignored.
    time.sleep(int(found[1]) + 0.5)
    slack.event(direct("status", user=DAVE, channel=DAVE_DM))
    assert _new(slack, answered + 1)[-1].shown.startswith("All clouds")
    # The closing record is written by whichever thread takes the flood first: the sweep may hold it a moment.
    deadline = time.monotonic() + 15
    while not (ended := [r for r in audit.records() if r.what == "sending too fast: over"]):
        assert time.monotonic() < deadline, "no closing record of the flood"
        time.sleep(0.1)
    assert [(r.actor, r.params["ignored"]) for r in ended] == [("dave", 595)]
