"""Inventory: aggregated lists over several pages and zones, zonal scopes, MIGs with their members, fresh gets."""

from __future__ import annotations

import math

import pytest

from actions.gcp import GcpBackend
from core.cloud_config import GcpProject
from core.errors import ResourceNotFound
from core.models import Cloud
from fakes.gcp_compute import FakeComputeApi
from tests.actions.gcp.conftest import PROJECT, ZONE_B, ZONE_C, MakeBackend, RecordingThrottle

ZONE_US = "us-central1-a"


@pytest.fixture
def seeded(fake: FakeComputeApi) -> FakeComputeApi:
    fake.seed_instances(PROJECT, ZONE_B, 120, prefix="worker", labels={"env": "staging"})
    fake.seed_instances(PROJECT, ZONE_US, 45, prefix="batch", machine_type="n2-standard-4", status="TERMINATED")
    fake.add_instance(PROJECT, ZONE_US, "db-1", machine_type="n2-highmem-4", labels={"environment": "prod"})
    fake.add_mig(PROJECT, ZONE_C, "api-prod", 8, running=6, labels={"env": "prod", "opsbot-standby": "api-dr"})
    fake.add_mig(PROJECT, ZONE_C, "api-dr", 0, labels={"env": "dr"})
    return fake


def test_aggregated_fetch_reads_every_page_of_every_zone(seeded: FakeComputeApi, make_backend: MakeBackend) -> None:
    throttle = RecordingThrottle()
    backend = make_backend(page_size=50, throttle=throttle)
    [scope] = backend.scopes()
    assert (scope.key, scope.region, scope.label) == (f"gcp:{PROJECT}:*", "*", f"GCP {PROJECT}")

    resources = backend.fetch(scope)

    instances = [r for r in resources if r.kind == "instance"]
    assert len(instances) == 120 + 45 + 1 + 8
    assert {r.region for r in instances} == {ZONE_B, ZONE_C, ZONE_US}
    assert len({r.id for r in resources}) == len(resources)
    pages = seeded.seen("/aggregated/instances")
    assert len(pages) == math.ceil(174 / 50)
    assert [r.query.get("maxResults") for r in pages] == ["50"] * 4
    assert len(throttle.endpoints) == len(seeded.requests)  # one throttle wait per request, every page too
    assert set(throttle.endpoints) == {scope.key}


def test_instances_carry_state_size_cost_environment_and_group(seeded: FakeComputeApi, backend: GcpBackend) -> None:
    by_name = {r.name: r for r in backend.fetch(backend.scopes()[0])}
    worker = by_name["worker-0007"]
    assert worker.id == f"gcp:{PROJECT}:{ZONE_B}:instance/worker-0007"
    assert (worker.cloud, worker.region, worker.state, worker.size) == (Cloud.GCP, ZONE_B, "running", "e2-medium")
    assert worker.environment == "staging"
    assert worker.hourly_cost == pytest.approx(0.0335)
    batch = by_name["batch-0003"]
    assert (batch.state, batch.size, batch.environment) == ("stopped", "n2-standard-4", "prod")
    assert by_name["db-1"].tags == {"environment": "prod"}
    members = [r for r in by_name.values() if r.group == "api-prod"]
    assert len(members) == 8
    assert sorted(m.state for m in members).count("starting") == 2


def test_migs_count_target_size_and_running_members(seeded: FakeComputeApi, backend: GcpBackend) -> None:
    groups = {r.name: r for r in backend.fetch(backend.scopes()[0]) if r.kind == "group"}
    api = groups["api-prod"]
    assert api.id == f"gcp:{PROJECT}:{ZONE_C}:mig/api-prod"
    assert (api.count, api.state, api.size, api.environment) == (8, "degraded", "e2-standard-2", "prod")
    assert api.standby == "api-dr"
    assert api.unit_hourly_cost == pytest.approx(0.067)
    assert api.hourly_cost == pytest.approx(8 * 0.067)
    dr = groups["api-dr"]
    assert (dr.count, dr.state, dr.environment, dr.hourly_cost) == (0, "stopped", "dr", 0.0)


def test_zonal_scopes_list_only_their_zone(seeded: FakeComputeApi, make_backend: MakeBackend) -> None:
    backend = make_backend(GcpProject(id=PROJECT, zones=[ZONE_C, ZONE_US], environment="staging"))
    scopes = backend.scopes()
    assert [s.label for s in scopes] == [f"GCP {PROJECT} {ZONE_C}", f"GCP {PROJECT} {ZONE_US}"]

    zone_c = backend.fetch(scopes[0])

    assert {r.region for r in zone_c} == {ZONE_C}
    assert sorted(r.name for r in zone_c if r.kind == "group") == ["api-dr", "api-prod"]
    assert not seeded.seen("/aggregated/")
    assert seeded.seen(f"/zones/{ZONE_C}/instances")
    zone_us = {r.name: r for r in backend.fetch(scopes[1])}
    assert zone_us["batch-0001"].environment == "staging"  # no label: the project's configured environment
    assert zone_us["db-1"].environment == "prod"


def test_scope_of_maps_ids_to_configured_scopes(make_backend: MakeBackend) -> None:
    backend = make_backend(GcpProject(id=PROJECT), GcpProject(id="analytics-2", zones=[ZONE_B]))
    assert backend.scope_of(f"gcp:{PROJECT}:{ZONE_C}:instance/x").key == f"gcp:{PROJECT}:*"
    assert backend.scope_of(f"gcp:analytics-2:{ZONE_B}:mig/y").key == f"gcp:analytics-2:{ZONE_B}"
    with pytest.raises(ResourceNotFound):
        backend.scope_of(f"gcp:analytics-2:{ZONE_C}:instance/x")
    with pytest.raises(ResourceNotFound):
        backend.scope_of("gcp:other-project:us-east1-b:instance/x")
    with pytest.raises(ResourceNotFound):
        backend.scope_of("aws:prod:us-east-1:i-0abc")


def test_get_reads_an_instance_fresh(seeded: FakeComputeApi, backend: GcpBackend) -> None:
    seeded.instance(PROJECT, ZONE_US, "db-1").status = "STOPPING"
    db = backend.get(f"gcp:{PROJECT}:{ZONE_US}:instance/db-1")
    assert (db.name, db.state, db.size, db.environment) == ("db-1", "stopping", "n2-highmem-4", "prod")
    assert seeded.seen(f"/zones/{ZONE_US}/instances/db-1", "GET")


def test_get_reads_a_mig_with_its_members(seeded: FakeComputeApi, backend: GcpBackend) -> None:
    api = backend.get(f"gcp:{PROJECT}:{ZONE_C}:mig/api-prod")
    assert (api.kind, api.count, api.state, api.size) == ("group", 8, "degraded", "e2-standard-2")
    assert api.tags["opsbot-standby"] == "api-dr"
    assert seeded.seen("/instanceGroupManagers/api-prod/listManagedInstances", "POST")
    empty = backend.get(f"gcp:{PROJECT}:{ZONE_C}:mig/api-dr")
    assert (empty.count, empty.state, empty.environment) == (0, "stopped", "dr")
