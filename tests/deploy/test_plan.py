"""Planning a deploy from the manifest and the inventory: what rolls where, from what, how, and for how long; and
the changelog between two versions."""

from __future__ import annotations

import pytest
import redis

from actions.deploy.manifest import load_manifest
from actions.deploy.model import DeployRequest, Manifest, Strategy
from actions.deploy.plan import changes_between, expected_seconds, plan_deploy
from actions.provider import Resource
from actions.registry import build_provider
from actions.rollout_backends import build_rollouts
from core.errors import ProviderError
from core.models import Cloud
from core.settings import Settings
from tests.deploy.conftest import SMALL, WriteReleases

# The demo world's web and api groups: (name, cloud, region, environment, instances).
DEMO = [
    ("web-prod", Cloud.AWS, "us-east-1", "prod", 12),
    ("web-canary", Cloud.AWS, "us-west-2", "prod", 2),
    ("web-edge-prod", Cloud.GCP, "us-central1", "prod", 6),
    ("web-dr", Cloud.AZURE, "westeurope", "dr", 0),
    ("web-staging", Cloud.AWS, "us-east-1", "staging", 3),
    ("web-preview", Cloud.AZURE, "northeurope", "staging", 2),
    ("api-prod", Cloud.GCP, "europe-west1", "prod", 8),
    ("api-dr", Cloud.GCP, "asia-east1", "dr", 0),
    ("api-staging", Cloud.GCP, "europe-west1", "staging", 2),
]


def group(name: str, cloud: Cloud, region: str, environment: str, count: int, version: str | None) -> Resource:
    return Resource(
        id=f"{cloud.value}:{environment}:{region}:group/{name}",
        name=name,
        cloud=cloud,
        kind="group",
        region=region,
        environment=environment,
        state="running",
        size="m5.large",
        count=count,
        hourly_cost=1.0,
        version=version,
    )


@pytest.fixture
def manifest() -> Manifest:
    return load_manifest(None)


@pytest.fixture
def inventory() -> dict[str, Resource]:
    return {g[0]: group(*g, version="v2.3" if g[0].startswith("web") else "v5.1") for g in DEMO}


def plan(manifest: Manifest, inventory: dict[str, Resource], **given: object) -> DeployRequest:
    asked: dict[str, object] = {"kind": "deploy", "service": "web", "environment": "prod", "version": "v2.4"}
    asked |= {"groups": inventory, "running": {}, "requested_by": "alice"} | given
    return plan_deploy(manifest, **asked)  # type: ignore[arg-type]


def test_every_group_of_the_environment_in_manifest_order(manifest: Manifest, inventory: dict[str, Resource]) -> None:
    request = plan(manifest, inventory)
    assert (request.kind, request.service, request.environment, request.version) == ("deploy", "web", "prod", "v2.4")
    rows = [
        (g.group, g.cloud, g.region, g.size, g.from_version, g.to.describe(), g.expected_seconds)
        for g in request.groups
    ]
    assert rows == [
        ("web-prod", Cloud.AWS, "us-east-1", 12, "v2.3", "launch template web v24", 4 * (90 + 60)),
        ("web-canary", Cloud.AWS, "us-west-2", 2, "v2.3", "launch template web v24", 2 * (90 + 60)),
        ("web-edge-prod", Cloud.GCP, "us-central1", 6, "v2.3", "web-v2-4", 3 * (60 + 60)),
        ("web-dr", Cloud.AZURE, "westeurope", 0, "v2.3", "2.4.0", 5),
    ]
    assert request.groups[0].group_id == "aws:prod:us-east-1:group/web-prod"
    assert request.groups[0].strategy.batch_percent == 25  # the environment's
    assert request.groups[1].strategy.batch_percent == 50  # web-canary's own
    assert request.requested_by == "alice" and request.rollback_of is None and request.freeze_override is None


def test_running_versions_decide_what_rolls(manifest: Manifest, inventory: dict[str, Resource]) -> None:
    request = plan(manifest, inventory, running={"web-prod": "v2.4", "web-canary": None})
    assert [(g.group, g.from_version) for g in request.groups] == [
        ("web-canary", None),  # not known: rolled
        ("web-edge-prod", "v2.3"),  # not in `running`: the inventory's
        ("web-dr", "v2.3"),
    ]


def test_nothing_to_do(manifest: Manifest, inventory: dict[str, Resource]) -> None:
    running = dict.fromkeys(["web-prod", "web-canary", "web-edge-prod", "web-dr"], "v2.4")
    with pytest.raises(ProviderError, match=r"^web prod already runs v2\.4 everywhere$"):
        plan(manifest, inventory, running=running)


def test_a_typed_version_is_the_manifests(manifest: Manifest, inventory: dict[str, Resource]) -> None:
    assert plan(manifest, inventory, version="2.4").version == "v2.4"
    assert plan(manifest, inventory, version="9f86d08").version == "v2.4"


@pytest.mark.parametrize(
    ("given", "line"),
    [
        ({"service": "shop"}, "No service shop in the release manifest: it has web, api"),
        ({"environment": "prd"}, "web has no environment prd in the release manifest: it has prod, staging"),
        ({"version": "v9.9"}, "web has no version v9.9 in the release manifest: the newest is v2.5"),
    ],
)
def test_unknown_names(manifest: Manifest, inventory: dict[str, Resource], given: dict[str, str], line: str) -> None:
    with pytest.raises(ProviderError) as caught:
        plan(manifest, inventory, **given)
    assert str(caught.value) == line


def test_a_group_missing_from_the_inventory(manifest: Manifest, inventory: dict[str, Resource]) -> None:
    del inventory["web-edge-prod"]
    with pytest.raises(ProviderError) as caught:
        plan(manifest, inventory)
    assert str(caught.value) == (
        "web-edge-prod (web prod in the release manifest) is not in the inventory: check its name there, or that "
        "its cloud account is configured"
    )


def test_a_version_silent_about_a_groups_cloud(write_releases: WriteReleases) -> None:
    manifest = load_manifest(write_releases(SMALL))
    inventory = {
        "shop-east": group("shop-east", Cloud.AWS, "us-east-1", "prod", 4, "v1.1"),
        "shop-west": group("shop-west", Cloud.GCP, "us-west1", "prod", 4, "v1.1"),
    }
    with pytest.raises(ProviderError) as caught:
        plan(manifest, inventory, service="shop", version="v1.2")
    assert str(caught.value) == (
        "v1.2 says nothing for GCP, where shop-west runs: add gcp: instance_template: ... under versions.v1.2 in the "
        "release manifest"
    )
    inventory["shop-west"] = group("shop-west", Cloud.AZURE, "westus", "prod", 4, "v1.1")
    with pytest.raises(
        ProviderError,
        match=r"^v1\.1 says nothing for Azure, where shop-west runs: add azure: image: \.\.\. under versions\.v1\.1 ",
    ):
        plan(manifest, inventory, service="shop", version="v1.1", running={"shop-west": "v1.0"})


def test_a_rollback_is_planned_the_same_way(manifest: Manifest, inventory: dict[str, Resource]) -> None:
    running = {"web-prod": "v2.4", "web-canary": "v2.4"}
    rollback = plan(manifest, inventory, kind="rollback", version="v2.3", running=running, rollback_of=7)
    assert (rollback.kind, rollback.version, rollback.rollback_of) == ("rollback", "v2.3", 7)
    assert [(g.group, g.from_version, g.to.describe()) for g in rollback.groups] == [
        ("web-prod", "v2.4", "launch template web v23"),
        ("web-canary", "v2.4", "launch template web v23"),
    ]


def test_the_confirmation_binds_to_what_rolls(manifest: Manifest, inventory: dict[str, Resource]) -> None:
    first = plan(manifest, inventory)
    assert plan(manifest, inventory, requested_by="bob").params_hash == first.params_hash
    assert plan(manifest, inventory, freeze_override="hotfix for checkout").params_hash != first.params_hash
    inventory["web-prod"] = inventory["web-prod"].model_copy(update={"count": 14})
    assert plan(manifest, inventory).params_hash != first.params_hash


@pytest.mark.parametrize(
    ("size", "strategy", "cloud", "seconds"),
    [
        (0, Strategy(), Cloud.AWS, 5),
        (1, Strategy(), Cloud.AWS, 90 + 60),
        (10, Strategy(batch_percent=20), Cloud.AWS, 5 * 150),
        (10, Strategy(batch_percent=20, warmup_seconds=0), Cloud.AZURE, 5 * 120),
        (10, Strategy(batch_percent=100), Cloud.GCP, 120),
        (10, Strategy(batch_percent=100, canary_percent=10), Cloud.GCP, 2 * 120),  # the canary first
        (10, Strategy(batch_percent=100, canary_percent=10), Cloud.AWS, 150),  # no canary outside Google
    ],
)
def test_expected_seconds(size: int, strategy: Strategy, cloud: Cloud, seconds: int) -> None:
    assert expected_seconds(size, strategy, cloud) == seconds


def test_changes_between_versions(manifest: Manifest) -> None:
    web = manifest.services["web"]
    lines, url = changes_between(web, "v2.2", "v2.4")
    assert lines == [*web.versions["v2.4"].changes, *web.versions["v2.3"].changes]
    assert (
        url == f"https://github.com/example/web/compare/{web.versions['v2.2'].commit}...{web.versions['v2.4'].commit}"
    )
    undone, back = changes_between(web, "v2.4", "v2.3")  # a rollback: what it takes away
    assert undone == list(web.versions["v2.4"].changes)
    assert (
        back == f"https://github.com/example/web/compare/{web.versions['v2.4'].commit}...{web.versions['v2.3'].commit}"
    )
    assert changes_between(web, None, "v2.4") == (list(web.versions["v2.4"].changes), None)
    assert changes_between(web, "v2.4", "v2.4") == ([], None)
    assert changes_between(web, "v2.3", "v9") == ([], None)


def test_a_version_without_a_commit_is_compared_by_name(write_releases: WriteReleases) -> None:
    shop = load_manifest(write_releases(SMALL)).services["shop"]
    assert changes_between(shop, "v1.0", "v1.1") == (
        ["second", "second again"],
        "https://git.example/shop/compare/1111111aaaa...v1.1",
    )


def test_a_world_with_a_pace_of_its_own_says_how_long_it_takes(settings: Settings, redis_conn: redis.Redis) -> None:
    """The simulated world rolls a batch in about a second: its preview says seconds, where the clouds' boot and
    warm-up times would say minutes for a roll that is over before the message is read."""
    manifest = load_manifest(None)
    inventory = {r.name: r for r in build_provider(settings, redis_conn).snapshot().resources}
    backends = build_rollouts(settings, redis_conn, manifest)
    paced = plan(manifest, inventory, backends=backends)
    usual = plan(manifest, inventory)
    prod = {g.group: g.expected_seconds for g in paced.groups}
    assert {g.group: g.expected_seconds for g in usual.groups}["web-prod"] >= 5 * 60  # 4 batches of boot + warm-up
    assert 0 < prod["web-prod"] < 60 and prod["web-dr"] == 1
