from __future__ import annotations

import redis

from actions.catalogue import CATALOGUE, MAX_GROUP_SIZE, emergency_target, spec
from actions.registry import build_provider
from core.models import ActionName, Risk
from core.settings import Settings


def test_every_action_has_a_spec_with_its_base_risk_and_queue() -> None:
    assert set(CATALOGUE) == set(ActionName)
    for name in (ActionName.SCALE, ActionName.START, ActionName.STOP, ActionName.RESTART):
        assert (spec(name).risk, spec(name).queue) == (Risk.CHANGE, "default")
    for name in (ActionName.EMERGENCY_SCALE, ActionName.SHUTDOWN, ActionName.FAILOVER):
        assert (spec(name).risk, spec(name).queue) == (Risk.CRITICAL, "critical")
    assert spec(ActionName.SCALE).verb_ing == "scaling"
    assert spec(ActionName.FAILOVER).title == "failover"
    assert all(s.timeout_seconds > 0 and s.retries >= 0 for s in CATALOGUE.values())


def test_emergency_target_doubles_adds_at_least_four_and_stays_bounded() -> None:
    assert [emergency_target(n) for n in (0, 1, 3, 4, 12)] == [4, 5, 7, 8, 24]
    assert emergency_target(900) == MAX_GROUP_SIZE


def test_registry_builds_the_simulated_provider_from_settings(settings: Settings, redis_conn: redis.Redis) -> None:
    provider = build_provider(settings, redis_conn)
    assert provider.name == "simulated"
    snapshot = provider.snapshot()
    assert len(snapshot.resources) >= settings.sim_resources
    assert provider.get("web-prod").count == 12
