"""A plain "yes" after the confirmation ran out says so, instead of "Nothing to confirm here"."""

from __future__ import annotations

import json

from bot.runtime import Runtime
from tests.conversation.conftest import Say, button


def _expire(runtime: Runtime, code: str) -> None:
    """Time passes: rewrite the stored record as if it had been asked for two minutes and a second ago."""
    key = f"opsbot:confirm:{code}"
    record = json.loads(runtime.connection.get(key) or b"{}")
    record["created_at"] -= 121
    record["expires_at"] -= 121
    runtime.connection.set(key, json.dumps(record), keepttl=True)
    runtime.connection.zadd("opsbot:confirm-open", {code: record["expires_at"]})


def test_yes_after_the_expiry_says_it_expired_before_and_after_the_sweep(runtime: Runtime, say: Say) -> None:
    [ask] = say("scale web-prod to 20")
    _expire(runtime, button([ask], "Confirm").split(":", 1)[1])
    [late] = [r for r in say("yes") if r.edit_of is None]
    assert late.text == "That confirmation expired (after 2 min): nothing was run. Ask again."
    [ask] = say("scale web-prod to 20")
    _expire(runtime, button([ask], "Confirm").split(":", 1)[1])
    assert runtime.conversation.sweep_expired() == 1
    assert say("yes")[0].text == "That confirmation expired (after 2 min): nothing was run. Ask again."
    assert say("cancel")[0].text == "Nothing to cancel here."
    assert runtime.conversation.services.provider.get("web-prod").count == 12


def test_yes_after_a_confirmed_or_cancelled_request_has_nothing_to_confirm(runtime: Runtime, say: Say) -> None:
    [ask] = say("scale web-prod to 20")
    say(press=button([ask], "Cancel"))
    assert say("yes")[0].text == "Nothing to confirm here."
