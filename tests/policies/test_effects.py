"""Risk by effect: what a planned change does decides its risk, whatever verb asked for it. The classification
reads the exact request and the resource as planned; the policy file maps each effect to a risk per environment."""

from __future__ import annotations

import pytest

from actions.provider import Resource
from core.models import ActionName, ActionRequest, Cloud, IntentName, Risk
from policies.effects import Effect, Found, effects_of
from policies.engine import Decision, PolicyEngine, PolicyRequest
from policies.loader import load_policy
from tests.policies.conftest import CONSOLE, WritePolicy
from tests.policies.test_loader import problems_of


def group(name: str, count: int, environment: str = "prod", standby: str | None = None) -> Resource:
    return Resource(
        id=f"aws:us-east-1:asg/{name}", name=name, cloud=Cloud.AWS, kind="group", region="us-east-1",
        environment=environment, state="running", size="m5.large", count=count, hourly_cost=count * 0.1,
        unit_hourly_cost=0.1, standby=standby,
    )  # fmt: skip


def instance(name: str, environment: str = "prod") -> Resource:
    return Resource(
        id=f"aws:us-east-1:{name}", name=name, cloud=Cloud.AWS, kind="instance", region="us-east-1",
        environment=environment, state="running", size="m5.large", hourly_cost=0.1,
    )  # fmt: skip


def change(action: ActionName, target: Resource, desired: int | None = None, by: str = "alice") -> ActionRequest:
    return ActionRequest.on(target, action, requested_by=by, desired_count=desired)


def decide(
    engine: PolicyEngine, action: ActionName, target: Resource, desired: int | None = None,
    standby: Resource | None = None,
) -> Decision:  # fmt: skip
    request = change(action, target, desired)
    return engine.evaluate(
        PolicyRequest(
            user="carol", intent=IntentName(action.value), action=action, environment=target.environment,
            ref=CONSOLE, change=request, target=target, standby=standby,
        )
    )  # fmt: skip


FOUR = group("worker-prod", 4)

# (action, target, desired count) -> the effects it has, most serious first
CASES = [
    (ActionName.SCALE, FOUR, 0, [Effect.CAPACITY_TO_ZERO]),
    (ActionName.SCALE, FOUR, 1, [Effect.DEEP_SCALE_DOWN]),  # down by 3 of 4
    (ActionName.SCALE, FOUR, 2, []),  # half is not more than half
    (ActionName.SCALE, FOUR, 3, []),
    (ActionName.SCALE, FOUR, 8, []),
    (ActionName.STOP, FOUR, None, [Effect.CAPACITY_TO_ZERO, Effect.STOP]),
    (ActionName.SHUTDOWN, FOUR, None, [Effect.CAPACITY_TO_ZERO, Effect.STOP]),
    (ActionName.SHUTDOWN, FOUR, 0, [Effect.CAPACITY_TO_ZERO, Effect.STOP]),  # planned as a scale to 0
    (ActionName.STOP, instance("db-prod"), None, [Effect.STOP]),
    (ActionName.SHUTDOWN, instance("db-prod"), None, [Effect.STOP]),
    (ActionName.RESTART, instance("db-prod"), None, []),
    (ActionName.START, instance("db-prod"), None, []),
    (ActionName.RESTART, FOUR, None, []),
    (ActionName.EMERGENCY_SCALE, FOUR, 8, [Effect.EMERGENCY_SCALE]),
    (ActionName.FAILOVER, group("web-prod", 4, standby="web-dr"), None, [Effect.FAILOVER]),
]


@pytest.mark.parametrize(("action", "target", "desired", "expected"), CASES)
def test_each_change_is_classified_by_what_it_does(
    action: ActionName, target: Resource, desired: int | None, expected: list[Effect]
) -> None:
    found = effects_of(change(action, target, desired), target)
    assert [f.effect for f in found] == expected
    assert {f.environment for f in found} <= {"prod"}


@pytest.mark.parametrize(("action", "target", "desired", "expected"), CASES)
def test_every_effect_in_prod_needs_an_admin_other_than_the_requester(
    engine: PolicyEngine, action: ActionName, target: Resource, desired: int | None, expected: list[Effect]
) -> None:
    decision = decide(engine, action, target, desired)
    if expected:
        assert (decision.risk, decision.approver_role) == (Risk.CRITICAL, "admin")
        assert decision.effect == Found(expected[0], "prod").describe()
    else:
        assert decision.effect == ""


def test_the_same_change_in_staging_keeps_the_actions_own_risk(engine: PolicyEngine) -> None:
    staging = group("worker-staging", 4, "staging")
    assert decide(engine, ActionName.SCALE, staging, 0).risk is Risk.CHANGE
    assert decide(engine, ActionName.SHUTDOWN, staging).risk is Risk.CHANGE  # `risk: shutdown: {staging: change}`
    assert decide(engine, ActionName.STOP, instance("db-staging", "staging")).risk is Risk.CHANGE
    emergency = decide(engine, ActionName.EMERGENCY_SCALE, staging, 8)
    assert (emergency.risk, emergency.effect) == (Risk.CRITICAL, "emergency scale in staging")  # the catalogue's


def test_scale_to_zero_and_shut_down_of_one_group_are_the_same_risk(engine: PolicyEngine) -> None:
    """The verb once decided: shut down needed a second admin, scale to 0 only the requester."""
    scale, stop, shutdown = (
        decide(engine, ActionName.SCALE, FOUR, 0),
        decide(engine, ActionName.STOP, FOUR),
        decide(engine, ActionName.SHUTDOWN, FOUR),
    )
    assert scale == stop == shutdown
    assert scale.effect == "capacity to zero in prod"


def test_a_failover_counts_where_its_standby_takes_over_too(write_policy: WritePolicy) -> None:
    path = write_policy(
        """
        roles:
          admin:
            actions: [failover]
        users:
          carol: {role: admin}
        risk:
          failover: {"*": change}
        approvals: {critical: admin}
        effects:
          risk:
            failover: {dr: critical}
        """
    )
    engine = PolicyEngine(load_policy(path))
    source, standby = group("web-staging", 2, "staging", standby="web-dr"), group("web-dr", 0, "dr")
    assert decide(engine, ActionName.FAILOVER, source).risk is Risk.CHANGE  # no standby known: staging only
    taking_over = decide(engine, ActionName.FAILOVER, source, standby=standby)
    assert (taking_over.risk, taking_over.effect) == (Risk.CRITICAL, "failover in dr")


def test_the_fraction_and_each_effects_risk_are_settings(write_policy: WritePolicy) -> None:
    path = write_policy(
        """
        roles:
          admin:
            actions: [scale, stop]
        users:
          carol: {role: admin}
        approvals: {critical: admin}
        effects:
          scale_down_below: 0.75
          risk:
            deep_scale_down: {"*": critical}
            stop: {}
        """
    )
    engine = PolicyEngine(load_policy(path))
    staging = group("notify-staging", 4, "staging")
    assert decide(engine, ActionName.SCALE, staging, 2).effect == "scale down by more than 25% in staging"
    assert decide(engine, ActionName.SCALE, staging, 2).risk is Risk.CRITICAL
    assert decide(engine, ActionName.SCALE, staging, 3).risk is Risk.CHANGE
    assert decide(engine, ActionName.STOP, instance("db-prod")).risk is Risk.CHANGE  # `stop: {}` drops the effect
    # An effect not listed keeps its default: capacity to zero in prod is still critical.
    assert decide(engine, ActionName.SCALE, FOUR, 0).risk is Risk.CRITICAL


def test_an_effect_never_lowers_an_actions_risk(write_policy: WritePolicy) -> None:
    path = write_policy(
        """
        roles:
          admin:
            actions: [shutdown, restart]
        users:
          carol: {role: admin}
        approvals: {critical: admin}
        risk:
          restart: {prod: critical}
        effects:
          risk:
            stop: {prod: change}
        """
    )
    engine = PolicyEngine(load_policy(path))
    assert decide(engine, ActionName.SHUTDOWN, instance("db-prod")).risk is Risk.CRITICAL  # the catalogue's
    restart = decide(engine, ActionName.RESTART, instance("db-prod"))
    assert (restart.risk, restart.effect) == (Risk.CRITICAL, "")  # `risk:` by environment, as before


def test_a_request_without_its_plan_has_no_effect(engine: PolicyEngine) -> None:
    """Callers that pass no plan (alert buttons, reads) get the action's risk, as before."""
    request = PolicyRequest(
        user="carol", intent=IntentName.SCALE, action=ActionName.SCALE, environment="prod", ref=CONSOLE
    )
    assert engine.evaluate(request).risk is Risk.CHANGE


def test_mistakes_in_the_effects_section_are_named_with_their_line(write_policy: WritePolicy) -> None:
    path = write_policy(
        """
        roles:
          admin:
            actions: [scale]
        effects:
          scale_down_below: 1.5
          risk:
            capacity_to_zro: {prod: critical}
            stop: {prd: critical}
            failover: {prod: read}
          scale_down_belwo: 0.5
        """
    )
    found = problems_of(path)
    assert any(":5: Input should be less than or equal to 1" in p for p in found), found
    assert any(":7: unknown effect 'capacity_to_zro' (did you mean 'capacity_to_zero'?)" in p for p in found), found
    assert any(":9: " in p and "change or critical" in p for p in found), found
    assert any(":10: unknown key 'scale_down_belwo'" in p for p in found), found
    fixed = path.read_text().replace("1.5", "0.5").replace("capacity_to_zro", "capacity_to_zero")
    path.write_text(fixed.replace("read", "critical").replace("  scale_down_belwo: 0.5\n", ""))
    assert problems_of(path) == [f"{path}:8: unknown environment 'prd' (did you mean 'prod'?)"]


def test_changing_a_groups_own_limits_needs_an_admin_in_every_environment(engine: PolicyEngine) -> None:
    staging = group("web-staging", 4, "staging").model_copy(update={"min_count": 1, "max_count": 10})
    raised = change(ActionName.SCALE, staging, 12).model_copy(update={"new_max_count": 12})
    assert [f.effect for f in effects_of(raised, staging)] == [Effect.LIMIT_CHANGE]
    decision = engine.evaluate(
        PolicyRequest(
            user="carol", intent=IntentName.SCALE, action=ActionName.SCALE, environment="staging", ref=CONSOLE,
            change=raised, target=staging,
        )
    )  # fmt: skip
    assert (decision.risk, decision.effect) == (Risk.CRITICAL, "change of a group's limits in staging")
    same = change(ActionName.SCALE, staging, 8).model_copy(update={"new_max_count": 10, "new_min_count": 1})
    assert effects_of(same, staging) == ()  # the limits it already has: nothing changes
