from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter

from actions.provider import Resource
from actions.simulated import generate_inventory
from actions.simulated.prices import REGIONS
from core.models import Cloud

DIGEST_SCRIPT = """
import hashlib, json
from actions.simulated import generate_inventory
body = json.dumps([r.model_dump(mode="json") for r in generate_inventory(7, 3000)], sort_keys=True)
print(hashlib.sha256(body.encode()).hexdigest())
"""


def digest(resources: tuple[Resource, ...]) -> str:
    body = json.dumps([r.model_dump(mode="json") for r in resources], sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def test_same_seed_same_inventory_other_seed_another() -> None:
    assert generate_inventory(7, 3000) == generate_inventory(7, 3000)
    assert digest(generate_inventory(7, 3000)) != digest(generate_inventory(8, 3000))


def test_same_inventory_in_another_process_with_other_hash_seeds() -> None:
    expected = digest(generate_inventory(7, 3000))
    for hash_seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", DIGEST_SCRIPT], env=env, capture_output=True, text=True, check=True, timeout=60
        )
        assert out.stdout.strip() == expected


def test_default_inventory_is_large_unique_and_covers_every_cloud() -> None:
    inventory = generate_inventory()
    assert len(inventory) >= 10_000
    assert len({r.id for r in inventory}) == len(inventory)
    assert len({r.name for r in inventory}) == len(inventory)
    for cloud, regions in REGIONS.items():
        assert {r.region for r in inventory if r.cloud is cloud} == set(regions)
    assert set(Counter(r.kind for r in inventory)) == {"instance", "group", "disk", "database", "load_balancer"}
    assert {r.environment for r in inventory} == {"prod", "staging", "dr"}
    assert {r.state for r in inventory if r.kind == "instance"} == {"running", "stopped", "degraded"}
    assert {r.state for r in inventory if r.kind == "disk"} == {"available", "in-use"}
    assert all(set(r.tags) >= {"service", "team", "env", "owner"} for r in inventory)
    assert all(len(r.cpu) == 12 for r in inventory if r.kind == "instance" and r.state != "stopped")
    # every resource is a valid model (the generator builds them through validation, not around it)
    sample = inventory[::97]
    assert [Resource.model_validate_json(r.model_dump_json()) for r in sample] == list(sample)


def test_the_groups_demos_rely_on() -> None:
    by_name = {r.name: r for r in generate_inventory()}
    web = by_name["web-prod"]
    assert (web.cloud, web.kind, web.region, web.environment, web.count, web.standby) == (
        Cloud.AWS, "group", "us-east-1", "prod", 12, "web-dr",
    )  # fmt: skip
    assert web.unit_hourly_cost is not None and 0.4 <= web.unit_hourly_cost <= 0.6
    assert web.id.startswith("aws:us-east-1:")
    api = by_name["api-prod"]
    assert (api.cloud, api.kind, api.region, api.environment, api.count) == (
        Cloud.GCP,
        "group",
        "europe-west1",
        "prod",
        8,
    )
    db = by_name["db-prod"]
    assert (db.cloud, db.kind, db.environment, db.tags["role"]) == (Cloud.AZURE, "instance", "prod", "database-primary")
    dr = by_name["web-dr"]
    assert (dr.cloud, dr.kind, dr.region, dr.environment, dr.count) == (Cloud.AZURE, "group", "westeurope", "dr", 0)
    staging = by_name["web-staging"]
    assert (staging.cloud, staging.kind, staging.region, staging.count) == (Cloud.AWS, "group", "us-east-1", 3)
    assert (by_name["api-staging"].cloud, by_name["api-staging"].count) == (Cloud.GCP, 2)
    assert (by_name["db-staging"].cloud, by_name["db-staging"].kind) == (Cloud.AZURE, "instance")
    web_groups = [r for r in by_name.values() if r.kind == "group" and r.name.startswith("web")]
    assert len(web_groups) >= 5


def test_group_members_match_their_groups() -> None:
    inventory = generate_inventory()
    members = Counter(r.group for r in inventory if r.group is not None)
    for group in (r for r in inventory if r.kind == "group"):
        assert members.get(group.name, 0) == group.count, group.name
        mine = [r for r in inventory if r.group == group.name]
        assert all(m.kind == "instance" and (m.cloud, m.region) == (group.cloud, group.region) for m in mine)
        assert round(sum(m.hourly_cost for m in mine), 4) == group.hourly_cost
    web_members = [r for r in inventory if r.group == "web-prod"]
    assert all(m.name.startswith("web-prod-") and m.state == "running" for m in web_members)
