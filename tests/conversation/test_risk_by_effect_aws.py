"""Risk by effect on a configured AWS account (moto, with Auto Scaling groups that have their own limits): the
issue's own pairs - `stop payments-prod-us-000` was a change while `shut down payments-prod-us-004` was critical -
now need the same approver, and so does every other way to stop or shrink prod. A plan the cloud's limits refuse
ends in one line, and in the audit."""

from __future__ import annotations

import pytest

from audit.log import AuditEvent
from bot.runtime import Runtime
from core.models import Reply
from tests.conversation.conftest import speaker
from tests.conversation.test_doc_examples_aws import account, moto_url, runtime

__all__ = ["account", "moto_url", "runtime"]  # the configured account, its moto server, and opsbot in front

APPROVAL = "needs approval by an admin other than alice."


def say(runtime: Runtime, text: str = "", *, user: str = "alice", press: str | None = None) -> list[Reply]:
    return speaker(runtime)(text, user=user, press=press)


@pytest.mark.parametrize(
    ("text", "effect"),
    [
        ("stop payments-prod-us-000", "stop in prod"),
        ("shut down payments-prod-us-004", "stop in prod"),
        ("turn off payments-prod-us-001", "stop in prod"),
        ("scale worker-prod to 1", "scale down by more than half in prod"),  # 4 -> 1, the minimum allows it
        ("scale worker-prod down by 3", "scale down by more than half in prod"),
        ("emergency scale web-prod", "emergency scale in prod"),
        ("fail over web-prod to dr", "failover in prod"),
        ("fail over web-prod to the standby", "failover in prod"),
    ],
)
def test_each_way_to_stop_or_shrink_prod_needs_an_admin(runtime: Runtime, text: str, effect: str) -> None:
    [card] = say(runtime, text)
    assert card.kind == "confirm" and f"Critical ({effect}): {APPROVAL}" in card.text, card.text
    [own] = say(runtime, press=card.buttons[0].id)
    assert own.text == "alice asked for this: another admin must approve it"
    say(runtime, press=card.buttons[1].id)  # cancelled: the next case finds the account as it was


@pytest.mark.parametrize("text", ["scale worker-prod to 2", "scale web-staging to 0", "restart db-prod"])
def test_changes_without_a_prod_effect_are_confirmed_alone(runtime: Runtime, text: str) -> None:
    [card] = say(runtime, text)
    assert card.kind == "confirm" and "Critical" not in card.text and "Confirm within" in card.text, card.text
    say(runtime, press=card.buttons[1].id)


@pytest.mark.parametrize("text", ["stop worker-prod", "shut down worker-prod", "scale worker-prod to 0"])
def test_a_prod_group_taken_below_its_minimum_is_refused_and_audited(runtime: Runtime, text: str) -> None:
    [answer] = say(runtime, text)
    assert answer.kind != "confirm" and answer.text.startswith("worker-prod's minimum is 1"), answer.text
    closing = runtime.conversation.services.audit.records()[-1]
    assert (closing.event, closing.what, closing.outcome) == (AuditEvent.REFUSED, text, answer.text)
