"""Setting a budget from chat, end to end through the conversation: only an admin may ask, and only they confirm it
(single-use, bound to them and to the exact change, expiring); the budgets answer shows it, the audit records it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from audit.log import AuditEvent
from core.models import Intent, IntentName, Message, Slots
from tests.conversation.conftest import ROOM, button
from tests.costs.test_cost_answers import CostBot, cost_bot

bot = pytest.fixture(cost_bot)


def _prod(bot: CostBot) -> float | None:
    found = bot.runtime.conversation.services.budgets.get("prod")
    return found.monthly if found is not None else None


@pytest.fixture
def filled(bot: CostBot) -> Iterator[CostBot]:
    bot.fill()
    yield bot


def test_an_admin_sets_a_budget_with_their_own_confirmation(filled: CostBot) -> None:
    before = _prod(filled)
    assert before is not None  # the default policy's
    card = filled.one("set budget prod to $20k a month", user="carol")
    assert card.kind == "confirm"
    assert card.text.splitlines()[0] == f"Set budget prod: ${before:,.0f} -> $20,000 a month"
    replies = filled.say(press=button([card], "Confirm"), user="carol")
    assert replies[-1].text == f"Budget prod set to $20,000 a month (was ${before:,.0f})."
    assert replies[0].edit_of == card.key and replies[0].text.startswith("Confirmed by carol")
    assert _prod(filled) == 20_000
    budgets = filled.one("budgets", user="dave")
    assert any(line.startswith("prod: ") and " of $20k (" in line for line in budgets.text.splitlines())
    records = filled.runtime.conversation.services.audit.records()
    events = [r for r in records if r.what.startswith("Set budget prod:")]
    assert [r.event for r in events] == [AuditEvent.CONFIRMATION_ASKED, AuditEvent.CONFIRMED, AuditEvent.SUCCEEDED]
    assert events[-1].actor == "carol" and events[-1].params["monthly"] == 20_000


def test_a_typed_yes_confirms_it_too(filled: CostBot) -> None:
    filled.one("set budget for team payments to $3,500 a month", user="carol")
    assert filled.say("yes", user="carol")[-1].text.startswith("Budget team payments set to $3,500 a month")
    assert filled.runtime.conversation.services.budgets.get("team:payments") is not None


def test_an_operator_may_not_set_a_budget(filled: CostBot) -> None:
    refusal = filled.one("set budget prod to $20k a month", user="alice")
    assert refusal.kind == "refusal" and "admin" in refusal.text
    assert _prod(filled) != 20_000


def test_another_admin_cannot_confirm_it(filled: CostBot) -> None:
    before = _prod(filled)
    card = filled.one("set budget prod to $20k a month", user="carol")
    [refusal] = filled.say(press=button([card], "Confirm"), user="erin")
    assert refusal.text == "Only carol can confirm their budget change."
    assert _prod(filled) == before
    assert filled.say(press=button([card], "Confirm"), user="carol")[-1].kind == "result"  # still carol's to confirm


def test_a_confirmation_is_used_once(filled: CostBot) -> None:
    card = filled.one("set budget prod to $20k a month", user="carol")
    filled.say(press=button([card], "Confirm"), user="carol")
    [again] = filled.say(press=button([card], "Confirm"), user="carol")
    assert again.text.startswith("Already confirmed by carol")


def test_an_expired_confirmation_changes_nothing(filled: CostBot) -> None:
    before = _prod(filled)
    card = filled.one("set budget prod to $20k a month", user="carol")
    ttl = filled.runtime.settings.confirm_ttl_seconds
    assert filled.runtime.conversation.sweep_expired(now=time.time() + ttl + 1) == 1
    [refusal] = filled.say(press=button([card], "Confirm"), user="carol")
    assert refusal.text.startswith("That confirmation expired") and "nothing was run" in refusal.text
    assert _prod(filled) == before


def test_a_budget_changed_meanwhile_is_not_overwritten(filled: CostBot) -> None:
    first = filled.one("set budget prod to $20k a month", user="carol")
    second = filled.one("set budget prod to $30k a month", user="erin")
    filled.say(press=button([second], "Confirm"), user="erin")
    replies = filled.say(press=button([first], "Confirm"), user="carol")
    assert (
        replies[-1].text
        == "The prod budget changed since you asked (now $30,000 a month). Nothing was changed: ask again."
    )
    assert _prod(filled) == 30_000


def test_a_budget_needs_an_amount_and_a_known_scope(bot: CostBot) -> None:
    """What the parser never hands over (it reads neither), said plainly if it ever did."""

    def ask(**slots: object) -> str:
        msg = Message(ref=ROOM, sender="carol", text="set budget", received_at=time.time())
        intent = Intent(name=IntentName.SET_BUDGET, confidence=1.0, slots=Slots.model_validate(slots))
        [answer] = bot.runtime.conversation.dispatch(msg, "carol", intent)
        return answer.text

    assert ask(budget_scope="prod") == "Set it to how much? For example: set budget prod to $20k a month"
    assert ask(budget_scope="qa", amount=5000.0).startswith("No budget set: unknown budget scope 'qa': one of all, ")
    assert ask(budget_scope="prod", amount=0.0) == "No budget set: a monthly budget is an amount above $0, not 0."
