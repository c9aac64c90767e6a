"""build_dns: with no real cloud configured, one simulated switch moves every target, on the same Redis world the
other processes build from the same settings; with real clouds, each configured cloud has its own switch and the
simulated world has none."""

from __future__ import annotations

import redis

from actions.dns.model import DnsTarget
from actions.dns_switches import build_dns
from actions.simulated.dns import SimulatedDns
from core.cloud_config import AwsAccount, AzureSubscription, GcpProject
from core.models import Cloud
from core.settings import Settings

WEB = DnsTarget(cloud=None, zone="example.com", name="www.example.com.", places={"web-prod": (), "web-dr": ()})


def test_the_simulated_world_switches_every_target_with_one_switch(
    settings: Settings, redis_conn: redis.Redis, redis_url: str
) -> None:
    switches = build_dns(settings, redis_conn)
    assert set(switches) == {None, *Cloud}
    assert len({id(s) for s in switches.values()}) == 1
    assert isinstance(switches[None], SimulatedDns)
    switches[None].point(WEB, "web-dr")
    worker = build_dns(settings, redis.Redis.from_url(redis_url))[None]  # another process's build
    assert worker.read(WEB).pointing == ("web-dr",)
    other_world = settings.model_copy(update={"sim_seed": settings.sim_seed + 1})
    assert build_dns(other_world, redis_conn)[None].read(WEB).pointing == ("web-prod",)


def test_with_real_clouds_configured_each_has_its_own_switch(settings: Settings, redis_conn: redis.Redis) -> None:
    from actions.aws.dns import AwsDns
    from actions.azure.dns import AzureDns
    from actions.gcp.dns import GcpDns

    aws = settings.model_copy(update={"aws_accounts": [AwsAccount(name="prod", regions=["us-east-1"])]})
    only_aws = build_dns(aws, redis_conn)
    assert list(only_aws) == [Cloud.AWS] and isinstance(only_aws[Cloud.AWS], AwsDns)  # no simulated world
    every = aws.model_copy(update={
        "azure_subscriptions": [AzureSubscription(id="00000000-0000-0000-0000-000000000001")],
        "gcp_projects": [GcpProject(id="wedding-prod")],
    })  # fmt: skip
    switches = build_dns(every, redis_conn)
    assert {cloud: type(s) for cloud, s in switches.items()} == {
        Cloud.AWS: AwsDns, Cloud.AZURE: AzureDns, Cloud.GCP: GcpDns,
    }  # fmt: skip
