"""build_rollouts: with no real cloud configured, one simulated backend rolls the demo world's groups in all three
clouds, on the same Redis world the provider shows, and fails the manifest's broken release on purpose."""

from __future__ import annotations

import time

import redis

from actions.deploy.model import GroupChange, Manifest, VersionSpec
from actions.registry import build_provider
from actions.rollout_backends import build_rollouts, unhealthy_versions
from actions.simulated.rollout import STEPS_PER_BATCH, SimulatedRollouts
from core.cloud_config import AwsAccount, AzureSubscription, GcpProject
from core.models import Cloud
from core.settings import Settings
from tests.actions.test_sim_rollout import change_for

MANIFEST = Manifest.model_validate(
    {
        "services": {
            "web": {
                "environments": {"prod": {"groups": [{"group": "web-prod"}, {"group": "web-edge-prod"}]}},
                "versions": {
                    "v2.3": {"gcp": {"instance_template": "web-v2-3"}},
                    "v2.4": {"gcp": {"instance_template": "web-v2-4"}},
                    "v2.5": {"gcp": {"instance_template": "web-v2-5"}, "simulate_unhealthy": True},
                },
            },
            "api": {
                "environments": {"prod": {"groups": [{"group": "api-prod"}]}},
                "versions": {"v5.2": {"gcp": {"instance_template": "api-v5-2"}}},
            },
        }
    }
)


def change(settings: Settings, connection: redis.Redis, group: str, version: str) -> GroupChange:
    return change_for(build_provider(settings, connection), group, version)


def test_the_simulated_world_rolls_every_cloud_with_one_backend(settings: Settings, redis_conn: redis.Redis) -> None:
    backends = build_rollouts(settings, redis_conn, MANIFEST)
    assert set(backends) == set(Cloud)
    assert len({id(b) for b in backends.values()}) == 1
    assert isinstance(backends[Cloud.GCP], SimulatedRollouts)
    edge = change(settings, redis_conn, "web-edge-prod", "v2.4")
    assert backends[Cloud.GCP].running(edge) == VersionSpec(instance_template="web-v2-3")
    assert backends[Cloud.GCP].check(edge) == []
    dr = change(settings, redis_conn, "web-dr", "v2.4")  # Azure, at 0 instances: done at once
    assert backends[Cloud.AZURE].state(dr, backends[Cloud.AZURE].start(dr)).status == "succeeded"
    assert build_provider(settings, redis_conn).get("web-dr").version == "v2.4"


def test_the_manifests_broken_release_fails_its_health_checks(settings: Settings, redis_conn: redis.Redis) -> None:
    assert unhealthy_versions(MANIFEST) == frozenset({"v2.5"})
    backend = build_rollouts(settings, redis_conn, MANIFEST)[Cloud.AWS]
    broken = change(settings, redis_conn, "web-prod", "v2.5")
    handle = backend.start(broken)
    time.sleep(settings.sim_step_seconds * STEPS_PER_BATCH * 2)  # its first batch is launched and stays failing
    state = backend.state(broken, handle)
    assert state.status == "rolling" and len(state.unhealthy) == 3
    time.sleep(settings.sim_step_seconds * STEPS_PER_BATCH * 2)
    assert backend.state(broken, handle).updated == 3  # and nothing more


def test_with_real_clouds_configured_each_rolls_its_own_groups(settings: Settings, redis_conn: redis.Redis) -> None:
    from actions.aws.rollout import AwsRollouts
    from actions.azure.rollout import AzureRollouts
    from actions.gcp.rollout import GcpRollouts

    aws = settings.model_copy(update={"aws_accounts": [AwsAccount(name="prod", regions=["us-east-1"])]})
    assert aws.real_clouds
    only_aws = build_rollouts(aws, redis_conn, MANIFEST)
    assert list(only_aws) == [Cloud.AWS] and isinstance(only_aws[Cloud.AWS], AwsRollouts)  # no simulated world
    every = aws.model_copy(update={
        "azure_subscriptions": [AzureSubscription(id="00000000-0000-0000-0000-000000000001")],
        "gcp_projects": [GcpProject(id="wedding-prod")],
    })  # fmt: skip
    backends = build_rollouts(every, redis_conn, MANIFEST)
    assert {cloud: type(b) for cloud, b in backends.items()} == {
        Cloud.AWS: AwsRollouts, Cloud.AZURE: AzureRollouts, Cloud.GCP: GcpRollouts,
    }  # fmt: skip
