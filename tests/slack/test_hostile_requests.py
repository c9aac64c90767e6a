"""What an attacker, or a broken proxy, can send to `POST /slack/events`: the signature is checked before the body
is read as JSON, a signed body that does not parse is a one-line 400 with no traceback in the log, and a signed
slash command or button press sent again inside Slack's 5-minute window does nothing a second time."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import quote

import httpx
import pytest

from bot.http import MAX_BODY_BYTES
from tests.chat_stack import no_traceback
from tests.slack.conftest import ALICE_TOO, SECRET, SlackStack, command_form, mention, press_form

UNPARSEABLE = [
    (b'{"type": "event_callback", "event": ', "application/json"),  # cut short
    (b"[" * 100_000, "application/json"),  # 100,000 nested arrays: a RecursionError in json.loads
    (b'{"a": ' + b"[" * 500 + b"]" * 500 + b"}", "application/json"),  # parses, but deeper than any payload
    (b'{"token": "\xff\xfe"}', "application/json"),  # not UTF-8
    (b"[1, 2, 3]", "application/json"),  # JSON, but not an object
    (b"payload=" + quote("{" * 50_000).encode(), "application/x-www-form-urlencoded"),  # the interactive form
]


def _audit(slack: SlackStack, event: str) -> list[dict[str, object]]:
    path = slack.settings.data_dir / "audit.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in records if r["event"] == event]


@pytest.mark.parametrize(("body", "content_type"), UNPARSEABLE)
def test_an_unsigned_unparseable_body_is_refused_for_its_signature(
    slack: SlackStack, log_lines: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(int(time.time()))}
    response = slack.http.post(slack.url + "/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid request"}
    no_traceback(log_lines)


def test_a_timestamp_that_is_not_a_number_is_refused_not_crashed_on(
    slack: SlackStack, log_lines: pytest.LogCaptureFixture
) -> None:
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}
    response = slack.http.post(slack.url + "/slack/events", content=b"{}", headers=headers)
    assert response.status_code == 401
    no_traceback(log_lines)


@pytest.mark.parametrize(("body", "content_type"), UNPARSEABLE)
def test_a_signed_unparseable_body_is_a_one_line_400(
    slack: SlackStack, log_lines: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    response = _post_signed(slack, body, content_type)
    assert response.status_code == 400
    assert list(response.json()) == ["error"] and "\n" not in response.json()["error"]
    no_traceback(log_lines)
    assert all(body[:40].decode("latin-1") not in r.getMessage() for r in log_lines.records)


def test_a_signed_oversized_body_is_refused_before_it_is_read(slack: SlackStack) -> None:
    body = b'{"pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = slack.post(body, "application/json")
    assert response.status_code == 413
    assert "\n" not in response.text


def test_a_slash_command_replayed_five_times_asks_for_one_confirmation(slack: SlackStack) -> None:
    raw = command_form("scale web-prod to 20", user=ALICE_TOO)
    for _ in range(6):  # the request, then 5 replays with a fresh, valid signature each
        response = slack.form(raw)
        assert response.status_code == 200 and response.text == ""
    slack.fake.message_where(lambda m: m.shown.startswith("Scale: web-prod"))
    slack.settled()
    asks = [m for m in slack.fake.messages if m.shown.startswith("Scale: web-prod")]
    assert len(asks) == 1
    assert len(_audit(slack, "confirmation_asked")) == 1
    assert len(_audit(slack, "received")) == 1


def test_a_button_press_replayed_five_times_is_one_press(slack: SlackStack) -> None:
    body = mention("scale web-prod to 20")
    slack.event(body)
    ask = slack.fake.message_where(lambda m: m.thread_ts == body["event"]["ts"] and m.shown.startswith("Scale"))
    time.sleep(0.1)  # a person reads before pressing
    press = press_form(ask, "Cancel")
    for _ in range(6):
        response = slack.form(press)
        assert response.status_code == 200 and response.text == ""
    slack.fake.wait_for(lambda: bool(ask.versions))
    slack.settled()
    assert ask.versions[-1].startswith("Cancelled by alice")
    assert len(_audit(slack, "cancelled")) == 1
    assert _audit(slack, "refused") == []
    answers = [m for m in slack.fake.messages if m.thread_ts == body["event"]["ts"]]
    assert answers == [ask]  # no "Already cancelled" for the replays


def test_two_different_presses_are_both_handled(slack: SlackStack) -> None:
    for text in ("status prod", "status staging"):
        assert slack.form(command_form(text)).status_code == 200
    slack.fake.wait_for(lambda: len([m for m in slack.fake.messages if m.channel == "C111"]) == 2)


def _post_signed(slack: SlackStack, body: bytes, content_type: str) -> httpx.Response:
    """Signed as Slack signs: over the raw bytes (the SDK's signer takes text, and one case is not UTF-8)."""
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}", "Content-Type": content_type}
    return slack.http.post(slack.url + "/slack/events", content=body, headers=headers)
