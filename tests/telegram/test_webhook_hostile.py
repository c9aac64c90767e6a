"""What an attacker can post to `/telegram/webhook`: without the secret token nothing is read; with it, a body that
does not parse (or nests 100,000 deep) is a one-line 400 with no traceback in the log; an update sent again is
handled once, even by the next `opsbot serve` process (the ids are kept in Redis)."""

from __future__ import annotations

import json

import pytest

from bot.http import MAX_BODY_BYTES
from tests.chat_stack import no_traceback
from tests.telegram import updates
from tests.telegram.conftest import StackFactory
from tests.telegram.updates import ALICE

HOSTILE = [
    b"[" * 100_000,
    b'{"update_id": 5, "message": ' + b"{" * 100_000,
    b'{"update_id": 5, "message": {"x": ' + b"[" * 500 + b"]" * 500 + b"}}",  # parses; deeper than any update
]


@pytest.mark.parametrize("body", HOSTILE, ids=["arrays", "objects", "deep"])
def test_hostile_bodies_without_the_secret_are_401_and_with_it_400(
    make_stack: StackFactory, log_lines: pytest.LogCaptureFixture, body: bytes
) -> None:
    stack = make_stack("webhook")
    assert stack.post(body, secret=None).status_code == 401
    assert stack.post(body, secret="wrong").status_code == 401
    answer = stack.post(body)
    assert (answer.status_code, answer.text) == (400, "not a Telegram update")
    no_traceback(log_lines)


def test_an_oversized_body_is_413(make_stack: StackFactory) -> None:
    stack = make_stack("webhook")
    update = {**updates.text("status"), "update_id": stack.api.next_update_id()}
    update["message"]["text"] = "x" * MAX_BODY_BYTES
    assert stack.post(json.dumps(update).encode()).status_code == 413


def test_an_update_replayed_five_times_and_to_another_replica_is_handled_once(make_stack: StackFactory) -> None:
    first = make_stack("webhook")
    update = {**updates.text("help scale"), "update_id": first.api.next_update_id()}
    for _ in range(6):
        assert first.post(update).status_code == 200
    first.say("help stop")
    first.settled()
    second = make_stack("webhook")  # another replica behind the webhook, or the next process: the same Redis
    assert second.post(update).status_code == 200
    second.say("help stop")
    second.settled()
    assert [m.text.split()[0] for m in second.api.messages(ALICE)] == ["scale:", "start", "start"]
