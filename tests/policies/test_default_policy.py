"""The shipped default policy, as the five known people and a stranger would meet it."""

from __future__ import annotations

import pytest

from core.models import ActionName, ConversationRef, IntentName, Risk
from policies.engine import PolicyEngine
from tests.policies.conftest import ask


def test_viewer_is_refused_a_change_with_the_exact_sentence(engine: PolicyEngine) -> None:
    decision = engine.evaluate(ask("dave", ActionName.SCALE, "prod"))
    assert not decision.allowed
    assert decision.reason == "dave is a viewer: scaling needs operator"


def test_viewer_may_read(engine: PolicyEngine) -> None:
    for intent in (IntentName.STATUS, IntentName.SEARCH, IntentName.COST, IntentName.ALERTS, IntentName.HELP):
        decision = engine.evaluate(ask("dave", intent=intent, environment="prod"))
        assert decision.allowed, intent
        assert decision.risk is Risk.READ
        assert decision.approver_role is None


def test_viewer_may_not_acknowledge_alerts(engine: PolicyEngine) -> None:
    decision = engine.evaluate(ask("dave", intent=IntentName.ACK))
    assert decision.reason == "dave is a viewer: acknowledging alerts needs operator"


@pytest.mark.parametrize("action", [ActionName.SCALE, ActionName.START, ActionName.RESTART])
@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_operator_change_is_allowed_with_risk_change(
    engine: PolicyEngine, action: ActionName, environment: str
) -> None:
    decision = engine.evaluate(ask("alice", action, environment))
    assert decision.allowed
    assert decision.risk is Risk.CHANGE
    assert decision.approver_role is None


def test_changing_intent_without_action_is_judged_as_that_action(engine: PolicyEngine) -> None:
    assert engine.evaluate(ask("dave", intent=IntentName.STOP, environment="prod")).reason == (
        "dave is a viewer: stopping needs operator"
    )
    assert engine.evaluate(ask("bob", intent=IntentName.STOP, environment="prod")).risk is Risk.CHANGE


@pytest.mark.parametrize("action", [ActionName.EMERGENCY_SCALE, ActionName.FAILOVER])
def test_critical_action_needs_an_admin_approver(engine: PolicyEngine, action: ActionName) -> None:
    decision = engine.evaluate(ask("alice", action, "prod"))
    assert decision.allowed
    assert decision.risk is Risk.CRITICAL
    assert decision.approver_role == "admin"


def test_admin_asking_for_a_critical_action_still_needs_another_admin(engine: PolicyEngine) -> None:
    decision = engine.evaluate(ask("carol", ActionName.FAILOVER, "prod"))
    assert (decision.allowed, decision.approver_role) == (True, "admin")
    assert not engine.may_approve("carol", "carol", Risk.CRITICAL).allowed


def test_an_admins_own_critical_action_can_be_approved_by_the_other_admin(engine: PolicyEngine) -> None:
    assert engine.role_of("erin") == "admin"
    approved = engine.may_approve("erin", "carol", Risk.CRITICAL)
    assert (approved.allowed, approved.approver_role) == (True, "admin")
    assert engine.may_approve("carol", "erin", Risk.CRITICAL).allowed
    assert engine.user_for("slack", "U567EFG") == "erin"
    assert engine.user_for("telegram", "567890123") == "erin"


def test_risk_overrides_per_environment(engine: PolicyEngine) -> None:
    staging = engine.evaluate(ask("bob", ActionName.SHUTDOWN, "staging"))
    prod = engine.evaluate(ask("bob", ActionName.SHUTDOWN, "prod"))
    assert (staging.risk, staging.approver_role) == (Risk.CHANGE, None)
    assert (prod.risk, prod.approver_role) == (Risk.CRITICAL, "admin")
    assert engine.evaluate(ask("bob", ActionName.STOP, "prod")).risk is Risk.CHANGE


def test_operator_may_not_act_in_dr_but_admin_may(engine: PolicyEngine) -> None:
    assert engine.evaluate(ask("alice", ActionName.SCALE, "dr")).reason == (
        "alice is an operator: scaling in dr needs admin"
    )
    assert engine.evaluate(ask("carol", ActionName.SCALE, "dr")).allowed


def test_may_approve_refuses_the_requester_and_non_admins(engine: PolicyEngine) -> None:
    own = engine.may_approve("alice", "alice", Risk.CRITICAL)
    assert (own.allowed, own.reason) == (False, "alice asked for this: another admin must approve it")
    operator = engine.may_approve("bob", "alice", Risk.CRITICAL)
    assert (operator.allowed, operator.reason) == (False, "bob is an operator: approving needs admin")
    stranger = engine.may_approve("slack:U999", "alice", Risk.CRITICAL)
    assert stranger.reason == "slack:U999 is not on opsbot's list: approving needs admin"
    admin = engine.may_approve("carol", "alice", Risk.CRITICAL)
    assert (admin.allowed, admin.approver_role) == (True, "admin")


def test_risk_without_an_approval_rule_needs_no_approver(engine: PolicyEngine) -> None:
    assert engine.may_approve("bob", "alice", Risk.CHANGE).allowed


def test_identities_map_to_users_and_strangers_have_no_role(engine: PolicyEngine) -> None:
    assert engine.user_for("slack", "U123ABC") == "alice"
    assert engine.user_for("telegram", "345678901") == "carol"
    assert engine.user_for("console", "bob") == "bob"
    stranger = engine.user_for("slack", "U999ZZZ")
    assert stranger == "slack:U999ZZZ"
    assert engine.role_of(stranger) is None
    assert engine.role_of("mallory") is None
    # a Slack id is not a Telegram id
    assert engine.user_for("telegram", "U123ABC") == "telegram:U123ABC"


def test_unknown_sender_may_read_nothing(engine: PolicyEngine) -> None:
    user = engine.user_for("telegram", "1111111")
    assert engine.evaluate(ask(user, ActionName.RESTART, "prod")).reason == "telegram:1111111 is not on opsbot's list"
    for intent in (IntentName.STATUS, IntentName.ALERTS, IntentName.ONCALL, IntentName.COST, IntentName.HELP):
        assert engine.evaluate(ask(user, intent=intent)).reason == "telegram:1111111 is not on opsbot's list"


def test_the_admins_are_those_who_approve_critical_actions(engine: PolicyEngine) -> None:
    assert engine.admins() == ("carol", "erin")
    assert engine.identity_on("carol", "slack") == "U345CDE"
    assert engine.identity_on("erin", "telegram") == "567890123"
    assert engine.identity_on("carol", "console") is None


def test_read_only_channel_refuses_changes_but_answers_reads(engine: PolicyEngine) -> None:
    announcements = ConversationRef(channel="slack", conversation_id="C0ANNOUNCE")
    change = engine.evaluate(ask("carol", ActionName.RESTART, "staging", ref=announcements))
    assert change.reason == "#announcements is read-only for opsbot"
    assert engine.evaluate(ask("carol", intent=IntentName.STATUS, ref=announcements)).allowed


def test_incident_channel_is_limited_to_its_environments(engine: PolicyEngine) -> None:
    incident = ConversationRef(channel="slack", conversation_id="C0INCIDENT", thread_id="1712.5")
    assert engine.evaluate(ask("alice", ActionName.SCALE, "prod", ref=incident)).allowed
    refused = engine.evaluate(ask("alice", ActionName.SCALE, "staging", ref=incident))
    assert refused.reason == "#incident is for prod and dr only, not staging"


def test_conversation_is_checked_before_the_role(engine: PolicyEngine) -> None:
    announcements = ConversationRef(channel="slack", conversation_id="C0ANNOUNCE")
    assert engine.evaluate(ask("dave", ActionName.SCALE, "prod", ref=announcements)).reason == (
        "#announcements is read-only for opsbot"
    )


def test_operator_blast_radius(engine: PolicyEngine) -> None:
    assert engine.evaluate(ask("bob", ActionName.STOP, "prod", instances=10)).allowed
    assert engine.evaluate(ask("bob", ActionName.STOP, "prod", instances=14)).reason == (
        "bob may stop at most 10 instances at once (asked 14)"
    )
    down = engine.evaluate(ask("bob", ActionName.SCALE, "prod", instances=12, scale_down=True))
    assert down.reason == "bob may scale down at most 10 instances at once (asked 12)"
    # growing is not a blast: twelve more instances is fine
    assert engine.evaluate(ask("bob", ActionName.SCALE, "prod", instances=12)).allowed
    # the limit is the operator's: an admin may stop more
    assert engine.evaluate(ask("carol", ActionName.STOP, "prod", instances=14)).allowed
