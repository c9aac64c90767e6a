"""What can be cut, end to end through the conversation on the simulated world: the biggest savings with $/month and
a total, each with a button that asks for its change through the normal change flow - the policy refuses a viewer
as it would refuse the words, an operator gets the two-step confirmation, and the audit records both."""

from __future__ import annotations

import re

import pytest

from actions.costs.recommendations import recommend
from audit.log import AuditEvent
from conversation.replies import money
from core.models import ActionRequest
from tests.costs.test_cost_answers import CostBot, cost_bot

bot = pytest.fixture(cost_bot)


def test_savings_list_the_biggest_with_a_total_and_a_button_each(bot: CostBot) -> None:
    services = bot.runtime.conversation.services
    found = recommend(services.provider.snapshot().resources, now=bot.clock())
    answer = bot.one("what can we cut", user="dave")
    lines = answer.text.splitlines()
    total = money(sum(r.monthly_saving for r in found))
    assert lines[0] == f"{len(found):,} ways to save: {total}/month in all; the biggest 5:"
    assert lines[1:6] == [f"{i}. {r.text}" for i, r in enumerate(found[:5], start=1)]
    with_action = [r for r in found[:5] if r.intent is not None]
    assert len(answer.buttons) == len(with_action) > 0
    for pressed, rec in zip(answer.buttons, with_action, strict=True):
        assert rec.intent is not None
        assert pressed.label.lower().startswith(f"{rec.intent.value.replace('_', ' ')} {rec.resource}".lower())


def test_a_viewer_pressing_a_saving_is_refused_by_policy(bot: CostBot) -> None:
    answer = bot.one("what can we cut", user="dave")
    [refusal] = bot.say(press=answer.buttons[0].id, user="dave")
    assert refusal.kind == "refusal" and re.match(r"dave is a viewer: \w+ needs operator", refusal.text), refusal.text
    denied = [r for r in bot.runtime.conversation.services.audit.records() if r.event is AuditEvent.DENIED]
    assert denied and denied[-1].actor == "dave"


def test_an_operator_pressing_a_saving_gets_the_changes_confirmation(bot: CostBot) -> None:
    answer = bot.one("what can we cut in staging", user="dave")  # seen by a viewer, pressed by an operator
    [card] = bot.say(press=answer.buttons[0].id, user="alice")
    assert card.kind == "confirm", card.text
    assert "Confirm within" in card.text and any(b.label == "Confirm" for b in card.buttons)
    code = card.buttons[0].id.partition(":")[2]
    pending = bot.runtime.conversation.services.confirmations.get(code)
    assert pending is not None and pending.requester == "alice"
    assert isinstance(pending.request, ActionRequest) and pending.request.environment == "staging"
    events = [r.event for r in bot.runtime.conversation.services.audit.records()]
    assert AuditEvent.CONFIRMATION_ASKED in events


def test_an_expired_savings_button_says_so(bot: CostBot) -> None:
    [answer] = bot.say(press="saving:0123456789ab", user="alice")
    assert answer.text == "That saving is no longer offered: ask again (what can we cut)."
