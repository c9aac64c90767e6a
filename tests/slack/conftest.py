"""What `opsbot serve` assembles for Slack (tests.chat_stack: Runtime with an in-process worker, Inbox, the
Deliverer and the HTTP app on a free port) with the Slack adapter, against the fake Slack Web API on 127.0.0.1.
Requests are signed exactly as Slack signs them and built from Slack's own payloads in tests/samples."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.slack.adapter import SlackAdapter, build_slack_adapter
from core.models import ConversationRef
from core.settings import Settings
from fakes.slack_api import BOT_USER_ID, FakeSlackApi, PostedMessage
from tests import chat_stack
from tests.chat_stack import ChatStack, log_lines, started  # noqa: F401  (log_lines: a fixture for the tests here)
from tests.eventually import eventually
from tests.payloads import sample as payload_bytes
from tests.payloads import sample_json
from workers.jobs import pending_jobs

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the signing secret of Slack's own signing example
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
APP_TOKEN = "xapp-1-A111-111-fakeapptoken"
ALICE = "U061F7AUR"  # the user of Slack's docs app_mention example
ALICE_TOO = "W111"  # the user of bolt's slash command and block_actions samples, also alice
CAROL = "U345CDE"
DAVE = "U456DEF"
CHANNEL = "C123ABC456"  # the channel of the docs app_mention example
FAST = 0.05  # pacing per channel in most tests, so a flow takes well under a second of waiting


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = sample_json(name)
    return data


def sample_bytes(name: str) -> bytes:
    return payload_bytes(name)


_ts = itertools.count(1)


def new_ts() -> str:
    return f"{1_600_000_000 + next(_ts)}.{next(_ts):06d}"


def new_trigger_id() -> str:
    """Slack gives every slash command and button press its own trigger_id (the samples share one)."""
    return f"{next(_ts)}.{next(_ts)}.{next(_ts):032x}"


def mention(text: str, *, user: str = ALICE, channel: str = CHANNEL, thread_ts: str | None = None) -> dict[str, Any]:
    """Slack's docs app_mention example, saying `text` to the bot."""
    body = sample("slack_event_app_mention_docs.json")
    ts = new_ts()
    body["event"].update(text=f"<@{BOT_USER_ID}> {text}", user=user, channel=channel, ts=ts, event_ts=ts)
    if thread_ts is not None:
        body["event"]["thread_ts"] = thread_ts
    body["event_id"] = f"Ev{ts.replace('.', '')}"
    return body


def direct(text: str, *, user: str = ALICE, **event: Any) -> dict[str, Any]:
    """Slack's docs message.im example, saying `text` in a DM."""
    body = sample("slack_event_message_im_docs.json")
    ts = new_ts()
    body["event"].update(text=text, user=user, ts=ts, event_ts=ts, **event)
    body["event_id"] = f"Ev{ts.replace('.', '')}"
    return body


def press_form(message: PostedMessage, label: str, *, user: str = ALICE_TOO) -> str:
    """bolt's block_actions sample, pressing the button `label` (a prefix) of a message the bot posted."""
    button = next(b for b in message.buttons if b["text"]["text"].startswith(label))
    body = sample("slack_interactive_block_actions_button_bolt_python.json")
    body["user"]["id"] = user
    body["trigger_id"] = new_trigger_id()
    body["channel"]["id"] = message.channel
    body["container"].update(channel_id=message.channel, message_ts=message.ts, is_ephemeral=False)
    if message.thread_ts:
        body["container"]["thread_ts"] = message.thread_ts
    action = body["actions"][0]
    action.update(action_id=button["action_id"], value=button["value"], text=copy.deepcopy(button["text"]))
    return "payload=" + quote(json.dumps(body))


def command_form(text: str, *, user: str = ALICE_TOO, command: str = "/ops") -> str:
    """bolt's slash command sample with our command and text."""
    raw = sample_bytes("slack_slash_command_bolt_python.txt").decode()
    raw = raw.replace("command=%2Fhello-world", "command=" + quote(command, safe=""))
    raw = raw.replace("&text=Hi&", f"&text={quote(text, safe='')}&")
    raw = raw.replace("trigger_id=111.111.xxx", f"trigger_id={new_trigger_id()}")
    return raw.replace("user_id=W111", f"user_id={user}")


class SlackStack(ChatStack):
    """The running stack, driven from the test's thread."""

    adapter: SlackAdapter

    def __init__(self, settings: Settings, fake: FakeSlackApi, min_interval: float) -> None:
        super().__init__(settings)
        self.fake = fake
        self._min_interval = min_interval

    def build_adapter(self) -> SlackAdapter:
        return build_slack_adapter(self.runtime, self.inbox, min_interval=self._min_interval)

    # -- what Slack would send -----------------------------------------------------------------------
    def post(self, body: str | bytes, content_type: str, *, timestamp: int | None = None,
             secret: str = SECRET, retry: int = 0) -> httpx.Response:  # fmt: skip
        """`retry`: Slack's retry number of an event it sent before and saw no 200 for (its 1st, 2nd, 3rd retry)."""
        raw = body.encode() if isinstance(body, str) else body
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=raw.decode()) or ""
        headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": content_type}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return self.http.post(self.url + "/slack/events", content=raw, headers=headers)

    def event(self, payload: dict[str, Any], **kwargs: Any) -> httpx.Response:
        return self.post(json.dumps(payload), "application/json", **kwargs)

    def form(self, raw: str, **kwargs: Any) -> httpx.Response:
        return self.post(raw, "application/x-www-form-urlencoded", **kwargs)

    def settled(self) -> None:
        """Until every reply the core and the workers produced has gone out to the fake."""
        eventually(lambda: not self._busy() and self.run(self._idle()), 20, "the stack settled")

    def _busy(self) -> bool:
        refs = {ConversationRef(channel="slack", conversation_id=m.channel, thread_id=m.thread_ts)
                for m in self.fake.messages}  # fmt: skip
        return any(pending_jobs(self.runtime.connection, ref) for ref in refs)

    async def _idle(self) -> bool:
        await asyncio.sleep(0)
        return self.adapter.idle() and all(d.idle() for d in self.service.deliverers)


def policy_file(tmp_path: Path) -> Path:
    """The shipped policy's users, with alice known by the ids Slack's samples use."""
    return chat_stack.policy_file(tmp_path, {"alice": [f"slack:{ALICE}", f"slack:{ALICE_TOO}"]})


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    fake = FakeSlackApi().start()
    yield fake
    fake.stop()


StackFactory = Callable[..., SlackStack]


@pytest.fixture
def make_stack(settings: Settings, fake_slack: FakeSlackApi, tmp_path: Path) -> Iterator[StackFactory]:
    def build(*, min_interval: float = FAST, **overrides: Any) -> SlackStack:
        values: dict[str, Any] = {
            "policy": policy_file(tmp_path),
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SECRET,
            "slack_api_url": fake_slack.url,
            **overrides,
        }
        return SlackStack(Settings(**{**settings.model_dump(), **values}), fake_slack, min_interval)

    yield from started(build)


@pytest.fixture
def slack(make_stack: StackFactory) -> SlackStack:
    return make_stack()
