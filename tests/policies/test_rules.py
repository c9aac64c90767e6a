"""Each rule of the policy language, on small files written here."""

from __future__ import annotations

import redis

from core.models import ActionName, ConversationRef, IntentName, Risk
from policies.engine import PolicyEngine
from policies.loader import load_policy
from policies.ratelimit import RateLimiter
from tests.policies.conftest import WritePolicy, ask

LADDER = """
roles:
  reader:
    intents: [status, help]
  deployer:
    inherits: reader
    actions:
      restart: "*"
      scale: [staging]
  chief:
    inherits: deployer
    actions: [scale, shutdown]
users:
  ann: {role: deployer, identities: ["slack:UANN"]}
  cid: {role: chief}
  ted: {role: chief}
default_role: reader
"""


def test_inherited_grants_and_the_lowest_role_named(write_policy: WritePolicy) -> None:
    engine = PolicyEngine(load_policy(write_policy(LADDER)))
    assert engine.evaluate(ask("ann", intent=IntentName.STATUS)).allowed  # from reader
    assert engine.evaluate(ask("ann", ActionName.RESTART, "prod")).allowed
    assert engine.evaluate(ask("zed", ActionName.RESTART, "prod")).reason == (
        "zed is a reader: restarting needs deployer"
    )
    assert (
        engine.evaluate(ask("ann", ActionName.SCALE, "prod")).reason == "ann is a deployer: scaling in prod needs chief"
    )
    assert engine.evaluate(ask("cid", ActionName.SCALE, "prod")).allowed
    assert engine.evaluate(ask("cid", ActionName.FAILOVER, "prod")).reason == (
        "cid is a chief: failing over is not allowed to anyone"
    )


def test_unlisted_intent_is_refused(write_policy: WritePolicy) -> None:
    engine = PolicyEngine(load_policy(write_policy(LADDER)))
    assert (
        engine.evaluate(ask("cid", intent=IntentName.COST)).reason
        == "cid is a chief: reading costs is not allowed to anyone"
    )


def test_grant_for_some_environments_does_not_cover_an_unknown_one(write_policy: WritePolicy) -> None:
    engine = PolicyEngine(load_policy(write_policy(LADDER)))
    assert engine.evaluate(ask("ann", ActionName.SCALE, "staging")).allowed
    assert not engine.evaluate(ask("ann", ActionName.SCALE, None)).allowed
    assert engine.evaluate(ask("ann", ActionName.RESTART, None)).allowed  # granted everywhere


def test_approver_role_is_held_through_inheritance(write_policy: WritePolicy) -> None:
    path = write_policy(
        LADDER.replace("default_role: reader", "default_role: reader\napprovals: {critical: deployer, change: chief}")
    )
    engine = PolicyEngine(load_policy(path))
    assert engine.holds("cid", "deployer")
    assert engine.holds("cid", "reader")
    assert not engine.holds("ann", "chief")
    assert engine.holds("zed", "reader")  # the default role
    assert engine.may_approve("cid", "ann", Risk.CRITICAL).allowed  # a chief is also a deployer
    assert engine.may_approve("ann", "cid", Risk.CRITICAL).allowed
    assert engine.may_approve("ann", "cid", Risk.CHANGE).reason == "ann is a deployer: approving needs chief"
    # an approval rule for change risk makes plain changes need an approver too
    decision = engine.evaluate(ask("ann", ActionName.RESTART, "prod"))
    assert (decision.risk, decision.approver_role) == (Risk.CHANGE, "chief")


def test_risk_override_for_any_environment_and_a_specific_one(write_policy: WritePolicy) -> None:
    path = write_policy(
        LADDER
        + """
risk:
  restart: {"*": critical, staging: change}
approvals: {critical: chief}
"""
    )
    engine = PolicyEngine(load_policy(path))
    prod = engine.evaluate(ask("ann", ActionName.RESTART, "prod"))
    assert (prod.risk, prod.approver_role) == (Risk.CRITICAL, "chief")
    assert engine.evaluate(ask("ann", ActionName.RESTART, "staging")).risk is Risk.CHANGE
    # without an override the catalogue's base risk stands
    assert engine.evaluate(ask("cid", ActionName.SHUTDOWN, "prod")).risk is Risk.CRITICAL
    assert engine.evaluate(ask("cid", ActionName.SCALE, "prod")).risk is Risk.CHANGE


def test_conversation_rules_most_specific_first(write_policy: WritePolicy) -> None:
    path = write_policy(
        LADDER
        + """
conversations:
  "*": {read_only: true}
  "slack:*": {actions: [restart]}
  "slack:CWAR": {name: "#war-room"}
"""
    )
    engine = PolicyEngine(load_policy(path))
    console = ConversationRef(channel="console", conversation_id="x")
    slack = ConversationRef(channel="slack", conversation_id="CDEV")
    war = ConversationRef(channel="slack", conversation_id="CWAR")
    assert engine.evaluate(ask("cid", ActionName.SCALE, "prod", ref=console)).reason == (
        "This conversation is read-only for opsbot"
    )
    assert engine.evaluate(ask("cid", ActionName.RESTART, "prod", ref=slack)).allowed
    assert engine.evaluate(ask("cid", ActionName.SCALE, "prod", ref=slack)).reason == (
        "This conversation does not allow scaling"
    )
    assert engine.evaluate(ask("cid", ActionName.SCALE, "prod", ref=war)).allowed


def test_strangers_read_nothing_unless_a_conversation_opens_to_its_members(write_policy: WritePolicy) -> None:
    path = write_policy(
        LADDER.replace("default_role: reader\n", "")
        + """
conversations:
  "slack:CINCIDENT": {name: "#incident", members: reader, read_only: true}
  "slack:*": {}
"""
    )
    engine = PolicyEngine(load_policy(path))
    incident = ConversationRef(channel="slack", conversation_id="CINCIDENT", thread_id="1.2")
    other = ConversationRef(channel="slack", conversation_id="CDEV")
    stranger = engine.user_for("slack", "UZED")
    assert engine.role_of(stranger) is None and engine.role_of(stranger, other) is None
    assert engine.role_of(stranger, incident) == "reader"  # there, and only there
    assert engine.evaluate(ask(stranger, intent=IntentName.STATUS, ref=incident)).allowed
    assert engine.evaluate(ask(stranger, intent=IntentName.STATUS, ref=other)).reason == (
        "slack:UZED is not on opsbot's list"
    )
    assert not engine.evaluate(ask(stranger, ActionName.RESTART, "prod", ref=incident)).allowed
    # members never approve, and listed people keep their own role in an opened conversation
    assert not engine.holds(stranger, "reader") and engine.holds(stranger, "reader", incident)
    assert engine.role_of("ann", incident) == "deployer"


def test_blast_radius_per_user_and_for_everyone(write_policy: WritePolicy) -> None:
    path = write_policy(
        LADDER
        + """
blast_radius:
  - user: ann
    max_instances: 2
    actions: [restart]
  - max_instances: 50
    actions: [scale, shutdown]
"""
    )
    engine = PolicyEngine(load_policy(path))
    assert engine.evaluate(ask("ann", ActionName.RESTART, "prod", instances=2)).allowed
    assert engine.evaluate(ask("ann", ActionName.RESTART, "prod", instances=3)).reason == (
        "ann may restart at most 2 instances at once (asked 3)"
    )
    assert engine.evaluate(ask("cid", ActionName.RESTART, "prod", instances=3)).allowed
    # "scale" counts growth as well as shrinking
    assert engine.evaluate(ask("cid", ActionName.SCALE, "prod", instances=51)).reason == (
        "cid may scale at most 50 instances at once (asked 51)"
    )


RATED = (
    LADDER
    + """
rate_limits:
  - counts: messages
    limit: 5
    per_seconds: 60
  - role: deployer
    counts: changes
    limit: 2
    per_seconds: 60
"""
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_on_changes_per_role(write_policy: WritePolicy, redis_conn: redis.Redis) -> None:
    clock = Clock()
    engine = PolicyEngine(load_policy(write_policy(RATED)), RateLimiter(redis_conn, clock=clock))
    assert engine.evaluate(ask("ann", ActionName.RESTART, "prod")).allowed
    assert engine.count_change("ann") is None  # asked to confirm: counted
    clock.now += 20
    assert engine.evaluate(ask("ann", ActionName.RESTART, "prod")).allowed
    assert engine.count_change("ann") is None
    clock.now += 0.5
    refused = engine.evaluate(ask("ann", ActionName.RESTART, "prod"))
    assert refused.reason == "ann: too many changes, try again in 40 s"
    # reads are not changes; chiefs have no change limit; the other deployer's count is their own
    assert engine.evaluate(ask("ann", intent=IntentName.STATUS)).allowed
    assert engine.evaluate(ask("cid", ActionName.RESTART, "prod")).allowed
    clock.now += 40
    assert engine.evaluate(ask("ann", ActionName.RESTART, "prod")).allowed


def test_rate_limit_on_messages_for_everyone(write_policy: WritePolicy, redis_conn: redis.Redis) -> None:
    clock = Clock()
    engine = PolicyEngine(load_policy(write_policy(RATED)), RateLimiter(redis_conn, clock=clock))
    room = ConversationRef(channel="console", conversation_id="ops-room")
    for _ in range(5):
        assert engine.count_message("zed", room) is None
        clock.now += 1
    exceeded = engine.count_message("zed", room)
    assert exceeded is not None and (exceeded.wait, exceeded.rule.limit) == (55, 5)
    assert engine.count_message("ted", room) is None  # each person's own count
    # The chain no longer counts messages (they were counted as they came in): no double count.
    assert all(engine.evaluate(ask("ted", intent=IntentName.HELP)).allowed for _ in range(10))
    clock.now += 55.5
    assert engine.count_message("zed", room) is None


def test_refused_by_role_does_not_use_up_the_rate(write_policy: WritePolicy, redis_conn: redis.Redis) -> None:
    engine = PolicyEngine(load_policy(write_policy(RATED)), RateLimiter(redis_conn, clock=Clock()))
    for _ in range(8):
        assert not engine.evaluate(ask("zed", ActionName.SCALE, "prod")).allowed
    assert engine.evaluate(ask("zed", intent=IntentName.STATUS)).allowed


def test_without_a_limiter_rate_limits_are_not_enforced(write_policy: WritePolicy) -> None:
    engine = PolicyEngine(load_policy(write_policy(RATED)))
    assert all(engine.evaluate(ask("ann", ActionName.RESTART, "prod")).allowed for _ in range(10))
